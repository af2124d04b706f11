// Owner keys and scopes (docs/leads-api.md, "Owner keys and scopes") against the real local
// runtime: the admin makes keys that are shown once; each route wants its scope (403
// missing_scope naming it); a key limited to agents sees nothing of another agent (404, as
// if it did not exist); revoked and wrong keys are 401.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { startStack, postJson, ownerRequest, asOwner } from "./support/stack.mjs";

let stack;
/** What the agents hold: a lead and its submission each (`a2` is A's lead to delete). */
const ids = {};

const api = (method, route, body, key) => ownerRequest(stack, method, route, { body, key });

async function capture(toolId, formData) {
  const res = await postJson(stack.url + "/form-submissions/submit", { toolId, formData, fieldsCompleted: Object.keys(formData) }, asOwner(stack));
  assert.equal(res.status, 200, res.text);
  return res.json;
}

async function makeKey(body) {
  const res = await api("POST", "/v1/keys", body);
  assert.equal(res.status, 201, res.text);
  return res.json;
}

async function makeEndpoint(agentId, url) {
  const res = await api("POST", `/v1/agents/${agentId}/lead-webhooks`, { url });
  assert.equal(res.status, 201, res.text);
  return res.json;
}

/** Asserts a 403 `missing_scope` whose message names `scope`. */
function assertMissingScope(res, scope, what) {
  assert.equal(res.status, 403, `${what}: ${res.text}`);
  assert.equal(res.json.success, false);
  assert.equal(res.json.error.code, "missing_scope", what);
  assert.ok(res.json.error.message.includes(scope), `${what}: "${res.json.error.message}" names ${scope}`);
}

before(async () => {
  stack = await startStack();
  for (const agent of ["agent_a", "agent_b"]) {
    assert.equal((await api("POST", "/v1/agents", { id: agent, name: agent })).status, 201);
    const tool = await api("POST", `/v1/agents/${agent}/tools`, {
      id: `tool_${agent}`,
      name: `form_${agent}`,
      title: "Talk to us",
      executionMode: "client",
      fields: [
        { name: "name", type: "text", required: true },
        { name: "email", type: "email", required: true },
      ],
    });
    assert.equal(tool.status, 201, tool.text);
  }
  const a = await capture("tool_agent_a", { name: "Alice", email: "alice@a.example" });
  const a2 = await capture("tool_agent_a", { name: "Arthur", email: "arthur@a.example" });
  const b = await capture("tool_agent_b", { name: "Bob", email: "bob@b.example" });
  Object.assign(ids, { a: a.leadId, aSub: a.submissionId, a2: a2.leadId, b: b.leadId, bSub: b.submissionId });
});

after(async () => {
  await stack?.stop();
});

