// Lead events (docs/leads-api.md, "Lead events") against the real local runtime: an agent's
// lead-webhook endpoints on 127.0.0.1 receive lead.created, lead.updated (one per activity
// entry, with that entry) and lead.deleted as Standard Webhooks, verified by the
// standardwebhooks package; retries, the delivery log in the lead's detail, replay, and
// the `events` filter.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { startStack, startReceiver, postJson, ownerRequest, waitUntil, asOwner } from "./support/stack.mjs";

const EVENTS = ["lead.created", "lead.updated", "lead.deleted"];
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
let stack;
const receivers = [];

before(async () => {
  // Retries after 1 s instead of 1 and 5 minutes: same code path, shorter waits.
  stack = await startStack({ vars: { RETRY_SCHEDULE_SECS: "0,1,1" } });
});

after(async () => {
  for (const r of receivers) await r.stop();
  await stack?.stop();
});

const api = (method, route, body) => ownerRequest(stack, method, route, { body });

async function receiver(respond) {
  const r = await startReceiver({ respond });
  receivers.push(r);
  return r;
}

async function makeAgent(id) {
  assert.equal((await api("POST", "/v1/agents", { id, name: id })).status, 201);
  const tool = await api("POST", `/v1/agents/${id}/tools`, {
    id: `tool_${id}`,
    name: `form_${id}`,
    title: "Talk to us",
    executionMode: "client",
    fields: [
      { name: "name", type: "text", required: true },
      { name: "email", type: "email", required: true },
      { name: "company", type: "text" },
    ],
  });
  assert.equal(tool.status, 201, tool.text);
  return `tool_${id}`;
}

async function endpoint(agentId, body) {
  const res = await api("POST", `/v1/agents/${agentId}/lead-webhooks`, body);
  assert.equal(res.status, 201, res.text);
  return res.json;
}

async function capture(toolId, formData) {
  const res = await postJson(stack.url + "/form-submissions/submit", { toolId, formData, fieldsCompleted: Object.keys(formData) }, asOwner(stack));
  assert.equal(res.status, 200, res.text);
  return res.json;
}

/** The id a lead event is about. */
const leadOf = (request) => request.json?.data?.lead?.id ?? request.json?.data?.id;

/** Waits for the event of `type` about `leadId` that `match` accepts; returns the request. */
function eventFor(r, type, leadId, match = () => true) {
  return waitUntil(() => r.requests.find((q) => q.json?.type === type && leadOf(q) === leadId && match(q)), {
    message: `${type} for ${leadId}`,
  });
}

/** Verifies a request with the standardwebhooks package; returns the verified payload. */
function verify(secret, request) {
  return new Webhook(secret).verify(request.body, {
    "webhook-id": request.headers["webhook-id"],
    "webhook-timestamp": request.headers["webhook-timestamp"],
    "webhook-signature": request.headers["webhook-signature"],
  });
}

/** Polls the lead's detail until its delivery `deliveryId` has status `status`. */
function deliveryOf(leadId, deliveryId, status) {
  return waitUntil(
    async () => {
      const res = await api("GET", `/v1/leads/${leadId}`);
      const found = res.json?.deliveries?.find((d) => d.delivery.id === deliveryId);
      return found?.delivery.status === status ? found : null;
    },
    { message: `delivery ${deliveryId} ${status}` },
  );
}

