//! The leadform edge: a Cloudflare Worker. Three entry points, each thin:
//! - `fetch`: the HTTP API ([`routes`]) for the widget and for owners;
//! - `queue`: delivers stored submissions ([`delivery`]);
//! - `scheduled`: re-enqueues deliveries that D1 says are due ([`delivery::sweep`]) and
//!   purges conversations past their agent's retention ([`retention`]).
//!
//! The path of a lead: `routes::submissions` validates with `leadform_core`, stores through
//! [`storage`], enqueues a delivery id, and `delivery` sends it on.

mod agent;
mod auth;
mod bindings;
mod channels;
mod clock;
mod config;
mod dashboard;
mod delivery;
mod error;
mod http;
mod ids;
mod leads;
mod limits;
mod members;
mod password;
mod retention;
mod routes;
mod sessions;
mod storage;

use worker::*;

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    // A static file, routed here only for its CORS preflight: no configuration or limit.
    if req.path() == routes::widget_wasm::PATH {
        return routes::widget_wasm::serve(req, &env).await;
    }
    // A bad configuration fails loudly, on every request, rather than running on defaults.
    if let Err(wrong) = config::check(&env) {
        console_error!("configuration: {wrong}");
        return routes::misconfigured(&req, &wrong);
    }
    // Locally (loopback allowed) requests sweep now and then, as `wrangler dev` fires no
    // cron; deployed, only the cron does: a request from anyone must not set off the sweep.
    if config::allow_loopback(&env) && delivery::sweep_if_idle_for_a_while() {
        let env = env.clone();
        ctx.wait_until(async move {
            if let Err(err) = delivery::sweep(&env).await {
                console_error!("sweep failed: {err}");
            }
            retention::purge(&env).await;
        });
    }
    routes::handle(req, env).await
}

#[event(queue)]
async fn queue(batch: MessageBatch<delivery::DeliveryMessage>, env: Env, _ctx: Context) -> Result<()> {
    if let Err(wrong) = config::check(&env) {
        // Nothing is sent on a bad configuration; the messages come back once it is fixed.
        console_error!("configuration: {wrong}; deliveries wait");
        batch.retry_all();
        return Ok(());
    }
    delivery::consume(batch, env).await;
    // Every message was settled one by one: returning Err would retry the whole batch.
    Ok(())
}

#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    if let Err(wrong) = config::check(&env) {
        console_error!("configuration: {wrong}; the sweep waits");
        return;
    }
    if let Err(err) = delivery::sweep(&env).await {
        console_error!("sweep failed: {err}");
    }
    retention::purge(&env).await;
}