test("the admin makes a key with scopes; the key is shown once, never listed", async () => {
  const t0 = Date.now();
  const made = await makeKey({ name: "Reader", scopes: ["leads:read"] });
  // The listed shape plus the key itself, which is shown only here.
  assert.deepEqual(Object.keys(made).sort(), ["agents", "createdAt", "id", "key", "lastUsedAt", "name", "prefix", "revokedAt", "scopes"]);
  assert.equal(made.name, "Reader");
  assert.deepEqual(made.scopes, ["leads:read"]);
  assert.equal(made.agents, null, "no list: every agent");
  assert.equal(typeof made.key, "string");
  assert.ok(made.key.length >= 40, "32 random bytes, written out");
  assert.ok(made.key.startsWith(made.prefix) && made.prefix.length < made.key.length / 2, made.prefix);
  assert.ok(made.createdAt >= t0 - 1000 && made.createdAt <= Date.now() + 1000);
  const other = await makeKey({ name: "Reader 2", scopes: ["leads:read"] });
  assert.notEqual(other.key, made.key);
  assert.notEqual(other.id, made.id);

  const listed = await api("GET", "/v1/keys");
  assert.equal(listed.status, 200, listed.text);
  assert.ok(!listed.text.includes(made.key) && !listed.text.includes(other.key), "no key text in the list");
  const entry = listed.json.keys.find((k) => k.id === made.id);
  assert.deepEqual(Object.keys(entry).sort(), ["agents", "createdAt", "id", "lastUsedAt", "name", "prefix", "revokedAt", "scopes"]);
  assert.deepEqual(
    { name: entry.name, prefix: entry.prefix, scopes: entry.scopes, agents: entry.agents, createdAt: entry.createdAt, lastUsedAt: entry.lastUsedAt, revokedAt: entry.revokedAt },
    { name: "Reader", prefix: made.prefix, scopes: ["leads:read"], agents: null, createdAt: made.createdAt, lastUsedAt: null, revokedAt: null },
  );

  // Used once, the list says when.
  assert.equal((await api("GET", "/v1/agents/agent_a/leads", undefined, made.key)).status, 200);
  const used = (await api("GET", "/v1/keys")).json.keys.find((k) => k.id === made.id);
  assert.ok(used.lastUsedAt >= made.createdAt, `lastUsedAt ${used.lastUsedAt}`);

  // Bad requests name the field.
  for (const [body, field] of [
    [{ name: "x", scopes: ["leads:*"] }, /^scopes/],
    [{ name: "x", scopes: "leads:read" }, /^scopes/],
    [{ scopes: ["leads:read"] }, /^name/],
    // A key for an agent that is not there (yet): it would serve whoever makes one by that name.
    [{ name: "x", scopes: ["leads:read"], agents: ["agent_a", "agent_typo"] }, /^agents\[1\]$/],
    [{ name: "x", scopes: ["leads:read"], agents: [""] }, /^agents\[0\]$/],
  ]) {
    const res = await api("POST", "/v1/keys", body);
    assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
    assert.match(res.json.error.field, field);
  }
});

test("a leads:read key reads leads but every other scope's route is a 403 naming the scope", async () => {
  const { key } = await makeKey({ name: "Read only", scopes: ["leads:read"] });
  for (const route of [
    "/v1/agents/agent_a/leads",
    "/v1/agents/agent_b/leads",
    `/v1/leads/${ids.a}`,
    "/v1/agents/agent_a/leads/counters",
    "/v1/agents/agent_a/submissions",
    `/v1/submissions/${ids.aSub}`,
  ]) {
    const res = await api("GET", route, undefined, key);
    assert.equal(res.status, 200, `${route}: ${res.text}`);
  }
  const listed = await api("GET", "/v1/agents/agent_a/leads", undefined, key);
  assert.deepEqual(listed.json.leads.map((l) => l.id).sort(), [ids.a, ids.a2].sort());
  const csv = await api("GET", "/v1/agents/agent_a/leads.csv?profile=crm", undefined, key);
  assert.equal(csv.status, 200);
  assert.ok(csv.text.includes("alice@a.example"));

  assertMissingScope(await api("PATCH", `/v1/leads/${ids.a}`, { stage: "contacted" }, key), "leads:write", "PATCH lead");
  assertMissingScope(await api("DELETE", `/v1/leads/${ids.a}`, undefined, key), "leads:write", "DELETE lead");
  assertMissingScope(await api("GET", "/v1/agents/agent_a/tools", undefined, key), "config:write", "GET tools");
  assertMissingScope(await api("PATCH", "/v1/agents/agent_a", { greeting: "hi" }, key), "config:write", "PATCH agent");
  assertMissingScope(await api("POST", "/v1/agents/agent_a/lead-webhooks", { url: "https://hooks.example/x" }, key), "config:write", "lead webhooks");
  assertMissingScope(await api("GET", "/form-submissions/analytics?agentId=agent_a", undefined, key), "analytics:read", "analytics");

  const lead = (await api("GET", `/v1/leads/${ids.a}`)).json;
  assert.equal(lead.lead.stage, "new", "the refused PATCH changed nothing");
  assert.equal(lead.activity.length, 1);

  // Keys and agents are the admin's alone, whatever the scopes.
  const everything = await makeKey({ name: "All scopes", scopes: ["leads:read", "leads:write", "analytics:read", "config:write"] });
  for (const k of [key, everything.key]) {
    assert.equal((await api("POST", "/v1/keys", { name: "escalate", scopes: ["leads:read"] }, k)).status, 403);
    assert.equal((await api("GET", "/v1/keys", undefined, k)).status, 403);
    assert.equal((await api("POST", "/v1/agents", { id: "agent_c", name: "C" }, k)).status, 403);
  }
  assert.equal((await api("GET", "/v1/agents/agent_c")).status, 404, "no agent was made");
});

