//! The dashboard's charts as SVG text, drawn here so pages need no chart script. Every label
//! is escaped; sizes are presentation attributes (a page's CSP allows no inline style). Each
//! chart carries a `<title>` that says its numbers, for screen readers.

/// `&`, `<`, `>`, `"` and `'` as entities: safe in SVG text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const WIDTH: u32 = 600;
const BAR_FILL: &str = "#2346c2";
const TRACK_FILL: &str = "#e7ebf3";

/// Horizontal bars, one per step, scaled to the largest value; each labelled with its count
/// and, after the first, its share of the first (the funnel's conversion at that step).
pub fn funnel(title: &str, steps: &[(&str, u64)]) -> String {
    let top = steps.first().map(|(_, n)| *n).unwrap_or(0);
    let rows: Vec<(String, f64, String)> = steps
        .iter()
        .enumerate()
        .map(|(i, (label, n))| {
            let share = if top == 0 { 0.0 } else { *n as f64 / top as f64 };
            let value = if i == 0 {
                n.to_string()
            } else {
                format!("{n} ({})", percent(share))
            };
            (label.to_string(), share, value)
        })
        .collect();
    let summary = steps
        .iter()
        .map(|(label, n)| format!("{label} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    bars(title, &summary, &rows)
}

/// One bar per field: the share of submissions that filled it.
pub fn completion_bars(title: &str, fields: &[(&str, f64)]) -> String {
    let rows: Vec<(String, f64, String)> = fields
        .iter()
        .map(|(name, rate)| (name.to_string(), rate.clamp(0.0, 1.0), percent(*rate)))
        .collect();
    let summary = fields
        .iter()
        .map(|(name, rate)| format!("{name} {}", percent(*rate)))
        .collect::<Vec<_>>()
        .join(", ");
    bars(title, &summary, &rows)
}

/// Bar charts are drawn narrower than the per-day chart: they sit two to a row on wide
/// screens, and their labels stay readable when a phone scales them down.
const BARS_WIDTH: u32 = 420;

fn bars(title: &str, summary: &str, rows: &[(String, f64, String)]) -> String {
    const ROW: u32 = 30;
    const LABEL_W: u32 = 120;
    const VALUE_W: u32 = 80;
    let bar_w = BARS_WIDTH - LABEL_W - VALUE_W;
    let height = ROW * rows.len().max(1) as u32;
    let mut svg = open(title, summary, BARS_WIDTH, height);
    for (i, (label, share, value)) in rows.iter().enumerate() {
        let y = i as u32 * ROW;
        let w = (share.clamp(0.0, 1.0) * bar_w as f64).round() as u32;
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{}\">{}</text>\
             <rect x=\"{LABEL_W}\" y=\"{}\" width=\"{bar_w}\" height=\"20\" rx=\"3\" fill=\"{TRACK_FILL}\"/>\
             <rect x=\"{LABEL_W}\" y=\"{}\" width=\"{w}\" height=\"20\" rx=\"3\" fill=\"{BAR_FILL}\"/>\
             <text x=\"{}\" y=\"{}\">{}</text>",
            y + 20,
            escape(&truncate(label, 16)),
            y + 6,
            y + 6,
            LABEL_W + bar_w + 8,
            y + 20,
            escape(value),
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// Columns per day (`YYYY-MM-DD`, count), with the first and last day and the peak marked.
pub fn per_day(title: &str, days: &[(String, u64)]) -> String {
    const HEIGHT: u32 = 140;
    const AXIS: u32 = 20;
    let peak = days.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let total: u64 = days.iter().map(|(_, n)| n).sum();
    let summary = format!(
        "{total} in {} days{}",
        days.len(),
        if peak > 0 {
            format!(", at most {peak} a day")
        } else {
            String::new()
        }
    );
    let mut svg = open(title, &summary, WIDTH, HEIGHT + AXIS);
    let slot = WIDTH as f64 / days.len().max(1) as f64;
    for (i, (_, n)) in days.iter().enumerate() {
        let h = if peak == 0 {
            0
        } else {
            ((*n as f64 / peak as f64) * (HEIGHT - 16) as f64).round() as u32
        };
        let x = (i as f64 * slot + slot * 0.15).round() as u32;
        let w = (slot * 0.7).max(1.0).round() as u32;
        svg.push_str(&format!(
            "<rect x=\"{x}\" y=\"{}\" width=\"{w}\" height=\"{h}\" fill=\"{BAR_FILL}\"/>",
            HEIGHT - h
        ));
    }
    svg.push_str(&format!(
        "<line x1=\"0\" y1=\"{HEIGHT}\" x2=\"{WIDTH}\" y2=\"{HEIGHT}\" stroke=\"#8c97a8\"/>\
         <text x=\"0\" y=\"12\">peak {peak}</text>"
    ));
    if let (Some((first, _)), Some((last, _))) = (days.first(), days.last()) {
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{}\">{}</text><text x=\"{WIDTH}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            HEIGHT + 16,
            escape(first),
            HEIGHT + 16,
            escape(last)
        ));
    }
    svg.push_str("</svg>");
    svg
}

fn open(title: &str, summary: &str, width: u32, height: u32) -> String {
    format!(
        "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" \
         xmlns=\"http://www.w3.org/2000/svg\"><title>{}: {}</title>",
        escape(title),
        escape(summary)
    )
}

/// `0.256` → `25.6%`.
pub fn percent(share: f64) -> String {
    let p = (share * 1000.0).round() / 10.0;
    if p.fract() == 0.0 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max - 1).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_everywhere() {
        let svg = funnel("<b>Form</b>", &[("<script>alert(1)</script>", 10), ("x\"y", 5)]);
        assert!(!svg.contains("<script>"));
        assert!(!svg.contains("<b>"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.contains("x&quot;y"));
        let days = per_day("d", &[("<i>".into(), 1)]);
        assert!(days.contains("&lt;i&gt;") && !days.contains("<i>"));
    }

    #[test]
    fn the_funnel_scales_to_its_first_step_and_says_each_share() {
        let svg = funnel(
            "Contact",
            &[("Impressions", 200), ("Starts", 50), ("Submissions", 0)],
        );
        assert!(svg.contains(">200<"));
        assert!(svg.contains(">50 (25%)<"));
        assert!(svg.contains(">0 (0%)<"));
        // Bar widths: the track is 220 wide; 50 of 200 is 55.
        assert!(svg.contains("width=\"220\" height=\"20\" rx=\"3\" fill=\"#2346c2\""));
        assert!(svg.contains("width=\"55\" height=\"20\" rx=\"3\" fill=\"#2346c2\""));
        assert!(svg.contains("<title>Contact: Impressions 200, Starts 50, Submissions 0</title>"));
        // Nothing shown yet: no division by zero, empty bars.
        let empty = funnel("Empty", &[("Impressions", 0), ("Starts", 0)]);
        assert!(empty.contains("width=\"0\""));
    }

    #[test]
    fn completion_bars_clamp_and_round() {
        let svg = completion_bars("Fields", &[("email", 1.0), ("phone", 0.256), ("odd", 7.0)]);
        assert!(svg.contains(">100%<") && svg.contains(">25.6%<"));
        assert_eq!(
            svg.matches("width=\"220\" height=\"20\" rx=\"3\" fill=\"#2346c2\"")
                .count(),
            2
        );
    }

    #[test]
    fn per_day_columns_scale_to_the_peak() {
        let days = vec![
            ("2026-11-01".to_string(), 2),
            ("2026-11-02".to_string(), 4),
            ("2026-11-03".to_string(), 0),
        ];
        let svg = per_day("Submissions per day", &days);
        assert!(svg.contains("height=\"124\""), "the peak fills the chart");
        assert!(svg.contains("height=\"62\""), "half the peak, half the height");
        assert!(svg.contains("2026-11-01") && svg.contains("2026-11-03"));
        assert!(svg.contains("6 in 3 days, at most 4 a day"));
        assert!(per_day("none", &[]).contains("0 in 0 days"));
    }

    #[test]
    fn percentages_read_naturally() {
        assert_eq!(percent(0.5), "50%");
        assert_eq!(percent(0.1234), "12.3%");
        assert_eq!(percent(0.0), "0%");
    }
}
