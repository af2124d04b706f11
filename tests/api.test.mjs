// The edge's HTTP contract (seed 002) against the real local runtime: submit, its errors,
// delivery to a real receiver with a verifiable signature, retries, and the owner API.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { startStack, startReceiver, contactForm, seedSubmit, postJson } from "./support/stack.mjs";

const PAGE = "http://127.0.0.1:5555";
let stack;
let receiver;

before(async () => {
  // Retries after 1 s instead of 1 and 5 minutes: same code path, shorter waits.
  stack = await startStack({ vars: { RETRY_SCHEDULE_SECS: "0,1,1" } });
  receiver = await startReceiver();
  const agent = await stack.owner("POST", "/v1/agents", { id: "agent_api", name: "API test", allowedOrigins: [PAGE] });
  assert.equal(agent.status, 201, JSON.stringify(agent.body));
  const tool = await stack.owner("POST", "/v1/agents/agent_api/tools", contactForm(receiver.url + "/hook"));
  assert.equal(tool.status, 201, JSON.stringify(tool.body));
});

after(async () => {
  await receiver?.stop();
  await stack?.stop();
});

/** A tool of its own, webhooking to a receiver of its own. */
async function toolWithReceiver(id, respond) {
  const own = await startReceiver({ respond });
  const created = await stack.owner("POST", "/v1/agents/agent_api/tools", contactForm(own.url + "/hook", { id, name: id }));
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return { receiver: own, tool: created.body };
}

test("the seed's submit example is stored, answered in the seed's shape, and delivered signed", async () => {
  const before = receiver.requests.length;
  const res = await postJson(stack.url + "/form-submissions/submit", seedSubmit());
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.success, true);
  assert.match(res.json.submissionId, /^sub_[0-9a-f]{24}$/);
  assert.equal(res.json.executionMode, "webhook");
  assert.deepEqual(res.json.webhookResult, { success: true, error: null, pending: false });
  assert.deepEqual(res.json.postActionResults, []);
  assert.equal(res.json.clientHandler, null);

  await receiver.waitFor(before + 1);
  const hook = receiver.requests[before];
  assert.deepEqual(Object.keys(hook.json).sort(), ["conversationId", "formData", "submissionId", "submittedAt", "toolId", "toolName"]);
  assert.equal(hook.json.submissionId, res.json.submissionId);
  assert.equal(hook.json.toolId, "tool_contact_form");
  assert.equal(hook.json.toolName, "contact_form");
  assert.equal(hook.json.conversationId, null);
  assert.deepEqual(hook.json.formData, seedSubmit().formData);
  assert.match(hook.json.submittedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

  // Verified by the standardwebhooks package, not by our own code.
  const { body: tool } = await stack.owner("GET", "/v1/tools/tool_contact_form/secret");
  const verified = new Webhook(tool.webhookSecret).verify(hook.body, {
    "webhook-id": hook.headers["webhook-id"],
    "webhook-timestamp": hook.headers["webhook-timestamp"],
    "webhook-signature": hook.headers["webhook-signature"],
  });
  assert.equal(verified.submissionId, res.json.submissionId);
  assert.throws(() => new Webhook(tool.webhookSecret).verify(hook.body.replace("Jane", "Joan"), hook.headers));

  const { body } = await stack.owner("GET", `/v1/submissions/${res.json.submissionId}`);
  assert.equal(body.submission.status, "webhook_success");
  assert.equal(body.submission.impressionAt, 1703347200000);
  assert.equal(body.submission.startedAt, 1703347205000);
  assert.deepEqual(body.submission.fieldsCompleted, ["name", "email", "message"]);
  assert.equal(body.deliveries.length, 1);
  assert.equal(body.deliveries[0].delivery.status, "delivered");
  assert.equal(body.deliveries[0].delivery.id, hook.headers["webhook-id"]);
  assert.equal(body.deliveries[0].attempts.length, 1);
  assert.equal(body.deliveries[0].attempts[0].statusCode, 200);
});

