// Conversations on the edge, against the real local runtime: the transcript is stored in
// order, the agent decides when to show a form (an explicit request, each form's rules, an
// LLM through a `show_form` tool call, trigger words), and bad input gets a clear 4xx. The
// LLM is a server on 127.0.0.1 speaking OpenAI's chat-completions protocol, scripted per test.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startStack, startReceiver, contactForm, postJson, ownerRequest, seedSubmit, asOwner, rememberConversation, conversationHeaders } from "./support/stack.mjs";
import { startLlm, completion, showForm } from "./support/llm.mjs";

const SITE = "https://shop.example";
let stack, receiver;

before(async () => {
  stack = await startStack();
  receiver = await startReceiver();
});

after(async () => {
  await receiver?.stop();
  await stack?.stop();
});

/** An agent with a contact form (rules as given) and a newsletter form. */
async function agentWith(agentId, rules = {}, extra = {}) {
  const made = await ownerRequest(stack, "POST", "/v1/agents", {
    body: { id: agentId, name: "Acme assistant", greeting: "Hi! How can I help?", allowedOrigins: [SITE], ...extra },
  });
  assert.equal(made.status, 201, made.text);
  const contact = contactForm(receiver.url + "/hook", { id: `tool_${agentId}_contact`, name: "contact_form", description: "When the visitor wants a demo", rules });
  assert.equal((await ownerRequest(stack, "POST", `/v1/agents/${agentId}/tools`, { body: contact })).status, 201);
  const newsletter = {
    id: `tool_${agentId}_news`,
    name: "newsletter",
    fields: [{ name: "email", type: "email", required: true }],
    triggers: ["newsletter"],
    executionMode: "client",
  };
  assert.equal((await ownerRequest(stack, "POST", `/v1/agents/${agentId}/tools`, { body: newsletter })).status, 201);
}

const call = (url, body, origin = SITE) => postJson(url, body, origin ? { Origin: origin } : {});
// A submit from a page of the site, with the owner's key: its answer names the lead.
const submitAsOwner = (s, body) => postJson(`${s.url}/form-submissions/submit`, body, asOwner(s, { Origin: SITE }));
const start = async (url, agentId, page = `${SITE}/pricing`) => rememberConversation(await call(`${url}/conversations`, { agentId, page }));
// With the conversation's token, as the widget that started it sends it.
const say = (url, id, text, extra = {}, origin = SITE) =>
  postJson(`${url}/conversations/${id}/messages`, { text, ...extra }, conversationHeaders(id, { Origin: origin }));
const read = (url, id, origin = SITE) => fetch(`${url}/conversations/${id}`, { headers: conversationHeaders(id, { Origin: origin }) });

test("a conversation starts with the greeting and keeps every turn in order", async () => {
  await agentWith("agent_conv");
  const started = await start(stack.url, "agent_conv");
  assert.equal(started.status, 201, started.text);
  const id = started.json.conversationId;
  assert.match(id, /^conv_/);
  assert.deepEqual(started.json.messages.map((m) => [m.role, m.text]), [["agent", "Hi! How can I help?"]]);

  const small = await say(stack.url, id, "What do you sell?");
  assert.equal(small.status, 200, small.text);
  assert.equal(small.json.messages.length, 1);
  assert.equal(small.json.messages[0].form, undefined, "small talk shows no form");

  const asked = await say(stack.url, id, "Can someone contact me?");
  const [reply] = asked.json.messages;
  assert.equal(reply.form.name, "contact_form", "an explicit request shows the contact form");
  assert.equal(reply.form.toolId, "tool_agent_conv_contact");

  // The page's next load reads the transcript back.
  const again = await read(stack.url, id);
  const transcript = await again.json();
  assert.deepEqual(transcript.messages.map((m) => m.role), ["agent", "visitor", "agent", "visitor", "agent"]);
  assert.equal(transcript.messages[3].text, "Can someone contact me?");
  // The form is still open (neither sent nor dismissed): it comes back on the message that
  // offered it, so the widget shows it there again after a reload.
  const offers = (messages) => messages.flatMap((m, i) => (m.form ? [[i, m.form.toolId, m.form.name]] : []));
  assert.deepEqual(offers(transcript.messages), [[4, "tool_agent_conv_contact", "contact_form"]]);
  // Sent: no longer open.
  const sent = await submitAsOwner(stack, seedSubmit({ toolId: "tool_agent_conv_contact", conversationId: id }));
  assert.equal(sent.status, 200, sent.text);
  const after = await (await read(stack.url, id)).json();
  assert.deepEqual(offers(after.messages), [], "a form sent is not shown again");
});

