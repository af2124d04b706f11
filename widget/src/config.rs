//! The widget config (`GET /widget/config`) read from parsed JSON into core's types.

use crate::js;
use leadform_core::form::{ExecutionMode, FieldKind, FieldSpec};
use leadform_core::lead::Attribute;
use leadform_core::look::{is_hex_color, WidgetLook};
use leadform_core::wire::{AgentPublic, FormPublic, WidgetConfigOut};
use wasm_bindgen::JsValue;

pub fn read(value: &JsValue) -> WidgetConfigOut {
    let agent = js::get(value, "agent");
    crate::i18n::set(js::string(value, "locale"), &js::get(value, "texts"));
    WidgetConfigOut {
        agent: AgentPublic {
            id: js::text(&agent, "id"),
            name: js::text(&agent, "name"),
            greeting: js::text(&agent, "greeting"),
            quick_replies: js::strings(&agent, "quickReplies"),
            look: read_look(&js::get(&agent, "look")),
            locale: js::string(&agent, "locale"),
            greetings: js::texts(&agent, "greetings"),
        },
        forms: js::items(value, "forms").iter().map(read_form).collect(),
        display_token: js::string(value, "displayToken"),
        // Kept by `i18n`.
        locale: crate::i18n::code().to_string(),
        texts: Default::default(),
    }
}

/// The agent's look, if the edge sent one; colors that are not `#rrggbb` are dropped (they
/// go into a stylesheet).
fn read_look(look: &JsValue) -> Option<WidgetLook> {
    if !look.is_object() {
        return None;
    }
    let color = |key| {
        Some(js::text(look, key))
            .filter(|c| is_hex_color(c))
            .unwrap_or_default()
    };
    Some(WidgetLook {
        brand_color: color("brandColor"),
        brand_text: color("brandText"),
        position: js::text(look, "position"),
        launcher_label: js::text(look, "launcherLabel"),
    })
}

fn read_form(form: &JsValue) -> FormPublic {
    FormPublic {
        tool_id: js::text(form, "toolId"),
        name: js::text(form, "name"),
        title: js::text(form, "title"),
        description: js::text(form, "description"),
        fields: js::items(form, "fields").iter().map(read_field).collect(),
        success_message: js::text(form, "successMessage"),
        dismiss_message: js::text(form, "dismissMessage"),
        execution_mode: ExecutionMode::parse(&js::text(form, "executionMode")).unwrap_or_default(),
        triggers: js::strings(form, "triggers"),
    }
}