test("bad bodies get a 400 naming the field and the reason", async () => {
  const cases = [
    ["{not json", "invalid_json", undefined],
    ["", "invalid_json", undefined],
    [seedSubmit({ toolId: undefined }), "invalid_field", "toolId"],
    [seedSubmit({ formData: "Jane" }), "invalid_field", "formData"],
    [seedSubmit({ fieldsCompleted: undefined }), "invalid_field", "fieldsCompleted"],
    [seedSubmit({ fieldsCompleted: ["name", "shoe_size"] }), "invalid_field", "fieldsCompleted"],
    [seedSubmit({ impressionAt: "yesterday" }), "invalid_field", "impressionAt"],
    [seedSubmit({ formData: { name: "Jane" } }), "invalid_field", "email"],
    [seedSubmit({ formData: { name: "Jane", email: "not-an-address" } }), "invalid_field", "email"],
    [seedSubmit({ formData: { name: "Jane", email: "j@x.io", shoe_size: 44 } }), "invalid_field", "shoe_size"],
  ];
  for (const [body, code, field] of cases) {
    const res = await postJson(stack.url + "/form-submissions/submit", body);
    assert.equal(res.status, 400, `${JSON.stringify(body)} -> ${res.text}`);
    assert.equal(res.json.success, false);
    assert.equal(res.json.error.code, code);
    assert.equal(res.json.error.field, field);
    assert.ok(res.json.error.message.length > 5);
  }
  const email = await postJson(stack.url + "/form-submissions/submit", seedSubmit({ formData: { name: "J", email: "nope" } }));
  assert.equal(email.json.error.message, "email: must be an email address like name@example.com");
});

test("a field listed as completed but left empty is not counted as completed", async () => {
  const res = await postJson(
    stack.url + "/form-submissions/submit",
    seedSubmit({ formData: { name: "Empty Message", email: "empty@example.com", message: "" }, fieldsCompleted: ["name", "email", "message"] }),
  );
  assert.equal(res.status, 200, res.text);
  const { body } = await stack.owner("GET", `/v1/submissions/${res.json.submissionId}`);
  assert.deepEqual(body.submission.fieldsCompleted, ["name", "email"]);
});

test("an unknown tool is a 404", async () => {
  const res = await postJson(stack.url + "/form-submissions/submit", seedSubmit({ toolId: "tool_nope" }));
  assert.equal(res.status, 404);
  assert.equal(res.json.error.code, "tool_not_found");
});

test("the same idempotency key twice makes one submission and one webhook", async () => {
  const { receiver: own } = await toolWithReceiver("tool_idem", () => 200);
  const body = seedSubmit({ toolId: "tool_idem", idempotencyKey: "disp_double_click" });
  const [first, second] = await Promise.all([
    postJson(stack.url + "/form-submissions/submit", body),
    postJson(stack.url + "/form-submissions/submit", body),
  ]);
  assert.equal(first.status, 200, first.text);
  assert.equal(second.status, 200, second.text);
  assert.equal(first.json.submissionId, second.json.submissionId);
  const third = await postJson(stack.url + "/form-submissions/submit", body);
  assert.equal(third.json.submissionId, first.json.submissionId);
  await own.waitFor(1);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(own.requests.length, 1);
  await own.stop();
});

test("a failing receiver is retried on schedule, then the submission is webhook_failed", async () => {
  const { receiver: own } = await toolWithReceiver("tool_down", () => 503);
  const res = await postJson(stack.url + "/form-submissions/submit", seedSubmit({ toolId: "tool_down" }));
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.webhookResult.success, false);
  assert.equal(res.json.webhookResult.pending, true, "a retry is still to come");
  assert.match(res.json.webhookResult.error, /503/);
  const log = await stack.waitForStatus(res.json.submissionId, ["webhook_failed"]);
  assert.equal(own.requests.length, 3, "3 attempts at most");
  const ids = new Set(own.requests.map((r) => r.headers["webhook-id"]));
  assert.equal(ids.size, 1, "one webhook-id across retries");
  const gaps = own.requests.slice(1).map((r, i) => r.at - own.requests[i].at);
  for (const gap of gaps) assert.ok(gap >= 900, `retry came after ${gap} ms, schedule says 1 s`);
  assert.deepEqual(log.deliveries[0].attempts.map((a) => a.statusCode), [503, 503, 503]);
  assert.equal(log.deliveries[0].delivery.status, "failed");
  await own.stop();
});

