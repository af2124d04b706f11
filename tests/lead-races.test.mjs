// Writes that race on one lead, as they do in real use (a double-clicked submit on two
// forms, two owners moving the same lead): nothing is lost and nothing is counted twice.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startStack, contactForm, postJson, asOwner, ownerRequest } from "./support/stack.mjs";

let stack;

before(async () => {
  stack = await startStack();
  await stack.owner("POST", "/v1/agents", { id: "agent_race", name: "Race" });
  const tool = await stack.owner("POST", "/v1/agents/agent_race/tools", contactForm(undefined, { id: "tool_race", name: "race", executionMode: "client", webhookUrl: undefined }));
  assert.equal(tool.status, 201, JSON.stringify(tool.body));
});

after(async () => {
  await stack?.stop();
});

const submit = (email, message) =>
  postJson(stack.url + "/form-submissions/submit", {
    toolId: "tool_race",
    formData: { name: "Race Person", email, message },
    fieldsCompleted: ["name", "email", "message"],
  }, asOwner(stack));

test("submissions of one person at once make one lead that counts them all", async () => {
  const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => submit(i % 2 ? "RACE@example.com" : "race@example.com ", `m${i}`)));
  for (const a of answers) assert.equal(a.status, 200, a.text);
  const leadIds = new Set(answers.map((a) => a.json.leadId));
  assert.equal(leadIds.size, 1, [...leadIds].join());
  const [leadId] = leadIds;
  const { body } = await stack.owner("GET", `/v1/leads/${leadId}`);
  assert.equal(body.lead.submissionCount, 8);
  assert.equal(body.submissions.length, 8);
  assert.deepEqual(body.activity.map((a) => a.type).sort(), ["created", ...Array(7).fill("submitted")].sort());
  const counters = await stack.owner("GET", "/v1/agents/agent_race/leads/counters");
  assert.equal(counters.body.total, 1);
  assert.equal(counters.body.new, 1);
});

test("a flood of one body never gets a 500: each is taken, or a 503 to send again, and every one taken counts", async () => {
  const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => submit("flood@example.com", `f${i}`)));
  const statuses = answers.map((a) => a.status);
  for (const a of answers) {
    assert.ok(a.status === 200 || (a.status === 503 && a.json.error.code === "busy"), `${a.status} ${a.text}`);
    if (a.status === 503) assert.equal(a.headers.get("retry-after"), "1");
  }
  const taken = statuses.filter((s) => s === 200).length;
  assert.ok(taken >= 1, JSON.stringify(statuses));
  const leadIds = new Set(answers.filter((a) => a.status === 200).map((a) => a.json.leadId));
  assert.equal(leadIds.size, 1);
  const { body } = await stack.owner("GET", `/v1/leads/${[...leadIds][0]}`);
  assert.equal(body.lead.submissionCount, taken, "what was refused was not written");
});

test("owners changing one lead at once lose none of their notes, and counters stay exact", async () => {
  const { json } = await submit("notes@example.com", "hi");
  const leadId = json.leadId;
  const stages = ["contacted", "qualified", "converted", "contacted", "qualified"];
  const results = await Promise.all(
    stages.map((stage, i) => stack.owner("PATCH", `/v1/leads/${leadId}`, { stage, note: `note ${i}` })),
  );
  const applied = results.filter((r) => r.status === 200).length;
  for (const r of results) assert.ok([200, 409].includes(r.status), JSON.stringify(r.body));
  const { body } = await stack.owner("GET", `/v1/leads/${leadId}`);
  const trail = body.activity.filter((a) => a.type === "stage_changed" || a.type === "note");
  // Every accepted change is in the trail exactly once (a same-stage move records its note).
  assert.equal(trail.length, applied);
  assert.deepEqual(trail.map((a) => a.note).sort(), results.flatMap((r, i) => (r.status === 200 ? [`note ${i}`] : [])).sort());
  const last = body.activity.filter((a) => a.type === "stage_changed").at(-1);
  assert.equal(body.lead.stage, last.to);
  const counters = (await stack.owner("GET", "/v1/agents/agent_race/leads/counters")).body;
  const list = (await stack.owner("GET", "/v1/agents/agent_race/leads?limit=100")).body.leads;
  for (const stage of ["new", "contacted", "qualified", "converted", "lost"]) {
    assert.equal(counters[stage], list.filter((l) => l.stage === stage).length, stage);
  }
  assert.equal(counters.total, list.length);
});