test("created, updated (one per activity entry, with it) and deleted reach an endpoint, signed", async () => {
  const toolId = await makeAgent("agent_ev");
  const r = await receiver();
  const t0 = Date.now();
  const made = await endpoint("agent_ev", { url: r.url + "/lead-events" });
  assert.deepEqual(Object.keys(made).sort(), ["agentId", "createdAt", "events", "id", "secret", "url"]);
  assert.equal(made.agentId, "agent_ev");
  assert.equal(made.url, r.url + "/lead-events");
  assert.deepEqual(made.events, EVENTS, "all three by default");
  assert.match(made.secret, /^whsec_\S{16,}$/);
  assert.ok(made.createdAt >= t0 - 1000 && made.createdAt <= Date.now() + 1000);
  const listed = await api("GET", "/v1/agents/agent_ev/lead-webhooks");
  assert.equal(listed.status, 200, listed.text);
  assert.deepEqual(listed.json.endpoints, [{ id: made.id, agentId: "agent_ev", url: made.url, events: EVENTS, createdAt: made.createdAt }]);
  assert.ok(!listed.text.includes(made.secret), "the secret is shown once");

  // lead.created
  const { leadId } = await capture(toolId, { name: "Jane Smith", email: "jane@example.com", company: "Acme" });
  const created = await eventFor(r, "lead.created", leadId);
  assert.equal(created.method, "POST");
  assert.equal(created.url, "/lead-events");
  const payload = verify(made.secret, created);
  assert.deepEqual(payload, created.json);
  assert.throws(() => verify(made.secret, { ...created, body: created.body.replace("Jane", "Joan") }), "a changed body fails");
  const otherSecret = (await endpoint("agent_ev", { url: r.url + "/other", events: ["lead.deleted"] })).secret;
  assert.throws(() => verify(otherSecret, created), "another endpoint's secret fails");
  assert.deepEqual(Object.keys(payload).sort(), ["data", "timestamp", "type"]);
  assert.match(payload.timestamp, ISO);
  assert.deepEqual(Object.keys(payload.data), ["lead"]);
  const shown = await api("GET", `/v1/leads/${leadId}`);
  assert.deepEqual(payload.data.lead, shown.json.lead, "the lead as the API shows it");

  // lead.updated: a stage change, with its entry.
  const moved = await api("PATCH", `/v1/leads/${leadId}`, { stage: "contacted", note: "Called" });
  assert.equal(moved.status, 200, moved.text);
  const stageEvent = await eventFor(r, "lead.updated", leadId, (q) => q.json.data.activity?.type === "stage_changed");
  const stagePayload = verify(made.secret, stageEvent);
  assert.deepEqual(Object.keys(stagePayload.data).sort(), ["activity", "lead"]);
  assert.deepEqual(stagePayload.data.activity, moved.json.activity.at(-1), "the entry, as the trail shows it");
  const { type, from, to, by, reason, note } = stagePayload.data.activity;
  assert.deepEqual({ type, from, to, by, reason, note }, { type: "stage_changed", from: "new", to: "contacted", by: "admin", reason: null, note: "Called" });
  assert.deepEqual(stagePayload.data.lead, moved.json.lead);

  // lead.updated: a new submission, a note, edited fields.
  await capture(toolId, { name: "Jane Smith", email: "JANE@example.com", company: "Acme Corp" });
  const submitted = await eventFor(r, "lead.updated", leadId, (q) => q.json.data.activity?.type === "submitted");
  assert.equal(submitted.json.data.activity.by, "visitor");
  assert.equal(submitted.json.data.lead.company, "Acme Corp");
  assert.equal(submitted.json.data.lead.submissionCount, 2);
  const noted = await api("PATCH", `/v1/leads/${leadId}`, { note: "Wants a demo on Friday" });
  const noteEvent = await eventFor(r, "lead.updated", leadId, (q) => q.json.data.activity?.type === "note");
  assert.deepEqual(noteEvent.json.data.activity, noted.json.activity.at(-1));
  const edited = await api("PATCH", `/v1/leads/${leadId}`, { customFields: { budget: "10k" } });
  const fieldsEvent = await eventFor(r, "lead.updated", leadId, (q) => q.json.data.activity?.type === "fields_edited");
  assert.deepEqual(fieldsEvent.json.data.activity, edited.json.activity.at(-1));
  assert.deepEqual(fieldsEvent.json.data.lead.customFields, { budget: "10k" });
  for (const q of [submitted, noteEvent, fieldsEvent]) verify(made.secret, q);

  // Every event is a delivery of the lead, shown in its detail, its id the webhook-id.
  const sent = [created, stageEvent, submitted, noteEvent, fieldsEvent];
  assert.equal(new Set(sent.map((q) => q.headers["webhook-id"])).size, sent.length, "one webhook-id per event");
  for (const q of sent) {
    const log = await deliveryOf(leadId, q.headers["webhook-id"], "delivered");
    assert.deepEqual(log.attempts.map((a) => a.statusCode), [200]);
  }

  // lead.deleted: ids only.
  const deleted = await api("DELETE", `/v1/leads/${leadId}`);
  assert.equal(deleted.status, 204, deleted.text);
  const gone = await eventFor(r, "lead.deleted", leadId);
  const gonePayload = verify(made.secret, gone);
  assert.deepEqual(gonePayload.data, { id: leadId, agentId: "agent_ev" });
  assert.match(gonePayload.timestamp, ISO);

  // Exactly one event per change, to this endpoint (the second endpoint takes deletions only).
  const mine = r.requests.filter((q) => q.url === "/lead-events" && leadOf(q) === leadId);
  assert.deepEqual(mine.map((q) => q.json.type).sort(), ["lead.created", "lead.deleted", "lead.updated", "lead.updated", "lead.updated", "lead.updated"]);
  await waitUntil(() => r.requests.some((q) => q.url === "/other" && leadOf(q) === leadId), {
    message: "the deletions-only endpoint got the deletion",
  });
  const other = r.requests.filter((q) => q.url === "/other");
  assert.deepEqual(other.map((q) => q.json.type), ["lead.deleted"]);
  assert.deepEqual(verify(otherSecret, other[0]).data, { id: leadId, agentId: "agent_ev" });
});

