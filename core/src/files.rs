//! Files a visitor attaches: decoded from their data URL, checked (the declared type must
//! match the bytes), hashed, and later handed out through signed, expiring URLs. The bytes
//! go to R2; D1 and the webhook only ever see a [`StoredFile`] description.

use crate::validate::{parse_data_url, FieldError};
use base64::{
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
    Engine,
};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A decoded, checked file, ready to be stored.
#[derive(Debug, PartialEq, Eq)]
pub struct UploadedFile {
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub sha256: String,
}

/// What a submission keeps about a file (in `formData`, in place of the data URL). `key`
/// names the R2 object; it is swapped for a signed `url` whenever the file is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredFile {
    pub name: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    pub key: String,
}

/// A file as owners and webhooks see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileOut {
    pub name: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    /// Fetches the bytes until it expires (`FILE_URL_TTL_SECS`).
    pub url: String,
}

/// The type a file has when the browser did not say.
const UNKNOWN_TYPE: &str = "application/octet-stream";

/// Decodes and checks the data URL of field `field` (already size-checked by validation).
pub fn decode(field: &str, data_url: &str) -> Result<UploadedFile, FieldError> {
    let fail = |reason: String| FieldError::new(field, reason);
    let parsed =
        parse_data_url(data_url).ok_or_else(|| fail("must be a file sent as a base64 data URL".into()))?;
    let bytes = STANDARD
        .decode(padded(parsed.base64))
        .map_err(|_| fail("must be a file sent as a base64 data URL".into()))?;
    let declared = parsed.content_type.trim();
    let content_type = if declared.is_empty() {
        UNKNOWN_TYPE.to_string()
    } else {
        // A browser says `image/png` or nothing; anything else would be stored, then sent
        // back as the file's Content-Type header, which could not carry it.
        media_type(declared).ok_or_else(|| fail("must have a content type like image/png".into()))?
    };
    check_type(&content_type, &bytes).map_err(fail)?;
    let name = parsed
        .name
        .map(percent_decode)
        .map(|n| safe_file_name(&n))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| field.to_string());
    Ok(UploadedFile {
        sha256: hex(&Sha256::digest(&bytes)),
        name,
        content_type,
        bytes,
    })
}

fn padded(base64: &str) -> String {
    let mut text = base64.to_string();
    while !text.len().is_multiple_of(4) {
        text.push('=');
    }
    text
}

/// Types whose first bytes say what they are. A declared type from this list must match
/// the bytes; bytes recognised as one of these may not be declared as something else
/// (a PDF sent as `image/png`), except as the generic `application/octet-stream`.
const SIGNATURES: &[(&str, &[&[u8]])] = &[
    ("application/pdf", &[b"%PDF-"]),
    ("image/png", &[b"\x89PNG\r\n\x1a\n"]),
    ("image/jpeg", &[b"\xff\xd8\xff"]),
    ("image/gif", &[b"GIF87a", b"GIF89a"]),
    ("application/zip", &[b"PK\x03\x04", b"PK\x05\x06"]),
    ("application/gzip", &[b"\x1f\x8b"]),
];

/// Types stored in a zip container (Office documents, EPUB): their bytes sniff as zip.
fn is_zip_based(content_type: &str) -> bool {
    content_type.starts_with("application/vnd.openxmlformats-officedocument.")
        || content_type.starts_with("application/vnd.oasis.opendocument.")
        || content_type == "application/epub+zip"
        || content_type == "application/x-zip-compressed"
}

/// A file fetched on a person's behalf (a document sent in a messaging app) as the data URL
/// the widget would have sent: `data:<type>;name=<name>;base64,<bytes>`.
pub fn data_url(mime_type: &str, name: Option<&str>, bytes: &[u8]) -> String {
    let name = name
        .map(|n| {
            let encoded: String =
                percent_encoding::utf8_percent_encode(n, percent_encoding::NON_ALPHANUMERIC).collect();
            format!(";name={encoded}")
        })
        .unwrap_or_default();
    // What a chat platform passes on is the sender's word: anything that is not a media
    // type is a file of unknown type.
    // (`audio/ogg; codecs=opus`: the type without its parameters.)
    let essence = mime_type.split(';').next().unwrap_or_default();
    let mime_type = media_type(essence).unwrap_or_else(|| UNKNOWN_TYPE.to_string());
    format!("data:{mime_type}{name};base64,{}", STANDARD.encode(bytes))
}

/// When links minted at `now` (seconds) end: `ttl` from now, rounded up to the next whole
/// hour, so every retry of a delivery within the hour carries the same links, and so the
/// same body: the email API refuses a repeated `Idempotency-Key` with another body (a 409),
/// which would fail an email a time-out had already sent.
pub fn link_expiry(now: i64, ttl: i64) -> i64 {
    let end = now + ttl;
    end + (3_600 - end.rem_euclid(3_600)) % 3_600
}