test("two owners move a lead they both read: the second, sent with If-Match, is refused with a 412 and changes nothing", async () => {
  const { json } = await submit("ifmatch@example.com", "hi");
  const leadId = json.leadId;
  const read = await ownerRequest(stack, "GET", `/v1/leads/${leadId}`);
  assert.equal(read.status, 200, read.text);
  const etag = read.headers.get("etag");
  assert.equal(etag, `"${read.json.lead.version}"`);
  assert.equal(read.headers.get("cache-control"), "private, no-store");
  // Owner A moves it, as read.
  const a = await ownerRequest(stack, "PATCH", `/v1/leads/${leadId}`, { body: { stage: "converted", note: "signed" }, headers: { "If-Match": etag } });
  assert.equal(a.status, 200, a.text);
  assert.equal(a.json.lead.stage, "converted");
  assert.equal(a.headers.get("etag"), `"${a.json.lead.version}"`);
  assert.notEqual(a.headers.get("etag"), etag);
  // Owner B decided on the same read: refused, nothing written, told where it stands now.
  const b = await ownerRequest(stack, "PATCH", `/v1/leads/${leadId}`, { body: { stage: "lost", lostReason: "No budget", note: "gone" }, headers: { "If-Match": etag } });
  assert.equal(b.status, 412, b.text);
  assert.equal(b.headers.get("cache-control"), "private, no-store", "refusals are not kept either");
  assert.equal(b.json.error.code, "stale");
  assert.equal(b.json.error.field, "If-Match");
  assert.match(b.json.error.message, new RegExp(`version ${a.json.lead.version}`));
  const after = await ownerRequest(stack, "GET", `/v1/leads/${leadId}`);
  assert.equal(after.json.lead.stage, "converted");
  assert.ok(!after.json.activity.some((e) => e.note === "gone"), "the refused change left no trail entry");
  // Read again, B's move goes through; without If-Match a change applies as before.
  const again = await ownerRequest(stack, "PATCH", `/v1/leads/${leadId}`, { body: { stage: "lost", lostReason: "No budget" }, headers: { "If-Match": after.headers.get("etag") } });
  assert.equal(again.status, 200, again.text);
  const blind = await ownerRequest(stack, "PATCH", `/v1/leads/${leadId}`, { body: { note: "any version" } });
  assert.equal(blind.status, 200, blind.text);
  const any = await ownerRequest(stack, "PATCH", `/v1/leads/${leadId}`, { body: { note: "star" }, headers: { "If-Match": "*" } });
  assert.equal(any.status, 200, any.text);
  // A weak tag counts as its version (Cloudflare weakens the ETag of a compressed answer),
  // and a list matches when any of its tags does.
  const weak = await ownerRequest(stack, "PATCH", `/v1/leads/${leadId}`, { body: { note: "weak" }, headers: { "If-Match": `"0", W/"${any.json.lead.version}"` } });
  assert.equal(weak.status, 200, weak.text);
  const stale = await ownerRequest(stack, "PATCH", `/v1/leads/${leadId}`, { body: { note: "stale" }, headers: { "If-Match": `W/"${any.json.lead.version}"` } });
  assert.equal(stale.status, 412, stale.text);
  // A malformed tag is a 400 naming the header, before anything is read or written.
  for (const wrong of ["3", `"1",`, "w/\"1\""]) {
    const bad = await ownerRequest(stack, "PATCH", `/v1/leads/${leadId}`, { body: { note: "x" }, headers: { "If-Match": wrong } });
    assert.equal(bad.status, 400, wrong + " " + bad.text);
    assert.equal(bad.json.error.field, "If-Match");
  }
});
