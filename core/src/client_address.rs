//! Whom a rate limit counts: the client's address as the limits key it.
//!
//! An IPv4 address is one client. An IPv6 address is not: a host, or any cheap server, is
//! given a whole /64 (2^64 addresses) and may send every request from another one, so the
//! limits count the /64. An IPv4-mapped IPv6 address is its IPv4 address.

use std::net::IpAddr;

/// The key the rate limits count `address` (as `CF-Connecting-IP` gives it) under. Anything
/// that is not an address is kept as it is, cut to 64 characters.
pub fn rate_key(address: &str) -> String {
    match address.trim().parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let [a, b, c, d, ..] = v6.segments();
                format!("{a:x}:{b:x}:{c:x}:{d:x}::/64")
            }
        },
        Err(_) => address.chars().take(64).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv4_address_is_one_client() {
        assert_eq!(rate_key("203.0.113.9"), "203.0.113.9");
        assert_ne!(rate_key("203.0.113.9"), rate_key("203.0.113.10"));
    }

    #[test]
    fn every_address_of_an_ipv6_64_is_one_client_however_it_is_written() {
        let one = rate_key("2001:db8:1:2::1");
        assert_eq!(one, "2001:db8:1:2::/64");
        assert_eq!(rate_key("2001:0db8:0001:0002:ffff:0:abcd:9"), one);
        assert_eq!(rate_key("2001:DB8:1:2:dead:beef:0:1"), one);
        assert_ne!(rate_key("2001:db8:1:3::1"), one, "the next /64 is another client");
    }

    #[test]
    fn an_ipv4_mapped_address_is_its_ipv4_address() {
        assert_eq!(rate_key("::ffff:203.0.113.9"), "203.0.113.9");
    }

    #[test]
    fn what_is_not_an_address_is_kept_short() {
        assert_eq!(rate_key("local"), "local");
        assert_eq!(rate_key(&"x".repeat(500)).len(), 64);
    }
}
