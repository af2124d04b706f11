//! `GET /files/{submissionId}/{field}?expires=…&signature=…`: a visitor's file, for whoever
//! holds a link the edge signed (the webhook payload and the owner API hand them out).

use crate::bindings;
use crate::clock::now_ms;
use crate::config;
use crate::error::{ApiError, ApiResult};
use crate::http::query_param;
use crate::storage::{files, submissions};
use leadform_core::files::{field_from_path, link_is_valid, safe_file_name};
use worker::{Env, Request, Response};

pub async fn get(req: &Request, env: &Env, submission_id: &str, field: &str) -> ApiResult<Response> {
    let field = field_from_path(field).ok_or_else(|| ApiError::not_found("file", field))?;
    let field = field.as_str();
    let key = files::key(submission_id, field);
    let expires = query_param(req, "expires").and_then(|e| e.parse::<i64>().ok());
    let signature = query_param(req, "signature").unwrap_or_default();
    let secret = config::file_link_secret(env);
    let valid = expires.is_some_and(|exp| link_is_valid(&secret, &key, exp, &signature, now_ms() / 1000));
    if !valid {
        return Err(ApiError::Forbidden {
            code: "invalid_file_link",
            message: "this file link is not valid or has expired; ask for a fresh one".into(),
        });
    }
    // A deleted lead's files are gone from D1 first; a link to one never works again, even
    // if removing the object from R2 failed.
    if !submissions::exists(&env.d1(bindings::DB)?, submission_id).await? {
        return Err(ApiError::not_found("file", &key));
    }
    let bucket = env.bucket(bindings::FILES)?;
    let object = files::get(&bucket, &key)
        .await?
        .ok_or_else(|| ApiError::not_found("file", &key))?;
    let content_type = object
        .http_metadata()
        .content_type
        .unwrap_or_else(|| "application/octet-stream".into());
    let name = object
        .custom_metadata()
        .ok()
        .and_then(|m| m.get("name").cloned())
        .map(|n| safe_file_name(&n))
        .unwrap_or_else(|| field.to_string());
    let body = object
        .body()
        .ok_or_else(|| ApiError::Internal(format!("R2 object {key} has no body")))?;
    let response = Response::from_body(body.response_body()?)?;
    let headers = response.headers();
    headers.set("Content-Type", &content_type)?;
    // Served as a download, never rendered in our origin, whatever the visitor uploaded.
    headers.set(
        "Content-Disposition",
        &format!(
            "attachment; filename=\"{}\"; filename*=UTF-8''{}",
            ascii_only(&name),
            encode_rfc5987(&name)
        ),
    )?;
    headers.set("X-Content-Type-Options", "nosniff")?;
    headers.set("Cache-Control", "private, no-store")?;
    Ok(response)
}

fn ascii_only(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii() { c } else { '_' }).collect()
}

fn encode_rfc5987(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
