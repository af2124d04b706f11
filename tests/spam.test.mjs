// Spam is quarantined, not dropped (issue "open to the internet", item 3), against the real
// local runtime: the widget config's display token, the hidden honeypot field, a fill faster
// than a person, a token reused beyond its widget load and content signals make a spam score;
// a quarantined submission is not delivered, makes no lead, is not counted, is visible to
// the owner with its reasons, and is delivered exactly once when released. API-only
// submissions (seed 002's call, no token) keep working.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startStack, startReceiver, contactForm, seedSubmit, postJson, ownerRequest, fileDataUrl, PNG_1X1 } from "./support/stack.mjs";

let stack;
let receiver;
const AGENT = "agent_spam";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const submit = (body) => postJson(stack.url + "/form-submissions/submit", body);
const event = (body) => postJson(stack.url + "/form-submissions/events", body);

before(async () => {
  stack = await startStack({ vars: { RETRY_SCHEDULE_SECS: "0,1" } });
  receiver = await startReceiver();
  for (const id of [AGENT, "agent_elsewhere"]) {
    assert.equal((await stack.owner("POST", "/v1/agents", { id, name: id })).status, 201);
  }
  const tools = [
    contactForm(receiver.url + "/hook"),
    contactForm(receiver.url + "/client", {
      id: "tool_spam_client",
      name: "spam_client",
      executionMode: "client",
      webhookUrl: undefined,
      postActions: [{ type: "webhook", url: receiver.url + "/post-action" }],
    }),
  ];
  for (const tool of tools) {
    const made = await stack.owner("POST", `/v1/agents/${AGENT}/tools`, tool);
    assert.equal(made.status, 201, JSON.stringify(made.body));
  }
});

after(async () => {
  await receiver?.stop();
  await stack?.stop();
});