test("afterMessages: 3 shows the form on the third message; a dismissal holds it back for its cooldown", async () => {
  await agentWith("agent_rules", { afterMessages: 3, cooldownAfterDismissMessages: 2 });
  const id = (await start(stack.url, "agent_rules")).json.conversationId;
  const forms = [];
  for (const text of ["hello", "tell me about plans", "and support?"]) {
    forms.push((await say(stack.url, id, text)).json.messages[0].form?.name ?? null);
  }
  assert.deepEqual(forms, [null, null, "contact_form"]);
  const { displayToken } = await (await fetch(`${stack.url}/widget/config?agentId=agent_rules`, { headers: { Origin: SITE } })).json();
  const dismissal = { toolId: "tool_agent_rules_contact", displayId: "disp_1", type: "dismiss", displayToken, conversationId: id };
  const dismissals = async () => (await ownerRequest(stack, "GET", `/v1/conversations/${id}`)).json.turns.filter((t) => t.kind === "form_dismissed");
  // Someone who knows the conversation's id (it shows in Slack, email and the CRM) but not
  // its token: the dismissal counts for analytics, and leaves the visitor's chat alone
  // (a form closed and held back for its cooldown would lose the lead).
  for (let i = 0; i < 3; i++) {
    const stranger = await call(`${stack.url}/form-submissions/events`, { ...dismissal, displayId: `disp_stranger_${i}` });
    assert.equal(stranger.status, 202, stranger.text);
  }
  assert.deepEqual(await dismissals(), []);
  // The visitor closes the form: the widget reports the dismissal with the conversation and its token.
  const asWidget = conversationHeaders(id, { Origin: SITE });
  const dismissed = await postJson(`${stack.url}/form-submissions/events`, dismissal, asWidget);
  assert.equal(dismissed.status, 202, dismissed.text);
  // The same report again (a retry, or a script's loop): still one turn in the transcript.
  for (let i = 0; i < 3; i++) assert.equal((await postJson(`${stack.url}/form-submissions/events`, dismissal, asWidget)).status, 202);
  assert.equal((await dismissals()).length, 1);
  // A display outside any conversation may say so with "" (the schema's string), as a submit may.
  const outside = await call(`${stack.url}/form-submissions/events`, { ...dismissal, displayId: "disp_outside", conversationId: "" });
  assert.equal(outside.status, 202, outside.text);
  // Trigger words do not bring it back during the cooldown (2 more messages)...
  const cooling = (await say(stack.url, id, "what about pricing")).json.messages[0];
  const turns = async () => JSON.stringify((await ownerRequest(stack, "GET", `/v1/conversations/${id}`)).json.turns.map((t) => `${t.seq}:${t.role}:${t.kind}`));
  assert.equal(cooling.form, undefined, await turns());
  // ...an explicit request does, and after the cooldown the triggers work again.
  assert.equal((await say(stack.url, id, "ok, please call me back")).json.messages[0].form?.name, "contact_form");
  assert.equal((await say(stack.url, id, "pricing please")).json.messages[0].form?.name, "contact_form");
  // Read back: the dismissed offer stays closed, and the form offered twice since is open
  // once, at its last offer.
  const { messages } = await (await read(stack.url, id)).json();
  const open = messages.flatMap((m, i) => (m.form ? [[i, m.form.name]] : []));
  assert.deepEqual(open, [[messages.length - 1, "contact_form"]], JSON.stringify(messages));
});