test("a key limited to agent A sees nothing of agent B: every B id answers 404, as if it did not exist", async () => {
  const limited = await makeKey({
    name: "Agent A",
    scopes: ["leads:read", "leads:write", "analytics:read", "config:write"],
    agents: ["agent_a"],
  });
  assert.deepEqual(limited.agents, ["agent_a"]);
  const { key } = limited;

  const bEndpoint = await makeEndpoint("agent_b", "https://hooks.example/b-events");
  const nowhere = "lead_000000000000000000000000";
  const missing = await api("GET", `/v1/leads/${nowhere}`, undefined, key);
  assert.equal(missing.status, 404);
  const checks = [
    ["GET", "/v1/agents/agent_b/leads"],
    ["GET", "/v1/agents/agent_b/leads?stage=new"],
    ["GET", "/v1/agents/agent_b/leads/counters"],
    ["GET", "/v1/agents/agent_b/leads.csv?profile=crm"],
    ["GET", "/v1/agents/agent_b/leads.csv?profile=excel"],
    ["GET", `/v1/leads/${ids.b}`],
    ["PATCH", `/v1/leads/${ids.b}`, { stage: "lost", lostReason: "Other" }],
    ["PATCH", `/v1/leads/${ids.b}`, { note: "peek" }],
    ["DELETE", `/v1/leads/${ids.b}`],
    ["GET", "/v1/agents/agent_b/submissions"],
    ["GET", `/v1/submissions/${ids.bSub}`],
    ["GET", `/v1/submissions/${ids.bSub}/deliveries`],
    ["GET", "/v1/agents/agent_b"],
    ["GET", "/v1/agents/agent_b/tools"],
    ["GET", "/v1/tools/tool_agent_b"],
    ["GET", "/v1/agents/agent_b/lead-webhooks"],
    ["POST", "/v1/agents/agent_b/lead-webhooks", { url: "https://hooks.example/b" }],
    ["POST", `/v1/lead-webhooks/${bEndpoint.id}/secret/rotate`, { overlapSecs: 0 }],
    ["DELETE", `/v1/lead-webhooks/${bEndpoint.id}`],
    ["GET", "/form-submissions/analytics?agentId=agent_b"],
  ];
  for (const [method, route, body] of checks) {
    const res = await api(method, route, body, key);
    assert.equal(res.status, 404, `${method} ${route}: ${res.text}`);
    assert.equal(res.json.success, false);
    assert.ok(!res.text.includes("bob@b.example"), `${method} ${route} leaks nothing`);
  }
  const bLead = await api("GET", `/v1/leads/${ids.b}`, undefined, key);
  assert.equal(bLead.json.error.code, missing.json.error.code, "another agent's lead looks exactly like no lead");

  // B's lead is untouched, as the admin sees it.
  const b = (await api("GET", `/v1/leads/${ids.b}`)).json;
  assert.equal(b.lead.stage, "new");
  assert.deepEqual(b.activity.map((a) => a.type), ["created"]);
  assert.equal((await api("GET", "/v1/agents/agent_b/leads/counters")).json.total, 1);
  // B's endpoint is there, its secret never rotated: the admin's rotation with an overlap
  // goes (one made before would be in progress).
  assert.deepEqual((await api("GET", "/v1/agents/agent_b/lead-webhooks")).json.endpoints.map((e) => e.id), [bEndpoint.id]);
  assert.equal((await api("POST", `/v1/lead-webhooks/${bEndpoint.id}/secret/rotate`, { overlapSecs: 60 })).status, 200);

  // A is the key's to work with; its changes are signed with its id.
  const moved = await api("PATCH", `/v1/leads/${ids.a}`, { stage: "contacted", note: "from the A key" }, key);
  assert.equal(moved.status, 200, moved.text);
  const entry = moved.json.activity.at(-1);
  assert.deepEqual(
    { type: entry.type, from: entry.from, to: entry.to, by: entry.by, note: entry.note },
    { type: "stage_changed", from: "new", to: "contacted", by: `key:${limited.id}`, note: "from the A key" },
  );
  assert.equal((await api("GET", "/v1/agents/agent_a/leads/counters", undefined, key)).json.contacted, 1);
  assert.equal((await api("GET", "/form-submissions/analytics?agentId=agent_a", undefined, key)).status, 200);
  assert.equal((await api("DELETE", `/v1/leads/${ids.a2}`, undefined, key)).status, 204);
  assert.equal((await api("GET", `/v1/leads/${ids.a2}`)).status, 404);
});