/** A widget load: the config's display token. */
async function widgetLoad(agentId = AGENT) {
  const res = await fetch(`${stack.url}/widget/config?agentId=${agentId}`);
  assert.equal(res.status, 200);
  const config = await res.json();
  assert.match(config.displayToken, /^\d{13}\.[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$/);
  return config.displayToken;
}

async function analytics(toolId) {
  const res = await ownerRequest(stack, "GET", `/form-submissions/analytics?agentId=${AGENT}`);
  assert.equal(res.status, 200, res.text);
  return res.json.analytics.find((a) => a.toolId === toolId);
}

const detail = async (id) => (await stack.owner("GET", `/v1/submissions/${id}`)).body;
const hooksFor = (submissionId) => receiver.requests.filter((r) => r.json?.submissionId === submissionId);
const person = (n) => ({ name: `Person ${n}`, email: `person${n}@example.com`, message: "Could we talk about pricing?" });

test("a filled honeypot is quarantined with its reason: the answer looks normal, nothing is delivered or counted", async () => {
  const before = await analytics("tool_contact_form");
  const counters = (await stack.owner("GET", `/v1/agents/${AGENT}/leads/counters`)).body;
  const res = await submit(seedSubmit({
    toolId: "tool_contact_form",
    formData: { name: "Bot", email: "bot@example.com", message: "hello", fax_number: "+1 555 0100" },
    fieldsCompleted: ["name", "email", "message", "fax_number"],
  }));
  assert.equal(res.status, 200, res.text);
  // What any submission answers while its webhook is on its way.
  assert.equal(res.json.success, true);
  assert.match(res.json.submissionId, /^sub_/);
  assert.equal(res.json.leadId, undefined, "no answer names a lead (but to the owner)");
  assert.deepEqual(res.json.webhookResult, { success: false, error: null, pending: true });
  assert.deepEqual(res.json.postActionResults, []);

  const shown = await detail(res.json.submissionId);
  const s = shown.submission;
  assert.equal(s.status, "spam");
  assert.equal(s.leadId, null, "no lead until released");
  assert.deepEqual(s.formData, { name: "Bot", email: "bot@example.com", message: "hello" }, "the trap is no field");
  assert.deepEqual(s.fieldsCompleted, ["name", "email", "message"]);
  assert.equal(s.spam.score, 10);
  assert.equal(s.spam.threshold, 5);
  assert.equal(s.spam.releasedAt, null);
  assert.deepEqual(s.spam.reasons.map((r) => [r.signal, r.points]), [["honeypot", 10]]);
  assert.match(s.spam.reasons[0].detail, /fax_number/);
  assert.deepEqual(shown.deliveries, []);

  await sleep(1_000);
  assert.deepEqual(hooksFor(res.json.submissionId), [], "not delivered");
  const after = await analytics("tool_contact_form");
  assert.equal(after.submitted, before.submitted, "not counted");
  assert.deepEqual((await stack.owner("GET", `/v1/agents/${AGENT}/leads/counters`)).body, counters, "no lead");

  // The owner's spam folder: status=spam lists it; the default list leaves it out.
  const folder = (await stack.owner("GET", `/v1/agents/${AGENT}/submissions?status=spam`)).body.submissions;
  assert.ok(folder.some((x) => x.id === s.id));
  const inbox = (await stack.owner("GET", `/v1/agents/${AGENT}/submissions`)).body.submissions;
  assert.ok(!inbox.some((x) => x.id === s.id));
});

test("content signals add up: links and spam words make spam, either alone does not", async () => {
  const pushy = await submit(seedSubmit({
    toolId: "tool_contact_form",
    formData: { name: "Al", email: "al@example.com", message: "Best casino bonus http://a.test http://b.test www.c.test" },
    fieldsCompleted: [],
  }));
  const caught = (await detail(pushy.json.submissionId)).submission;
  assert.equal(caught.status, "spam");
  assert.deepEqual(caught.spam.reasons.map((r) => [r.signal, r.points]), [["many_links", 3], ["spam_words", 2]]);

  const linky = await submit(seedSubmit({
    toolId: "tool_contact_form",
    formData: { name: "Al", email: "al2@example.com", message: "Our sites: http://a.test http://b.test http://c.test" },
    fieldsCompleted: [],
  }));
  const kept = await stack.waitForStatus(linky.json.submissionId, ["webhook_success"]);
  assert.equal(kept.submission.spam, null);
  assert.equal(hooksFor(linky.json.submissionId).length, 1);

  // Three spam words are spam on their own.
  const wordy = await submit(seedSubmit({
    toolId: "tool_contact_form",
    formData: { name: "Al", email: "al3@example.com", message: "Casino, viagra and backlinks: click here" },
    fieldsCompleted: [],
  }));
  const words = (await detail(wordy.json.submissionId)).submission;
  assert.equal(words.status, "spam");
  assert.deepEqual(words.spam.reasons.map((r) => [r.signal, r.points]), [["spam_words", 6]]);

  // Sent from a web page without the display token the widget always sends: a weak signal,
  // spam with two spam words; the same from a server (no Origin, seed 002's call) is not.
  assert.equal((await stack.owner("PATCH", `/v1/agents/${AGENT}`, { allowedOrigins: ["https://shop.example"] })).status, 200);
  const pushyText = { name: "Al", email: "al4@example.com", message: "Best casino bonus, click here" };
  const fromPage = await postJson(stack.url + "/form-submissions/submit", seedSubmit({ formData: pushyText, fieldsCompleted: [] }), { Origin: "https://shop.example" });
  assert.equal(fromPage.status, 200, fromPage.text);
  const paged = (await detail(fromPage.json.submissionId)).submission;
  assert.equal(paged.status, "spam");
  assert.deepEqual(paged.spam.reasons.map((r) => [r.signal, r.points]), [["no_display_token", 2], ["spam_words", 4]]);
  const fromServer = await submit(seedSubmit({ formData: { ...pushyText, email: "al5@example.com" }, fieldsCompleted: [] }));
  const served = await stack.waitForStatus(fromServer.json.submissionId, ["webhook_success"]);
  assert.equal(served.submission.spam, null);
  // A plain message from a page without a token is delivered: 2 points are under 5.
  const plainPage = await postJson(stack.url + "/form-submissions/submit", seedSubmit({ formData: person(40), fieldsCompleted: [] }), { Origin: "https://shop.example" });
  const plain = await stack.waitForStatus(plainPage.json.submissionId, ["webhook_success"]);
  assert.equal(plain.submission.spam, null);
});

test("a fill faster than a person is spam; a human pace with the same token is not; a token reused beyond its load is", async () => {
  const token = await widgetLoad();
  // The widget shows the form and reports the impression with its token; a bot sends at once.
  assert.equal((await event({ toolId: "tool_contact_form", displayId: "d_fast", type: "impression", displayToken: token })).status, 202);
  // (It says it typed, as seed 002's body does: `startedAt`.)
  const fast = await submit({ toolId: "tool_contact_form", formData: person(1), fieldsCompleted: ["name"], startedAt: Date.now(), idempotencyKey: "d_fast", displayToken: token });
  assert.equal(fast.status, 200, fast.text);
  const caught = (await detail(fast.json.submissionId)).submission;
  assert.equal(caught.status, "spam");
  assert.deepEqual(caught.spam.reasons.map((r) => [r.signal, r.points]), [["too_fast", 5]]);
  assert.match(caught.spam.reasons[0].detail, /ms after the form was shown/);

  // A person reads and types for a few seconds: three submissions from one widget load.
  await sleep(3_100);
  const ids = [];
  for (const n of [2, 3]) {
    const res = await submit({ toolId: "tool_contact_form", formData: person(n), fieldsCompleted: ["name", "email"], idempotencyKey: `d_slow_${n}`, displayToken: token });
    assert.equal(res.status, 200, res.text);
    ids.push(res.json.submissionId);
  }
  // A retry of the same display returns its first answer and is no new use of the token.
  const again = await submit({ toolId: "tool_contact_form", formData: person(3), fieldsCompleted: ["name", "email"], idempotencyKey: "d_slow_3", displayToken: token });
  assert.equal(again.json.submissionId, ids[1]);
  for (const id of ids) {
    const { submission } = await stack.waitForStatus(id, ["webhook_success"]);
    assert.equal(submission.spam, null);
    assert.equal(hooksFor(id).length, 1);
  }
  // d_fast, d_slow_2 and d_slow_3 used the token: a fourth display of one widget load is too many.
  const reused = await submit({ toolId: "tool_contact_form", formData: person(4), fieldsCompleted: [], idempotencyKey: "d_slow_4", displayToken: token });
  const overused = (await detail(reused.json.submissionId)).submission;
  assert.equal(overused.status, "spam");
  assert.deepEqual(overused.spam.reasons.map((r) => r.signal), ["token_reused"]);
  assert.match(overused.spam.reasons[0].detail, /already made 3 submissions/);
});

test("each answer to a widget's submission renews its display token; a made-up token or none gets no token", async () => {
  let token = await widgetLoad();
  await sleep(3_100);
  const seen = new Set([token]);
  // A page that stays open: five submissions in a row, each with the token the last gave.
  for (const n of [11, 12, 13, 14, 15]) {
    const res = await submit({ toolId: "tool_contact_form", formData: person(n), fieldsCompleted: ["name"], idempotencyKey: `d_renew_${n}`, displayToken: token });
    assert.equal(res.status, 200, res.text);
    assert.match(res.json.displayToken, /^\d{13}\.[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$/);
    assert.ok(!seen.has(res.json.displayToken), "a fresh token");
    seen.add(res.json.displayToken);
    assert.equal((await detail(res.json.submissionId)).submission.spam, null, `submission ${n}`);
    token = res.json.displayToken;
    // Its first use comes a quick person's second after it was given (under 3 s: 3 points,
    // not spam on its own).
    await sleep(1_100);
  }
  const forged = await submit({ toolId: "tool_contact_form", formData: person(16), fieldsCompleted: ["name"], displayToken: `${Date.now()}.00ff00ff00ff00ff.${"A".repeat(43)}` });
  assert.equal(forged.status, 200, forged.text);
  assert.equal(forged.json.displayToken, undefined);
  const api = await submit(seedSubmit());
  assert.equal(api.status, 200, api.text);
  assert.deepEqual(Object.keys(api.json), ["success", "submissionId", "executionMode", "webhookResult", "postActionResults", "clientHandler"], "seed 002's shape");
});

test("events count only with a display token the edge issued for the form's agent", async () => {
  const token = await widgetLoad();
  const elsewhere = await widgetLoad("agent_elsewhere");
  const before = await analytics("tool_contact_form");
  const base = { toolId: "tool_contact_form", displayId: "d_events", type: "impression" };
  const tampered = token.replace(/\.(.)/, (_, c) => `.${c === "0" ? "1" : "0"}`);
  for (const [displayToken, reason] of [
    [undefined, /is required/],
    ["", /is required/],
    [tampered, /not a display token this edge issued/],
    [elsewhere, /not a display token this edge issued/],
    ["1700000000000.0123456789abcdef.forged", /not a display token this edge issued/],
  ]) {
    const res = await event({ ...base, displayToken });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json.error.code, "invalid_field");
    assert.equal(res.json.error.field, "displayToken");
    assert.match(res.json.error.message, reason);
  }
  assert.equal((await analytics("tool_contact_form")).impressions, before.impressions, "no forged display counted");
  // lastField is a field's name (or null), else the event is a 400 naming it (nothing recorded).
  for (const lastField of [7, true, ["name"], { name: 1 }]) {
    const res = await event({ ...base, type: "dismiss", displayToken: token, lastField });
    assert.equal(res.status, 400, `${JSON.stringify(lastField)}: ${res.text}`);
    assert.equal(res.json.error.field, "lastField");
  }
  assert.equal((await analytics("tool_contact_form")).dismissed, before.dismissed, "no refused dismissal counted");
  assert.equal((await event({ ...base, displayToken: token })).status, 202);
  assert.equal((await event({ ...base, type: "start", displayToken: token })).status, 202);
  const counted = await analytics("tool_contact_form");
  assert.deepEqual([counted.impressions - before.impressions, counted.started - before.started], [1, 1]);

  // A submission naming a display without a token (API-only) counts as submitted, and implies
  // no impression: only the edge's own displays are counted.
  const api = await submit(seedSubmit({ toolId: "tool_contact_form", formData: person(5), fieldsCompleted: [], idempotencyKey: "d_api_only" }));
  await stack.waitForStatus(api.json.submissionId, ["webhook_success"]);
  const after = await analytics("tool_contact_form");
  assert.deepEqual(
    [after.impressions - counted.impressions, after.started - counted.started, after.submitted - counted.submitted],
    [0, 0, 1],
  );
  // A forged token on a submission is a signal (3 points), not a refusal: alone it is no spam.
  const forged = await submit(seedSubmit({ toolId: "tool_contact_form", formData: person(6), fieldsCompleted: [], displayToken: tampered }));
  assert.equal((await stack.waitForStatus(forged.json.submissionId, ["webhook_success"])).submission.spam, null);
});

test("a start or a dismissal whose impression was lost counts the impression too: never more starts than displays", async () => {
  const token = await widgetLoad();
  const before = await analytics("tool_contact_form");
  const shown = (displayId, type) => event({ toolId: "tool_contact_form", displayId, type, displayToken: token });
  // The impression never arrived (a flaky connection, a blocker): the start and the dismissal
  // still tell the form was shown, once each.
  assert.equal((await shown("d_lost_impression", "start")).status, 202);
  assert.equal((await shown("d_lost_impression", "impression")).status, 202, "the late impression is a repeat");
  assert.equal((await shown("d_dismissed_only", "dismiss")).status, 202);
  assert.equal((await shown("d_dismissed_only", "dismiss")).status, 202);
  const after = await analytics("tool_contact_form");
  assert.deepEqual(
    [after.impressions - before.impressions, after.started - before.started, after.dismissed - before.dismissed],
    [2, 1, 1],
  );
  assert.ok(after.started <= after.impressions, `${after.started} starts of ${after.impressions} displays`);
});

test("one display token counts at most 20 displays: display ids made up past it are not counted", async () => {
  const token = await widgetLoad();
  const before = await analytics("tool_contact_form");
  const shown = (i, type, displayToken = token) =>
    event({ toolId: "tool_contact_form", displayId: `d_many_${i}`, type, displayToken });
  for (let i = 0; i < 25; i++) {
    const res = await shown(i, "impression");
    assert.equal(res.status, 202, res.text);
  }
  // A display the token counted goes on counting (its start); one past the cap does not.
  for (const i of [0, 24]) assert.equal((await shown(i, "start")).status, 202);
  const after = await analytics("tool_contact_form");
  assert.deepEqual([after.impressions - before.impressions, after.started - before.started], [20, 1]);
  // The next widget load (a new page view) counts displays of its own.
  assert.equal((await shown("next", "impression", await widgetLoad())).status, 202);
  assert.equal((await analytics("tool_contact_form")).impressions - after.impressions, 1);
});

test("release delivers a quarantined submission once, as if just submitted: lead, webhook, analytics", async () => {
  const res = await submit(seedSubmit({
    toolId: "tool_contact_form",
    formData: { ...person(7), fax_number: "x" },
    fieldsCompleted: ["name", "email"],
  }));
  const id = res.json.submissionId;
  assert.equal((await detail(id)).submission.status, "spam");
  const before = await analytics("tool_contact_form");

  // Releasing is a write: a read-only key may not.
  const reader = await stack.owner("POST", "/v1/keys", { name: "reader", scopes: ["leads:read"] });
  const denied = await ownerRequest(stack, "POST", `/v1/submissions/${id}/release`, { key: reader.body.key });
  assert.equal(denied.status, 403, denied.text);
  assert.equal(denied.json.error.code, "missing_scope");

  const released = await stack.owner("POST", `/v1/submissions/${id}/release`);
  assert.equal(released.status, 200, JSON.stringify(released.body));
  const s = released.body.submission;
  assert.notEqual(s.status, "spam");
  assert.match(s.leadId, /^lead_/);
  assert.equal(s.spam.score, 10, "the verdict stays, for the record");
  assert.ok(s.spam.releasedAt >= s.submittedAt);
  assert.equal(released.body.deliveries.length, 1);

  const delivered = await stack.waitForStatus(id, ["webhook_success"]);
  assert.equal(delivered.submission.result, "successful");
  assert.deepEqual(hooksFor(id).map((r) => r.json.formData), [{ name: "Person 7", email: "person7@example.com", message: "Could we talk about pricing?" }]);

  // A second release (or one of a submission that never was spam) is refused: one delivery.
  const twice = await stack.owner("POST", `/v1/submissions/${id}/release`);
  assert.equal(twice.status, 409);
  assert.equal(twice.body.error.code, "not_spam");
  const clean = await submit(seedSubmit({ toolId: "tool_contact_form", formData: person(8), fieldsCompleted: [] }));
  assert.equal((await stack.owner("POST", `/v1/submissions/${clean.json.submissionId}/release`)).status, 409);
  assert.equal((await stack.owner("POST", "/v1/submissions/sub_nope/release")).status, 404);
  await sleep(1_000);
  assert.equal(hooksFor(id).length, 1, "delivered exactly once");

  const lead = (await stack.owner("GET", `/v1/leads/${s.leadId}`)).body;
  assert.equal(lead.lead.email, "person7@example.com");
  assert.deepEqual(lead.submissions.map((x) => x.id), [id]);
  const after = await analytics("tool_contact_form");
  assert.equal(after.submitted, before.submitted + 2, "the released one and the clean one");
  assert.ok(after.successful >= before.successful + 1);
  const inbox = (await stack.owner("GET", `/v1/agents/${AGENT}/submissions?leadId=${s.leadId}`)).body.submissions;
  assert.deepEqual(inbox.map((x) => x.id), [id]);
});

test("drop-off is started displays left unsent: a quarantined one is a drop-off until released, and an API submission fills in none", async () => {
  const token = await widgetLoad();
  const before = await analytics("tool_contact_form");
  for (const type of ["impression", "start"]) {
    assert.equal((await event({ toolId: "tool_contact_form", displayId: "d_dropped", type, displayToken: token })).status, 202);
  }
  const started = await analytics("tool_contact_form");
  assert.deepEqual([started.started - before.started, started.dropOff - before.dropOff], [1, 1]);

  // Its submission trips the honeypot: quarantined, so not counted, and the display is still
  // started and unsent.
  const caught = await submit(seedSubmit({
    toolId: "tool_contact_form",
    formData: { ...person(21), fax_number: "x" },
    fieldsCompleted: ["name", "email"],
    idempotencyKey: "d_dropped",
    displayToken: token,
  }));
  assert.equal((await detail(caught.json.submissionId)).submission.status, "spam");
  // Two submissions through the API alone (no display): submitted, but no drop-off filled in.
  for (const n of [22, 23]) {
    const res = await submit(seedSubmit({ toolId: "tool_contact_form", formData: person(n), fieldsCompleted: [] }));
    assert.equal(res.status, 200, res.text);
  }
  const quarantined = await analytics("tool_contact_form");
  assert.deepEqual(
    [quarantined.submitted - started.submitted, quarantined.dropOff - started.dropOff],
    [2, 0],
  );

  // Released, it is the display's submission: no longer a drop-off.
  assert.equal((await stack.owner("POST", `/v1/submissions/${caught.json.submissionId}/release`)).status, 200);
  const released = await analytics("tool_contact_form");
  assert.deepEqual(
    [released.submitted - quarantined.submitted, released.dropOff - quarantined.dropOff, released.started - quarantined.started],
    [1, -1, 0],
  );
});

test("a quarantined submission closes its form in the chat; release leaves the summary and follows the tool's mode as it is now, without a client part the page never had", async () => {
  const made = await stack.owner("POST", `/v1/agents/${AGENT}/tools`, contactForm(receiver.url + "/chat-hook", { id: "tool_spam_chat", name: "spam_chat", triggers: ["zebrafish"] }));
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const started = (await postJson(stack.url + "/conversations", { agentId: AGENT })).json;
  const chat = started.conversationId;
  const token = { "X-Leadform-Conversation-Token": started.conversationToken };
  const said = await postJson(`${stack.url}/conversations/${chat}/messages`, { text: "Zebrafish for ten labs?" }, token);
  assert.equal(said.json.messages.at(-1).form?.name, "spam_chat", said.text);
  const offered = async () => (await fetch(`${stack.url}/conversations/${chat}`, { headers: token }).then((r) => r.json())).messages.filter((m) => m.form);
  assert.equal((await offered()).length, 1, "the form is open in the chat");
  const res = await postJson(stack.url + "/form-submissions/submit", seedSubmit({ toolId: "tool_spam_chat", conversationId: chat, formData: { ...person(11), fax_number: "x" }, fieldsCompleted: [] }), token);
  const id = res.json.submissionId;
  assert.equal((await detail(id)).submission.status, "spam");
  // As after any submission: the next page of the visit does not bring the form back.
  assert.deepEqual(await offered(), []);
  const transcript = async () => (await stack.owner("GET", `/v1/conversations/${chat}`)).body;
  assert.equal((await transcript()).conversation.summary, null, "no summary while it is spam");

  // The owner makes the form client-mode, then releases: no webhook any more, and no page
  // handler either (no page was told of one when it was sent): it ends as stored.
  assert.equal((await stack.owner("PATCH", "/v1/tools/tool_spam_chat", { executionMode: "client" })).status, 200);
  const released = await stack.owner("POST", `/v1/submissions/${id}/release`);
  assert.equal(released.status, 200, JSON.stringify(released.body));
  assert.equal(released.body.submission.executionMode, "store");
  assert.equal(released.body.submission.result, "successful", "not waiting for a report that cannot come");
  assert.equal(released.body.deliveries.length, 0, "no webhook for a client form");
  assert.match((await transcript()).conversation.summary, /^Asked: Zebrafish for ten labs\?\nFilled in .*Person 11/);
  assert.equal(hooksFor(id).length, 0);
});

test("a caught submission naming someone else's conversation (its id, without its token) leaves that chat alone, released too", async () => {
  const started = (await postJson(stack.url + "/conversations", { agentId: AGENT })).json;
  const chat = started.conversationId;
  const token = { "X-Leadform-Conversation-Token": started.conversationToken };
  const said = await postJson(`${stack.url}/conversations/${chat}/messages`, { text: "Zebrafish for my lab?" }, token);
  assert.equal(said.json.messages.at(-1).form?.name, "spam_chat", said.text);
  // The id shows in Slack, email and sheets; a bot fills the trap to be caught on purpose.
  const res = await postJson(stack.url + "/form-submissions/submit", seedSubmit({ toolId: "tool_spam_chat", conversationId: chat, formData: { ...person(12), fax_number: "x" }, fieldsCompleted: [] }));
  assert.equal(res.status, 200, res.text);
  const id = res.json.submissionId;
  assert.equal((await detail(id)).submission.status, "spam");
  const conversation = async () => (await stack.owner("GET", `/v1/conversations/${chat}`)).body;
  const open = async () => (await fetch(`${stack.url}/conversations/${chat}`, { headers: token }).then((r) => r.json())).messages.filter((m) => m.form);
  assert.equal((await open()).length, 1, "the visitor's form is still open");
  assert.deepEqual((await conversation()).turns.filter((t) => t.kind === "form_submitted"), []);
  // The owner still sees it named the conversation, marked as not part of it.
  assert.deepEqual((await conversation()).submissions.map((s) => [s.id, s.status, s.inTranscript]), [[id, "spam", false]]);
  const released = await stack.owner("POST", `/v1/submissions/${id}/release`);
  assert.equal(released.status, 200, JSON.stringify(released.body));
  assert.equal((await conversation()).conversation.summary, null, "no summary of a stranger's data on the visitor's chat");
  assert.equal((await open()).length, 1);
});

test("client mode: the page's handler may report on a quarantined submission; release delivers the post-action", async () => {
  const res = await submit(seedSubmit({
    toolId: "tool_spam_client",
    formData: { ...person(9), fax_number: "filled" },
    fieldsCompleted: [],
  }));
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.clientHandler, "spam_client");
  assert.match(res.json.clientToken, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(res.json.webhookResult, null);
  assert.deepEqual(res.json.postActionResults, [{ type: "webhook", success: false, error: null, pending: true }]);
  const id = res.json.submissionId;
  const reported = await postJson(stack.url + "/form-submissions/client-result", { submissionId: id, success: true }, { "X-Leadform-Client-Token": res.json.clientToken });
  assert.equal(reported.status, 200, reported.text);
  assert.equal(reported.json.status, "client_success", "the page hears what any page hears");
  const held = (await detail(id)).submission;
  assert.deepEqual([held.status, held.clientOutcome, held.result], ["spam", "succeeded", null]);
  await sleep(500);
  assert.deepEqual(hooksFor(id), []);

  const released = await stack.owner("POST", `/v1/submissions/${id}/release`);
  assert.equal(released.status, 200, JSON.stringify(released.body));
  assert.equal(released.body.submission.status, "client_success");
  assert.equal(released.body.submission.result, "successful");
  await stack.waitForStatus(id, ["client_success"]);
  for (let i = 0; i < 50 && hooksFor(id).length === 0; i++) await sleep(100);
  assert.deepEqual(hooksFor(id).map((r) => r.url), ["/post-action"]);
});

test("a tool's spamThreshold moves the line; seed 002's API-only call is accepted and delivered", async () => {
  const bad = await stack.owner("PATCH", "/v1/tools/tool_contact_form", { spamThreshold: 0 });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.field, "spamThreshold");
  const reserved = await stack.owner("POST", `/v1/agents/${AGENT}/tools`, contactForm(receiver.url + "/x", { id: "tool_trap", name: "trap", fields: [{ name: "fax_number" }] }));
  assert.equal(reserved.status, 400);
  assert.equal(reserved.body.error.field, "fields[0].name");

  const lenient = await stack.owner("POST", `/v1/agents/${AGENT}/tools`, contactForm(receiver.url + "/lenient", { id: "tool_lenient", name: "lenient", spamThreshold: 20 }));
  assert.equal(lenient.status, 201, JSON.stringify(lenient.body));
  assert.equal(lenient.body.spamThreshold, 20);
  const trapped = await submit(seedSubmit({ toolId: "tool_lenient", formData: { ...person(10), fax_number: "x" }, fieldsCompleted: [] }));
  const kept = await stack.waitForStatus(trapped.json.submissionId, ["webhook_success"]);
  assert.equal(kept.submission.spam, null, "10 points are under this tool's 20");

  // Seed 002's curl example, as written: no token, no widget.
  const seed = await submit(seedSubmit());
  assert.equal(seed.status, 200, seed.text);
  const delivered = await stack.waitForStatus(seed.json.submissionId, ["webhook_success"]);
  assert.equal(delivered.submission.spam, null);
  assert.equal(delivered.submission.source, "api");
  assert.equal(hooksFor(seed.json.submissionId).length, 1);
});

