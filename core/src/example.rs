//! An example answer to a form: what `POST /v1/tools/{id}/test` sends to the form's webhook
//! or one of its post-actions, so an owner (or the developer of the receiver) sees what
//! their integration will get before the first visitor fills the form in. Every value is
//! one the form accepts.

use crate::files::StoredFile;
use crate::form::{FieldKind, FieldSpec};
use crate::validate::FieldError;
use serde_json::{json, Map, Value};

/// Which of a form's integrations a test goes to: its webhook (`None`, also for no body or
/// `{}`), or the post-action at `postAction`, an index into its `postActions`.
pub fn test_target(body: Option<&Value>, post_actions: usize) -> Result<Option<usize>, FieldError> {
    let Some(body) = body else {
        return Ok(None);
    };
    let Some(object) = body.as_object() else {
        return Err(FieldError::new("body", "must be a JSON object"));
    };
    if let Some(key) = object.keys().find(|k| *k != "postAction") {
        return Err(FieldError::new(
            key.as_str(),
            "is not a field of a test (postAction)",
        ));
    }
    match object.get("postAction") {
        None | Some(Value::Null) => Ok(None),
        Some(index) => match index.as_u64().and_then(|i| usize::try_from(i).ok()) {
            Some(i) if i < post_actions => Ok(Some(i)),
            _ if post_actions == 0 => Err(FieldError::new("postAction", "this form has no post-actions")),
            _ => Err(FieldError::new(
                "postAction",
                format!(
                    "must be the index of one of the form's postActions: 0 to {}",
                    post_actions - 1
                ),
            )),
        },
    }
}

/// The SHA-256 of no bytes: the example file's, as its stored form carries one.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// One value per field of `fields`, as a submission stores it (a file as its stored
/// reference, under `key`'s prefix, which is shown as a link like any other).
pub fn form_data(fields: &[FieldSpec], file_key_prefix: &str) -> Map<String, Value> {
    fields
        .iter()
        .map(|field| (field.name.clone(), value_of(field, file_key_prefix)))
        .collect()
}

fn value_of(field: &FieldSpec, file_key_prefix: &str) -> Value {
    // A choice the field's length limits allow, else its first.
    let option = || {
        let fits = |o: &&String| within(field, o.chars().count());
        field.options.iter().find(fits).or(field.options.first()).cloned()
    };
    match field.kind {
        FieldKind::Text => json!(padded(field, "Ada Lovelace")),
        FieldKind::Textarea => json!(padded(field, "This is a test from leadform: no visitor sent it.")),
        FieldKind::Hidden => json!(padded(field, "test")),
        FieldKind::Email => json!(email(field)),
        FieldKind::Phone => json!("+14155550123"),
        FieldKind::Url => json!(url(field)),
        FieldKind::Number => json!(42),
        FieldKind::Date => json!("2026-01-15"),
        FieldKind::Select => json!(option().unwrap_or_default()),
        FieldKind::Multiselect => json!(option().into_iter().collect::<Vec<_>>()),
        FieldKind::Checkbox | FieldKind::Consent => json!(true),
        FieldKind::File => json!(StoredFile {
            name: "example.pdf".into(),
            content_type: "application/pdf".into(),
            size: 0,
            sha256: EMPTY_SHA256.into(),
            key: format!("{file_key_prefix}/{}", field.name),
        }),
    }
}

/// The field's length limits, in characters (`maxLength` at least `minLength`).
fn limits(field: &FieldSpec) -> (usize, usize) {
    let min = field.min_length.unwrap_or(0) as usize;
    (min, field.max_length.map_or(usize::MAX, |m| m as usize).max(min))
}

fn within(field: &FieldSpec, len: usize) -> bool {
    let (min, max) = limits(field);
    (min..=max).contains(&len)
}

/// `sample`, cut to the field's `maxLength` and made as long as its `minLength` asks with
/// dots (never ending in a space a check would trim).
fn padded(field: &FieldSpec, sample: &str) -> String {
    let (min, max) = limits(field);
    let mut out = sample
        .chars()
        .take(max)
        .collect::<String>()
        .trim_end()
        .to_string();
    let short = min.saturating_sub(out.chars().count());
    out.extend(std::iter::repeat_n('.', short));
    out
}

/// An address within the field's limits: a longer name before the `@`, or the shortest
/// address there is.
fn email(field: &FieldSpec) -> String {
    let (min, max) = limits(field);
    let domain = "@example.com";
    let name = format!("ada{}", "a".repeat(min.saturating_sub(domain.len() + 3)));
    let address = format!("{name}{domain}");
    match address.len() <= max {
        true => address,
        false => "a@b.co".into(),
    }
}

