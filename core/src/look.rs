//! How an agent's widget looks on the owner's site (issue 12, "Look"): its brand color, the
//! corner it sits in, the launcher's label. The widget reads it from its config; the color
//! is checked strictly here (it ends up in a stylesheet) and the text on it is picked for
//! contrast, so any brand color stays readable (WCAG AA).

use serde::{Deserialize, Serialize};

/// The widget's look; every part optional (the default blue, bottom right, an icon).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Look {
    /// `#rrggbb`: the bubble, the header, the visitor's messages, buttons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_color: Option<String>,
    /// `right` (default) or `left`: the bottom corner the bubble sits in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    /// Text next to the bubble's icon ("Questions? Chat with us").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launcher_label: Option<String>,
}

/// The look as the widget config carries it: colors ready to paint (the brand color made
/// readable, see [`colors`]), the corner, the label.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WidgetLook {
    pub brand_color: String,
    pub brand_text: String,
    pub position: String,
    pub launcher_label: String,
}

impl Look {
    /// What the widget is sent; `None` when the owner set nothing.
    pub fn for_widget(&self) -> Option<WidgetLook> {
        if *self == Look::default() {
            return None;
        }
        let brand = self
            .brand_color
            .as_deref()
            .filter(|c| is_hex_color(c))
            .unwrap_or(DEFAULT_BRAND);
        let (brand_color, brand_text) = colors(brand);
        Some(WidgetLook {
            brand_color,
            brand_text: brand_text.to_string(),
            position: self.position.clone().unwrap_or_else(|| "right".into()),
            launcher_label: self.launcher_label.clone().unwrap_or_default(),
        })
    }
}

/// The widget's own blue.
pub const DEFAULT_BRAND: &str = "#3b5bdb";
/// The dark text used on light brand colors.
pub const DARK_TEXT: &str = "#1d2433";
pub const MAX_LABEL: usize = 40;

/// Whether `color` is `#rrggbb` (nothing else may reach the stylesheet).
pub fn is_hex_color(color: &str) -> bool {
    color.len() == 7 && color.starts_with('#') && color.bytes().skip(1).all(|b| b.is_ascii_hexdigit())
}

fn channel(hex: &str) -> f64 {
    let value = u8::from_str_radix(hex, 16).unwrap_or(0) as f64 / 255.0;
    // sRGB to linear light (WCAG 2's relative luminance).
    if value <= 0.03928 {
        value / 12.92
    } else {
        ((value + 0.055) / 1.055).powf(2.4)
    }
}

/// The relative luminance of `#rrggbb`.
pub fn luminance(color: &str) -> f64 {
    0.2126 * channel(&color[1..3]) + 0.7152 * channel(&color[3..5]) + 0.0722 * channel(&color[5..7])
}

/// WCAG's contrast ratio of two colors (1 to 21).
pub fn contrast(a: &str, b: &str) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// The text color for `brand`: white, unless dark text reads better on it.
pub fn text_on(brand: &str) -> &'static str {
    if contrast(brand, "#ffffff") >= contrast(brand, DARK_TEXT) {
        "#ffffff"
    } else {
        DARK_TEXT
    }
}

/// The brand color as the widget paints it, with its text: the owner's color when white or
/// dark text reaches 4.5:1 on it, else the owner's color darkened just enough for white.
pub fn colors(brand: &str) -> (String, &'static str) {
    if contrast(brand, text_on(brand)) >= 4.5 {
        return (brand.to_ascii_lowercase(), text_on(brand));
    }
    let rgb: Vec<f64> = (0..3)
        .map(|i| u8::from_str_radix(&brand[1 + 2 * i..3 + 2 * i], 16).unwrap_or(0) as f64)
        .collect();
    let mut factor = 1.0;
    loop {
        factor -= 0.02;
        let darker: String = rgb
            .iter()
            .map(|c| format!("{:02x}", (c * factor).round() as u8))
            .collect();
        let darker = format!("#{darker}");
        if contrast(&darker, "#ffffff") >= 4.5 || factor <= 0.0 {
            return (darker, "#ffffff");
        }
    }
}

impl Look {
    pub fn check(&self, at: &str) -> Result<(), crate::validate::FieldError> {
        use crate::validate::FieldError;
        if let Some(color) = &self.brand_color {
            if !is_hex_color(color) {
                return Err(FieldError::new(
                    format!("{at}.brandColor"),
                    "must be a color like #0b7285",
                ));
            }
        }
        if let Some(position) = &self.position {
            if position != "left" && position != "right" {
                return Err(FieldError::new(format!("{at}.position"), "must be left or right"));
            }
        }
        if let Some(label) = &self.launcher_label {
            if label.chars().count() > MAX_LABEL || label.chars().any(char::is_control) {
                return Err(FieldError::new(
                    format!("{at}.launcherLabel"),
                    format!("must be at most {MAX_LABEL} characters on one line"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colors_are_checked_strictly() {
        assert!(is_hex_color("#0b7285") && is_hex_color("#FFD43B"));
        for bad in [
            "0b7285",
            "#0b728",
            "#0b72850",
            "red",
            "#0b728g",
            "#fff; background:url(x)",
        ] {
            assert!(!is_hex_color(bad), "{bad}");
        }
        let look: Look = serde_json::from_value(serde_json::json!({"brandColor": "blue"})).unwrap();
        assert_eq!(look.check("look").unwrap_err().field, "look.brandColor");
        let look: Look = serde_json::from_value(serde_json::json!({"position": "top"})).unwrap();
        assert_eq!(look.check("look").unwrap_err().field, "look.position");
        let look = Look {
            launcher_label: Some("x".repeat(41)),
            ..Default::default()
        };
        assert_eq!(look.check("look").unwrap_err().field, "look.launcherLabel");
        assert!(serde_json::from_value::<Look>(serde_json::json!({"color": "#000000"})).is_err());
    }

    #[test]
    fn text_on_the_brand_color_keeps_aa_contrast() {
        assert!((contrast("#000000", "#ffffff") - 21.0).abs() < 0.01);
        assert_eq!(text_on(DEFAULT_BRAND), "#ffffff");
        assert_eq!(text_on("#0b7285"), "#ffffff");
        assert_eq!(text_on("#ffd43b"), DARK_TEXT, "yellow takes dark text");
        assert_eq!(text_on("#ffffff"), DARK_TEXT);
        for brand in [
            "#3b5bdb", "#0b7285", "#ffd43b", "#e03131", "#2b8a3e", "#868e96", "#000000", "#FFFFFF",
        ] {
            let (background, text) = colors(brand);
            assert!(
                contrast(&background, text) >= 4.5,
                "{brand} -> {background} with {text}"
            );
        }
        assert_eq!(
            colors("#0B7285"),
            ("#0b7285".to_string(), "#ffffff"),
            "a readable color is kept"
        );
        let (green, text) = colors("#2b8a3e");
        assert_ne!(green, "#2b8a3e", "a mid green is darkened for white text");
        assert_eq!(text, "#ffffff");
    }
}