test("spam left in the spam folder for 30 days goes with its files; one released in time stays", async () => {
  const made = await stack.owner("POST", `/v1/agents/${AGENT}/tools`, contactForm(receiver.url + "/hook", {
    id: "tool_spam_files",
    name: "spam_files",
    fields: [
      { name: "name", type: "text" },
      { name: "email", type: "email", required: true },
      { name: "deck", type: "file" },
    ],
  }));
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const trapped = async (email) => {
    const res = await submit({
      toolId: "tool_spam_files",
      formData: { name: "Bot", email, deck: fileDataUrl("image/png", PNG_1X1, "deck.png"), fax_number: "+1 555 0100" },
      fieldsCompleted: ["name", "email", "deck", "fax_number"],
    });
    assert.equal(res.status, 200, res.text);
    assert.equal((await detail(res.json.submissionId)).submission.status, "spam");
    return res.json.submissionId;
  };
  const left = await trapped("left@spam.example");
  const released = await trapped("released@spam.example");
  const recent = await trapped("recent@spam.example");
  assert.deepEqual(await stack.r2Keys(`${left}/`), [`${left}/deck`], "a quarantined upload is kept for review");
  assert.equal((await stack.owner("POST", `/v1/submissions/${released}/release`)).status, 200);
  await stack.sql(`UPDATE submissions SET submitted_at = submitted_at - 31 * 86400000 WHERE id IN ('${left}', '${released}')`);
  assert.equal((await fetch(`${stack.url}/__scheduled?cron=*+*+*+*+*`)).status, 200);

  assert.equal((await stack.owner("GET", `/v1/submissions/${left}`)).status, 404);
  assert.deepEqual(await stack.r2Keys(`${left}/`), [], "its file went with it");
  for (const kept of [released, recent]) {
    assert.equal((await stack.owner("GET", `/v1/submissions/${kept}`)).status, 200, kept);
    assert.deepEqual(await stack.r2Keys(`${kept}/`), [`${kept}/deck`], kept);
  }
});
