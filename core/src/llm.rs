//! The agent's LLM, spoken as OpenAI's chat-completions protocol (OpenAI, Workers AI's
//! OpenAI-compatible URL, llama.cpp, vLLM): the request the edge sends and how its answer is
//! read. One tool, `show_form`, whose `form` is one of the agent's form names. Anything off
//! (no choice, a malformed tool call, an unknown form) is read as "no form", with the reason,
//! so the edge falls back to its rules and the chat goes on.

use serde_json::{json, Map, Value};

/// A form the model may show, as the prompt describes it.
pub struct FormOffer<'a> {
    pub name: &'a str,
    pub title: &'a str,
    /// "When to ask" (seed 003's description).
    pub description: &'a str,
}

/// One turn of the conversation, as the model reads it.
pub struct Turn<'a> {
    /// `user` (the visitor) or `assistant` (the agent).
    pub role: &'static str,
    pub text: &'a str,
}

/// The last turns sent: enough context, a bounded prompt.
pub const MAX_TURNS: usize = 20;

/// What the model is told: who it is, the owner's instructions, the forms it may show, and
/// `language`, the visitor's as the widget picked it (the agent's setting, else their
/// browser's or chat app's), for a first or ambiguous message ("ok") that tells none.
pub fn system_prompt(agent_name: &str, instructions: &str, forms: &[FormOffer], language: &str) -> String {
    let mut prompt = format!(
        "You are {agent_name}, the assistant on this website. Answer briefly and helpfully.\n\
         The visitor's language is probably {language}: answer in the language they write in; \
         when that is unclear, in {language}.\n"
    );
    if !instructions.trim().is_empty() {
        prompt.push_str(&format!(
            "Instructions from the site owner:\n{}\n",
            instructions.trim()
        ));
    }
    if forms.is_empty() {
        prompt.push_str("You cannot show any form.\n");
    } else {
        prompt.push_str(
            "When the visitor wants to be contacted or it clearly fits, call show_form with one of \
             these forms (never ask for the details in the chat yourself):\n",
        );
        for form in forms {
            let when = if form.description.trim().is_empty() {
                String::new()
            } else {
                format!(": {}", form.description.trim())
            };
            prompt.push_str(&format!("- {} ({}){}\n", form.name, form.title, when));
        }
    }
    prompt
}

/// The chat-completions body: the system prompt, the last [`MAX_TURNS`] turns, the tool.
pub fn request_body(model: &str, system: &str, turns: &[Turn], forms: &[FormOffer]) -> Value {
    let mut messages = vec![json!({"role": "system", "content": system})];
    let start = turns.len().saturating_sub(MAX_TURNS);
    messages.extend(
        turns[start..]
            .iter()
            .map(|t| json!({"role": t.role, "content": t.text})),
    );
    let mut body = json!({
        "model": model,
        "messages": messages,
        "max_tokens": 300,
        "temperature": 0.3,
    });
    if !forms.is_empty() {
        let names: Vec<&str> = forms.iter().map(|f| f.name).collect();
        body["tools"] = json!([{
            "type": "function",
            "function": {
                "name": "show_form",
                "description": "Show one of the site's forms inside the chat for the visitor to fill in.",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "form": {"type": "string", "enum": names},
                        "prefill": {
                            "type": "object",
                            "description": "Values the visitor already gave in the chat, by field name.",
                            "additionalProperties": {"type": "string"}
                        }
                    },
                    "required": ["form"]
                }
            }
        }]);
        body["tool_choice"] = json!("auto");
    }
    body
}

/// The instruction for a lead's summary: for whoever follows the lead up.
pub const SUMMARY_PROMPT: &str = "Summarize this website chat for the team that will follow up \
     the lead, in at most three short sentences: what the visitor wants, who they are, and \
     anything urgent. Plain text only, no greeting, nothing that is not in the chat.";

/// Longest transcript sent for a summary (the end of a longer chat is kept: it holds the
/// form and what led to it).
pub const SUMMARY_TRANSCRIPT_CHARS: usize = 12_000;

