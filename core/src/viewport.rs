//! Where the widget sits on what the visitor actually sees: the browser's visual viewport.
//!
//! A fixed box is placed in the layout viewport, which on a phone is not always the screen:
//! - a page without a viewport meta is laid out 980 px wide and shown zoomed out to fit
//!   (scale about 0.4 on a 390 px phone): the widget would be drawn at 40%, its text 6 px;
//! - a page with one, but with something wider than the screen (a table, a carousel), gets
//!   a layout viewport as wide as that, shown at scale 1 from its left edge: the bubble in
//!   its right corner is off screen, and a full-screen panel runs past the screen's edge;
//! - a page's own CSS `zoom` on `<html>` scales the widget with it.
//!
//! So the widget is zoomed back to its natural size on screen (never smaller: a visitor who
//! zooms in gets it larger, as the rest of the page), and its corner and full-screen panel
//! follow the visual viewport. `fit` is the arithmetic; `widget/src/chat.rs` reads the
//! viewport and applies it (custom properties on `.lf-root`, `widget/src/style.rs`).

/// The visual viewport as `window.visualViewport` reports it (CSS px of the page), and the
/// CSS zoom the page puts on the widget's host (`currentCSSZoom`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Viewport {
    pub left: f64,
    pub top: f64,
    pub width: f64,
    pub height: f64,
    pub scale: f64,
    pub page_zoom: f64,
}

/// How the widget fits a [`Viewport`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fit {
    /// The `zoom` of `.lf-root`.
    pub zoom: f64,
    /// The visual viewport's left and top edges (from the layout viewport's) and its size,
    /// in the CSS px of `.lf-root`: its lengths are multiplied by its zoom as they are laid
    /// out. Its right edge is `left + width`, its bottom `top + height`.
    pub left: f64,
    pub top: f64,
    pub width: f64,
    pub height: f64,
    /// The screen is a phone's (under 480 px wide, or at most 500 px high: held sideways,
    /// or what its keyboard leaves): the open panel fills it.
    pub phone: bool,
}

/// Narrower than this on screen is a phone held upright...
const PHONE_WIDTH: f64 = 480.0;
/// ...and at most this high, one held sideways or with its keyboard up.
const PHONE_HEIGHT: f64 = 500.0;

pub fn fit(viewport: Viewport) -> Fit {
    let positive = |x: f64| if x.is_finite() && x > 0.0 { x } else { 1.0 };
    let size = |x: f64| if x.is_finite() { x } else { 0.0 };
    let scale = positive(viewport.scale);
    // How much larger than the page's CSS px the widget is drawn: zoomed out pages only.
    let shown = 1.0 / scale.min(1.0);
    let (left, top) = (size(viewport.left), size(viewport.top));
    let (width, height) = (size(viewport.width), size(viewport.height));
    Fit {
        zoom: shown / positive(viewport.page_zoom),
        left: left / shown,
        top: top / shown,
        width: width / shown,
        height: height / shown,
        // On screen, in CSS px at scale 1: what the media queries of a phone page would see.
        phone: width * scale < PHONE_WIDTH || height * scale <= PHONE_HEIGHT,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn viewport(width: f64, height: f64, scale: f64) -> Viewport {
        Viewport {
            left: 0.0,
            top: 0.0,
            width,
            height,
            scale,
            page_zoom: 1.0,
        }
    }

    #[test]
    fn a_desktop_page_is_left_as_it_is() {
        let fit = fit(viewport(1265.0, 800.0, 1.0));
        assert_eq!(fit.zoom, 1.0);
        assert_eq!(
            (fit.left, fit.top, fit.width, fit.height),
            (0.0, 0.0, 1265.0, 800.0)
        );
        assert!(!fit.phone);
    }

    #[test]
    fn a_phone_page_with_a_viewport_meta_is_a_phone_at_natural_size() {
        let fit = fit(viewport(390.0, 844.0, 1.0));
        assert_eq!(fit.zoom, 1.0);
        assert!(fit.phone);
        // Held sideways, or with its keyboard up.
        assert!(super::fit(viewport(844.0, 390.0, 1.0)).phone);
        assert!(super::fit(viewport(800.0, 500.0, 1.0)).phone);
        assert!(!super::fit(viewport(800.0, 501.0, 1.0)).phone);
        assert!(!super::fit(viewport(480.0, 800.0, 1.0)).phone);
    }

    #[test]
    fn a_page_without_a_viewport_meta_on_a_phone_gets_the_widget_at_its_natural_size() {
        // 980 px of layout on a 390 px screen.
        let scale = 390.0 / 980.0;
        let fit = fit(viewport(980.0, 2122.0, scale));
        assert!((fit.zoom - 980.0 / 390.0).abs() < 1e-9, "{}", fit.zoom);
        assert!(fit.phone, "a phone's screen, whatever the layout's width");
        // Lengths inside are multiplied by the zoom: the viewport's edges, divided by it.
        assert!((fit.width * fit.zoom - 980.0).abs() < 1e-9);
        assert!(((fit.top + fit.height) * fit.zoom - 2122.0).abs() < 1e-9);
    }

    #[test]
    fn the_corner_follows_a_visual_viewport_that_is_not_the_layouts() {
        // A page wider than the phone, scrolled 300 px to the right.
        let fit = fit(Viewport {
            left: 300.0,
            top: 40.0,
            width: 390.0,
            height: 700.0,
            scale: 1.0,
            page_zoom: 1.0,
        });
        assert_eq!(
            (fit.left, fit.top, fit.width, fit.height),
            (300.0, 40.0, 390.0, 700.0)
        );
    }

    #[test]
    fn a_visitor_who_zooms_in_gets_the_widget_zoomed_with_the_page() {
        let fit = fit(Viewport {
            left: 100.0,
            top: 50.0,
            width: 640.0,
            height: 400.0,
            scale: 2.0,
            page_zoom: 1.0,
        });
        assert_eq!(fit.zoom, 1.0);
        assert_eq!(
            (fit.left, fit.top, fit.width, fit.height),
            (100.0, 50.0, 640.0, 400.0)
        );
        assert!(!fit.phone, "a desktop zoomed in is still a desktop");
    }

    #[test]
    fn a_pages_own_css_zoom_is_undone() {
        let fit = fit(Viewport {
            page_zoom: 1.25,
            ..viewport(1265.0, 800.0, 1.0)
        });
        assert_eq!(fit.zoom, 0.8);
        assert_eq!(fit.width, 1265.0, "the widget's lengths come out at zoom 1");
    }

    #[test]
    fn what_a_browser_does_not_report_changes_nothing() {
        let fit = fit(Viewport {
            left: f64::NAN,
            top: f64::INFINITY,
            width: 1000.0,
            height: 700.0,
            scale: 0.0,
            page_zoom: f64::NAN,
        });
        assert_eq!((fit.zoom, fit.left, fit.top), (1.0, 0.0, 0.0));
    }
}