test("page rules and once-per-conversation; the owner reads the whole transcript with the lead it made", async () => {
  await agentWith("agent_pages", { pages: ["/pricing*"], oncePerConversation: true });
  const elsewhere = (await start(stack.url, "agent_pages", `${SITE}/about`)).json.conversationId;
  assert.equal((await say(stack.url, elsewhere, "I want a demo")).json.messages[0].form, undefined, "not on /about");

  const id = (await start(stack.url, "agent_pages", `${SITE}/pricing/pro`)).json.conversationId;
  const shown = (await say(stack.url, id, "I want a demo")).json.messages[0].form;
  assert.equal(shown.name, "contact_form");
  const submitted = await submitAsOwner(stack, {
    toolId: shown.toolId,
    conversationId: id,
    formData: { name: "Conv Visitor", email: "conv@example.com", message: "demo" },
    fieldsCompleted: ["name", "email", "message"],
  });
  assert.equal(submitted.status, 200, submitted.text);
  assert.equal((await say(stack.url, id, "demo again?")).json.messages[0].form, undefined, "once per conversation");

  const list = await ownerRequest(stack, "GET", "/v1/agents/agent_pages/conversations?limit=1");
  assert.equal(list.status, 200, list.text);
  assert.equal(list.json.conversations.length, 1);
  assert.equal(list.json.conversations[0].id, id, "newest first");
  assert.ok(list.json.nextCursor);
  const next = await ownerRequest(stack, "GET", `/v1/agents/agent_pages/conversations?limit=1&cursor=${encodeURIComponent(list.json.nextCursor)}`);
  assert.equal(next.json.conversations[0].id, elsewhere);

  const detail = await ownerRequest(stack, "GET", `/v1/conversations/${id}`);
  assert.equal(detail.status, 200, detail.text);
  assert.deepEqual(
    detail.json.turns.map((t) => `${t.role}:${t.kind}`),
    ["agent:message", "visitor:message", "agent:message", "agent:form_shown", "visitor:form_submitted", "visitor:message", "agent:message"]
  );
  assert.deepEqual(detail.json.turns.map((t) => t.seq), [1, 2, 3, 4, 5, 6, 7]);
  assert.equal(detail.json.turns[3].reason, "explicit_request");
  assert.equal(detail.json.turns[4].submissionId, submitted.json.submissionId);
  assert.deepEqual(detail.json.leadIds, [submitted.json.leadId]);
  const [made] = detail.json.submissions;
  assert.equal(made.id, submitted.json.submissionId);
  // Seed 000's "Form Submissions": the form's name, the values, whether the transcript has it.
  assert.deepEqual([made.toolName, made.formData, made.inTranscript, made.leadId], ["contact_form", { name: "Conv Visitor", email: "conv@example.com", message: "demo" }, true, submitted.json.leadId]);
  assert.equal(
    detail.json.conversation.summary,
    "Asked: I want a demo\nFilled in Talk to us: Name: Conv Visitor; Email: conv@example.com; Message: demo"
  );

  // Deleting the lead deletes the conversation it came from.
  assert.equal((await ownerRequest(stack, "DELETE", `/v1/leads/${submitted.json.leadId}`)).status, 204);
  assert.equal((await ownerRequest(stack, "GET", `/v1/conversations/${id}`)).status, 404);
  assert.equal((await ownerRequest(stack, "GET", `/v1/conversations/${elsewhere}`)).status, 200);
});

