//! Field analysis (seed 000: which fields "cause drop-offs" and "take longest to fill"): the
//! widget reports the time spent in each field with a submission, and the last field touched
//! when a started form is left unsent. The edge keeps both as counters at write time (a
//! histogram of times per field and day, a count of drop-offs per field and day), so the
//! analytics read costs the same at any volume; the median is read off the histogram.

use crate::form::FieldSpec;
use serde_json::{Map, Value};

/// Upper bounds (ms) of the time buckets; a time past the last falls in one more bucket.
/// Roughly doubling: the median is as precise as the bucket it falls in.
pub const BUCKET_BOUNDS: [u64; 10] = [
    1_000, 2_000, 4_000, 8_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000,
];

/// Longest time one field may report (an hour): a tab left open is not a field being filled.
pub const MAX_FIELD_MS: u64 = 3_600_000;

/// The bucket of a time.
pub fn bucket(ms: u64) -> u8 {
    BUCKET_BOUNDS
        .iter()
        .position(|&bound| ms < bound)
        .unwrap_or(BUCKET_BOUNDS.len()) as u8
}

/// What a bucket stands for: the middle of its range (the last: its lower bound).
fn representative(bucket: u8) -> u64 {
    let i = bucket as usize;
    let low = if i == 0 { 0 } else { BUCKET_BOUNDS[i - 1] };
    match BUCKET_BOUNDS.get(i) {
        Some(high) => (low + high) / 2,
        None => low,
    }
}

/// The median of a histogram `(bucket, count)`, as its bucket's representative time.
pub fn median_ms(histogram: &[(u8, u64)]) -> Option<u64> {
    let mut sorted: Vec<(u8, u64)> = histogram.iter().copied().filter(|(_, n)| *n > 0).collect();
    sorted.sort();
    let total: u64 = sorted.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return None;
    }
    let half = total.div_ceil(2);
    let mut seen = 0;
    for (bucket, n) in sorted {
        seen += n;
        if seen >= half {
            return Some(representative(bucket));
        }
    }
    None
}

/// Reads a submission's `fieldTimeMs`: an object of the form's field names to whole
/// milliseconds (more than an hour is taken as an hour). Only analytics hang on it, so it
/// never refuses a lead: names the form does not have (a field removed while the page was
/// open) and values that are not whole milliseconds are left out.
pub fn read_times(value: Option<&Value>, fields: &[FieldSpec]) -> Vec<(String, u8)> {
    let Some(Value::Object(map)) = value else {
        return Vec::new();
    };
    map.iter()
        .filter(|(name, _)| fields.iter().any(|f| &f.name == *name))
        .filter_map(|(name, ms)| Some((name.clone(), bucket(ms.as_u64()?.min(MAX_FIELD_MS)))))
        .collect()
}

/// Reads an event's `lastField`: a field of the form, else nothing (a dismissal counts all
/// the same, without a field to blame).
pub fn read_last_field(value: Option<&Value>, fields: &[FieldSpec]) -> Option<String> {
    match value {
        Some(Value::String(name)) if fields.iter().any(|f| &f.name == name) => Some(name.clone()),
        _ => None,
    }
}

/// A form's field figures as analytics shows them: the median time per field (ms) and the
/// drop-offs per field, each in the form's field order.
pub fn report(
    fields: &[String],
    times: &[(String, u8, u64)],
    drops: &[(String, u64)],
) -> (Map<String, Value>, Map<String, Value>) {
    let mut medians = Map::new();
    let mut dropped = Map::new();
    for field in fields {
        let histogram: Vec<(u8, u64)> = times
            .iter()
            .filter(|(name, _, _)| name == field)
            .map(|(_, bucket, n)| (*bucket, *n))
            .collect();
        if let Some(median) = median_ms(&histogram) {
            medians.insert(field.clone(), median.into());
        }
        let n: u64 = drops
            .iter()
            .filter(|(name, _)| name == field)
            .map(|(_, n)| n)
            .sum();
        dropped.insert(field.clone(), n.into());
    }
    (medians, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields() -> Vec<FieldSpec> {
        serde_json::from_value(json!([{"name": "name"}, {"name": "email"}, {"name": "message"}])).unwrap()
    }

    #[test]
    fn times_fall_in_doubling_buckets_and_the_median_is_read_off_them() {
        assert_eq!(bucket(0), 0);
        assert_eq!(bucket(999), 0);
        assert_eq!(bucket(1_000), 1);
        assert_eq!(bucket(5_000), 3);
        assert_eq!(bucket(10_000_000), 10);
        // Three fills of 3 s, two of 20 s: the median is in the 2-4 s bucket.
        assert_eq!(median_ms(&[(2, 3), (5, 2)]), Some(3_000));
        assert_eq!(
            median_ms(&[(5, 2), (2, 1)]),
            Some(22_500),
            "the 15-30 s bucket holds the median"
        );
        assert_eq!(median_ms(&[(10, 1)]), Some(600_000));
        assert_eq!(median_ms(&[]), None);
    }

    #[test]
    fn reported_times_and_last_fields_keep_only_the_forms_fields() {
        let f = fields();
        let times = read_times(
            Some(&json!({"name": 1500, "email": 99_999_999, "fax": 3, "message": -1})),
            &f,
        );
        assert_eq!(times, [("email".to_string(), 10), ("name".to_string(), 1)]);
        assert_eq!(read_times(None, &f), []);
        assert_eq!(read_times(Some(&json!([1])), &f), []);
        assert_eq!(
            read_last_field(Some(&json!("email")), &f).as_deref(),
            Some("email")
        );
        assert_eq!(read_last_field(None, &f), None);
        assert_eq!(read_last_field(Some(&json!("x")), &f), None);
    }

    #[test]
    fn the_report_lists_every_field_in_order() {
        let names: Vec<String> = ["name", "email", "message"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (medians, drops) = report(
            &names,
            &[("email".into(), 3, 4), ("name".into(), 1, 2)],
            &[("email".into(), 2), ("email".into(), 1)],
        );
        assert_eq!(Value::Object(medians), json!({"name": 1_500, "email": 6_000}));
        assert_eq!(Value::Object(drops), json!({"name": 0, "email": 3, "message": 0}));
    }
}
