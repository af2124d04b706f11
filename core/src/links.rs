//! The links the dashboard makes of what a visitor typed. The text is the visitor's, so a
//! link must do what its label says and nothing more: an email address opens a new message
//! to that address only, a phone number dials its digits, a page is an http(s) page.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// What stays as it is in a `mailto:` address: RFC 6068's unreserved characters and the
/// `@`. Everything else, above all `?`, `&`, `=`, `%` and `#`, is percent-encoded, so an
/// address like `sales?cc=x@evil.example&body=…` (valid: `?`, `=` and `&` may stand in a
/// mailbox name) cannot add a copy, a subject or a body to the owner's reply.
const MAILTO_KEPT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'@')
    .remove(b'.')
    .remove(b'-')
    .remove(b'_')
    .remove(b'~')
    .remove(b'+');

/// A `mailto:` link to exactly `address`, with no header fields.
pub fn mailto(address: &str) -> Option<String> {
    let address = address.trim();
    (!address.is_empty()).then(|| format!("mailto:{}", utf8_percent_encode(address, MAILTO_KEPT)))
}

/// A `tel:` link of the number's digits and `+` signs (everything else dropped), when it
/// has any.
pub fn tel(number: &str) -> Option<String> {
    let digits: String = number
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    (!digits.is_empty()).then(|| format!("tel:{digits}"))
}

/// A link to `text` when it is an http(s) address (never `javascript:` or `data:`).
pub fn web(text: &str) -> Option<String> {
    crate::validate::is_http_url(text).then(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_cannot_add_header_fields_to_the_owners_reply() {
        assert_eq!(
            mailto("jane.doe+crm@example.com").as_deref(),
            Some("mailto:jane.doe+crm@example.com")
        );
        let planted = mailto("sales?cc=attacker%40evil.example&subject=Invoice&x=@example.com").unwrap();
        assert_eq!(
            planted,
            "mailto:sales%3Fcc%3Dattacker%2540evil.example%26subject%3DInvoice%26x%3D@example.com"
        );
        assert!(!planted.contains(['?', '&', '=', '#']));
        assert_eq!(mailto("  ").as_deref(), None);
        // Non-ASCII mailbox names (RFC 6531) are UTF-8, percent-encoded.
        assert_eq!(
            mailto("josé@example.com").as_deref(),
            Some("mailto:jos%C3%A9@example.com")
        );
    }

    #[test]
    fn a_phone_dials_its_digits_and_a_page_is_http() {
        assert_eq!(tel("+1 (555) 010-0100").as_deref(), Some("tel:+15550100100"));
        assert_eq!(tel("call me"), None);
        assert_eq!(
            web("https://example.com/a?b=1").as_deref(),
            Some("https://example.com/a?b=1")
        );
        assert_eq!(web("javascript:alert(1)"), None);
    }
}
