// A usual submit writes in one D1 round trip, planned on what the edge's isolate expects to
// read, with a guard that checks it in the same transaction (edge/src/routes/submit/guess.rs).
// These are the cases where the expectation is wrong, each right after submits that made the
// isolate expect otherwise: the visitor and the owner must see exactly what they would have
// without the guess.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startStack, startReceiver, postJson, waitUntil, asOwner } from "./support/stack.mjs";

let stack;
let receiver;
const AGENT = "agent_guess";
const TOOL = "tool_guess";
const PAGE = "https://shop.example";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let people = 0;

before(async () => {
  stack = await startStack({ vars: { RETRY_SCHEDULE_SECS: "0,1" } });
  receiver = await startReceiver();
  assert.equal((await stack.owner("POST", "/v1/agents", { id: AGENT, name: "guess", allowedOrigins: [PAGE] })).status, 201);
  const tool = await stack.owner("POST", `/v1/agents/${AGENT}/tools`, {
    id: TOOL,
    name: "guess_form",
    title: "Talk to us",
    fields: [
      { name: "name", type: "text", required: true },
      { name: "email", type: "email", required: true },
    ],
    executionMode: "client",
  });
  assert.equal(tool.status, 201, JSON.stringify(tool.body));
});

after(async () => {
  await receiver?.stop();
  await stack?.stop();
});

/** Submits as a page on `origin` would; a new person unless `email` is given. */
async function submit({ email, origin = PAGE, ...rest } = {}) {
  people += 1;
  const formData = { name: `Person ${people}`, email: email ?? `person${people}@guess.example` };
  return postJson(stack.url + "/form-submissions/submit", { toolId: TOOL, formData, fieldsCompleted: ["name", "email"], ...rest }, asOwner(stack, origin ? { Origin: origin } : {}));
}

async function accepted(options) {
  const res = await submit(options);
  assert.equal(res.status, 200, res.text);
  return res.json;
}

test("a tool or agent changed after the isolate read it is used at once", async () => {
  const before = await accepted();
  assert.equal(before.clientHandler, "guess_form");
  assert.equal(before.webhookResult, null);

  // Now a webhook form: the next submit is delivered and its answer says how it went.
  const patched = await stack.owner("PATCH", `/v1/tools/${TOOL}`, { executionMode: "webhook", webhookUrl: receiver.url + "/hook" });
  assert.equal(patched.status, 200, JSON.stringify(patched.body));
  const after = await accepted();
  assert.equal(after.executionMode, "webhook");
  assert.equal(after.clientHandler, null);
  assert.notEqual(after.webhookResult, null);
  await waitUntil(() => receiver.requests.find((r) => r.url === "/hook" && r.json?.submissionId === after.submissionId), { message: "the webhook" });
  assert.equal((await stack.owner("PATCH", `/v1/tools/${TOOL}`, { executionMode: "client", webhookUrl: null })).status, 200);
  assert.equal((await accepted()).webhookResult, null);

  // The agent no longer allows the page: refused, though the isolate last saw it allowed.
  assert.equal((await stack.owner("PATCH", `/v1/agents/${AGENT}`, { allowedOrigins: ["https://elsewhere.example"] })).status, 200);
  const refused = await submit();
  assert.equal(refused.status, 403, refused.text);
  assert.equal(refused.json.error.code, "origin_not_allowed");
  assert.equal((await stack.owner("PATCH", `/v1/agents/${AGENT}`, { allowedOrigins: [PAGE] })).status, 200);
  await accepted();
});

test("a returning person updates their lead; a replay answers the first submission", async () => {
  const back = { name: "Back Again", email: "back@guess.example" };
  const first = await accepted({ formData: back, idempotencyKey: "display_back" });
  await accepted();
  const again = await accepted({ email: "back@guess.example" });
  assert.equal(again.leadId, first.leadId);
  const lead = await stack.owner("GET", `/v1/leads/${first.leadId}`);
  assert.equal(lead.status, 200, JSON.stringify(lead.body));
  assert.equal(lead.body.lead.submissionCount, 2);

  const replay = await accepted({ formData: back, idempotencyKey: "display_back" });
  assert.equal(replay.submissionId, first.submissionId);
  assert.equal(replay.leadId, first.leadId);
  // Other answers under the same key are no replay: refused, not answered with the first.
  const other = await submit({ email: "someone-else@guess.example", idempotencyKey: "display_back" });
  assert.equal(other.status, 409, other.text);
  assert.equal(other.json.error.field, "idempotencyKey");
});

test("lead events reach an endpoint added after earlier submits", async () => {
  await accepted();
  const endpoint = await stack.owner("POST", `/v1/agents/${AGENT}/lead-webhooks`, { url: receiver.url + "/lead-events" });
  assert.equal(endpoint.status, 201, JSON.stringify(endpoint.body));
  const made = await accepted();
  await waitUntil(
    () => receiver.requests.find((r) => r.url === "/lead-events" && r.json?.type === "lead.created" && r.json?.data?.lead?.id === made.leadId),
    { message: "lead.created for the new lead" },
  );
  const removed = await fetch(`${stack.url}/v1/lead-webhooks/${endpoint.body.id}`, { method: "DELETE", headers: { Authorization: `Bearer ${stack.apiKey}` } });
  assert.equal(removed.status, 204);
});

test("a form shown just now is too fast, though its widget loaded long enough ago", async () => {
  const config = await fetch(`${stack.url}/widget/config?agentId=${AGENT}`, { headers: { Origin: PAGE } });
  const { displayToken } = await config.json();
  // A person would take this long between the widget's load and a submit...
  await sleep(3_100);
  await accepted({ idempotencyKey: "display_slow", displayToken });
  // ...but this display was shown a moment ago.
  const shown = await postJson(stack.url + "/form-submissions/events", { toolId: TOOL, displayId: "display_fast", type: "impression", displayToken }, { Origin: PAGE });
  assert.equal(shown.status, 202, shown.text);
  const fast = await accepted({ idempotencyKey: "display_fast", displayToken });
  const { submission } = (await stack.owner("GET", `/v1/submissions/${fast.submissionId}`)).body;
  assert.equal(submission.status, "spam");
  assert.deepEqual(submission.spam.reasons.map((r) => [r.signal, r.points]), [["too_fast", 5]]);
  // The token's third use is fine; its fourth is one too many for one widget load.
  await accepted({ idempotencyKey: "display_third", displayToken });
  const fourth = await accepted({ idempotencyKey: "display_fourth", displayToken });
  const reused = (await stack.owner("GET", `/v1/submissions/${fourth.submissionId}`)).body.submission;
  assert.equal(reused.status, "spam");
  assert.deepEqual(reused.spam.reasons.map((r) => r.signal), ["token_reused"]);
});