test("an endpoint that answers 500 is retried with the same webhook-id; the log is in the lead's detail; replay resends it", async () => {
  const toolId = await makeAgent("agent_ev_retry");
  const flaky = await receiver((_req, index) => (index === 0 ? 500 : 200));
  const made = await endpoint("agent_ev_retry", { url: flaky.url + "/hook", events: ["lead.created"] });
  assert.deepEqual(made.events, ["lead.created"]);
  const { leadId } = await capture(toolId, { name: "Retry Me", email: "retry@example.com" });

  await flaky.waitFor(2);
  const [first, second] = flaky.requests;
  assert.equal(first.json.type, "lead.created");
  assert.equal(leadOf(first), leadId);
  assert.equal(second.headers["webhook-id"], first.headers["webhook-id"], "one webhook-id across retries");
  assert.equal(second.body, first.body, "the same body both times");
  assert.ok(second.at - first.at >= 900, `retried after ${second.at - first.at} ms; the schedule says 1 s`);
  verify(made.secret, first);
  verify(made.secret, second);

  const deliveryId = first.headers["webhook-id"];
  const log = await deliveryOf(leadId, deliveryId, "delivered");
  assert.deepEqual(log.attempts.map((a) => a.statusCode), [500, 200]);

  const replayed = await api("POST", `/v1/deliveries/${deliveryId}/replay`);
  assert.equal(replayed.status, 202, replayed.text);
  await flaky.waitFor(3);
  const third = flaky.requests[2];
  assert.equal(third.headers["webhook-id"], deliveryId);
  assert.equal(third.body, first.body, "an event's body is fixed when it happened");
  verify(made.secret, third);
  const after = await waitUntil(
    async () => {
      const found = (await api("GET", `/v1/leads/${leadId}`)).json.deliveries.find((d) => d.delivery.id === deliveryId);
      return found?.attempts.length === 3 && found.delivery.status === "delivered" ? found : null;
    },
    { message: "the replay's attempt in the log" },
  );
  assert.deepEqual(after.attempts.map((a) => a.statusCode), [500, 200, 200]);
});

test("`events` picks what an endpoint gets; a removed endpoint gets nothing more", async () => {
  const toolId = await makeAgent("agent_ev_filter");
  const all = await receiver();
  const deletions = await receiver();
  const everything = await endpoint("agent_ev_filter", { url: all.url + "/all" });
  const onlyDeleted = await endpoint("agent_ev_filter", { url: deletions.url + "/deleted", events: ["lead.deleted"] });
  assert.deepEqual(onlyDeleted.events, ["lead.deleted"]);

  for (const [body, field] of [
    [{ url: all.url, events: ["lead.exploded"] }, /^events/],
    [{ url: "http://10.0.0.8/hook" }, /^url/],
    [{ url: "ftp://hooks.example/x" }, /^url/],
    [{ events: ["lead.created"] }, /^url/],
  ]) {
    const res = await api("POST", "/v1/agents/agent_ev_filter/lead-webhooks", body);
    assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
    assert.match(res.json.error.field, field);
  }
  assert.equal((await api("POST", "/v1/agents/agent_nope/lead-webhooks", { url: all.url })).status, 404);

  const { leadId } = await capture(toolId, { name: "Filter Me", email: "filter@example.com" });
  await eventFor(all, "lead.created", leadId);
  assert.equal((await api("PATCH", `/v1/leads/${leadId}`, { stage: "qualified" })).status, 200);
  // Deleting a lead deletes its undelivered events too (they hold its personal data):
  // let the update arrive first.
  await eventFor(all, "lead.updated", leadId);
  assert.equal((await api("DELETE", `/v1/leads/${leadId}`)).status, 204);
  await eventFor(all, "lead.deleted", leadId);
  const gone = await eventFor(deletions, "lead.deleted", leadId);
  assert.deepEqual(verify(onlyDeleted.secret, gone).data, { id: leadId, agentId: "agent_ev_filter" });
  assert.deepEqual(deletions.requests.map((q) => q.json.type), ["lead.deleted"], "only what it asked for");
  assert.deepEqual(all.requests.map((q) => q.json.type).sort(), ["lead.created", "lead.deleted", "lead.updated"]);

  // Removed: the next lead's events go to the remaining endpoint only.
  const removed = await api("DELETE", `/v1/lead-webhooks/${everything.id}`);
  assert.equal(removed.status, 204, removed.text);
  const listed = (await api("GET", "/v1/agents/agent_ev_filter/lead-webhooks")).json.endpoints;
  assert.deepEqual(listed.map((e) => e.id), [onlyDeleted.id]);
  const { leadId: next } = await capture(toolId, { name: "Next", email: "next@example.com" });
  assert.equal((await api("DELETE", `/v1/leads/${next}`)).status, 204);
  await eventFor(deletions, "lead.deleted", next);
  assert.equal(all.requests.length, 3, "nothing more to the removed endpoint");
  assert.equal((await api("DELETE", `/v1/lead-webhooks/${everything.id}`)).status, 404);
});

