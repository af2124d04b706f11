//! bench/baseline/worker.js in Rust: the same checks, the same one D1 insert and one queue
//! send, the same answer, through the same `worker` crate as the edge.
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::JsValue;
use worker::*;

#[derive(Serialize)]
struct Sent<'a> {
    #[serde(rename = "submissionId")]
    submission_id: &'a str,
}

fn fail(status: u16, code: &str, field: &str) -> Result<Response> {
    Ok(
        Response::from_json(&serde_json::json!({"success": false, "error": {"code": code, "field": field}}))?
            .with_status(status),
    )
}

fn text(v: &Value) -> JsValue {
    match v.as_str() {
        Some(s) if !s.is_empty() => JsValue::from_str(s),
        _ => JsValue::NULL,
    }
}

fn int(v: &Value) -> JsValue {
    v.as_i64().map_or(JsValue::NULL, |n| JsValue::from_f64(n as f64))
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> Result<Response> {
    if req.method() != Method::Post || req.path() != "/form-submissions/submit" {
        return Response::ok("rust floor");
    }
    let Ok(body) = req.json::<Value>().await else {
        return fail(400, "invalid_json", "body");
    };
    let Some(tool_id) = body["toolId"].as_str().filter(|s| !s.is_empty()) else {
        return fail(400, "invalid_field", "toolId");
    };
    let form_data = &body["formData"];
    if !form_data.is_object() {
        return fail(400, "invalid_field", "formData");
    }
    let Some(completed) = body["fieldsCompleted"]
        .as_array()
        .filter(|a| a.iter().all(Value::is_string))
    else {
        return fail(400, "invalid_field", "fieldsCompleted");
    };
    let email_ok = form_data["email"].as_str().is_some_and(|e| {
        let (local, domain) = e.split_once('@').unwrap_or(("", ""));
        !local.is_empty() && domain.contains('.') && !e.contains(char::is_whitespace)
    });
    if !email_ok {
        return fail(400, "invalid_field", "email");
    }
    let mut random = [0u8; 16];
    get_random_values(&mut random);
    let id: String = std::iter::once("sub_".to_string())
        .chain(random.iter().map(|b| format!("{b:02x}")))
        .collect();
    let now = Date::now().as_millis() as f64;
    let source = if req.headers().get("Origin")?.is_some() {
        "widget"
    } else {
        "api"
    };
    let db = env.d1("DB")?;
    let inserted = db
        .prepare(
            "INSERT INTO submissions (id, agent_id, tool_id, conversation_id, form_data, fields_completed,
               impression_at, started_at, submitted_at, execution_mode, status, idempotency_key, source, attribution)
             SELECT ?1, agent_id, id, ?3, ?4, ?5, ?6, ?7, ?8, execution_mode, 'submitted', ?9, ?10, ?11
             FROM tools WHERE id = ?2",
        )
        .bind(&[
            JsValue::from_str(&id),
            JsValue::from_str(tool_id),
            text(&body["conversationId"]),
            JsValue::from_str(&form_data.to_string()),
            JsValue::from_str(&Value::from(completed.clone()).to_string()),
            int(&body["impressionAt"]),
            int(&body["startedAt"]),
            JsValue::from_f64(now),
            text(&body["idempotencyKey"]),
            JsValue::from_str(source),
            if body["attribution"].is_null() { JsValue::NULL } else { JsValue::from_str(&body["attribution"].to_string()) },
        ])?
        .run()
        .await?;
    if inserted.meta()?.and_then(|m| m.changes).unwrap_or(0) == 0 {
        return fail(404, "not_found", "toolId");
    }
    env.queue("SUBMISSIONS")?
        .send(Sent { submission_id: &id })
        .await?;
    Response::from_json(&serde_json::json!({"success": true, "submissionId": id, "executionMode": "client"}))
}

#[event(queue)]
async fn queue(batch: MessageBatch<Value>, _env: Env, _ctx: Context) -> Result<()> {
    batch.ack_all();
    Ok(())
}

// `crypto.getRandomValues`, as the baseline's `crypto.randomUUID` (no getrandom crate).
#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues)]
    fn get_random_values(buf: &mut [u8]);
}