/// The chat-completions body that asks for a lead's summary: the transcript (`Visitor:` /
/// `Agent:` lines) and the plain summary of the form's answers, as one user message.
pub fn summary_request_body(model: &str, turns: &[Turn], answers: &str) -> Value {
    let lines: Vec<String> = turns
        .iter()
        .map(|t| {
            let who = if t.role == "user" { "Visitor" } else { "Agent" };
            format!("{who}: {}", t.text.replace('\n', " "))
        })
        .collect();
    let transcript = lines.join("\n");
    let skip = transcript
        .chars()
        .count()
        .saturating_sub(SUMMARY_TRANSCRIPT_CHARS);
    let transcript: String = transcript.chars().skip(skip).collect();
    json!({
        "model": model,
        "messages": [
            {"role": "system", "content": SUMMARY_PROMPT},
            {"role": "user", "content": format!("Chat:\n{transcript}\n\n{answers}")},
        ],
        "max_tokens": 200,
        "temperature": 0.2,
    })
}

/// What the model answered.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reply {
    /// What the visitor reads (may be absent when the model only called the tool).
    pub text: Option<String>,
    /// The form to show and what to prefill it with.
    pub show_form: Option<(String, Map<String, Value>)>,
    /// Why a tool call was set aside (a malformed one, an unknown form), for the log.
    pub problem: Option<String>,
}

/// Longest reply passed on to the visitor.
pub const MAX_REPLY_CHARS: usize = 2_000;