fn read_field(field: &JsValue) -> FieldSpec {
    let length = |key| js::number(field, key).map(|n| n as u32);
    FieldSpec {
        name: js::text(field, "name"),
        label: js::string(field, "label"),
        labels: js::texts(field, "labels"),
        // A kind this widget does not know yet still renders, as a text input.
        kind: FieldKind::parse(&js::text(field, "type")).unwrap_or_default(),
        required: js::boolean(field, "required"),
        placeholder: js::string(field, "placeholder"),
        help: js::string(field, "help"),
        helps: js::texts(field, "helps"),
        options: js::strings(field, "options"),
        min_length: length("minLength"),
        max_length: length("maxLength"),
        // The owner's own mapping, if any: `identify` fills a field by what it is.
        lead_attribute: js::string(field, "leadAttribute")
            .and_then(|a| Attribute::ALL.into_iter().find(|known| known.as_str() == a)),
        step: js::string(field, "step"),
        link: js::string(field, "link"),
        link_text: js::string(field, "linkText"),
        from: js::string(field, "from"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leadform_core::locale::Texts;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn reads_the_edge_config_with_defaults_for_what_is_missing() {
        let json = r#"{"agent":{"id":"agent_demo","name":"Acme","greeting":"Hi","quickReplies":["Talk to sales"]},
          "forms":[{"toolId":"tool_a","name":"contact_form","title":"Talk","fields":[
            {"name":"email","type":"email","required":true,"maxLength":80},
            {"name":"plan","type":"select","options":["Starter","Pro"]},
            {"name":"shoe","type":"hologram"}],
          "successMessage":"Thanks","executionMode":"both","triggers":["sales"]}]}"#;
        let config = read(&crate::js::parse(json).unwrap());
        assert_eq!(config.agent.quick_replies, vec!["Talk to sales"]);
        let form = &config.forms[0];
        assert_eq!(form.execution_mode, ExecutionMode::Both);
        assert_eq!(form.dismiss_message, "");
        assert_eq!(form.fields[0].kind, FieldKind::Email);
        assert!(form.fields[0].required);
        assert_eq!(form.fields[0].max_length, Some(80));
        assert_eq!(form.fields[1].options, vec!["Starter", "Pro"]);
        assert_eq!(
            form.fields[2].kind,
            FieldKind::Text,
            "an unknown kind renders as text"
        );
        assert!(!form.fields[2].required);
    }

    /// The edge writes the config with serde; this reader must see exactly what it wrote.
    #[wasm_bindgen_test]
    fn reads_back_what_the_edge_serializes() {
        let field = |name: &str, kind| FieldSpec {
            name: name.into(),
            label: Some(format!("{name} label")),
            kind,
            required: name == "email",
            placeholder: Some("…".into()),
            help: Some(format!("Why {name}")),
            helps: Texts(vec![("ar".to_string(), format!("لماذا {name}"))]),
            options: if matches!(kind, FieldKind::Select | FieldKind::Multiselect) {
                vec!["A".into(), "B".into()]
            } else {
                vec![]
            },
            min_length: Some(2),
            max_length: Some(90),
            lead_attribute: (kind == FieldKind::Text).then_some(Attribute::Company),
            labels: Texts(vec![("de".to_string(), format!("{name} Feld"))]),
            step: Some(format!("Step of {name}")),
            link: kind.is_box().then(|| "https://acme.example/privacy".into()),
            link_text: kind.is_box().then(|| "Policy".into()),
            from: (kind == FieldKind::Hidden).then(|| "utm_campaign".into()),
        };
        let written = WidgetConfigOut {
            agent: AgentPublic {
                id: "agent_x".into(),
                name: "X".into(),
                greeting: "Hi".into(),
                quick_replies: vec!["Q".into()],
                look: Some(WidgetLook {
                    brand_color: "#0b7285".into(),
                    brand_text: "#ffffff".into(),
                    position: "left".into(),
                    launcher_label: "Ask us".into(),
                }),
                locale: Some("ar".into()),
                greetings: Texts(vec![("ar".to_string(), "مرحبًا".to_string())]),
            },
            forms: vec![FormPublic {
                tool_id: "tool_x".into(),
                name: "x_form".into(),
                title: "T".into(),
                description: "D".into(),
                fields: FieldKind::ALL.iter().map(|k| field(k.as_str(), *k)).collect(),
                success_message: "S".into(),
                dismiss_message: "M".into(),
                execution_mode: ExecutionMode::Client,
                triggers: vec!["sales".into()],
            }],
            display_token: Some("1.00ff.mac".into()),
            locale: "ar".into(),
            // The edge's row; "send" missing as from an older edge.
            texts: Texts(vec![("required".to_string(), "مطلوب".to_string())]),
        };
        let json = serde_json::to_string(&written).unwrap();
        let read_back = read(&crate::js::parse(&json).unwrap());
        assert_eq!(
            read_back,
            WidgetConfigOut {
                texts: Texts::default(),
                ..written
            },
            "the texts are kept by i18n, not in the config"
        );
        use leadform_core::locale::T;
        assert_eq!(crate::i18n::code(), "ar");
        assert_eq!(crate::i18n::t(T::Required), "مطلوب");
        assert_eq!(crate::i18n::translate("is required"), "مطلوب");
        assert_eq!(
            crate::i18n::t(T::Send),
            "Send",
            "a text the edge did not send stays English"
        );
        // The other tests expect English.
        crate::i18n::set(None, &wasm_bindgen::JsValue::UNDEFINED);
    }
}