/// `declared` as a media type (`type/subtype`, lower-case, no parameters), or `None` when
/// it is not one: each part 1 to 127 of RFC 6838's name characters, so it is safe in a
/// header, an R2 object's metadata and a data URL.
pub fn media_type(declared: &str) -> Option<String> {
    let (kind, subtype) = declared.trim().split_once('/')?;
    let name = |part: &str| {
        (1..=127).contains(&part.len())
            && part.starts_with(|c: char| c.is_ascii_alphanumeric())
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    (name(kind) && name(subtype)).then(|| declared.trim().to_ascii_lowercase())
}

/// What the bytes say they are, for the types we can recognise.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Some("image/webp");
    }
    if bytes.starts_with(b"MZ") || bytes.starts_with(b"\x7fELF") {
        return Some("application/x-executable");
    }
    SIGNATURES
        .iter()
        .find(|(_, magic)| magic.iter().any(|m| bytes.starts_with(m)))
        .map(|(kind, _)| *kind)
}

/// The declared type must agree with the bytes; programs are refused whatever they claim.
pub fn check_type(declared: &str, bytes: &[u8]) -> Result<(), String> {
    let actual = sniff(bytes);
    if actual == Some("application/x-executable") {
        return Err(crate::locale::ENGLISH[crate::locale::T::Program as usize].into());
    }
    let recognisable = declared == "image/webp" || SIGNATURES.iter().any(|(kind, _)| *kind == declared);
    let agrees = match actual {
        Some(actual) => {
            actual == declared
                || declared == UNKNOWN_TYPE
                || (actual == "application/zip" && is_zip_based(declared))
        }
        None => !recognisable,
    };
    if agrees {
        return Ok(());
    }
    use crate::locale::DECLARED_AS;
    Err(match actual {
        Some(actual) => format!("{DECLARED_AS}{declared} but its contents are {actual}"),
        None => format!("{DECLARED_AS}{declared} but its contents are not"),
    })
}

/// A name safe to show and to put in `Content-Disposition`: no path, no control
/// characters or quotes, no bidirectional controls, at most 200 characters.
///
/// A right-to-left override shows `invoice\u{202E}fdp.exe` as "invoiceexe.pdf" in the
/// dashboard, an email or Slack: the owner would open a program thinking it a PDF.
pub fn safe_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    base.chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c) && !matches!(c, '"' | '\\'))
        .take(200)
        .collect::<String>()
        .trim()
        .to_string()
}

/// The marks and embeddings that reorder text as it is shown (Unicode's Bidi_Control).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The key file links are signed with, derived from the owner key so there is no second
/// secret to manage (rotating the owner key also revokes every link handed out).
pub fn link_secret(owner_key: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(owner_key.as_bytes()).expect("HMAC takes any key length");
    mac.update(b"leadform file links v1");
    mac.finalize().into_bytes().to_vec()
}

