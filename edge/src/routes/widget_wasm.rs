//! The widget's wasm, answered by the worker so its CORS preflight can be.
//!
//! The loader downloads the wasm with `fetch()`. A page that wraps `fetch` to add tracing
//! headers (`traceparent`, `sentry-trace`, …) to every request turns that download into a
//! CORS request with a preflight, and static assets answer `OPTIONS` with a 405: the widget
//! would never start on such a page. `wrangler.toml` sends this one path to the worker first
//! (`run_worker_first`): the preflight is answered here, and the file itself still comes
//! from the static assets, with their headers (`js-shim/_headers`).

use worker::{Env, Method, Request, Response, Result};

pub const PATH: &str = "/widget/leadform_widget_bg.wasm";

pub async fn serve(req: Request, env: &Env) -> Result<Response> {
    if req.method() == Method::Options {
        let mut answer = Response::empty()?.with_status(204);
        let headers = answer.headers_mut();
        // Public bytes, fetched without credentials: any page, any header it adds.
        headers.set("Access-Control-Allow-Origin", "*")?;
        headers.set("Access-Control-Allow-Methods", "GET, HEAD")?;
        headers.set("Access-Control-Allow-Headers", "*")?;
        headers.set("Access-Control-Max-Age", "86400")?;
        return Ok(answer);
    }
    env.assets(crate::bindings::ASSETS)?.fetch_request(req).await
}
