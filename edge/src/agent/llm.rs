//! Asking the configured LLM (an OpenAI-compatible chat-completions endpoint) for the
//! agent's next reply. Any failure (no answer in time, an error status, an answer that is
//! not chat completions) is `Err` with the reason, and the agent answers by its rules.

use crate::delivery::send::{post, OutgoingRequest};
use leadform_core::llm::{
    parse_reply, request_body, summary_request_body, system_prompt, FormOffer, Reply, Turn,
};
use leadform_core::settings::LlmSettings;
use worker::Headers;

/// Longest model answer kept (a chat completion is a few KB). The body is read whole first:
/// the URL is the operator's own configuration, not a visitor's.
const ANSWER_CHARS: usize = 256 * 1024;

pub async fn ask(
    llm: &LlmSettings,
    agent_name: &str,
    instructions: &str,
    forms: &[FormOffer<'_>],
    turns: &[Turn<'_>],
    language: &str,
) -> Result<Reply, String> {
    let system = system_prompt(agent_name, instructions, forms, language);
    let body = request_body(&llm.model, &system, turns, forms);
    let answer = complete(llm, &body, llm.timeout_ms).await?;
    let names: Vec<&str> = forms.iter().map(|f| f.name).collect();
    parse_reply(&answer, &names)
}

/// A lead's summary written by the model, within `timeout_ms`.
pub async fn summarize(
    llm: &LlmSettings,
    turns: &[Turn<'_>],
    answers: &str,
    timeout_ms: u64,
) -> Result<String, String> {
    let body = summary_request_body(&llm.model, turns, answers);
    let answer = complete(llm, &body, timeout_ms).await?;
    parse_reply(&answer, &[])?
        .text
        .ok_or_else(|| "the model wrote no summary".to_string())
}

/// One chat-completions call: the answer's body, or why there is none.
async fn complete(llm: &LlmSettings, body: &serde_json::Value, timeout_ms: u64) -> Result<String, String> {
    let headers = Headers::new();
    let set = |name: &str, value: &str| headers.set(name, value).map_err(|e| e.to_string());
    set("Content-Type", "application/json")?;
    if let Some(key) = &llm.api_key {
        set("Authorization", &format!("Bearer {key}"))?;
    }
    let request = OutgoingRequest {
        method: worker::Method::Post,
        url: format!("{}/chat/completions", llm.base_url),
        headers,
        body: body.to_string(),
    };
    let answer = post(&request, timeout_ms, ANSWER_CHARS).await?;
    if !(200..300).contains(&answer.code) {
        return Err(format!("the LLM answered HTTP {}", answer.code));
    }
    Ok(answer.snippet)
}
