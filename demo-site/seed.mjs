// Demo data, written through the owner API so it takes the same checks as an owner's own
// calls. Upserts: running it twice leaves the same agent and form.
export const DEMO_AGENT_ID = "agent_demo";
export const DEMO_TOOL_ID = "tool_contact_form";

export async function seedDemo({ edgeUrl, apiKey, webhookUrl, allowedOrigins }) {
  const call = async (method, path, body) => {
    const res = await fetch(edgeUrl + path, {
      method,
      headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const agent = await call("POST", "/v1/agents", {
    id: DEMO_AGENT_ID,
    name: "Acme Assistant",
    greeting: "Hi! I'm the Acme assistant. Ask me anything, or tap below to talk to our sales team.",
    quickReplies: ["Talk to sales", "Book a demo"],
    allowedOrigins,
  });
  const tool = await call("POST", `/v1/agents/${DEMO_AGENT_ID}/tools`, {
    id: DEMO_TOOL_ID,
    name: "contact_form",
    title: "Talk to our team",
    description: "Leave your details and a specialist will reach out within one business day.",
    fields: [
      { name: "name", label: "Your name", type: "text", required: true, placeholder: "Jane Smith" },
      { name: "email", label: "Work email", type: "email", required: true, placeholder: "jane@company.com" },
      {
        name: "message",
        label: "How can we help?",
        type: "textarea",
        help: "A sentence or two is enough: it tells us who should answer.",
      },
    ],
    triggers: ["sales", "demo", "contact", "contacted", "call", "pricing", "quote", "talk"],
    successMessage: "Thanks! Our team will email you within one business day.",
    dismissMessage: "No problem, ask me anything else in the meantime.",
    executionMode: "webhook",
    webhookUrl,
  });
  return { agent, tool };
}
