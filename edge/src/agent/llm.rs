//! Asking the configured LLM (an OpenAI-compatible chat-completions endpoint) for the
//! agent's next reply. Any failure (no answer in time, an error status, an answer that is
//! not chat completions) is `Err` with the reason, and the agent answers by its rules.

use crate::delivery::send::{post, OutgoingRequest};
use leadform_core::llm::{parse_reply, request_body, system_prompt, FormOffer, Reply, Turn};
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
) -> Result<Reply, String> {
    let system = system_prompt(agent_name, instructions, forms);
    let body = request_body(&llm.model, &system, turns, forms);
    let headers = Headers::new();
    let set = |name: &str, value: &str| headers.set(name, value).map_err(|e| e.to_string());
    set("Content-Type", "application/json")?;
    if let Some(key) = &llm.api_key {
        set("Authorization", &format!("Bearer {key}"))?;
    }
    let request = OutgoingRequest {
        url: format!("{}/chat/completions", llm.base_url),
        headers,
        body: body.to_string(),
    };
    let answer = post(&request, llm.timeout_ms, ANSWER_CHARS).await?;
    if !(200..300).contains(&answer.code) {
        return Err(format!("the LLM answered HTTP {}", answer.code));
    }
    let names: Vec<&str> = forms.iter().map(|f| f.name).collect();
    parse_reply(&answer.snippet, &names)
}
