//! What every dashboard page shares: the layout's data, the HTML response and its security
//! headers, redirects, form reading, and how times are shown.

use crate::error::{ApiError, ApiResult};
use crate::storage::members::Session;
use askama::Template;
use futures_util::StreamExt;
use leadform_core::access::{Need, Principal, Scope};
use worker::{Request, Response};

/// The frame around every signed-in page.
pub struct Layout {
    pub csrf: String,
    pub email: String,
    pub role: &'static str,
    /// Which part of the dashboard the page belongs to (the navigation marks it).
    pub section: &'static str,
    /// The agent the member is working on, kept across pages.
    pub agent_id: String,
    pub can_analytics: bool,
    pub can_settings: bool,
}

impl Layout {
    pub fn new(session: &Session, section: &'static str, agent_id: &str) -> Self {
        let principal = Principal::Member {
            id: session.member.id.clone(),
            role: session.member.role,
        };
        Layout {
            csrf: session.csrf.clone(),
            email: session.member.email.clone(),
            role: session.member.role.as_str(),
            section,
            agent_id: agent_id.to_string(),
            can_analytics: principal.allows(Need::Scope(Scope::AnalyticsRead)).is_ok(),
            can_settings: principal.allows(Need::Admin).is_ok(),
        }
    }
}

/// The pages' policy: nothing inline, nothing from elsewhere, never framed.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// An HTML page (or fragment) with the dashboard's headers.
pub fn html(body: String, status: u16) -> ApiResult<Response> {
    let response = Response::from_html(body)?.with_status(status);
    let headers = response.headers();
    headers.set("Content-Security-Policy", CSP)?;
    headers.set("X-Frame-Options", "DENY")?;
    headers.set("X-Content-Type-Options", "nosniff")?;
    headers.set("Referrer-Policy", "same-origin")?;
    headers.set("Cache-Control", "private, no-store")?;
    Ok(response)
}

pub fn render<T: Template>(page: &T, status: u16) -> ApiResult<Response> {
    let body = page
        .render()
        .map_err(|e| ApiError::Internal(format!("template: {e}")))?;
    html(body, status)
}

/// `303 See Other` to `to` (after a form post, so a reload does not post again).
pub fn redirect(to: &str) -> ApiResult<Response> {
    let response = Response::empty()?.with_status(303);
    response.headers().set("Location", to)?;
    response.headers().set("Cache-Control", "no-store")?;
    Ok(response)
}

/// Where a visitor without a session goes: the sign-in page, then back here. An htmx
/// refresh is told to load the sign-in page as a whole.
pub fn to_sign_in(req: &Request) -> ApiResult<Response> {
    let here = req
        .url()
        .map(|u| match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        })
        .unwrap_or_else(|_| "/dashboard/leads".into());
    let to = format!("/dashboard/sign-in?next={}", urlencode(&here));
    if req.headers().get("HX-Request").ok().flatten().is_some() {
        let response = Response::empty()?.with_status(401);
        response.headers().set("HX-Redirect", &to)?;
        return Ok(response);
    }
    redirect(&to)
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: Layout,
    heading: &'a str,
    message: &'a str,
}

pub fn error_page(session: &Session, status: u16, heading: &str, message: &str) -> ApiResult<Response> {
    render(
        &ErrorPage {
            layout: Layout::new(session, "", ""),
            heading,
            message,
        },
        status,
    )
}

/// An error from the shared data layer, as a page.
pub fn error_for(session: &Session, err: ApiError) -> ApiResult<Response> {
    let (status, heading) = match &err {
        ApiError::NotFound { .. } => (404, "Not found"),
        ApiError::Forbidden { .. } => (403, "Not allowed"),
        ApiError::Conflict { .. } => (409, "Not now"),
        ApiError::RateLimited { .. } => (429, "Too many requests"),
        ApiError::InvalidField(_) | ApiError::InvalidJson(_) => (400, "Not accepted"),
        ApiError::PayloadTooLarge(_) => (413, "Too large"),
        _ => return Err(err),
    };
    error_page(session, status, heading, &err.message())
}

/// Form fields of a posted form (`application/x-www-form-urlencoded`), at most 64 KB.
pub async fn form_fields(req: &mut Request) -> ApiResult<Vec<(String, String)>> {
    const MAX: usize = 64 * 1024;
    let mut bytes = Vec::new();
    if let Ok(mut stream) = req.stream() {
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| ApiError::InvalidJson(e.to_string()))?;
            if bytes.len() + chunk.len() > MAX {
                return Err(ApiError::PayloadTooLarge(
                    leadform_core::validate::FieldError::new("body", "the form is over 64 KB"),
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
    }
    Ok(url::form_urlencoded::parse(&bytes)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect())
}

pub fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A query string from pairs, empty values left out.
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        out.append_pair(k, v);
    }
    out.finish()
}

/// `2026-11-29 09:13 UTC`: the dashboard shows times in UTC, said so, with the exact
/// instant in the `<time>` element's `datetime`.
pub fn shown_time(ms: i64) -> String {
    let iso = crate::clock::iso8601(ms);
    format!("{} {} UTC", &iso[..10], &iso[11..16])
}

/// The time now where the lead is (`Tue 14:05`), from their IANA time zone, through the
/// runtime's `Intl`; `None` for a zone it does not know.
pub fn local_time_now(timezone: &str) -> Option<String> {
    use js_sys::{Function, Object, Reflect};
    use wasm_bindgen::JsCast;
    let date = js_sys::Date::new_0();
    let options = Object::new();
    Reflect::set(&options, &"timeZone".into(), &timezone.into()).ok()?;
    Reflect::set(&options, &"weekday".into(), &"short".into()).ok()?;
    Reflect::set(&options, &"hour".into(), &"2-digit".into()).ok()?;
    Reflect::set(&options, &"minute".into(), &"2-digit".into()).ok()?;
    Reflect::set(&options, &"hourCycle".into(), &"h23".into()).ok()?;
    // Called through `apply` so an unknown zone's RangeError comes back as an error.
    let format: Function = Reflect::get(&date, &"toLocaleString".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let shown = format.call2(&date, &"en-GB".into(), &options).ok()?;
    shown.as_string()
}