test("a revoked key stops at once; a wrong key is a 401", async () => {
  const made = await makeKey({ name: "Short-lived", scopes: ["leads:read"] });
  assert.equal((await api("GET", "/v1/agents/agent_a/leads", undefined, made.key)).status, 200);
  const revoked = await api("DELETE", `/v1/keys/${made.id}`);
  assert.equal(revoked.status, 204, revoked.text);
  const after = await api("GET", "/v1/agents/agent_a/leads", undefined, made.key);
  assert.equal(after.status, 401);
  assert.equal(after.json.error.code, "unauthorized");
  const entry = (await api("GET", "/v1/keys")).json.keys.find((k) => k.id === made.id);
  assert.ok(entry.revokedAt >= made.createdAt, `revokedAt ${entry.revokedAt}`);
  assert.equal((await api("DELETE", "/v1/keys/key_nope")).status, 404);

  const flipped = made.key.slice(0, -1) + (made.key.endsWith("0") ? "1" : "0");
  const live = await makeKey({ name: "Live", scopes: ["leads:read"] });
  const liveFlipped = live.key.slice(0, -1) + (live.key.endsWith("0") ? "1" : "0");
  for (const wrong of [flipped, liveFlipped, `${made.prefix}${randomBytes(32).toString("hex")}`, "nope", `${stack.apiKey}x`]) {
    const res = await api("GET", "/v1/agents/agent_a/leads", undefined, wrong);
    assert.equal(res.status, 401, wrong);
    assert.equal(res.json.error.code, "unauthorized");
  }
  assert.equal((await api("GET", "/v1/agents/agent_a/leads", undefined, null)).status, 401, "no key");
  const basic = await fetch(`${stack.url}/v1/agents/agent_a/leads`, { headers: { Authorization: `Basic ${live.key}` } });
  assert.equal(basic.status, 401);
  const noScheme = await api("GET", "/form-submissions/analytics?agentId=agent_a", undefined, "wrong");
  assert.equal(noScheme.status, 401);
  assert.equal((await api("GET", "/v1/agents/agent_a/leads", undefined, live.key)).status, 200, "the live key still works");
  // The scheme's name is case-insensitive (RFC 9110): a client that writes `bearer` is let in.
  const lower = await fetch(`${stack.url}/v1/agents/agent_a/leads`, { headers: { Authorization: `bearer ${live.key}` } });
  assert.equal(lower.status, 200);
});

test("analytics:read alone opens the analytics and nothing else", async () => {
  const { key } = await makeKey({ name: "Analyst", scopes: ["analytics:read"] });
  const res = await api("GET", "/form-submissions/analytics?agentId=agent_a", undefined, key);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json.analytics.map((a) => a.toolId), ["tool_agent_a"]);
  assert.equal(res.json.analytics[0].submitted, 2);
  assertMissingScope(await api("GET", "/v1/agents/agent_a/leads", undefined, key), "leads:read", "leads");
  assertMissingScope(await api("GET", "/v1/agents/agent_a/leads.csv?profile=crm", undefined, key), "leads:read", "CSV");
  assertMissingScope(await api("GET", `/v1/leads/${ids.b}`, undefined, key), "leads:read", "lead");

  const { key: config } = await makeKey({ name: "Config", scopes: ["config:write"] });
  const hook = await api("POST", "/v1/agents/agent_a/lead-webhooks", { url: "https://hooks.example/a" }, config);
  assert.equal(hook.status, 201, hook.text);
  assert.equal((await api("GET", "/v1/agents/agent_a/lead-webhooks", undefined, config)).status, 200);
  assert.equal((await api("DELETE", `/v1/lead-webhooks/${hook.json.id}`, undefined, config)).status, 204);
  assertMissingScope(await api("GET", "/v1/agents/agent_a/leads/counters", undefined, config), "leads:read", "counters");
});

