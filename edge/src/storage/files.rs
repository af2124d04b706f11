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
    secret: Vec<u8>,
    expires_secs: i64,
}

impl Links {
    /// Links to `PUBLIC_URL`, or else to `request_origin` (the address an owner used).
    pub fn new(env: &worker::Env, request_origin: Option<String>) -> Self {
        Links {
            base: crate::config::public_url(env)
                .or(request_origin)
                .unwrap_or_default(),
            secret: crate::config::file_link_secret(env),
            expires_secs: crate::clock::now_ms() / 1000 + crate::config::file_url_ttl_secs(env),
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