test("a conversation two leads came from (a typo email, then the right one) stays until the last of them is deleted", async () => {
  await agentWith("agent_typo");
  const id = (await start(stack.url, "agent_typo")).json.conversationId;
  const send = async (email) => {
    const sent = await submitAsOwner(stack, {
      toolId: "tool_agent_typo_contact",
      conversationId: id,
      formData: { name: "Jane", email },
      fieldsCompleted: ["name", "email"],
    });
    assert.equal(sent.status, 200, sent.text);
    return sent.json.leadId;
  };
  const typo = await send("jane@gmial.com");
  const right = await send("jane@gmail.com");
  // Another agent's form naming this conversation (any id may be named) keeps nothing alive.
  await agentWith("agent_typo_other");
  const other = await submitAsOwner(stack, {
    toolId: "tool_agent_typo_other_contact",
    conversationId: id,
    formData: { name: "Else", email: "else@example.com" },
    fieldsCompleted: ["name", "email"],
  });
  assert.equal(other.status, 200, other.text);
  assert.notEqual(typo, right);
  assert.equal((await ownerRequest(stack, "DELETE", `/v1/leads/${typo}`)).status, 204);
  const kept = await ownerRequest(stack, "GET", `/v1/conversations/${id}`);
  assert.equal(kept.status, 200, "the other lead's transcript stays");
  assert.deepEqual(kept.json.leadIds, [right]);
  assert.deepEqual((await ownerRequest(stack, "GET", `/v1/leads/${right}`)).json.conversationIds, [id]);
  assert.equal((await ownerRequest(stack, "DELETE", `/v1/leads/${right}`)).status, 204);
  assert.equal((await ownerRequest(stack, "GET", `/v1/conversations/${id}`)).status, 404, "gone with its last lead");
});

test("a submission naming another agent's conversation stays out of that conversation", async () => {
  await agentWith("agent_mine");
  await agentWith("agent_theirs");
  const theirs = (await start(stack.url, "agent_theirs")).json.conversationId;
  // A form of agent_mine sent with agent_theirs's conversation id (any id may be named:
  // a site's own chat ids too); it is stored as agent_mine's, as sent.
  const submitted = await submitAsOwner(stack, {
    toolId: "tool_agent_mine_contact",
    conversationId: theirs,
    formData: { name: "Cross Visitor", email: "cross@example.com" },
    fieldsCompleted: ["name", "email"],
  });
  assert.equal(submitted.status, 200, submitted.text);
  const detail = await ownerRequest(stack, "GET", `/v1/conversations/${theirs}`);
  assert.equal(detail.status, 200, detail.text);
  assert.deepEqual(detail.json.submissions, [], "agent_theirs's owner sees none of agent_mine's submissions");
  assert.deepEqual(detail.json.leadIds, []);
  assert.deepEqual(detail.json.turns.map((t) => t.kind), ["message"], "nor a turn in the transcript");
  const lead = await ownerRequest(stack, "GET", `/v1/leads/${submitted.json.leadId}`);
  assert.deepEqual(lead.json.conversations, [{ id: theirs, kept: false, summary: null }], "nor does agent_mine's owner read it");
});

