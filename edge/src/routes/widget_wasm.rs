//! The widget's wasm, answered by the worker so its CORS preflight can be.
//!
//! The loader downloads the wasm with `fetch()`. A page that wraps `fetch` to add tracing
//! headers (`traceparent`, `sentry-trace`, …) to every request turns that download into a
//! CORS request with a preflight, and static assets answer `OPTIONS` with a 405: the widget
//! would never start on such a page. `wrangler.toml` sends this one path to the worker first
//! (`run_worker_first`): the preflight is answered here, and the file itself still comes
//! from the static assets, with their headers (`js-shim/_headers`). A wrapper that also sends
//! credentials needs the page's origin named instead of their `*`: the file is public bytes,
//! the same for every page, so any origin is named.

use crate::http::shared_cors;
use worker::{Env, Headers, Method, Request, Response, Result};

pub const PATH: &str = "/widget/leadform_widget_bg.wasm";

pub async fn serve(req: Request, env: &Env) -> Result<Response> {
    let origin = req.headers().get("Origin")?;
    let requested = req.headers().get("Access-Control-Request-Headers")?;
    if req.method() == Method::Options {
        let mut answer = Response::empty()?.with_status(204);
        let headers = answer.headers_mut();
        headers.set("Access-Control-Allow-Origin", origin.as_deref().unwrap_or("*"))?;
        headers.set("Access-Control-Allow-Methods", "GET, HEAD")?;
        shared_cors(headers, requested.as_deref())?;
        return Ok(answer);
    }
    let file = env.assets(crate::bindings::ASSETS)?.fetch_request(req).await?;
    let Some(origin) = origin else { return Ok(file) };
    // The assets' headers cannot be changed in place: the same ones, with the origin named.
    let headers = Headers::new();
    for (name, value) in file.headers().entries() {
        headers.append(&name, &value)?;
    }
    headers.set("Access-Control-Allow-Origin", &origin)?;
    headers.set("Access-Control-Allow-Credentials", "true")?;
    headers.append("Vary", "Origin")?;
    Ok(file.with_headers(headers))
}