/// A link within the field's limits: a longer path, or a short host alone.
fn url(field: &FieldSpec) -> String {
    let (min, max) = limits(field);
    let base = "https://example.com/";
    let link = format!("{base}{}", "a".repeat(min.saturating_sub(base.len())));
    match link.len() <= max {
        true => link,
        false => "https://a.co".into(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_test_goes_to_the_webhook_or_a_post_action_by_index() {
        assert_eq!(test_target(None, 0), Ok(None));
        assert_eq!(test_target(Some(&json!({})), 2), Ok(None));
        assert_eq!(test_target(Some(&json!({"postAction": null})), 2), Ok(None));
        assert_eq!(test_target(Some(&json!({"postAction": 1})), 2), Ok(Some(1)));
        // (4294967296 is 0 when cut to a 32-bit index, as on wasm32: refused, not post-action 0.)
        for wrong in [
            json!(2),
            json!(-1),
            json!(0.5),
            json!("0"),
            json!(4_294_967_296u64),
        ] {
            let err = test_target(Some(&json!({ "postAction": wrong })), 2).unwrap_err();
            assert_eq!(
                (err.field.as_str(), err.reason.as_str()),
                (
                    "postAction",
                    "must be the index of one of the form's postActions: 0 to 1"
                )
            );
        }
        assert_eq!(
            test_target(Some(&json!({"postAction": 0})), 0)
                .unwrap_err()
                .reason,
            "this form has no post-actions"
        );
        assert_eq!(
            test_target(Some(&json!({"postActions": 0})), 2)
                .unwrap_err()
                .field,
            "postActions"
        );
        assert_eq!(test_target(Some(&json!([0])), 2).unwrap_err().field, "body");
    }

    use super::*;
    use crate::validate::validate_form;

    fn field(name: &str, kind: FieldKind) -> FieldSpec {
        FieldSpec {
            name: name.into(),
            kind,
            required: true,
            ..Default::default()
        }
    }

    #[test]
    fn every_kind_of_field_gets_a_value_the_form_accepts() {
        let mut fields: Vec<FieldSpec> = FieldKind::ALL
            .iter()
            .filter(|kind| **kind != FieldKind::File)
            .map(|kind| field(&format!("{kind:?}").to_lowercase(), *kind))
            .collect();
        for f in &mut fields {
            if matches!(f.kind, FieldKind::Select | FieldKind::Multiselect) {
                f.options = vec!["Starter".into(), "Pro".into()];
            }
        }
        // Fields with length limits: (name, type, minLength, maxLength).
        let limited = [
            ("long", FieldKind::Textarea, Some(60), Some(70)),
            ("short", FieldKind::Text, None, Some(3)),
            ("short_email", FieldKind::Email, None, Some(8)),
            ("long_email", FieldKind::Email, Some(30), None),
            ("long_url", FieldKind::Url, Some(40), None),
            ("short_url", FieldKind::Url, None, Some(14)),
            ("short_choice", FieldKind::Select, None, Some(3)),
        ];
        fields.extend(limited.map(|(name, kind, min_length, max_length)| FieldSpec {
            min_length,
            max_length,
            options: vec!["Enterprise".into(), "Pro".into()],
            ..field(name, kind)
        }));
        let data = form_data(&fields, "test/sub_x");
        assert_eq!(data.len(), fields.len());
        let clean = validate_form(&fields, &data).expect("the example passes the form's own checks");
        assert_eq!(clean["select"], json!("Starter"));
        assert_eq!(clean["multiselect"], json!(["Starter"]));
        let long = clean["long"].as_str().unwrap().chars().count();
        assert!((60..=70).contains(&long), "{long}");
        assert_eq!(clean["short"], json!("Ada"));
        assert_eq!(clean["short_choice"], json!("Pro"));
        for (name, min, max) in [
            ("short_email", 0, 8),
            ("long_email", 30, 99),
            ("long_url", 40, 99),
            ("short_url", 0, 14),
        ] {
            let len = clean[name].as_str().unwrap().chars().count();
            assert!((min..=max).contains(&len), "{name}: {len}");
        }
    }

    #[test]
    fn a_file_field_is_a_stored_reference_shown_as_a_link() {
        let data = form_data(&[field("cv", FieldKind::File)], "test/sub_x");
        let file = StoredFile::from_value(&data["cv"]).expect("a stored file");
        assert_eq!(file.key, "test/sub_x/cv");
        assert_eq!(file.name, "example.pdf");
    }
}