test("a receiver that recovers gets the lead on the second attempt", async () => {
  const { receiver: own } = await toolWithReceiver("tool_flaky", (_req, index) => (index === 0 ? 500 : 200));
  const res = await postJson(stack.url + "/form-submissions/submit", seedSubmit({ toolId: "tool_flaky" }));
  const log = await stack.waitForStatus(res.json.submissionId, ["webhook_success"]);
  assert.deepEqual(log.deliveries[0].attempts.map((a) => a.statusCode), [500, 200]);
  assert.equal(own.requests[0].body, own.requests[1].body, "the same payload both times");
  await own.stop();
});

test("a receiver that refuses with a 4xx is not retried", async () => {
  const { receiver: own } = await toolWithReceiver("tool_gone", () => 410);
  const res = await postJson(stack.url + "/form-submissions/submit", seedSubmit({ toolId: "tool_gone" }));
  assert.deepEqual(res.json.webhookResult, { success: false, error: "receiver answered HTTP 410", pending: false });
  await stack.waitForStatus(res.json.submissionId, ["webhook_failed"]);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(own.requests.length, 1);
  await own.stop();
});

test("a 429 with Retry-After delays the next attempt past the schedule", async () => {
  const { receiver: own } = await toolWithReceiver("tool_busy", (_req, index) => (index === 0 ? 429 : 200));
  own.retryAfter = "2";
  const res = await postJson(stack.url + "/form-submissions/submit", seedSubmit({ toolId: "tool_busy" }));
  await stack.waitForStatus(res.json.submissionId, ["webhook_success"]);
  const gap = own.requests[1].at - own.requests[0].at;
  assert.ok(gap >= 1900, `retried after ${gap} ms; Retry-After said 2 s, the schedule 1 s`);
  await own.stop();
});

test("redirects are not followed: a 3xx is the receiver's final answer", async () => {
  const elsewhere = await startReceiver();
  const { receiver: own } = await toolWithReceiver("tool_moved", () => 302);
  own.location = elsewhere.url + "/internal";
  const res = await postJson(stack.url + "/form-submissions/submit", seedSubmit({ toolId: "tool_moved" }));
  const log = await stack.waitForStatus(res.json.submissionId, ["webhook_failed"]);
  assert.deepEqual(log.deliveries[0].attempts.map((a) => a.statusCode), [302]);
  assert.equal(elsewhere.requests.length, 0, "the redirect target got nothing");
  await Promise.all([own.stop(), elsewhere.stop()]);
});

test("client mode: the answer names the handler, the handler's result moves the status once", async () => {
  const created = await stack.owner("POST", "/v1/agents/agent_api/tools", contactForm(undefined, { id: "tool_client", name: "crm_form", executionMode: "client" }));
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const res = await postJson(stack.url + "/form-submissions/submit", seedSubmit({ toolId: "tool_client" }));
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.executionMode, "client");
  assert.equal(res.json.clientHandler, "crm_form");
  assert.equal(res.json.webhookResult, null);
  const id = res.json.submissionId;
  assert.equal((await stack.owner("GET", `/v1/submissions/${id}`)).body.submission.status, "submitted");

  const reported = await postJson(stack.url + "/form-submissions/client-result", { submissionId: id, success: true, message: "Lead created in CRM" });
  assert.equal(reported.status, 200, reported.text);
  assert.deepEqual(reported.json, { success: true, status: "client_success" });
  const again = await postJson(stack.url + "/form-submissions/client-result", { submissionId: id, success: false });
  assert.equal(again.status, 409);
  assert.equal(again.json.error.code, "already_reported");
  assert.equal((await stack.owner("GET", `/v1/submissions/${id}`)).body.submission.status, "client_success");

  const noFlag = await postJson(stack.url + "/form-submissions/client-result", { submissionId: id });
  assert.equal(noFlag.status, 400);
  assert.equal(noFlag.json.error.field, "success");
  // A report is text a page wrote: an id of any length or a terminal's escape codes are refused.
  const longId = await postJson(stack.url + "/form-submissions/client-result", { submissionId: `sub_${"x".repeat(5_000)}`, success: true });
  assert.equal(longId.status, 400);
  assert.equal(longId.json.error.field, "submissionId");
  assert.ok(longId.text.length < 500, "the answer does not repeat it");
  const escapes = await postJson(stack.url + "/form-submissions/client-result", { submissionId: id, success: true, message: "ok\u0000\u001b[2J" });
  assert.equal(escapes.status, 400);
  assert.equal(escapes.json.error.field, "message");
  const unknown = await postJson(stack.url + "/form-submissions/client-result", { submissionId: "sub_nope", success: true });
  assert.equal(unknown.status, 404);
  const webhookOnly = await postJson(stack.url + "/form-submissions/submit", seedSubmit());
  const wrongMode = await postJson(stack.url + "/form-submissions/client-result", { submissionId: webhookOnly.json.submissionId, success: true });
  assert.equal(wrongMode.status, 400);
  assert.equal(wrongMode.json.error.field, "submissionId");
});

