//! Reads the per-day form counters the migration's triggers keep (see
//! `0002_analytics_files_client_results.sql`). Cost grows with forms × days, never with
//! the number of submissions.

use super::text;
use leadform_core::analytics::{Counters, DayRange};
use serde::Deserialize;
use std::collections::HashMap;
use worker::{D1Database, Result};

#[derive(Deserialize)]
struct CounterRow {
    tool_id: String,
    impressions: u64,
    started: u64,
    dismissed: u64,
    submitted: u64,
    submitted_started: u64,
    successful: u64,
    failed: u64,
    completion_ms_total: u64,
    completion_count: u64,
}

/// Counters of every form of `agent_id` over `range`, by tool id.
pub async fn counters(
    db: &D1Database,
    agent_id: &str,
    range: &DayRange,
) -> Result<HashMap<String, Counters>> {
    let rows: Vec<CounterRow> = db
        .prepare(
            "SELECT s.tool_id, SUM(s.impressions) AS impressions, SUM(s.started) AS started,
               SUM(s.dismissed) AS dismissed, SUM(s.submitted) AS submitted,
               SUM(s.submitted_started) AS submitted_started,
               SUM(s.successful) AS successful, SUM(s.failed) AS failed,
               SUM(s.completion_ms_total) AS completion_ms_total,
               SUM(s.completion_count) AS completion_count
             FROM form_stats s JOIN tools t ON t.id = s.tool_id
             WHERE t.agent_id = ?1 AND s.day BETWEEN ?2 AND ?3
             GROUP BY s.tool_id",
        )
        .bind(&[text(agent_id), text(&range.from), text(&range.to)])?
        .all()
        .await?
        .results()?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let counts = Counters {
                impressions: r.impressions,
                started: r.started,
                dismissed: r.dismissed,
                submitted: r.submitted,
                submitted_started: r.submitted_started,
                successful: r.successful,
                failed: r.failed,
                completion_ms_total: r.completion_ms_total,
                completion_count: r.completion_count,
            };
            (r.tool_id, counts)
        })
        .collect())
}

/// Submissions that filled each field, by tool id and field name.
pub async fn field_counts(
    db: &D1Database,
    agent_id: &str,
    range: &DayRange,
) -> Result<HashMap<String, HashMap<String, u64>>> {
    counts_by_tool(
        db,
        "SELECT f.tool_id, f.field AS key, SUM(f.completed) AS n
         FROM form_field_stats f JOIN tools t ON t.id = f.tool_id
         WHERE t.agent_id = ?1 AND f.day BETWEEN ?2 AND ?3
         GROUP BY f.tool_id, f.field",
        agent_id,
        range,
    )
    .await
}

/// Submissions per day of every form of `agent_id` over `range`, by tool id and day (days
/// without any are absent).
pub async fn submitted_per_day(
    db: &D1Database,
    agent_id: &str,
    range: &DayRange,
) -> Result<HashMap<String, HashMap<String, u64>>> {
    counts_by_tool(
        db,
        "SELECT s.tool_id, s.day AS key, SUM(s.submitted) AS n
         FROM form_stats s JOIN tools t ON t.id = s.tool_id
         WHERE t.agent_id = ?1 AND s.day BETWEEN ?2 AND ?3
         GROUP BY s.tool_id, s.day",
        agent_id,
        range,
    )
    .await
}

/// The field-time histograms of every form of `agent_id` over `range`: by tool id,
/// `(field, bucket, count)`.
pub async fn field_times(
    db: &D1Database,
    agent_id: &str,
    range: &DayRange,
) -> Result<HashMap<String, Vec<(String, u8, u64)>>> {
    // The key is `bucket:field` (a field name may hold a colon; a bucket never does).
    let keyed = counts_by_tool(
        db,
        "SELECT f.tool_id, f.bucket || ':' || f.field AS key, SUM(f.n) AS n
         FROM form_field_times f JOIN tools t ON t.id = f.tool_id
         WHERE t.agent_id = ?1 AND f.day BETWEEN ?2 AND ?3
         GROUP BY f.tool_id, f.field, f.bucket",
        agent_id,
        range,
    )
    .await?;
    Ok(keyed
        .into_iter()
        .map(|(tool, counts)| {
            let rows = counts
                .into_iter()
                .filter_map(|(key, n)| {
                    let (bucket, field) = key.split_once(':')?;
                    Some((field.to_string(), bucket.parse().ok()?, n))
                })
                .collect();
            (tool, rows)
        })
        .collect())
}

/// Started forms left unsent, by tool id and the last field touched.
pub async fn field_drops(
    db: &D1Database,
    agent_id: &str,
    range: &DayRange,
) -> Result<HashMap<String, HashMap<String, u64>>> {
    counts_by_tool(
        db,
        "SELECT d.tool_id, d.field AS key, SUM(d.n) AS n
         FROM form_field_drops d JOIN tools t ON t.id = d.tool_id
         WHERE t.agent_id = ?1 AND d.day BETWEEN ?2 AND ?3
         GROUP BY d.tool_id, d.field",
        agent_id,
        range,
    )
    .await
}

#[derive(Deserialize)]
struct KeyedCount {
    tool_id: String,
    key: String,
    n: u64,
}

/// Runs `sql` (binding the agent and the range, selecting `tool_id, key, n`) into counts by
/// tool and key.
async fn counts_by_tool(
    db: &D1Database,
    sql: &str,
    agent_id: &str,
    range: &DayRange,
) -> Result<HashMap<String, HashMap<String, u64>>> {
    let rows: Vec<KeyedCount> = db
        .prepare(sql)
        .bind(&[text(agent_id), text(&range.from), text(&range.to)])?
        .all()
        .await?
        .results()?;
    let mut by_tool: HashMap<String, HashMap<String, u64>> = HashMap::new();
    for row in rows {
        by_tool.entry(row.tool_id).or_default().insert(row.key, row.n);
    }
    Ok(by_tool)
}