test("bad input gets a clear 4xx and stores nothing", async () => {
  await agentWith("agent_bad");
  await agentWith("agent_other", {}, { allowedOrigins: ["https://other.example"] });
  const id = (await start(stack.url, "agent_bad")).json.conversationId;
  const cases = [
    [{}, 400, "text"],
    [{ text: "   " }, 400, "text"],
    [{ text: 42 }, 400, "text"],
    [{ text: "x".repeat(2001) }, 400, "text"],
    [{ text: "bin\u0000ary\u0007" }, 400, "text"],
    [{ text: "hi", page: 42 }, 400, "page"],
    [{ text: "hi", page: "https://shop.example/" + "p".repeat(2000) }, 400, "page"],
  ];
  for (const [body, status, field] of cases) {
    const res = await say(stack.url, id, undefined, body);
    assert.equal(res.status, status, `${JSON.stringify(body).slice(0, 60)}: ${res.text}`);
    assert.equal(res.json.error.field, field);
  }
  // A page that is not on the web is no page: the message is taken, the address not kept
  // (the dashboard would link it).
  const begun = await start(stack.url, "agent_bad", "file:///home/me/shop.html");
  assert.equal(begun.status, 201, begun.text);
  const offWeb = begun.json.conversationId;
  for (const page of ["javascript:alert(1)", "file:///home/me/shop.html"]) {
    const res = await say(stack.url, offWeb, undefined, { text: "hi", page });
    assert.equal(res.status, 200, res.text);
  }
  const kept = await ownerRequest(stack, "GET", `/v1/conversations/${offWeb}`);
  assert.equal(kept.status, 200, kept.text);
  assert.doesNotMatch(kept.text, /javascript:|file:/);
  const huge = await postJson(`${stack.url}/conversations/${id}/messages`, JSON.stringify({ text: "y".repeat(70_000) }), conversationHeaders(id, { Origin: SITE }));
  assert.equal(huge.status, 413);
  // Another agent's page cannot write into (or read) this conversation.
  const foreign = await say(stack.url, id, "hi", {}, "https://other.example");
  assert.equal(foreign.status, 403);
  assert.equal((await read(stack.url, id, "https://other.example")).status, 403);
  // Its id alone (the owner's webhook, sheet and emails carry it) reads and writes nothing:
  // the token the start answered is needed, this conversation's own.
  const other = (await start(stack.url, "agent_bad")).json;
  for (const [headers, code] of [
    [{ Origin: SITE }, "conversation_token_required"],
    [{ Origin: SITE, "X-Leadform-Conversation-Token": "x".repeat(43) }, "invalid_conversation_token"],
    [{ Origin: SITE, "X-Leadform-Conversation-Token": other.conversationToken }, "invalid_conversation_token"],
  ]) {
    const said = await postJson(`${stack.url}/conversations/${id}/messages`, { text: "hi" }, headers);
    assert.equal(said.status, 401, said.text);
    assert.equal(said.json.error.code, code);
    const got = await fetch(`${stack.url}/conversations/${id}`, { headers });
    assert.equal(got.status, 401);
    assert.equal((await got.json()).error.code, code);
  }
  // A made-up id is refused the same way: whether it exists is not told.
  const madeUp = await postJson(`${stack.url}/conversations/conv_doesnotexist/messages`, { text: "hi" }, { Origin: SITE, "X-Leadform-Conversation-Token": other.conversationToken });
  assert.equal(madeUp.status, 401);
  assert.equal((await start(stack.url, "agent_nope")).status, 404);
  assert.equal((await call(`${stack.url}/conversations`, { agentId: "agent_bad" }, "https://evil.example")).status, 403);
  const detail = await ownerRequest(stack, "GET", `/v1/conversations/${id}`);
  assert.equal(detail.json.turns.length, 1, "only the greeting: nothing refused was stored");
});

test("a conversation quiet for longer than the agent's retention is purged by the cron", async () => {
  await agentWith("agent_retain", {}, { retentionDays: 30 });
  const old = (await start(stack.url, "agent_retain")).json.conversationId;
  const fresh = (await start(stack.url, "agent_retain")).json.conversationId;
  await say(stack.url, old, "hello from long ago");
  await stack.sql(`UPDATE conversations SET updated_at = updated_at - 31 * 86400000 WHERE id = '${old}'`);
  assert.equal((await fetch(`${stack.url}/__scheduled?cron=*+*+*+*+*`)).status, 200);
  assert.equal((await ownerRequest(stack, "GET", `/v1/conversations/${old}`)).status, 404);
  assert.equal((await ownerRequest(stack, "GET", `/v1/conversations/${fresh}`)).status, 200);
  const turns = await stack.sql(`SELECT COUNT(*) AS n FROM conversation_turns WHERE conversation_id = '${old}'`);
  assert.equal(turns[0].results[0].n, 0, "its turns went with it");
});