/// The signature of a file link: HMAC-SHA256 over the object key and the expiry, so a
/// link cannot be pointed at another file or made to live longer.
pub fn url_signature(secret: &[u8], key: &str, expires_secs: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(format!("{key}\n{expires_secs}").as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// What a URL path may carry of a field name as it is: anything else is percent-encoded, so a
/// field called `CV / résumé #1` still has a working link.
const PATH_SAFE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `{base}/files/{submissionId}/{field, percent-encoded}?expires=…&signature=…`; the
/// signature covers the key itself (`{submissionId}/{field}`).
pub fn signed_url(base: &str, secret: &[u8], key: &str, expires_secs: i64) -> String {
    let signature = url_signature(secret, key, expires_secs);
    let (submission, field) = key.split_once('/').unwrap_or((key, ""));
    format!(
        "{}/files/{submission}/{}?expires={expires_secs}&signature={signature}",
        base.trim_end_matches('/'),
        percent_encoding::utf8_percent_encode(field, PATH_SAFE)
    )
}

/// The field name of a link's last path segment (the inverse of [`signed_url`]'s encoding).
pub fn field_from_path(segment: &str) -> Option<String> {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .ok()
        .map(|f| f.into_owned())
}

/// Whether a link's signature is ours and it has not expired. Compares in constant time.
pub fn link_is_valid(secret: &[u8], key: &str, expires_secs: i64, signature: &str, now_secs: i64) -> bool {
    let Ok(given) = URL_SAFE_NO_PAD.decode(signature) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(format!("{key}\n{expires_secs}").as_bytes());
    now_secs <= expires_secs && mac.verify_slice(&given).is_ok()
}

impl StoredFile {
    pub fn new(key: String, file: &UploadedFile) -> Self {
        StoredFile {
            name: file.name.clone(),
            content_type: file.content_type.clone(),
            size: file.bytes.len() as u64,
            sha256: file.sha256.clone(),
            key,
        }
    }

    /// Reads a stored description back from `formData` (anything else is not a file).
    pub fn from_value(value: &serde_json::Value) -> Option<Self> {
        let obj = value.as_object()?;
        (obj.contains_key("key") && obj.contains_key("sha256"))
            .then(|| serde_json::from_value(value.clone()).ok())
            .flatten()
    }

    pub fn shown(self, url: String) -> FileOut {
        FileOut {
            name: self.name,
            content_type: self.content_type,
            size: self.size,
            sha256: self.sha256,
            url,
        }
    }
}

/// `formData` as owners and webhooks see it: each stored file becomes a [`FileOut`] with a
/// link signed to expire at `expires_secs`; every other value is left as it is.
pub fn show_form_data(
    form_data: &serde_json::Map<String, serde_json::Value>,
    base: &str,
    secret: &[u8],
    expires_secs: i64,
) -> serde_json::Map<String, serde_json::Value> {
    form_data
        .iter()
        .map(|(name, value)| {
            let shown = match StoredFile::from_value(value) {
                Some(file) => {
                    let url = signed_url(base, secret, &file.key, expires_secs);
                    serde_json::to_value(file.shown(url)).unwrap_or_else(|_| value.clone())
                }
                None => value.clone(),
            };
            (name.clone(), shown)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data_url(kind: &str, name: Option<&str>, bytes: &[u8]) -> String {
        let name = name.map(|n| format!(";name={n}")).unwrap_or_default();
        format!("data:{kind}{name};base64,{}", STANDARD.encode(bytes))
    }

    #[test]
    fn links_minted_within_an_hour_end_together() {
        let ttl = 7 * 24 * 3_600;
        let at = 1_764_500_000; // 10:53:20 UTC
        assert_eq!(
            link_expiry(at, ttl),
            link_expiry(at + 60, ttl),
            "a retry a minute later"
        );
        assert_eq!(link_expiry(at, ttl) % 3_600, 0);
        assert!(link_expiry(at, ttl) >= at + ttl && link_expiry(at, ttl) < at + ttl + 3_600);
        assert_eq!(
            link_expiry(1_764_504_000 - ttl, ttl),
            1_764_504_000,
            "already whole"
        );
    }

    #[test]
    fn only_media_types_are_taken_as_a_file_s_type() {
        for (declared, expected) in [
            ("image/png", Some("image/png")),
            (" Application/PDF ", Some("application/pdf")),
            (
                "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                Some("application/vnd.openxmlformats-officedocument.presentationml.presentation"),
            ),
            ("application/vnd.ms-excel", Some("application/vnd.ms-excel")),
            ("image/svg+xml", Some("image/svg+xml")),
            ("text/pl\nain", None),
            ("text/☃", None),
            ("text", None),
            ("/plain", None),
            ("text/", None),
            ("a/b/c", None),
            ("text/plain\r\nSet-Cookie: x=1", None),
        ] {
            assert_eq!(media_type(declared).as_deref(), expected, "{declared:?}");
        }
        let long = format!("application/{}", "x".repeat(1_900_000));
        assert_eq!(media_type(&long), None);
        // Refused in a submission, at its field; a chat platform's odd type is an unknown one.
        let err = decode("doc", "data:text/pl\nain;base64,aGk=").unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.reason.as_str()),
            ("doc", "must have a content type like image/png")
        );
        let url = super::data_url("text/☃", None, b"hi");
        assert!(url.starts_with("data:application/octet-stream;base64,"), "{url}");
        let voice = super::data_url("audio/ogg; codecs=opus", None, b"hi");
        assert!(voice.starts_with("data:audio/ogg;base64,"), "{voice}");
    }

    #[test]
    fn a_pdf_decodes_with_its_name_size_and_hash() {
        let file = decode(
            "deck",
            &data_url("application/pdf", Some("Q3%20deck.pdf"), b"%PDF-1.4 hi"),
        )
        .unwrap();
        assert_eq!(file.name, "Q3 deck.pdf");
        assert_eq!(file.content_type, "application/pdf");
        assert_eq!(file.bytes, b"%PDF-1.4 hi");
        // sha256 of "%PDF-1.4 hi", computed with coreutils' sha256sum.
        assert_eq!(
            file.sha256,
            "19552af1c4b7e453fc9979057583e909cc390e7c3f6d329710744a3e957635ac"
        );
    }

    #[test]
    fn declared_types_must_match_the_bytes() {
        let png = b"\x89PNG\r\n\x1a\nrest";
        let cases: [(&str, &[u8], Result<(), &str>); 9] = [
            ("image/png", png, Ok(())),
            ("application/octet-stream", png, Ok(())),
            ("text/plain", b"hello", Ok(())),
            (
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                b"PK\x03\x04..",
                Ok(()),
            ),
            (
                "application/pdf",
                png,
                Err("is declared as application/pdf but its contents are image/png"),
            ),
            (
                "text/plain",
                b"%PDF-1.7",
                Err("is declared as text/plain but its contents are application/pdf"),
            ),
            (
                "image/jpeg",
                b"hello",
                Err("is declared as image/jpeg but its contents are not"),
            ),
            (
                "application/pdf",
                b"MZ\x90\x00",
                Err("is a program; programs are not accepted"),
            ),
            ("image/webp", b"RIFF\x00\x00\x00\x00WEBPVP8 ", Ok(())),
        ];
        for (declared, bytes, expected) in cases {
            let checked = check_type(declared, bytes);
            assert_eq!(checked, expected.map_err(String::from), "{declared}");
            // A visitor reads every refusal in their own words: the widget finds it in the
            // English row, or by how a type mismatch begins.
            if let Err(reason) = checked {
                let english = crate::locale::ENGLISH;
                assert!(
                    english.contains(&reason.as_str()) || reason.starts_with(crate::locale::DECLARED_AS),
                    "{reason}"
                );
            }
        }
    }

    #[test]
    fn names_lose_paths_and_quotes_and_default_to_the_field() {
        assert_eq!(safe_file_name("../../etc/pa\"ss\nwd"), "passwd");
        assert_eq!(safe_file_name("C:\\Users\\x\\cv.pdf"), "cv.pdf");
        assert_eq!(safe_file_name("invoice\u{202E}fdp.exe"), "invoicefdp.exe");
        assert_eq!(safe_file_name("\u{2067}a\u{2069}\u{200F}b\u{061C}.pdf"), "ab.pdf");
        assert_eq!(
            safe_file_name("ملف.pdf"),
            "ملف.pdf",
            "right-to-left text itself stays"
        );
        let unnamed = decode("resume", &data_url("", None, b"plain words")).unwrap();
        assert_eq!(
            (unnamed.name.as_str(), unnamed.content_type.as_str()),
            ("resume", UNKNOWN_TYPE)
        );
    }

    #[test]
    fn stored_files_are_shown_with_a_link_and_nothing_else_changes() {
        let file = decode("cv", &data_url("text/plain", Some("cv.txt"), b"hi")).unwrap();
        let stored = StoredFile::new("sub_1/cv".into(), &file);
        let mut data = serde_json::Map::new();
        data.insert("cv".into(), serde_json::to_value(&stored).unwrap());
        data.insert("email".into(), "a@b.co".into());
        data.insert("note".into(), serde_json::json!({"key": "not a file"}));
        let shown = show_form_data(&data, "http://e", b"k", 50);
        assert_eq!(shown["email"], "a@b.co");
        assert_eq!(shown["note"], data["note"]);
        let cv = &shown["cv"];
        assert_eq!(
            (cv["name"].as_str(), cv["size"].as_u64()),
            (Some("cv.txt"), Some(2))
        );
        assert_eq!(cv["contentType"], "text/plain");
        assert!(cv.get("key").is_none());
        assert!(cv["url"]
            .as_str()
            .unwrap()
            .starts_with("http://e/files/sub_1/cv?expires=50&signature="));
    }

    #[test]
    fn any_field_name_makes_a_working_link() {
        for field in ["CV / résumé #1", "a?b&c=d", "100%", "../../etc", "файл", "deck"] {
            let key = format!("sub_1/{field}");
            let url = signed_url("http://e", b"k", &key, 50);
            let path = url.split('?').next().unwrap();
            let segment = path.strip_prefix("http://e/files/sub_1/").unwrap();
            assert!(!segment.contains(['/', '?', '#', ' ']), "{segment}");
            assert_eq!(field_from_path(segment).as_deref(), Some(field));
        }
    }

    #[test]
    fn links_are_tied_to_their_key_and_expiry() {
        let secret = b"k";
        let url = signed_url("http://edge.test/", secret, "sub_1/deck", 1000);
        let signature = url.rsplit_once("signature=").unwrap().1;
        assert!(url.starts_with("http://edge.test/files/sub_1/deck?expires=1000&signature="));
        assert!(link_is_valid(secret, "sub_1/deck", 1000, signature, 999));
        assert!(
            !link_is_valid(secret, "sub_1/deck", 1000, signature, 1001),
            "expired"
        );
        assert!(
            !link_is_valid(secret, "sub_2/deck", 1000, signature, 999),
            "other file"
        );
        assert!(
            !link_is_valid(secret, "sub_1/deck", 2000, signature, 999),
            "longer life"
        );
        assert!(
            !link_is_valid(b"other", "sub_1/deck", 1000, signature, 999),
            "other secret"
        );
    }
}