test("widget config lists the agent's forms without secrets", async () => {
  const res = await fetch(stack.url + "/widget/config?agentId=agent_api");
  assert.equal(res.status, 200);
  const config = await res.json();
  assert.equal(config.agent.id, "agent_api");
  const form = config.forms.find((f) => f.toolId === "tool_contact_form");
  assert.deepEqual(form.fields.map((f) => f.name), ["name", "email", "message"]);
  assert.equal(form.executionMode, "webhook");
  const text = JSON.stringify(config);
  assert.ok(!text.includes("whsec_") && !text.includes("webhookUrl") && !text.includes(receiver.url), text);
  assert.equal((await fetch(stack.url + "/widget/config?agentId=agent_none")).status, 404);
  const missing = await fetch(stack.url + "/widget/config");
  assert.equal(missing.status, 400);
  assert.equal((await missing.json()).error.field, "agentId");
});

test("browsers on allowed origins get CORS; others are refused", async () => {
  const preflight = await fetch(stack.url + "/form-submissions/submit", {
    method: "OPTIONS",
    headers: { Origin: PAGE, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type" },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get("access-control-allow-origin"), PAGE);
  const stranger = await fetch(stack.url + "/form-submissions/submit", { method: "OPTIONS", headers: { Origin: "https://evil.example" } });
  assert.equal(stranger.headers.get("access-control-allow-origin"), null);
  const refused = await postJson(stack.url + "/form-submissions/submit", seedSubmit(), { Origin: "https://evil.example" });
  assert.equal(refused.status, 403);
  assert.equal(refused.json.error.code, "origin_not_allowed");
  const allowed = await postJson(stack.url + "/form-submissions/submit", seedSubmit(), { Origin: PAGE });
  assert.equal(allowed.status, 200);
  assert.equal(allowed.headers.get("access-control-allow-origin"), PAGE);
});

test("a preflight follows the owner's origins as they change: added, removed, put back", async () => {
  const site = "https://shop.preflight.example";
  const approves = async () =>
    (
      await fetch(stack.url + "/form-submissions/events", {
        method: "OPTIONS",
        headers: { Origin: site, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type" },
      })
    ).headers.get("access-control-allow-origin") === site;
  assert.equal(await approves(), false, "no agent lists it yet");
  const made = await stack.owner("POST", "/v1/agents", { id: "agent_preflight", name: "Preflight", allowedOrigins: [site] });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  assert.equal(await approves(), true);
  await stack.owner("PATCH", "/v1/agents/agent_preflight", { allowedOrigins: ["https://other.preflight.example"] });
  assert.equal(await approves(), false, "taken off the list");
  await stack.owner("PATCH", "/v1/agents/agent_preflight", { allowedOrigins: [site] });
  assert.equal(await approves(), true, "put back");
  // Written again by the agent's create call (an upsert), without it.
  await stack.owner("POST", "/v1/agents", { id: "agent_preflight", name: "Preflight", allowedOrigins: [] });
  assert.equal(await approves(), false, "an upsert without it");
});

test("the owner API wants the key and checks what it is given", async () => {
  const noKey = await fetch(stack.url + "/v1/agents/agent_api");
  assert.equal(noKey.status, 401);
  const wrongKey = await fetch(stack.url + "/v1/agents/agent_api", { headers: { Authorization: "Bearer nope" } });
  assert.equal(wrongKey.status, 401);
  assert.equal((await wrongKey.json()).error.code, "unauthorized");

  const noUrl = await stack.owner("POST", "/v1/agents/agent_api/tools", contactForm(undefined, { id: "tool_x", name: "x" }));
  assert.equal(noUrl.status, 400);
  assert.equal(noUrl.body.error.field, "webhookUrl");
  const privateUrl = await stack.owner("POST", "/v1/agents/agent_api/tools", contactForm("http://10.0.0.8/hook", { id: "tool_x", name: "x" }));
  assert.equal(privateUrl.status, 400);
  assert.match(privateUrl.body.error.message, /private/);
  const missingName = await stack.owner("POST", "/v1/agents", { greeting: "hi" });
  assert.equal(missingName.status, 400);
  assert.equal(missingName.body.error.field, "name");
  const badKind = await stack.owner("POST", "/v1/agents/agent_api/tools", contactForm("https://crm.example.com/x", {
    id: "tool_x", name: "x", fields: [{ name: "email", type: "email" }, { name: "shade", type: "colour" }],
  }));
  assert.equal(badKind.status, 400);
  assert.equal(badKind.body.error.field, "fields[1].type");
  assert.match(badKind.body.error.message, /unknown variant `colour`/);

  const patched = await stack.owner("PATCH", "/v1/tools/tool_contact_form", { successMessage: "Got it!" });
  assert.equal(patched.status, 200);
  assert.equal(patched.body.successMessage, "Got it!");
  assert.equal(patched.body.fields.length, 3, "a patch keeps what it does not name");
  assert.equal(patched.body.webhookSecret, undefined, "a tool as the API shows it has no secret");
  const { body: again } = await stack.owner("GET", "/v1/tools/tool_contact_form");
  assert.equal(again.webhookSecret, undefined);
  assert.equal((await stack.owner("GET", "/v1/tools/tool_nope")).status, 404);
  // An id is never changed by a PATCH: another one is refused, not silently dropped.
  const renamed = await stack.owner("PATCH", "/v1/tools/tool_contact_form", { id: "tool_other", successMessage: "Renamed?" });
  assert.equal(renamed.status, 400, JSON.stringify(renamed.body));
  assert.equal(renamed.body.error.field, "id");
  assert.equal((await stack.owner("GET", "/v1/tools/tool_contact_form")).body.successMessage, "Got it!");
  assert.equal((await stack.owner("GET", "/v1/tools/tool_other")).status, 404);
  const same = await stack.owner("PATCH", "/v1/tools/tool_contact_form", { id: "tool_contact_form" });
  assert.equal(same.status, 200, "the path's own id may be repeated");
  assert.equal((await stack.owner("GET", "/v1/submissions/sub_nope")).status, 404);
});

test("a submit never uses a tool or an agent as they were: changes apply to the very next submit", async () => {
  // Each isolate keeps the tools its submits read and checks them against D1 in the same
  // batch as its other reads: a change made meanwhile is seen at once.
  const { receiver: own } = await toolWithReceiver("tool_fresh", () => 200);
  try {
    const send = (formData, origin) =>
      postJson(stack.url + "/form-submissions/submit", seedSubmit({ toolId: "tool_fresh", formData, fieldsCompleted: [] }), origin ? { Origin: origin } : {});
    assert.equal((await send({ name: "A", email: "a@fresh.example" }, PAGE)).status, 200);
    const changed = await stack.owner("PATCH", "/v1/tools/tool_fresh", {
      fields: [
        { name: "name", type: "text", required: true },
        { name: "email", type: "email", required: true },
        { name: "company", type: "text", required: true },
      ],
    });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    const missing = await send({ name: "B", email: "b@fresh.example" }, PAGE);
    assert.equal(missing.status, 400, missing.text);
    assert.equal(missing.json.error.field, "company");
    assert.equal((await send({ name: "B", email: "b@fresh.example", company: "Acme" }, PAGE)).status, 200);

    // The agent stops allowing the page: its next submit is refused.
    assert.equal((await stack.owner("PATCH", "/v1/agents/agent_api", { allowedOrigins: ["https://elsewhere.example"] })).status, 200);
    const refused = await send({ name: "C", email: "c@fresh.example", company: "Acme" }, PAGE);
    assert.equal(refused.status, 403, refused.text);
    assert.equal(refused.json.error.code, "origin_not_allowed");
    // ...and is accepted again as soon as it is allowed again: a refusal is never made on an
    // old copy either.
    assert.equal((await stack.owner("PATCH", "/v1/agents/agent_api", { allowedOrigins: [PAGE] })).status, 200);
    assert.equal((await send({ name: "C", email: "c@fresh.example", company: "Acme" }, PAGE)).status, 200);
    const relaxed = await stack.owner("PATCH", "/v1/tools/tool_fresh", {
      fields: [
        { name: "name", type: "text", required: true },
        { name: "email", type: "email", required: true },
      ],
    });
    assert.equal(relaxed.status, 200, JSON.stringify(relaxed.body));
    const without = await send({ name: "D", email: "d@fresh.example" }, PAGE);
    assert.equal(without.status, 200, without.text);
  } finally {
    await own.stop();
  }
});

test("a form's webhook is sent a signed example on request: seed 002's shape marked as a test, every field filled, nothing stored; a failing receiver is reported", async () => {
  const { receiver: own } = await toolWithReceiver("tool_example", (_, i) => (i === 0 ? 200 : 500));
  const fields = [
    ...contactForm("").fields,
    { name: "plan", type: "select", options: ["Starter", "Pro"], required: true },
    { name: "cv", type: "file" },
  ];
  assert.equal((await stack.owner("PATCH", "/v1/tools/tool_example", { fields })).status, 200);

  const sent = await stack.owner("POST", "/v1/tools/tool_example/test");
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  assert.equal(sent.body.delivered, true);
  assert.equal(sent.body.statusCode, 200);
  assert.match(sent.body.webhookId, /^msg_test_/);
  const [hook] = own.requests;
  assert.equal(hook.headers["leadform-test"], "true");
  assert.equal(hook.headers["webhook-id"], sent.body.webhookId);
  assert.deepEqual(hook.json, sent.body.payload);
  assert.match(hook.json.submissionId, /^sub_test_/);
  assert.equal(hook.json.toolId, "tool_example");
  assert.deepEqual(Object.keys(hook.json.formData), ["name", "email", "message", "plan", "cv"]);
  assert.match(hook.json.formData.email, /@example\.com$/);
  assert.equal(hook.json.formData.plan, "Starter");
  assert.ok(hook.json.formData.cv.url.startsWith(stack.url + "/files/"), JSON.stringify(hook.json.formData.cv));
  // Signed as a real delivery: the receiver's own check passes.
  const { body: secret } = await stack.owner("GET", "/v1/tools/tool_example/secret");
  const verified = new Webhook(secret.webhookSecret).verify(hook.body, hook.headers);
  assert.equal(verified.toolName, "tool_example");

  // Nothing was stored: no submission, no lead, nothing counted.
  const listed = await stack.owner("GET", "/v1/agents/agent_api/submissions?toolId=tool_example");
  assert.deepEqual(listed.body.submissions, []);
  const leads = await stack.owner("GET", "/v1/agents/agent_api/leads?q=ada%40example.com");
  assert.deepEqual(leads.body.leads, []);

  // A receiver that fails is what the answer reports.
  const failed = await stack.owner("POST", "/v1/tools/tool_example/test");
  assert.equal(failed.status, 200);
  assert.equal(failed.body.delivered, false);
  assert.equal(failed.body.statusCode, 500);
  assert.match(failed.body.error, /HTTP 500/);
  assert.equal(own.requests.length, 2, "sent once each time, never retried");

  // A form without a webhook has nothing to test.
  const client = await stack.owner("POST", "/v1/agents/agent_api/tools", { ...contactForm(undefined, { id: "tool_no_hook", name: "tool_no_hook" }), executionMode: "client" });
  assert.equal(client.status, 201, JSON.stringify(client.body));
  const none = await stack.owner("POST", "/v1/tools/tool_no_hook/test");
  assert.equal(none.status, 409);
  assert.equal(none.body.error.code, "no_webhook");
  assert.equal((await stack.owner("POST", "/v1/tools/tool_nope/test")).status, 404);
});