test("only who holds a conversation writes into it: its id alone (seen in Slack or a CRM) changes neither its summary nor its transcript", async () => {
  await agentWith("agent_held");
  const id = (await start(stack.url, "agent_held")).json.conversationId;
  await say(stack.url, id, "I want a demo");
  const submit = (formData, headers) =>
    postJson(`${stack.url}/form-submissions/submit`, { toolId: "tool_agent_held_contact", conversationId: id, formData, fieldsCompleted: Object.keys(formData) }, headers);
  // The widget sends the conversation's token with its submission.
  const visitor = await submit({ name: "Real Visitor", email: "real@example.com" }, conversationHeaders(id, { Origin: SITE }));
  assert.equal(visitor.status, 200, visitor.text);
  const before = (await ownerRequest(stack, "GET", `/v1/conversations/${id}`)).json;
  assert.match(before.conversation.summary, /Real Visitor/);
  // Someone who only knows the id, from a page of the site or from a server.
  for (const headers of [{ Origin: SITE }, {}, { Origin: SITE, "X-Leadform-Conversation-Token": "forged" }]) {
    const other = await submit({ name: "Not The Visitor", email: "other@example.com", message: "rewritten" }, headers);
    assert.equal(other.status, 200, other.text);
    const stored = (await ownerRequest(stack, "GET", `/v1/submissions/${other.json.submissionId}`)).json.submission;
    assert.equal(stored.conversationId, id, "kept on the submission as sent (seed 002's webhook carries it)");
  }
  const after = (await ownerRequest(stack, "GET", `/v1/conversations/${id}`)).json;
  assert.equal(after.conversation.summary, before.conversation.summary, "the summary is the visitor's");
  assert.deepEqual(after.turns.map((t) => t.kind), before.turns.map((t) => t.kind), "no turn added");
  // Nor is the transcript the stranger's lead's: not shown on it, and not deleted with it
  // (the owner deleting that junk lead would have deleted the visitor's chat).
  const leadOf = async (email) => (await ownerRequest(stack, "GET", `/v1/agents/agent_held/leads?q=${encodeURIComponent(email)}`)).json.leads[0].id;
  const stranger = await leadOf("other@example.com");
  assert.deepEqual((await ownerRequest(stack, "GET", `/v1/leads/${stranger}`)).json.conversationIds, []);
  assert.equal((await ownerRequest(stack, "DELETE", `/v1/leads/${stranger}`)).status, 204);
  assert.equal((await ownerRequest(stack, "GET", `/v1/conversations/${id}`)).status, 200, "the visitor's transcript stays");
  assert.equal((await read(stack.url, id)).status, 200, "and the visitor still reads it");
  // The visitor's own lead is the one it goes with.
  const real = await leadOf("real@example.com");
  assert.deepEqual((await ownerRequest(stack, "GET", `/v1/leads/${real}`)).json.conversationIds, [id]);
  assert.equal((await ownerRequest(stack, "DELETE", `/v1/leads/${real}`)).status, 204);
  assert.equal((await ownerRequest(stack, "GET", `/v1/conversations/${id}`)).status, 404, "deleted with the visitor's lead");
});

test("a conversation nobody wrote in is deleted after a day; one the visitor wrote in is kept", async () => {
  await agentWith("agent_quiet");
  const opened = (await start(stack.url, "agent_quiet")).json.conversationId;
  const talked = (await start(stack.url, "agent_quiet")).json.conversationId;
  await say(stack.url, talked, "hello");
  const today = (await start(stack.url, "agent_quiet")).json.conversationId;
  // A form sent from a page, naming a conversation whose visitor never typed: it holds the lead's summary.
  const formOnly = (await start(stack.url, "agent_quiet")).json.conversationId;
  const sent = await submitAsOwner(stack, {
    toolId: "tool_agent_quiet_contact",
    conversationId: formOnly,
    formData: { name: "Quiet", email: "quiet@example.com" },
    fieldsCompleted: ["name", "email"],
  });
  assert.equal(sent.status, 200, sent.text);
  await stack.sql(`UPDATE conversations SET updated_at = updated_at - 2 * 86400000 WHERE id IN ('${opened}', '${talked}', '${formOnly}')`);
  assert.equal((await fetch(`${stack.url}/__scheduled?cron=*+*+*+*+*`)).status, 200);
  assert.equal((await ownerRequest(stack, "GET", `/v1/conversations/${opened}`)).status, 404, "only its greeting, two days old");
  assert.equal((await ownerRequest(stack, "GET", `/v1/conversations/${talked}`)).status, 200);
  assert.equal((await ownerRequest(stack, "GET", `/v1/conversations/${today}`)).status, 200, "opened today: the visitor may still write");
  assert.equal((await ownerRequest(stack, "GET", `/v1/conversations/${formOnly}`)).status, 200, "a lead came from it");
});