test("an endpoint's secret rotates: both sign during the overlap, the new one is shown once, a second rotation waits", async () => {
  const toolId = await makeAgent("agent_ev_rot");
  const r = await receiver();
  const made = await endpoint("agent_ev_rot", { url: r.url + "/events" });
  const old = made.secret;

  const rotated = await api("POST", `/v1/lead-webhooks/${made.id}/secret/rotate`, { overlapSecs: 3600 });
  assert.equal(rotated.status, 200, rotated.text);
  assert.equal(rotated.json.id, made.id);
  assert.match(rotated.json.secret, /^whsec_\S{16,}$/);
  assert.notEqual(rotated.json.secret, old);
  assert.ok(Math.abs(rotated.json.previousSecretExpiresAt - (Date.now() + 3_600_000)) < 60_000, rotated.text);
  const listed = await api("GET", "/v1/agents/agent_ev_rot/lead-webhooks");
  assert.ok(!listed.text.includes(rotated.json.secret) && !listed.text.includes(old), "no secret is listed");

  // During the overlap a receiver verifies with the old secret or the new one.
  const { leadId } = await capture(toolId, { name: "Rota", email: "rota@example.com" });
  const during = await eventFor(r, "lead.created", leadId);
  assert.equal(verify(old, during).data.lead.id, leadId);
  assert.equal(verify(rotated.json.secret, during).data.lead.id, leadId);

  // A second rotation would drop the old secret before the end it was promised: refused,
  // with when it ends. Bad overlaps name the field.
  const again = await api("POST", `/v1/lead-webhooks/${made.id}/secret/rotate`, { overlapSecs: 60 });
  assert.equal(again.status, 409, again.text);
  assert.equal(again.json.error.code, "rotation_in_progress");
  for (const bad of [{ overlapSecs: -1 }, { overlapSecs: 8 * 24 * 3600 }, { overlapSecs: "soon" }, { overlap: 60 }]) {
    const res = await api("POST", `/v1/lead-webhooks/${made.id}/secret/rotate`, bad);
    assert.equal(res.status, 400, `${JSON.stringify(bad)}: ${res.text}`);
  }
  assert.equal((await api("POST", "/v1/lead-webhooks/lwh_nope/secret/rotate", {})).status, 404);

  // An emergency rotation (the secret leaked) goes at once, and the old secrets stop.
  const emergency = await api("POST", `/v1/lead-webhooks/${made.id}/secret/rotate`, { overlapSecs: 0 });
  assert.equal(emergency.status, 200, emergency.text);
  assert.equal(emergency.json.previousSecretExpiresAt, null);
  assert.equal((await api("PATCH", `/v1/leads/${leadId}`, { stage: "contacted" })).status, 200);
  const after = await eventFor(r, "lead.updated", leadId);
  assert.equal(verify(emergency.json.secret, after).data.lead.id, leadId);
  for (const stopped of [old, rotated.json.secret]) assert.throws(() => verify(stopped, after), "an old secret no longer signs");
  assert.equal(after.headers["webhook-signature"].split(" ").length, 1, "one signature");
});