/// Reads a chat-completions answer. `Err` when it is not one at all (the edge then answers
/// by its rules alone).
pub fn parse_reply(body: &str, form_names: &[&str]) -> Result<Reply, String> {
    let value: Value = serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
    let message = value
        .pointer("/choices/0/message")
        .ok_or_else(|| "no choices[0].message".to_string())?;
    let text = message
        .get("content")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| t.chars().take(MAX_REPLY_CHARS).collect::<String>());
    let mut reply = Reply {
        text,
        ..Default::default()
    };
    let calls = message.get("tool_calls").and_then(Value::as_array);
    let Some(call) = calls.and_then(|c| {
        c.iter()
            .find(|c| c.pointer("/function/name") == Some(&json!("show_form")))
    }) else {
        if calls.is_some_and(|c| !c.is_empty()) {
            reply.problem = Some("the model called a tool other than show_form".into());
        }
        return Ok(reply);
    };
    // `arguments` is a JSON text per the protocol; some servers send the object itself.
    let arguments = match call.pointer("/function/arguments") {
        Some(Value::String(text)) => serde_json::from_str::<Value>(text).ok(),
        Some(object @ Value::Object(_)) => Some(object.clone()),
        _ => None,
    };
    let Some(arguments) = arguments.filter(Value::is_object) else {
        reply.problem = Some("show_form arguments are not a JSON object".into());
        return Ok(reply);
    };
    let Some(form) = arguments.get("form").and_then(Value::as_str) else {
        reply.problem = Some("show_form has no form".into());
        return Ok(reply);
    };
    if !form_names.contains(&form) {
        reply.problem = Some(format!("show_form named an unknown form {form:?}"));
        return Ok(reply);
    }
    let prefill = arguments
        .get("prefill")
        .and_then(Value::as_object)
        .map(|p| {
            p.iter()
                .filter_map(|(k, v)| {
                    v.as_str()
                        .map(|s| (k.clone(), json!(s.chars().take(500).collect::<String>())))
                })
                .take(50)
                .collect()
        })
        .unwrap_or_default();
    reply.show_form = Some((form.to_string(), prefill));
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forms() -> Vec<FormOffer<'static>> {
        vec![FormOffer {
            name: "contact_form",
            title: "Talk to us",
            description: "When the visitor wants a demo or pricing",
        }]
    }

    #[test]
    fn the_request_carries_the_prompt_the_last_turns_and_one_tool() {
        let system = system_prompt("Acme", "Be nice.", &forms(), "German");
        assert!(system.contains("Acme") && system.contains("Be nice."));
        assert!(
            system.contains("The visitor's language is probably German"),
            "{system}"
        );
        assert!(system.contains("- contact_form (Talk to us): When the visitor wants a demo or pricing"));
        let turns: Vec<Turn> = (0..30)
            .map(|_| Turn {
                role: "user",
                text: "hi",
            })
            .collect();
        let body = request_body("gpt-test", &system, &turns, &forms());
        assert_eq!(body["model"], "gpt-test");
        assert_eq!(body["messages"].as_array().unwrap().len(), 1 + MAX_TURNS);
        assert_eq!(body["messages"][0]["role"], "system");
        assert_eq!(body["tools"][0]["function"]["name"], "show_form");
        assert_eq!(
            body["tools"][0]["function"]["parameters"]["properties"]["form"]["enum"],
            json!(["contact_form"])
        );
        assert!(request_body("m", &system, &turns, &[]).get("tools").is_none());
    }

    #[test]
    fn a_summary_request_holds_the_chat_and_the_answers() {
        let turns = [
            Turn {
                role: "user",
                text: "Do you ship\nto Canada?",
            },
            Turn {
                role: "assistant",
                text: "Yes.",
            },
        ];
        let body = summary_request_body("m", &turns, "Filled in Talk to us: Email: a@b.co");
        assert!(body.get("tools").is_none());
        let user = body["messages"][1]["content"].as_str().unwrap();
        assert!(
            user.contains("Visitor: Do you ship to Canada?\nAgent: Yes."),
            "{user}"
        );
        assert!(user.ends_with("Filled in Talk to us: Email: a@b.co"));
        let long: Vec<Turn> = (0..2000)
            .map(|_| Turn {
                role: "user",
                text: "0123456789",
            })
            .collect();
        let user = summary_request_body("m", &long, "").to_string();
        assert!(user.len() < SUMMARY_TRANSCRIPT_CHARS + 1_000);
    }

    #[test]
    fn a_tool_call_shows_the_form_with_its_prefill() {
        let body = json!({"choices": [{"message": {"content": "Sure, here you go.", "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "show_form",
             "arguments": "{\"form\":\"contact_form\",\"prefill\":{\"email\":\"a@b.co\",\"n\":3}}"}}]}}]});
        let reply = parse_reply(&body.to_string(), &["contact_form"]).unwrap();
        assert_eq!(reply.text.as_deref(), Some("Sure, here you go."));
        let (form, prefill) = reply.show_form.unwrap();
        assert_eq!(form, "contact_form");
        assert_eq!(prefill.get("email"), Some(&json!("a@b.co")));
        assert!(prefill.get("n").is_none(), "only text prefill");
    }

    #[test]
    fn anything_off_is_no_form_with_a_reason() {
        let call = |arguments: Value| {
            json!({"choices": [{"message": {"content": null, "tool_calls": [
                {"type": "function", "function": {"name": "show_form", "arguments": arguments}}]}}]})
            .to_string()
        };
        for (body, problem) in [
            (call(json!("{not json")), "not a JSON object"),
            (call(json!("{\"form\":\"nope\"}")), "unknown form"),
            (call(json!("{}")), "no form"),
        ] {
            let reply = parse_reply(&body, &["contact_form"]).unwrap();
            assert_eq!(reply.show_form, None);
            assert!(reply.problem.unwrap().contains(problem));
        }
        let object_args = call(json!({"form": "contact_form"}));
        assert!(parse_reply(&object_args, &["contact_form"])
            .unwrap()
            .show_form
            .is_some());
        assert!(parse_reply("<html>", &[]).is_err());
        assert!(parse_reply("{\"choices\": []}", &[]).is_err());
        let plain = json!({"choices": [{"message": {"content": "  Hello!  "}}]}).to_string();
        assert_eq!(parse_reply(&plain, &[]).unwrap().text.as_deref(), Some("Hello!"));
    }
}
