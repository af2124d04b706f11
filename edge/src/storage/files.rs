//! R2 access for the files visitors attach. Objects are keyed `{submissionId}/{field}`.

use leadform_core::files::UploadedFile;
use std::collections::HashMap;
use worker::{Bucket, HttpMetadata, Object, Result};

pub fn key(submission_id: &str, field: &str) -> String {
    format!("{submission_id}/{field}")
}

pub async fn put(bucket: &Bucket, key: &str, file: &UploadedFile) -> Result<()> {
    bucket
        .put(key, file.bytes.clone())
        .http_metadata(HttpMetadata {
            content_type: Some(file.content_type.clone()),
            ..HttpMetadata::default()
        })
        .custom_metadata(HashMap::from([
            ("name".to_string(), file.name.clone()),
            ("sha256".to_string(), file.sha256.clone()),
        ]))
        .execute()
        .await?;
    Ok(())
}

pub async fn get(bucket: &Bucket, key: &str) -> Result<Option<Object>> {
    bucket.get(key).execute().await
}

/// How file links are minted right now: where they point, what signs them, when they end.
pub struct Links {
    base: String,
    /// Why no link can be minted (a loopback `PUBLIC_URL` outside local development, or
    /// none and no request to take the address from).
    refused: Option<String>,
    secret: Vec<u8>,
    expires_secs: i64,
}

impl Links {
    /// Links to `PUBLIC_URL`, or else to `request_origin` (the address an owner used, which
    /// also stands in for a refused `PUBLIC_URL`: an owner's own view still works).
    pub fn new(env: &worker::Env, request_origin: Option<String>) -> Self {
        let (base, refused) = match (crate::config::public_url(env), request_origin) {
            (Ok(Some(url)), _) => (url, None),
            (Ok(None), Some(origin)) | (Err(_), Some(origin)) => (origin, None),
            // A link without the edge's address would be relative: useless in a CRM or an email.
            (Ok(None), None) => (
                String::new(),
                Some("PUBLIC_URL is not set: file links need the edge's public address".into()),
            ),
            (Err(reason), None) => (String::new(), Some(reason)),
        };
        Links {
            base,
            refused,
            secret: crate::config::file_link_secret(env),
            expires_secs: leadform_core::files::link_expiry(
                crate::clock::now_ms() / 1000,
                crate::config::file_url_ttl_secs(env),
            ),
        }
    }

    /// Links for an attempt of a delivery made at `created_at` (ms): they end a time to live
    /// after the delivery was made while that is more than half the time to live away, so
    /// every retry of a round carries the very same links, and so the same body (the email
    /// API refuses a repeated `Idempotency-Key` with another body); past that, from now.
    pub fn for_delivery(env: &worker::Env, created_at: i64) -> Self {
        let ttl = crate::config::file_url_ttl_secs(env);
        let now = crate::clock::now_ms() / 1000;
        let made = created_at / 1000;
        Links {
            expires_secs: leadform_core::files::link_expiry(
                if now - made < ttl / 2 { made } else { now },
                ttl,
            ),
            ..Self::new(env, None)
        }
    }

    /// Whether links can be minted for `form_data`: `Err` says why not when it holds a file
    /// and the edge's public address is unusable (the delivery is then not sent, loudly).
    pub fn usable_for(&self, form_data: &serde_json::Map<String, serde_json::Value>) -> Result<(), String> {
        let has_file = form_data
            .values()
            .any(|v| leadform_core::files::StoredFile::from_value(v).is_some());
        match (&self.refused, has_file) {
            (Some(reason), true) => Err(reason.clone()),
            _ => Ok(()),
        }
    }

    /// `formData` with each stored file shown as `{name, contentType, size, sha256, url}`.
    pub fn show(
        &self,
        form_data: &serde_json::Map<String, serde_json::Value>,
    ) -> serde_json::Map<String, serde_json::Value> {
        leadform_core::files::show_form_data(form_data, &self.base, &self.secret, self.expires_secs)
    }
}

pub async fn delete(bucket: &Bucket, key: &str) -> Result<()> {
    bucket.delete(key).await
}
