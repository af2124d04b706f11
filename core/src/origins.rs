//! Where an agent's leads come from, and how far each origin's leads get (seed 004: "Which
//! channels or pages generate the best leads?"). The edge keeps one row per agent, kind and
//! value at write time (migration 0019, `lead_origins`); this groups what it read into the
//! answer, with each origin's conversion rate.

use crate::analytics::rate;
use crate::lead::StageCounts;
use serde::{Deserialize, Serialize};

/// What a lead is counted under: its channel, its first landing page (no query), and its
/// first visit's `utm_source` and `utm_campaign`.
pub const KINDS: [&str; 4] = ["source", "page", "utm_source", "utm_campaign"];

/// Most origins of each kind shown by default, and at most.
pub const DEFAULT_LIMIT: u32 = 10;
pub const MAX_LIMIT: u32 = 50;

/// One stored row: an origin's leads by their stage now.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Row {
    pub kind: String,
    pub value: String,
    #[serde(flatten)]
    pub leads: StageCounts,
}

/// One origin as the API and the leads page show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Origin {
    pub value: String,
    #[serde(flatten)]
    pub leads: StageCounts,
    /// Converted / total × 100, two decimals.
    pub conversion_rate: f64,
}

/// Each kind's origins, most leads first.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Origins {
    pub source: Vec<Origin>,
    pub page: Vec<Origin>,
    pub utm_source: Vec<Origin>,
    pub utm_campaign: Vec<Origin>,
}

/// The rows, grouped by kind, most leads first (then by value, so the order is stable);
/// a row of an unknown kind, or one no lead is counted under any more, is left out.
pub fn group(rows: Vec<Row>) -> Origins {
    let mut out = Origins::default();
    for row in rows.into_iter().filter(|r| r.leads.total > 0) {
        let list = match row.kind.as_str() {
            "source" => &mut out.source,
            "page" => &mut out.page,
            "utm_source" => &mut out.utm_source,
            "utm_campaign" => &mut out.utm_campaign,
            _ => continue,
        };
        list.push(Origin {
            conversion_rate: rate(row.leads.converted.max(0) as u64, row.leads.total as u64),
            value: row.value,
            leads: row.leads,
        });
    }
    for list in [
        &mut out.source,
        &mut out.page,
        &mut out.utm_source,
        &mut out.utm_campaign,
    ] {
        list.sort_by(|a, b| {
            b.leads
                .total
                .cmp(&a.leads.total)
                .then_with(|| a.value.cmp(&b.value))
        });
    }
    out
}

/// The `limit` query parameter: how many origins of each kind.
pub fn parse_limit(given: Option<&str>) -> Result<u32, crate::validate::FieldError> {
    crate::query::limit("limit", given, DEFAULT_LIMIT, MAX_LIMIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kind: &str, value: &str, total: i64, converted: i64) -> Row {
        Row {
            kind: kind.into(),
            value: value.into(),
            leads: StageCounts {
                total,
                new: total - converted,
                converted,
                ..StageCounts::default()
            },
        }
    }

    #[test]
    fn origins_are_grouped_by_kind_most_leads_first_with_their_conversion_rate() {
        let grouped = group(vec![
            row("page", "https://a.example/pricing", 3, 1),
            row("source", "api", 1, 0),
            row("source", "widget", 4, 2),
            row("page", "https://a.example/demo", 3, 3),
            row("utm_source", "google", 2, 1),
            row("utm_campaign", "gone", 0, 0),
            row("weird", "x", 5, 5),
        ]);
        let values = |list: &[Origin]| list.iter().map(|o| o.value.clone()).collect::<Vec<_>>();
        assert_eq!(values(&grouped.source), ["widget", "api"]);
        assert_eq!(
            values(&grouped.page),
            ["https://a.example/demo", "https://a.example/pricing"],
            "ties by value"
        );
        assert_eq!(values(&grouped.utm_source), ["google"]);
        assert!(
            grouped.utm_campaign.is_empty(),
            "no lead counted under it any more"
        );
        assert_eq!(grouped.source[0].conversion_rate, 50.0);
        assert_eq!(grouped.page[1].conversion_rate, 33.33);
        assert_eq!(grouped.source[1].conversion_rate, 0.0);
        let json = serde_json::to_value(&grouped).unwrap();
        assert_eq!(json["utmSource"][0]["conversionRate"], 50.0);
    }

    #[test]
    fn the_limit_is_a_small_whole_number() {
        assert_eq!(parse_limit(None).unwrap(), DEFAULT_LIMIT);
        assert_eq!(parse_limit(Some("3")).unwrap(), 3);
        for bad in ["0", "51", "-1", "ten", "2.5", ""] {
            assert_eq!(parse_limit(Some(bad)).unwrap_err().field, "limit", "{bad}");
        }
    }
}
