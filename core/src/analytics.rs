//! Form analytics (seed 002, "Get Form Analytics"): the arithmetic over counters that D1
//! keeps per tool and day at write time, so an answer costs the same at a thousand leads
//! as at a million.

use crate::validate::FieldError;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Counts of one form over a range of days, summed from `form_stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    pub impressions: u64,
    pub started: u64,
    pub dismissed: u64,
    pub submitted: u64,
    /// Of `submitted`, those of a display whose start is recorded (not the API's alone).
    pub submitted_started: u64,
    pub successful: u64,
    pub failed: u64,
    /// Sum of (submit − start) over submissions that reported when they were started.
    pub completion_ms_total: u64,
    pub completion_count: u64,
}

/// One form's figures, in the seed's shape plus completion time and drop-off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FormAnalytics {
    pub tool_id: String,
    pub tool_name: String,
    pub impressions: u64,
    pub started: u64,
    pub submitted: u64,
    pub successful: u64,
    pub failed: u64,
    /// submitted / impressions × 100.
    pub conversion_rate: f64,
    /// submitted / started × 100.
    pub completion_rate: f64,
    /// Per field of the form: submissions that filled it / submitted × 100.
    pub field_completion_rates: serde_json::Map<String, serde_json::Value>,
    /// Mean milliseconds from start to submit; `null` when no submission reported a start.
    pub average_completion_time_ms: Option<u64>,
    /// Started but not submitted.
    pub drop_off: u64,
    /// drop_off / started × 100.
    pub drop_off_rate: f64,
    pub dismissed: u64,
    /// Per field: the median milliseconds visitors spent in it, over submitted forms
    /// (fields nobody timed are absent).
    #[serde(default)]
    pub field_time_ms: serde_json::Map<String, serde_json::Value>,
    /// Per field: started forms left unsent with this field the last one touched.
    #[serde(default)]
    pub drop_off_by_field: serde_json::Map<String, serde_json::Value>,
}

/// `part / whole × 100`, rounded to two decimals; 0 when nothing was counted yet, so a
/// new form reads 0% rather than an error or NaN.
pub fn rate(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    (part as f64 * 10_000.0 / whole as f64).round() / 100.0
}

pub fn report(
    tool_id: &str,
    tool_name: &str,
    counts: &Counters,
    fields: &[String],
    field_counts: &HashMap<String, u64>,
) -> FormAnalytics {
    let field_completion_rates = fields
        .iter()
        .map(|name| {
            let filled = field_counts.get(name).copied().unwrap_or(0);
            (name.clone(), rate(filled, counts.submitted).into())
        })
        .collect();
    // Started but not completed (seed 000): submissions made through the API alone had no
    // start, so they fill in no started display. Never below zero (a display started on a
    // day before the range and sent within it).
    let drop_off = counts.started.saturating_sub(counts.submitted_started);
    FormAnalytics {
        tool_id: tool_id.to_string(),
        tool_name: tool_name.to_string(),
        impressions: counts.impressions,
        started: counts.started,
        submitted: counts.submitted,
        successful: counts.successful,
        failed: counts.failed,
        conversion_rate: rate(counts.submitted, counts.impressions),
        completion_rate: rate(counts.submitted, counts.started),
        field_completion_rates,
        average_completion_time_ms: (counts.completion_count > 0)
            .then(|| (counts.completion_ms_total as f64 / counts.completion_count as f64).round() as u64),
        drop_off,
        drop_off_rate: rate(drop_off, counts.started),
        dismissed: counts.dismissed,
        field_time_ms: Default::default(),
        drop_off_by_field: Default::default(),
    }
}

/// Days (UTC, inclusive) an answer covers; by default all of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayRange {
    pub from: String,
    pub to: String,
}

impl DayRange {
    /// Reads `from` and `to` query values, each `YYYY-MM-DD`.
    pub fn parse(from: Option<&str>, to: Option<&str>) -> Result<Self, FieldError> {
        let day = |key: &str, value: Option<&str>, default: &str| match value {
            None | Some("") => Ok(default.to_string()),
            // A day that exists (`2026-02-30` does not), as `<input type="date">` sends it.
            Some(v) if crate::validate::is_date(v) => Ok(v.to_string()),
            Some(_) => Err(FieldError::new(key, "must be a date like 2026-11-22 (UTC)")),
        };
        let range = DayRange {
            from: day("from", from, "0000-01-01")?,
            to: day("to", to, "9999-12-31")?,
        };
        if range.from > range.to {
            return Err(FieldError::new("from", "must not be after to"));
        }
        Ok(range)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_example_figures_come_out() {
        let counts = Counters {
            impressions: 1500,
            started: 850,
            submitted: 320,
            submitted_started: 320,
            successful: 315,
            failed: 5,
            ..Counters::default()
        };
        let fields = ["name", "email", "phone"].map(String::from);
        let filled = HashMap::from([("name".to_string(), 315), ("email".to_string(), 320)]);
        let out = report("tool_abc123", "contact_form", &counts, &fields, &filled);
        assert_eq!(out.conversion_rate, 21.33);
        assert_eq!(out.completion_rate, 37.65);
        assert_eq!(out.field_completion_rates["name"], 98.44);
        assert_eq!(out.field_completion_rates["email"], 100.0);
        assert_eq!(out.field_completion_rates["phone"], 0.0);
        assert_eq!(out.drop_off, 530);
        assert_eq!(out.drop_off_rate, 62.35);
        assert_eq!(out.average_completion_time_ms, None);
    }

    #[test]
    fn drop_off_counts_only_started_displays_left_unsent() {
        // 5 displays started, 3 of them sent, and 2 submissions through the API alone.
        let counts = Counters {
            impressions: 8,
            started: 5,
            submitted: 5,
            submitted_started: 3,
            ..Counters::default()
        };
        let out = report("t", "f", &counts, &[], &HashMap::new());
        assert_eq!((out.drop_off, out.drop_off_rate), (2, 40.0));
        // The seed's rates stay over every submission.
        assert_eq!((out.conversion_rate, out.completion_rate), (62.5, 100.0));
        // A range that holds a display's submission but not its start: none, not negative.
        let late = Counters {
            started: 1,
            submitted: 2,
            submitted_started: 2,
            ..Counters::default()
        };
        assert_eq!(report("t", "f", &late, &[], &HashMap::new()).drop_off, 0);
    }

    #[test]
    fn empty_counters_give_zero_rates_not_nan() {
        let out = report("t", "f", &Counters::default(), &["a".into()], &HashMap::new());
        let json = serde_json::to_value(&out).unwrap();
        assert_eq!(json["conversionRate"], 0.0);
        assert_eq!(json["completionRate"], 0.0);
        assert_eq!(json["fieldCompletionRates"]["a"], 0.0);
        assert_eq!(json["averageCompletionTimeMs"], serde_json::Value::Null);
    }

    #[test]
    fn completion_time_is_the_mean() {
        let counts = Counters {
            completion_ms_total: 10_001,
            completion_count: 2,
            ..Counters::default()
        };
        let out = report("t", "f", &counts, &[], &HashMap::new());
        assert_eq!(out.average_completion_time_ms, Some(5_001));
    }

    #[test]
    fn day_ranges_are_checked() {
        assert_eq!(
            DayRange::parse(None, None).unwrap(),
            DayRange {
                from: "0000-01-01".into(),
                to: "9999-12-31".into()
            }
        );
        assert!(DayRange::parse(Some("2026-11-01"), Some("2026-11-22")).is_ok());
        assert_eq!(
            DayRange::parse(Some("2026-13-01"), None).unwrap_err().field,
            "from"
        );
        assert_eq!(DayRange::parse(None, Some("22/11/2026")).unwrap_err().field, "to");
        assert_eq!(
            DayRange::parse(Some("2026-02-30"), None).unwrap_err().field,
            "from"
        );
        assert_eq!(
            DayRange::parse(Some("2026-11-23"), Some("2026-11-22"))
                .unwrap_err()
                .reason,
            "must not be after to"
        );
    }
}