test("with an LLM: its reply is what the visitor reads, its show_form call shows the form, and anything off falls back to the rules", async () => {
  const replies = [
    completion("We sell coffee machines for offices."),
    completion("Let me get you a quote.", showForm({ form: "contact_form", prefill: { name: "Sam" } })),
    completion(null, showForm("{not json")),
    completion(null, showForm({ form: "no_such_form" })),
    "hang",
    500,
  ];
  const llm = await startLlm((_, i) => replies[i]);
  const withLlm = await startStack({ vars: { AGENT_LLM_BASE_URL: llm.url, AGENT_LLM_API_KEY: "sk-test", AGENT_LLM_MODEL: "test-model", AGENT_LLM_TIMEOUT_MS: "1500" } });
  try {
    await ownerRequest(withLlm, "POST", "/v1/agents", {
      body: { id: "agent_llm", name: "Beans", greeting: "Hi!", allowedOrigins: [SITE], instructions: "We sell coffee machines. Be brief." },
    });
    const contact = contactForm(receiver.url + "/hook", { id: "tool_llm_contact", name: "contact_form", description: "When the visitor wants a quote" });
    assert.equal((await ownerRequest(withLlm, "POST", "/v1/agents/agent_llm/tools", { body: contact })).status, 201);
    const id = (await start(withLlm.url, "agent_llm")).json.conversationId;

    const first = (await say(withLlm.url, id, "What do you sell?")).json.messages[0];
    assert.equal(first.text, "We sell coffee machines for offices.");
    assert.equal(first.form, undefined);
    const sent = llm.requests[0];
    assert.equal(sent.url, "/v1/chat/completions");
    assert.equal(sent.headers.authorization, "Bearer sk-test");
    assert.equal(sent.body.model, "test-model");
    assert.match(sent.body.messages[0].content, /We sell coffee machines\. Be brief\./);
    assert.match(sent.body.messages[0].content, /The visitor's language is probably English/, "no Accept-Language here: English");
    assert.match(sent.body.messages[0].content, /contact_form \(Talk to us\): When the visitor wants a quote/);
    assert.deepEqual(sent.body.messages.slice(1).map((m) => m.role), ["assistant", "user"]);
    assert.deepEqual(sent.body.tools[0].function.parameters.properties.form.enum, ["contact_form"]);

    const second = (await say(withLlm.url, id, "How much for 3 machines? I'm Sam")).json.messages[0];
    assert.equal(second.text, "Let me get you a quote.");
    assert.equal(second.form.name, "contact_form");
    assert.deepEqual(second.form.prefill, { name: "Sam" });

    // Malformed arguments, an unknown form, a hang past the time-out, a 500: the chat goes
    // on by the rules (here the trigger word "quote" shows the form; "hello" shows none).
    for (const text of ["a quote please", "a quote please", "a quote please"]) {
      const reply = (await say(withLlm.url, id, text)).json.messages[0];
      assert.equal(reply.form?.name, "contact_form", text);
      assert.ok(reply.text.length > 0);
    }
    const afterError = (await say(withLlm.url, id, "hello")).json.messages[0];
    assert.equal(afterError.form, undefined);
    assert.match(afterError.text, /Thanks for your message/);
    assert.equal(llm.requests.length, 6);

    const detail = await ownerRequest(withLlm, "GET", `/v1/conversations/${id}`);
    const reasons = detail.json.turns.filter((t) => t.kind === "form_shown").map((t) => t.reason);
    assert.deepEqual(reasons, ["llm", "trigger", "trigger", "trigger"]);
  } finally {
    await withLlm.stop();
    await llm.stop();
  }
});