test("the delivery log shows a webhook URL whole only to keys that may read the configuration", async () => {
  // A webhook URL is often a secret itself (a Slack incoming webhook, a `?token=`).
  const hook = "https://crm.example.com/hooks/in?token=s3cret";
  const tool = await api("POST", "/v1/agents/agent_a/tools", {
    id: "tool_hooked",
    name: "hooked",
    title: "Talk to us",
    executionMode: "webhook",
    webhookUrl: hook,
    fields: [{ name: "email", type: "email", required: true }],
  });
  assert.equal(tool.status, 201, tool.text);
  const sub = await capture("tool_hooked", { email: "hooked@a.example" });
  const targets = async (key) => {
    const submission = await api("GET", `/v1/submissions/${sub.submissionId}`, undefined, key);
    const log = await api("GET", `/v1/submissions/${sub.submissionId}/deliveries`, undefined, key);
    const lead = await api("GET", `/v1/leads/${sub.leadId}`, undefined, key);
    return [submission, log, lead].map((res) => {
      assert.equal(res.status, 200, res.text);
      return res.json.deliveries.map((d) => d.delivery.targetUrl);
    });
  };
  const reader = await makeKey({ name: "Log reader", scopes: ["leads:read"] });
  assert.deepEqual(await targets(reader.key), Array(3).fill(["https://crm.example.com/…"]));
  assert.ok(!JSON.stringify((await api("GET", `/v1/leads/${sub.leadId}`, undefined, reader.key)).json).includes("s3cret"));
  const configurer = await makeKey({ name: "Configurer", scopes: ["leads:read", "config:write"] });
  assert.deepEqual(await targets(configurer.key), Array(3).fill([hook]));
});

test("a submit's answer names its lead only to the owner: a visitor cannot learn whether an email is a lead already", async () => {
  const send = (email, headers = {}) =>
    postJson(stack.url + "/form-submissions/submit", { toolId: "tool_agent_a", formData: { name: "Probe", email }, fieldsCompleted: ["name", "email"] }, headers);
  // alice@a.example has been a lead since `before`; nobody@a.example is new. Both answers
  // have the same keys, and neither names a lead.
  const known = await send("alice@a.example");
  const fresh = await send("nobody@a.example");
  for (const res of [known, fresh]) {
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.leadId, undefined, res.text);
  }
  assert.deepEqual(Object.keys(known.json), Object.keys(fresh.json));
  // The owner's own server, with a key that reads this agent's leads, is told.
  const reader = await makeKey({ name: "Backend", scopes: ["leads:read"], agents: ["agent_a"] });
  const told = await send("alice@a.example", { Authorization: `Bearer ${reader.key}` });
  assert.equal(told.status, 200, told.text);
  assert.equal(told.json.leadId, ids.a);
  // A key for another agent only, or without leads:read, is not; a wrong key is a 401 and
  // nothing is stored.
  const otherAgent = await makeKey({ name: "B only", scopes: ["leads:read"], agents: ["agent_b"] });
  const analyst = await makeKey({ name: "Analyst", scopes: ["analytics:read"] });
  for (const key of [otherAgent.key, analyst.key]) {
    const res = await send("alice@a.example", { Authorization: `Bearer ${key}` });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.leadId, undefined);
  }
  // A site's own token, added by its fetch wrapper, is not ours: a visitor's submit.
  for (const header of ["Bearer eyJhbGciOiJIUzI1NiJ9.e30.site-jwt", "Basic dXNlcjpwYXNz"]) {
    const res = await send("alice@a.example", { Authorization: header });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.leadId, undefined);
  }
  const before = (await api("GET", `/v1/leads/${ids.a}`)).json.lead.submissionCount;
  const wrong = await send("alice@a.example", { Authorization: "Bearer lf_wrong" });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.json.error.code, "unauthorized");
  assert.equal((await api("GET", `/v1/leads/${ids.a}`)).json.lead.submissionCount, before);
});
