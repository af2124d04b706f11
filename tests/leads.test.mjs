// Leads (docs/leads-api.md) against the real local runtime: a submit creates or updates one
// lead (field mapping, attribution, source, matching one person by email or phone), the
// pipeline and its activity trail, counters kept at write time, list filters and keyset
// paging while leads arrive, permanent deletion (files included), an agent's submissions by
// conversation, and the CSV export (profiles, RFC 4180, formula neutralization).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { parse } from "csv-parse/sync";
import {
  startStack,
  startReceiver,
  postJson,
  ownerRequest,
  allLeads,
  PNG_1X1,
  fileDataUrl,
  asOwner,
} from "./support/stack.mjs";

const PAGE = "http://127.0.0.1:5555";
const STAGES = ["new", "contacted", "qualified", "converted", "lost"];
const DEFAULT_LOST_REASONS = ["No budget", "Not a fit", "Chose a competitor", "No response", "Bad timing", "Other"];
const ATTRIBUTION = {
  pageUrl: `${PAGE}/pricing?plan=pro`,
  referrer: "https://news.example/launch-article",
  landingPage: `${PAGE}/?utm_source=newsletter&utm_medium=email&utm_campaign=fall_launch&utm_term=crm&utm_content=hero`,
  utm: { source: "newsletter", medium: "email", campaign: "fall_launch", term: "crm", content: "hero" },
};
const NO_ATTRIBUTION = {
  pageUrl: null,
  referrer: null,
  landingPage: null,
  utm: { source: null, medium: null, campaign: null, term: null, content: null },
};
/** A form whose fields map to every lead attribute by name or type, plus two custom fields. */
const RICH_FIELDS = [
  { name: "full_name", type: "text", required: true },
  { name: "email", type: "email" },
  { name: "phone", type: "phone" },
  { name: "company", type: "text" },
  { name: "website", type: "url" },
  { name: "budget", type: "select", options: ["<5k", "10k", "50k+"] },
  { name: "message", type: "textarea" },
];
/** name, optional email, phone, company and a message: for matching by email or phone. */
const PERSON_FIELDS = [
  { name: "name", type: "text", required: true },
  { name: "email", type: "email" },
  { name: "phone", type: "phone" },
  { name: "company", type: "text" },
  { name: "message", type: "textarea" },
];

let stack;
let receiver;

before(async () => {
  stack = await startStack();
  receiver = await startReceiver();
});

after(async () => {
  await receiver?.stop();
  await stack?.stop();
});

const api = (method, route, body, key) => ownerRequest(stack, method, route, { body, key });
const submit = (body, headers) => postJson(stack.url + "/form-submissions/submit", body, asOwner(stack, headers));

async function makeAgent(id, extra = {}) {
  const res = await api("POST", "/v1/agents", { id, name: id, allowedOrigins: [PAGE], ...extra });
  assert.equal(res.status, 201, res.text);
  return res.json;
}

/** A form tool of `agentId`; `client` mode unless said otherwise (no webhook to wait for). */
async function makeTool(agentId, tool) {
  const res = await api("POST", `/v1/agents/${agentId}/tools`, {
    title: "Talk to us",
    executionMode: "client",
    ...tool,
  });
  assert.equal(res.status, 201, res.text);
  return res.json;
}

/** Submits `formData` to `toolId` and returns the answer (asserting a 200 with a leadId). */
async function capture(toolId, formData, extra = {}, headers = {}) {
  const res = await submit({ toolId, formData, fieldsCompleted: Object.keys(formData), ...extra }, headers);
  assert.equal(res.status, 200, res.text);
  assert.match(res.json.leadId, /^lead_[0-9a-f]{24}$/, res.text);
  return res.json;
}

async function detail(leadId) {
  const res = await api("GET", `/v1/leads/${leadId}`);
  assert.equal(res.status, 200, res.text);
  return res.json;
}

async function counters(agentId) {
  const res = await api("GET", `/v1/agents/${agentId}/leads/counters`);
  assert.equal(res.status, 200, res.text);
  return res.json;
}

async function patchLead(leadId, body) {
  return api("PATCH", `/v1/leads/${leadId}`, body);
}

/** The members of an activity entry the contract names (an API may add more). */
const entryOf = ({ type, from, to, by, reason, note }) => ({ type, from, to, by, reason, note });

/** Newest first on (createdAt, id), as the list promises. */
function assertNewestFirst(leads) {
  for (let i = 1; i < leads.length; i++) {
    const [a, b] = [leads[i - 1], leads[i]];
    assert.ok(a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.id > b.id), `${a.id}@${a.createdAt} before ${b.id}@${b.createdAt}`);
  }
}

const utcDay = (ms) => new Date(ms).toISOString().slice(0, 10);

test("a widget submit creates a lead: attributes mapped, attribution as sent, source widget; a curl submit is source api", async () => {
  await makeAgent("agent_capture");
  await makeTool("agent_capture", {
    id: "tool_capture",
    name: "capture_form",
    fields: RICH_FIELDS,
    executionMode: "webhook",
    webhookUrl: receiver.url + "/capture",
  });
  assert.deepEqual(await counters("agent_capture"), { total: 0, new: 0, contacted: 0, qualified: 0, converted: 0, lost: 0 });

  const formData = {
    full_name: "Jane Smith",
    email: "jane@example.com",
    phone: "+14155550100",
    company: "Acme",
    website: "https://acme.example",
    budget: "10k",
    message: "Hello",
  };
  const sentAt = Date.now();
  const res = await submit(
    { toolId: "tool_capture", conversationId: "conv_capture_1", formData, fieldsCompleted: Object.keys(formData), attribution: ATTRIBUTION },
    { Origin: PAGE },
  );
  assert.equal(res.status, 200, res.text);
  // Seed 002's answer, plus the lead.
  assert.deepEqual(Object.keys(res.json).sort(), ["clientHandler", "executionMode", "leadId", "postActionResults", "submissionId", "success", "webhookResult"]);
  assert.equal(res.json.success, true);
  assert.match(res.json.submissionId, /^sub_[0-9a-f]{24}$/);
  assert.match(res.json.leadId, /^lead_[0-9a-f]{24}$/);
  assert.deepEqual(res.json.webhookResult, { success: true, error: null, pending: false });

  const { lead, submissions, conversationIds, activity, deliveries } = await detail(res.json.leadId);
  const { geo, createdAt, updatedAt, lastSubmissionAt, ...rest } = lead;
  assert.deepEqual(rest, {
    id: res.json.leadId,
    agentId: "agent_capture",
    stage: "new",
    lostReason: null,
    name: "Jane Smith",
    firstName: "Jane",
    lastName: "Smith",
    email: "jane@example.com",
    phone: "+14155550100",
    company: "Acme",
    website: "https://acme.example",
    customFields: { budget: "10k", message: "Hello" },
    source: "widget",
    attribution: ATTRIBUTION,
    toolId: "tool_capture",
    submissionCount: 1,
    score: null,
    qualification: null,
    version: 0, // a new lead; every change moves it on (its ETag)
  });
  // Geo comes from the runtime's request metadata: every key is there, values may be null locally.
  assert.deepEqual(Object.keys(geo).sort(), ["city", "country", "region", "timezone"]);
  for (const [key, value] of Object.entries(geo)) assert.ok(value === null || typeof value === "string", `geo.${key} = ${JSON.stringify(value)}`);
  assert.ok(createdAt >= sentAt - 1000 && createdAt <= Date.now() + 1000, `createdAt ${createdAt}`);
  assert.ok(updatedAt >= createdAt);
  assert.equal(submissions.length, 1);
  assert.equal(submissions[0].id, res.json.submissionId);
  assert.equal(submissions[0].toolId, "tool_capture");
  assert.deepEqual(submissions[0].formData, formData);
  assert.equal(lastSubmissionAt, submissions[0].submittedAt);
  assert.deepEqual(conversationIds, ["conv_capture_1"]);
  assert.equal(activity.length, 1);
  assert.equal(activity[0].type, "created");
  assert.equal(activity[0].by, "visitor");
  assert.equal(activity[0].reason, null);
  assert.equal(activity[0].note, null);
  assert.ok(Array.isArray(deliveries));
  assert.deepEqual(await counters("agent_capture"), { total: 1, new: 1, contacted: 0, qualified: 0, converted: 0, lost: 0 });

  // The tool's own webhook still carries seed 002's payload, untouched by leads.
  await receiver.waitFor(1);
  const hook = receiver.requests.find((r) => r.json?.submissionId === res.json.submissionId);
  assert.deepEqual(hook.json.formData, formData);

  // A direct call (no attribution, no Origin): source api, absent attributes null.
  const curl = await capture("tool_capture", { full_name: "Sam", email: "sam@example.com" });
  assert.notEqual(curl.leadId, res.json.leadId);
  const direct = (await detail(curl.leadId)).lead;
  assert.equal(direct.source, "api");
  assert.deepEqual(direct.attribution, NO_ATTRIBUTION);
  assert.deepEqual(
    [direct.name, direct.firstName, direct.lastName, direct.email, direct.phone, direct.company, direct.website],
    ["Sam", "Sam", null, "sam@example.com", null, null, null],
  );
  assert.deepEqual(direct.customFields, {});
  assert.deepEqual(Object.keys(direct.geo).sort(), ["city", "country", "region", "timezone"]);
  // The list shows each lead as the detail does.
  const listed = (await allLeads(stack, "agent_capture")).leads;
  assert.deepEqual(listed.map((l) => l.id), [curl.leadId, res.json.leadId]);
  assert.deepEqual(listed[1], lead);
  assert.deepEqual(await counters("agent_capture"), { total: 2, new: 2, contacted: 0, qualified: 0, converted: 0, lost: 0 });
});

test("fields map to lead attributes by leadAttribute, then type, then name; first and last make the name", async () => {
  await makeAgent("agent_mapping");
  await makeTool("agent_mapping", {
    id: "tool_mapping",
    name: "mapping_form",
    fields: [
      { name: "given_name", type: "text" }, // by name: firstName
      { name: "surname", type: "text" }, // by name: lastName
      { name: "contact", type: "email", required: true }, // by type: email
      { name: "reach_me", type: "phone" }, // by type: phone
      { name: "organisation", type: "text" }, // by name: company
      { name: "shop", type: "url", leadAttribute: "website" }, // by leadAttribute
      { name: "phone", type: "text", leadAttribute: "custom" }, // leadAttribute beats the name
      { name: "work_email_opt_in", type: "checkbox" }, // nothing matches: custom
    ],
  });
  const formData = {
    given_name: "Grace",
    surname: "Hopper",
    contact: "grace@navy.example",
    reach_me: "+12025550143",
    organisation: "US Navy",
    shop: "https://navy.example/shop",
    phone: "ext. 42",
    work_email_opt_in: true,
  };
  const { leadId } = await capture("tool_mapping", formData);
  const { lead } = await detail(leadId);
  assert.deepEqual(
    { name: lead.name, firstName: lead.firstName, lastName: lead.lastName, email: lead.email, phone: lead.phone, company: lead.company, website: lead.website },
    { name: "Grace Hopper", firstName: "Grace", lastName: "Hopper", email: "grace@navy.example", phone: "+12025550143", company: "US Navy", website: "https://navy.example/shop" },
  );
  assert.deepEqual(lead.customFields, { phone: "ext. 42", work_email_opt_in: true });
});

test("one person, one lead: matched by normalized email, else by E.164 phone among leads without another email", async () => {
  await makeAgent("agent_match");
  await makeTool("agent_match", { id: "tool_match", name: "match_form", fields: PERSON_FIELDS });
  const first = await capture("tool_match", { name: "Jane Smith", email: "Jane@Example.com", company: "Acme", message: "First" });
  const second = await capture("tool_match", { name: "Jane Q. Smith", email: "  JANE@example.COM ", message: "Second" });
  assert.equal(second.leadId, first.leadId, "same email, other case and spaces: same lead");

  const jane = await detail(first.leadId);
  assert.equal(jane.lead.name, "Jane Q. Smith", "latest value wins");
  assert.equal(jane.lead.firstName, "Jane");
  assert.equal(jane.lead.lastName, "Q. Smith");
  assert.equal(jane.lead.email, "JANE@example.COM", "the latest email as typed (trimmed)");
  assert.equal(jane.lead.company, "Acme", "an attribute the later submission did not carry is kept");
  assert.deepEqual(jane.lead.customFields, { message: "Second" });
  assert.equal(jane.lead.submissionCount, 2);
  assert.equal(jane.lead.source, "api");
  assert.deepEqual(jane.submissions.map((s) => s.id).sort(), [first.submissionId, second.submissionId].sort());
  const bySubmission = Object.fromEntries(jane.submissions.map((s) => [s.id, s]));
  assert.deepEqual(bySubmission[first.submissionId].formData, { name: "Jane Smith", email: "Jane@Example.com", company: "Acme", message: "First" });
  assert.deepEqual(bySubmission[second.submissionId].formData, { name: "Jane Q. Smith", email: "JANE@example.COM", message: "Second" });
  assert.equal(jane.lead.lastSubmissionAt, Math.max(...jane.submissions.map((s) => s.submittedAt)));
  assert.deepEqual(jane.activity.map((a) => [a.type, a.by]), [["created", "visitor"], ["submitted", "visitor"]]);
  // The trail says what the later submission changed (names, not values): an owner sees
  // when someone's submission rewrote who the lead is.
  assert.equal(jane.activity[1].note, "Changed: name, lastName, email");

  const john = await capture("tool_match", { name: "John Smith", email: "john@example.com" });
  assert.notEqual(john.leadId, first.leadId, "another email is another person");

  // No email: the phone, normalized to E.164 ("00" counts as "+").
  const pat = await capture("tool_match", { name: "Pat", phone: "+1 (415) 555-0100" });
  const patAgain = await capture("tool_match", { name: "Pat Doe", phone: "+14155550100" });
  assert.equal(patAgain.leadId, pat.leadId);
  const patLead = (await detail(pat.leadId)).lead;
  assert.deepEqual([patLead.name, patLead.phone, patLead.email, patLead.submissionCount], ["Pat Doe", "+14155550100", null, 2]);

  const kai = await capture("tool_match", { name: "Kai", phone: "0049 30 1234567" });
  const kaiAgain = await capture("tool_match", { name: "Kai", phone: "+49301234567" });
  assert.equal(kaiAgain.leadId, kai.leadId);
  assert.notEqual(kai.leadId, pat.leadId);

  // A number without its country code is kept as typed and never matched.
  const national = await capture("tool_match", { name: "Lee", phone: "(415) 555-0123" });
  const nationalAgain = await capture("tool_match", { name: "Lee", phone: "(415) 555-0123" });
  assert.notEqual(nationalAgain.leadId, national.leadId);
  assert.equal((await detail(national.leadId)).lead.phone, "(415) 555-0123");

  // A phone matches only leads with no email or the same email.
  await capture("tool_match", { name: "Jane Smith", email: "jane@example.com", phone: "+44 20 7946 0958" });
  const stranger = await capture("tool_match", { name: "Someone Else", email: "someone@else.example", phone: "+442079460958" });
  assert.notEqual(stranger.leadId, first.leadId, "Jane's phone, but another email: another lead");

  const all = await allLeads(stack, "agent_match");
  assert.equal(all.leads.length, 7); // Jane, John, Pat, Kai, Lee twice, Someone Else
  assert.equal(new Set(all.leads.map((l) => l.id)).size, 7);
  assert.equal(all.total, 7);
  assert.deepEqual(await counters("agent_match"), { total: 7, new: 7, contacted: 0, qualified: 0, converted: 0, lost: 0 });
});

test("every stage move is recorded with from, to, who, reason and note; bad updates change nothing", async () => {
  await makeAgent("agent_pipe");
  await makeTool("agent_pipe", { id: "tool_pipe", name: "pipe_form", fields: PERSON_FIELDS });
  const { leadId } = await capture("tool_pipe", { name: "Ada Lovelace", email: "ada@example.com", message: "Hi" });

  const moves = [
    [{ stage: "contacted" }, { from: "new", to: "contacted", reason: null, note: null }],
    [{ stage: "qualified", note: "Budget confirmed" }, { from: "contacted", to: "qualified", reason: null, note: "Budget confirmed" }],
    [{ stage: "converted" }, { from: "qualified", to: "converted", reason: null, note: null }],
    [{ stage: "lost", lostReason: "Chose a competitor" }, { from: "converted", to: "lost", reason: "Chose a competitor", note: null }],
    [{ stage: "new", note: "They came back" }, { from: "lost", to: "new", reason: null, note: "They came back" }],
  ];
  let trail = (await detail(leadId)).activity;
  assert.equal(trail.length, 1);
  for (const [body, expected] of moves) {
    const t0 = Date.now();
    const res = await patchLead(leadId, body);
    assert.equal(res.status, 200, `${JSON.stringify(body)}: ${res.text}`);
    assert.deepEqual(Object.keys(res.json).sort(), ["activity", "lead"]);
    assert.equal(res.json.lead.stage, expected.to);
    assert.equal(res.json.lead.lostReason, expected.reason, "lost keeps its reason; leaving lost clears it");
    assert.equal(res.json.activity.length, trail.length + 1, "one entry per move (a note rides on it)");
    const entry = res.json.activity.at(-1);
    assert.deepEqual(entryOf(entry), { type: "stage_changed", by: "admin", ...expected });
    assert.ok(entry.at >= t0 - 1000 && entry.at <= Date.now() + 1000, `at ${entry.at}`);
    assert.deepEqual(res.json.activity.slice(0, -1), trail, "the trail before is kept as it was");
    trail = res.json.activity;
  }
  assert.deepEqual(
    trail.filter((a) => a.type === "stage_changed").map((a) => [a.from, a.to]),
    [["new", "contacted"], ["contacted", "qualified"], ["qualified", "converted"], ["converted", "lost"], ["lost", "new"]],
  );

  // Bad updates: a 400 naming the key, and the lead exactly as it was.
  const before = await detail(leadId);
  const bad = [
    [{ stage: "lost" }, "lostReason"],
    [{ stage: "lost", lostReason: "Aliens" }, "lostReason"],
    [{ stage: "contacted", lostReason: "Other" }, "lostReason"],
    [{ stage: "won" }, "stage"],
    [{ stage: "Lost" }, "stage"],
    [{ owner: "me" }, "owner"],
    [{ stage: "contacted", priority: "high" }, "priority"],
    [{ note: "" }, "note"],
    [{ note: "x".repeat(5001) }, "note"],
    [{}, undefined],
    [{ customFields: { tags: ["a", "b"] } }, /^customFields/],
    [{ customFields: "budget=10k" }, /^customFields/],
    // A lead is one row and every key a CSV column: 100 custom fields, 100 KB in all.
    [{ customFields: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, "v"])) }, "customFields"],
    [{ customFields: Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`k${i}`, "x".repeat(9_000)])) }, "customFields"],
    // Text an owner types: a NUL would cut a CSV cell or header short in a spreadsheet.
    [{ customFields: { budget: "10\u0000k" } }, "customFields.budget"],
    [{ customFields: { "\u0000nul": "v" } }, "customFields"],
  ];
  for (const [body, field] of bad) {
    const res = await patchLead(leadId, body);
    assert.equal(res.status, 400, `${JSON.stringify(body).slice(0, 80)}: ${res.text}`);
    assert.equal(res.json.success, false);
    assert.equal(res.json.error.code, "invalid_field");
    if (field instanceof RegExp) assert.match(res.json.error.field, field);
    else if (field) assert.equal(res.json.error.field, field, JSON.stringify(body).slice(0, 80));
    assert.ok(res.json.error.message.length > 3);
  }
  const notJson = await patchLead(leadId, "{stage:");
  assert.equal(notJson.status, 400);
  assert.equal(notJson.json.error.code, "invalid_json");
  assert.deepEqual(await detail(leadId), before, "no bad update changed anything");

  // Staying in the stage the lead is in records no move.
  const stay = await patchLead(leadId, { stage: "new" });
  assert.equal(stay.status, 200, stay.text);
  assert.deepEqual(stay.json.activity, before.activity);
  assert.equal(stay.json.lead.stage, "new");

  // A note alone; the longest note allowed.
  const noted = await patchLead(leadId, { note: "Called, left a voicemail" });
  assert.equal(noted.status, 200, noted.text);
  assert.deepEqual(entryOf(noted.json.activity.at(-1)), { type: "note", from: null, to: null, by: "admin", reason: null, note: "Called, left a voicemail" });
  const longest = await patchLead(leadId, { note: "y".repeat(5000) });
  assert.equal(longest.status, 200, longest.text);
  assert.equal(longest.json.activity.at(-1).note, "y".repeat(5000));

  // Custom fields: set, add, remove with null.
  const edited = await patchLead(leadId, { customFields: { budget: "20k", seats: 12, vip: true, message: null } });
  assert.equal(edited.status, 200, edited.text);
  assert.deepEqual(edited.json.lead.customFields, { budget: "20k", seats: 12, vip: true });
  assert.deepEqual(entryOf(edited.json.activity.at(-1)), { type: "fields_edited", from: null, to: null, by: "admin", reason: null, note: null });

  const final = await detail(leadId);
  assert.deepEqual(final.activity, edited.json.activity, "the detail shows the same trail");
  assert.deepEqual(final.lead, edited.json.lead);
  assert.equal((await patchLead("lead_000000000000000000000000", { stage: "contacted" })).status, 404);
  assert.deepEqual(await counters("agent_pipe"), { total: 1, new: 1, contacted: 0, qualified: 0, converted: 0, lost: 0 });
});

test("an owner corrects a lead's contact: checked like a form's fields, one lead per email, in the trail, searched and exported as corrected", async () => {
  await makeAgent("agent_fix");
  await makeTool("agent_fix", { id: "tool_fix", name: "fix_form", fields: PERSON_FIELDS });
  const { leadId } = await capture("tool_fix", { name: "Ann Lee", email: "ann@typo.example", phone: "+1 202 555 0100", company: "Old Co" });
  const other = await capture("tool_fix", { name: "Bo", email: "bo@example.com" });
  const before = await api("GET", `/v1/leads/${leadId}`);

  // Refused, naming the attribute, and nothing changes.
  for (const [contact, field] of [
    [{ email: "not an email" }, "contact.email"],
    [{ website: "javascript:alert(1)" }, "contact.website"],
    [{ phone: "call me maybe" }, "contact.phone"],
    [{ company: "x".repeat(201) }, "contact.company"],
    [{ name: "a\nb" }, "contact.name"],
    [{ stage: "lost" }, "contact.stage"],
    [{ email: " BO@example.com " }, "contact.email"],
  ]) {
    const res = await patchLead(leadId, { contact });
    assert.equal(res.status, 400, `${JSON.stringify(contact)}: ${res.text}`);
    assert.equal(res.json.error.field, field, JSON.stringify(contact));
  }
  assert.equal((await api("GET", `/v1/leads/${leadId}`)).json.lead.version, before.json.lead.version, "nothing was written");
  // Only an owner who may write leads.
  const reader = await api("POST", "/v1/keys", { name: "reader", scopes: ["leads:read"] });
  assert.equal((await api("PATCH", `/v1/leads/${leadId}`, { contact: { company: "X" } }, reader.json.key)).status, 403);

  const fixed = await ownerRequest(stack, "PATCH", `/v1/leads/${leadId}`, {
    body: { contact: { name: "Ann Leigh", email: "ann@example.com", phone: null, company: " New Co " } },
    headers: { "If-Match": before.headers.get("etag") },
  });
  assert.equal(fixed.status, 200, fixed.text);
  const lead = fixed.json.lead;
  assert.deepEqual(
    [lead.name, lead.firstName, lead.lastName, lead.email, lead.phone, lead.company],
    ["Ann Leigh", "Ann", "Leigh", "ann@example.com", null, "New Co"],
  );
  const entry = fixed.json.activity.find((a) => a.type === "contact_edited");
  assert.ok(entry, JSON.stringify(fixed.json.activity));
  assert.equal(entry.by, "admin");
  assert.equal(entry.note, "Changed: name, lastName, email, phone, company", "names, not the values");
  // A stale If-Match is refused like any lead change.
  const stale = await ownerRequest(stack, "PATCH", `/v1/leads/${leadId}`, { body: { contact: { company: "Z" } }, headers: { "If-Match": before.headers.get("etag") } });
  assert.equal(stale.status, 412, stale.text);

  // Searched and exported as corrected.
  const found = await api("GET", `/v1/agents/agent_fix/leads?q=new%20co`);
  assert.deepEqual(found.json.leads.map((l) => l.id), [leadId]);
  const csv = parse((await api("GET", "/v1/agents/agent_fix/leads.csv")).text, { columns: true, bom: true });
  const row = csv.find((r) => r["Lead ID"] === leadId);
  assert.equal(row["Company Name"], "New Co");
  assert.equal(row.Email, "ann@example.com");

  // The corrected email is the one the next submission finds the lead by.
  const again = await capture("tool_fix", { name: "Ann Leigh", email: "ANN@example.com", message: "Back again" });
  assert.equal(again.leadId, leadId);
  // What the owner put stands against later submissions (anyone who knows the email can
  // send one); what they cleared is free again; the trail says which were kept.
  const later = await capture("tool_fix", { name: "Ann Leigh", email: "ann@example.com", company: "Hacked Inc", phone: "+1 202 555 0199" });
  assert.equal(later.leadId, leadId);
  const now = (await api("GET", `/v1/leads/${leadId}`)).json;
  assert.deepEqual([now.lead.email, now.lead.company, now.lead.phone], ["ann@example.com", "New Co", "+1 202 555 0199"]);
  const notes = now.activity.filter((a) => a.type === "submitted").map((a) => a.note);
  assert.ok(notes.includes("Changed: phone. Kept as the owner corrected: company"), JSON.stringify(notes));
  assert.equal(notes.filter((n) => n?.includes("email")).length, 0, "ANN@ and ann@ are one address: no news");
  const typo = await capture("tool_fix", { name: "Ann Lee", email: "ann@typo.example" });
  assert.notEqual(typo.leadId, leadId, "the old email is no longer this lead's");
  assert.notEqual(typo.leadId, other.leadId);
});

test("an agent's leads take at most 500 custom field names by hand: the export's columns stay bounded", async () => {
  await makeAgent("agent_names");
  await makeTool("agent_names", { id: "tool_names", name: "names_form", fields: PERSON_FIELDS });
  const { leadId } = await capture("tool_names", { name: "Ada Lovelace", email: "ada@example.com" });
  const names = (from, count = 100) => Array.from({ length: count }, (_, i) => `field_${from + i}`);
  const exportHeader = async () => {
    const csv = await fetch(`${stack.url}/v1/agents/agent_names/leads.csv`, { headers: { Authorization: `Bearer ${stack.apiKey}` } });
    return (await csv.text()).split("\r\n")[0].split(",");
  };
  const baseColumns = (await exportHeader()).length;
  // Each edit removes the last hundred names and adds a hundred new ones: the lead never
  // holds more than 100. Names no lead has any more give their place back, so this goes on.
  let held = [];
  for (let round = 0; round < 7; round++) {
    const fresh = names(round * 100);
    const changes = Object.fromEntries([...held.map((n) => [n, null]), ...fresh.map((n) => [n, "v"])]);
    const res = await patchLead(leadId, { customFields: changes });
    assert.equal(res.status, 200, `round ${round}: ${res.text}`);
    held = fresh;
  }
  assert.ok((await exportHeader()).length <= baseColumns + 500, "the export's columns are names some lead has, or were lately");
  // Names in use count: with 500 on five leads (a lead keeps at most 100), a 501st is
  // refused, naming the field.
  for (let i = 0; i < 4; i++) {
    const { leadId: another } = await capture("tool_names", { name: `Person ${i}`, email: `person${i}@example.com` });
    const more = await patchLead(another, { customFields: Object.fromEntries(names(1000 + i * 100).map((n) => [n, "v"])) });
    assert.equal(more.status, 200, more.text);
  }
  const { leadId: other } = await capture("tool_names", { name: "Alan Turing", email: "alan@example.com" });
  const past = await patchLead(other, { customFields: { field_5000: "v" } });
  assert.equal(past.status, 400, past.text);
  assert.equal(past.json.error.field, "customFields");
  assert.match(past.json.error.message, /500/);
  // Names in use stay usable, and one let go frees a place.
  const reuse = await patchLead(leadId, { customFields: { field_600: "back", field_699: null } });
  assert.equal(reuse.status, 200, reuse.text);
  const freed = await patchLead(other, { customFields: { field_5000: "v" } });
  assert.equal(freed.status, 200, freed.text);
  const header = await exportHeader();
  assert.equal(header.length, baseColumns + 500, `${header.length} columns`);
  assert.ok(header.includes("field_5000") && !header.includes("field_699") && !header.includes("field_0"));
});

test("an agent's own lostReasons replace the default list", async () => {
  await makeAgent("agent_reasons");
  await makeTool("agent_reasons", { id: "tool_reasons", name: "reasons_form", fields: PERSON_FIELDS });
  const { leadId } = await capture("tool_reasons", { name: "Alan Turing", email: "alan@example.com" });
  const { leadId: other } = await capture("tool_reasons", { name: "Joan Clarke", email: "joan@example.com" });

  // Every default reason works until the agent names its own.
  for (const reason of DEFAULT_LOST_REASONS) {
    const lost = await patchLead(other, { stage: "lost", lostReason: reason });
    assert.equal(lost.status, 200, `${reason}: ${lost.text}`);
    assert.equal(lost.json.lead.lostReason, reason);
    const back = await patchLead(other, { stage: "new" });
    assert.equal(back.status, 200, back.text);
    assert.equal(back.json.lead.lostReason, null);
  }
  const set = await api("PATCH", "/v1/agents/agent_reasons", { lostReasons: ["Went dark", "Too small"] });
  assert.equal(set.status, 200, set.text);

  const oldReason = await patchLead(leadId, { stage: "lost", lostReason: "No budget" });
  assert.equal(oldReason.status, 400, oldReason.text);
  assert.equal(oldReason.json.error.field, "lostReason");
  const own = await patchLead(leadId, { stage: "lost", lostReason: "Went dark" });
  assert.equal(own.status, 200, own.text);
  assert.equal(own.json.lead.lostReason, "Went dark");
  assert.deepEqual(entryOf(own.json.activity.at(-1)), { type: "stage_changed", from: "new", to: "lost", by: "admin", reason: "Went dark", note: null });
  const second = await patchLead(other, { stage: "lost", lostReason: "Too small" });
  assert.equal(second.status, 200, second.text);
  assert.equal(second.json.lead.lostReason, "Too small");
  assert.deepEqual(await counters("agent_reasons"), { total: 2, new: 0, contacted: 0, qualified: 0, converted: 0, lost: 2 });
});

test("why leads were lost: counts by reason, the list and the export of one reason's leads, kept through moves", async () => {
  await makeAgent("agent_why");
  await makeTool("agent_why", { id: "tool_why", name: "why_form", fields: PERSON_FIELDS });
  const ids = [];
  for (let i = 0; i < 4; i++) ids.push((await capture("tool_why", { name: `Why ${i}`, email: `why${i}@example.com` })).leadId);
  const [a, b, c, d] = ids;
  for (const [id, reason] of [[a, "No budget"], [b, "No budget"], [c, "Chose a competitor"]]) {
    const lost = await patchLead(id, { stage: "lost", lostReason: reason });
    assert.equal(lost.status, 200, lost.text);
  }
  // Another agent's lost leads count for it alone.
  await makeAgent("agent_why_b");
  await makeTool("agent_why_b", { id: "tool_why_b", name: "why_form_b", fields: PERSON_FIELDS });
  const elsewhere = (await capture("tool_why_b", { name: "Other Agent", email: "other-why@example.com" })).leadId;
  assert.equal((await patchLead(elsewhere, { stage: "lost", lostReason: "No budget" })).status, 200);

  const reasons = async () => (await api("GET", "/v1/agents/agent_why/leads/lost-reasons")).json.lostReasons;
  assert.deepEqual(await reasons(), [
    { reason: "No budget", leads: 2 },
    { reason: "Chose a competitor", leads: 1 },
  ]);
  const listed = await api("GET", `/v1/agents/agent_why/leads?stage=lost&lostReason=${encodeURIComponent("No budget")}`);
  assert.equal(listed.status, 200, listed.text);
  assert.deepEqual(listed.json.leads.map((l) => l.id).sort(), [a, b].sort());
  assert.equal(listed.json.total, 2);
  const csv = await api("GET", `/v1/agents/agent_why/leads.csv?lostReason=${encodeURIComponent("Chose a competitor")}`);
  const rows = parse(csv.text, { bom: true, columns: true });
  assert.deepEqual(rows.map((r) => [r["Lead ID"], r["Lead Status"], r["Lost Reason"]]), [[c, "Lost", "Chose a competitor"]]);

  // A lead won back leaves its reason's count; one lost again counts under its new reason.
  assert.equal((await patchLead(a, { stage: "contacted" })).status, 200);
  assert.equal((await patchLead(d, { stage: "lost", lostReason: "Chose a competitor" })).status, 200);
  assert.deepEqual(await reasons(), [
    { reason: "Chose a competitor", leads: 2 },
    { reason: "No budget", leads: 1 },
  ]);
  // A deleted lead leaves its reason's count; a note on a lost lead keeps it where it is.
  assert.equal((await api("DELETE", `/v1/leads/${b}`)).status, 204);
  assert.equal((await patchLead(c, { note: "Still with them" })).status, 200);
  assert.deepEqual(await reasons(), [{ reason: "Chose a competitor", leads: 2 }]);
  const long = await api("GET", `/v1/agents/agent_why/leads?lostReason=${"x".repeat(2001)}`);
  assert.equal(long.status, 400);
  assert.equal(long.json.error.field, "lostReason");
});

test("counters are exact after creates, moves and deletes, and agree with the list", async () => {
  await makeAgent("agent_count");
  await makeTool("agent_count", { id: "tool_count", name: "count_form", fields: PERSON_FIELDS });

  /** What the list says, stage by stage (each list's `total` checked against its length). */
  async function listed() {
    const out = {};
    const all = await allLeads(stack, "agent_count");
    assert.equal(all.total, all.leads.length);
    out.total = all.leads.length;
    for (const stage of STAGES) {
      const some = await allLeads(stack, "agent_count", `stage=${stage}`);
      assert.equal(some.total, some.leads.length, stage);
      assert.ok(some.leads.every((l) => l.stage === stage));
      out[stage] = some.leads.length;
    }
    return out;
  }
  async function expectCounts(expected) {
    const got = await counters("agent_count");
    assert.deepEqual(got, expected);
    assert.deepEqual(await listed(), expected, "the list agrees with the counters");
  }

  const ids = [];
  for (let i = 1; i <= 6; i++) ids.push((await capture("tool_count", { name: `Lead ${i}`, email: `lead${i}@example.com` })).leadId);
  await expectCounts({ total: 6, new: 6, contacted: 0, qualified: 0, converted: 0, lost: 0 });
  await capture("tool_count", { name: "Lead 1", email: "LEAD1@example.com" }); // the same person again
  await expectCounts({ total: 6, new: 6, contacted: 0, qualified: 0, converted: 0, lost: 0 });

  const move = async (id, body) => assert.equal((await patchLead(id, body)).status, 200);
  await move(ids[0], { stage: "contacted" });
  await move(ids[1], { stage: "contacted" });
  await move(ids[2], { stage: "qualified" });
  await move(ids[3], { stage: "converted" });
  await move(ids[4], { stage: "lost", lostReason: "Other" });
  await move(ids[1], { stage: "qualified" });
  await move(ids[2], { stage: "qualified" }); // no move
  await move(ids[0], { note: "not a move" });
  await expectCounts({ total: 6, new: 1, contacted: 1, qualified: 2, converted: 1, lost: 1 });

  for (const id of [ids[1], ids[5]]) assert.equal((await api("DELETE", `/v1/leads/${id}`)).status, 204);
  await expectCounts({ total: 4, new: 0, contacted: 1, qualified: 1, converted: 1, lost: 1 });
  await capture("tool_count", { name: "Lead 7", email: "lead7@example.com" });
  await move(ids[4], { stage: "new" });
  await expectCounts({ total: 5, new: 2, contacted: 1, qualified: 1, converted: 1, lost: 0 });
});

test("list filters: stage, source, toolId, q, from/to; bad values are a 400 naming the parameter", async () => {
  await makeAgent("agent_filter");
  await makeTool("agent_filter", { id: "tool_fa", name: "form_a", fields: PERSON_FIELDS });
  await makeTool("agent_filter", { id: "tool_fb", name: "form_b", fields: PERSON_FIELDS });
  const ada = await capture("tool_fa", { name: "Ada Lovelace", email: "ada@analytical.example", company: "Analytical Engines" }, { attribution: ATTRIBUTION }, { Origin: PAGE });
  const grace = await capture("tool_fa", { name: "Grace Hopper", email: "grace@navy.example", company: "US Navy" });
  const alan = await capture("tool_fb", { name: "Alan Turing", email: "alan@bletchley.example", company: "Bletchley Park" });
  const kj = await capture("tool_fb", { name: "Katherine Johnson", email: "kj@nasa.example", company: "NASA", phone: "+1 (757) 864-1000" });
  await capture("tool_fb", { name: "Grace Hopper", email: "grace@navy.example" }); // Grace, now through form b too
  assert.equal((await patchLead(grace.leadId, { stage: "contacted" })).status, 200);

  const all = (await allLeads(stack, "agent_filter")).leads;
  assert.equal(all.length, 4);
  assertNewestFirst(all);
  const byId = Object.fromEntries(all.map((l) => [l.id, l]));
  assert.equal(byId[grace.leadId].toolId, "tool_fb", "toolId is the form of the latest submission");
  const ids = (predicate) => all.filter(predicate).map((l) => l.id);

  async function expectIds(query, expected) {
    const res = await api("GET", `/v1/agents/agent_filter/leads?${query}`);
    assert.equal(res.status, 200, `${query}: ${res.text}`);
    assert.deepEqual(res.json.leads.map((l) => l.id), expected, query);
    assert.equal(res.json.total, expected.length, `total of ${query}`);
    assert.equal(res.json.nextCursor, null);
  }
  const at = (lead) => byId[lead.leadId].createdAt;

  await expectIds("stage=contacted", [grace.leadId]);
  await expectIds("stage=new", ids((l) => l.id !== grace.leadId));
  await expectIds("stage=lost", []);
  await expectIds("source=widget", [ada.leadId]);
  await expectIds("source=api", ids((l) => l.id !== ada.leadId));
  await expectIds("source=telegram", []);
  await expectIds("toolId=tool_fa", ids((l) => [ada.leadId, grace.leadId].includes(l.id)));
  await expectIds("toolId=tool_fb", ids((l) => [alan.leadId, kj.leadId, grace.leadId].includes(l.id)));
  await expectIds("toolId=tool_none", []);
  await expectIds("q=LOVELACE", [ada.leadId]); // name
  await expectIds("q=navy.EXAMPLE", [grace.leadId]); // email
  await expectIds(`q=${encodeURIComponent("bletchley PARK")}`, [alan.leadId]); // company
  await expectIds("q=nasa", [kj.leadId]); // email and company, one lead
  await expectIds("q=zzz", []);
  // A phone number finds its lead by its digits, however either was typed.
  await expectIds(`q=${encodeURIComponent("757 864 1000")}`, [kj.leadId]);
  await expectIds(`q=${encodeURIComponent("(757) 864-1000")}`, [kj.leadId]);
  await expectIds(`q=${encodeURIComponent("+1 757 864 1001")}`, []);
  await expectIds("q=grace&stage=contacted", [grace.leadId]);
  await expectIds("q=grace&stage=new", []);
  await expectIds("q=a&source=widget&toolId=tool_fa", [ada.leadId]);
  await expectIds("color=red", all.map((l) => l.id)); // unknown parameters are ignored

  // Time bounds are inclusive: milliseconds, ISO 8601, or whole UTC days.
  await expectIds(`from=${at(alan)}`, ids((l) => l.createdAt >= at(alan)));
  await expectIds(`to=${at(grace)}`, ids((l) => l.createdAt <= at(grace)));
  await expectIds(`from=${at(grace)}&to=${at(alan)}`, ids((l) => l.createdAt >= at(grace) && l.createdAt <= at(alan)));
  await expectIds(`from=${encodeURIComponent(new Date(at(alan)).toISOString())}`, ids((l) => l.createdAt >= at(alan)));
  const firstDay = utcDay(Math.min(...all.map((l) => l.createdAt)));
  const lastDay = utcDay(Math.max(...all.map((l) => l.createdAt)));
  await expectIds(`from=${firstDay}&to=${lastDay}`, all.map((l) => l.id));
  await expectIds(`to=${lastDay}`, all.map((l) => l.id)); // `to` covers its whole day
  await expectIds(`from=${utcDay(Date.parse(lastDay) + 86_400_000)}`, []);
  await expectIds(`to=${utcDay(Date.parse(firstDay) - 86_400_000)}`, []);

  const bad = [
    ["stage=bogus", "stage"],
    ["stage=New", "stage"],
    ["limit=0", "limit"],
    ["limit=101", "limit"],
    ["limit=ten", "limit"],
    ["cursor=garbage", "cursor"],
    ["from=notadate", "from"],
    ["to=notadate", "to"],
    ["from=2026-13-01", "from"],
    [`q=${"q".repeat(201)}`, "q"],
  ];
  for (const [query, field] of bad) {
    const res = await api("GET", `/v1/agents/agent_filter/leads?${query}`);
    assert.equal(res.status, 400, `${query}: ${res.text}`);
    assert.equal(res.json.success, false);
    assert.equal(res.json.error.code, "invalid_field", query);
    assert.equal(res.json.error.field, field, query);
  }
  const limits = await api("GET", "/v1/agents/agent_filter/leads?limit=1");
  assert.equal(limits.json.leads.length, 1);
  assert.equal(limits.json.total, 4);
  assert.equal((await api("GET", "/v1/agents/agent_filter/leads?limit=100")).status, 200);
  const csvBad = await api("GET", "/v1/agents/agent_filter/leads.csv?profile=crm&stage=bogus");
  assert.equal(csvBad.status, 400, "the export takes the same filters");
  assert.equal(csvBad.json.error.field, "stage");
});

test("paging is keyset: leads arriving between pages never shift a page", async () => {
  await makeAgent("agent_page");
  await makeTool("agent_page", { id: "tool_page", name: "page_form", fields: PERSON_FIELDS });
  const created = [];
  for (let i = 0; i < 30; i++) created.push((await capture("tool_page", { name: `Early ${i}`, email: `early${i}@example.com` })).leadId);
  const initial = (await allLeads(stack, "agent_page")).leads;
  assert.deepEqual(initial.map((l) => l.id).sort(), [...created].sort());
  assertNewestFirst(initial);

  const seen = [];
  const sizes = [];
  let cursor = null;
  let page = 0;
  for (; page < 10; page++) {
    const query = cursor ? `limit=7&cursor=${encodeURIComponent(cursor)}` : "limit=7";
    const res = await api("GET", `/v1/agents/agent_page/leads?${query}`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.total, 30 + page, "total counts the leads there are now");
    seen.push(...res.json.leads);
    sizes.push(res.json.leads.length);
    cursor = res.json.nextCursor;
    if (cursor === null) break;
    assert.equal(typeof cursor, "string");
    // Between pages a new lead arrives, and one of the oldest submits again.
    await capture("tool_page", { name: `Late ${page}`, email: `late${page}@example.com` });
    const oldest = initial.at(-1 - page);
    await capture("tool_page", { name: oldest.name, email: oldest.email, message: "again" });
  }
  assert.deepEqual(sizes, [7, 7, 7, 7, 2], "the last page is short and says so with a null nextCursor");
  assert.deepEqual(seen.map((l) => l.id), initial.map((l) => l.id), "every starting lead once, in order; no newcomer, no repeat");
  assert.equal(new Set(seen.map((l) => l.id)).size, 30);
  assertNewestFirst(seen);
  const after = await allLeads(stack, "agent_page", "", { limit: 100 });
  assert.equal(after.leads.length, 30 + 4);
  assertNewestFirst(after.leads);
});

test("delete is permanent: lead, submissions and files answer 404, counters drop, analytics keep their count", async () => {
  await makeAgent("agent_del");
  await makeTool("agent_del", {
    id: "tool_del",
    name: "del_form",
    fields: [
      { name: "name", type: "text" },
      { name: "email", type: "email", required: true },
      { name: "logo", type: "file" },
    ],
  });
  const sha = createHash("sha256").update(PNG_1X1).digest("hex");
  const first = await capture("tool_del", { name: "Victim", email: "victim@example.com", logo: fileDataUrl("image/png", PNG_1X1, "a.png") }, { conversationId: "conv_del" });
  const second = await capture("tool_del", { name: "Victim", email: "victim@example.com", logo: fileDataUrl("image/png", PNG_1X1, "b.png") });
  assert.equal(second.leadId, first.leadId);
  const bystander = await capture("tool_del", { name: "Bystander", email: "by@example.com", logo: fileDataUrl("image/png", PNG_1X1, "c.png") });

  const shown = await detail(first.leadId);
  const { url: leadFileUrl, ...leadFile } = shown.lead.customFields.logo;
  assert.deepEqual(leadFile, { name: "b.png", contentType: "image/png", size: PNG_1X1.length, sha256: sha }, "a file custom field is described, latest wins");
  const links = shown.submissions.map((s) => s.formData.logo.url);
  assert.equal(links.length, 2);
  for (const link of [...links, leadFileUrl]) {
    assert.ok(link.startsWith(`${stack.url}/files/`), link);
    const res = await fetch(link);
    assert.equal(res.status, 200, link);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(PNG_1X1), "the bytes as sent");
  }
  const bystanderLink = (await detail(bystander.leadId)).submissions[0].formData.logo.url;
  const analytics = async () => {
    const res = await api("GET", "/form-submissions/analytics?agentId=agent_del");
    assert.equal(res.status, 200, res.text);
    return res.json.analytics.find((a) => a.toolId === "tool_del");
  };
  const statsBefore = await analytics();
  assert.equal(statsBefore.submitted, 3);
  assert.deepEqual(await counters("agent_del"), { total: 2, new: 2, contacted: 0, qualified: 0, converted: 0, lost: 0 });

  const deleted = await api("DELETE", `/v1/leads/${first.leadId}`);
  assert.equal(deleted.status, 204, deleted.text);
  assert.equal(deleted.text, "");

  assert.equal((await api("GET", `/v1/leads/${first.leadId}`)).status, 404);
  for (const id of [first.submissionId, second.submissionId]) {
    assert.equal((await api("GET", `/v1/submissions/${id}`)).status, 404, id);
    assert.equal((await api("GET", `/v1/submissions/${id}/deliveries`)).status, 404, id);
  }
  for (const link of [...links, leadFileUrl]) assert.equal((await fetch(link)).status, 404, `${link} after delete`);
  assert.deepEqual(await counters("agent_del"), { total: 1, new: 1, contacted: 0, qualified: 0, converted: 0, lost: 0 });
  assert.deepEqual((await allLeads(stack, "agent_del")).leads.map((l) => l.id), [bystander.leadId]);
  const subs = await api("GET", "/v1/agents/agent_del/submissions");
  assert.deepEqual(subs.json.submissions.map((s) => s.id), [bystander.submissionId]);
  assert.deepEqual((await api("GET", "/v1/agents/agent_del/submissions?conversationId=conv_del")).json.submissions, []);
  assert.deepEqual(await analytics(), statsBefore, "form analytics keep their counts");
  assert.equal((await api("DELETE", `/v1/leads/${first.leadId}`)).status, 404, "gone is gone");
  assert.equal((await patchLead(first.leadId, { stage: "contacted" })).status, 404);

  // The other lead and its file are untouched; the same person later is a new lead.
  assert.equal((await fetch(bystanderLink)).status, 200);
  const back = await capture("tool_del", { name: "Victim", email: "victim@example.com" });
  assert.notEqual(back.leadId, first.leadId);
  const fresh = await detail(back.leadId);
  assert.equal(fresh.lead.submissionCount, 1);
  assert.equal(fresh.submissions.length, 1);
});

test("a lead a script submits to again and again still opens, with its newest submissions, and deletes", async () => {
  // Anyone who knows a lead's email can add submissions to it: its page must not grow with them.
  await makeAgent("agent_flooded");
  await makeTool("agent_flooded", { id: "tool_flooded", name: "flooded_form", fields: PERSON_FIELDS });
  const ids = [];
  const first = await capture("tool_flooded", { name: "Flood first", email: "target@example.com" });
  ids.push(first.submissionId);
  // The owner worked the lead before the flood: its stage history stays in view.
  assert.equal((await patchLead(first.leadId, { stage: "contacted", note: "called" })).status, 200);
  for (let i = 0; i < 250; i++) {
    const sent = await capture("tool_flooded", { name: `Flood ${i}`, email: "target@example.com" }, { conversationId: `conv_flood_${i}` });
    ids.push(sent.submissionId);
  }
  const last = await capture("tool_flooded", { name: "Flood last", email: "target@example.com" });
  ids.push(last.submissionId);
  const { leadId } = last;
  const shown = await detail(leadId);
  assert.equal(shown.lead.submissionCount, 252);
  assert.equal(shown.submissions.length, 100, "the newest hundred");
  assert.deepEqual(shown.submissions.map((s) => s.id), ids.slice(152), "oldest first among them");
  assert.equal(shown.activity.filter((a) => a.type === "submitted").length, 200, "the newest 200 submissions of the trail");
  assert.deepEqual(
    shown.activity.filter((a) => a.type !== "submitted").map((a) => [a.type, a.to ?? null]),
    [["created", "new"], ["stage_changed", "contacted"]],
    "its creation and the owner's stage move, however many submissions came after",
  );
  assert.deepEqual(shown.conversationIds, Array.from({ length: 10 }, (_, i) => `conv_flood_${240 + i}`), "the newest ten conversations");
  const deleted = await api("DELETE", `/v1/leads/${leadId}`);
  assert.equal(deleted.status, 204, deleted.text);
  assert.equal((await api("GET", `/v1/agents/agent_flooded/submissions`)).json.submissions.length, 0);
});

test("long answers sent to several forms under one email keep the lead within its row: earlier large fields make room", async () => {
  // What a stranger could do to someone's lead: past D1's 2 MB row, every later submission
  // of that person would fail with it.
  await makeAgent("agent_long");
  const notes = ["a", "b", "c", "d", "e", "f"].map((n) => ({ name: `notes_${n}`, type: "textarea", maxLength: 100_000 }));
  await makeTool("agent_long", { id: "tool_long", name: "long_form", fields: [...PERSON_FIELDS, ...notes] });
  const long = (letters) => Object.fromEntries(letters.map((n) => [`notes_${n}`, "é".repeat(100_000)]));
  const first = await capture("tool_long", { name: "Long One", email: "long@example.com", ...long(["a", "b", "c"]) });
  const second = await capture("tool_long", { name: "Long One", email: "long@example.com", ...long(["d", "e", "f"]) });
  assert.equal(second.leadId, first.leadId);
  const { lead } = await detail(first.leadId);
  const bytes = Buffer.byteLength(JSON.stringify(lead.customFields));
  assert.ok(bytes <= 1024 * 1024, `${bytes} bytes of custom fields`);
  assert.deepEqual(Object.keys(lead.customFields).sort(), ["notes_b", "notes_c", "notes_d", "notes_e", "notes_f"], "the newest answers kept, one earlier one gone");
  // Every submission keeps all it carried.
  const { json } = await api("GET", `/v1/submissions/${first.submissionId}`);
  assert.equal(json.submission.formData.notes_a.length, 100_000);
});

test("an agent's submissions by form and conversation, newest first, paged", async () => {
  await makeAgent("agent_conv");
  await makeTool("agent_conv", { id: "tool_conv_a", name: "conv_a", fields: PERSON_FIELDS });
  await makeTool("agent_conv", { id: "tool_conv_b", name: "conv_b", fields: PERSON_FIELDS });
  const a1 = await capture("tool_conv_a", { name: "One", email: "one@example.com" }, { conversationId: "conv_1" });
  const a2 = await capture("tool_conv_a", { name: "Two", email: "two@example.com" }, { conversationId: "conv_1" });
  const b1 = await capture("tool_conv_b", { name: "One", email: "one@example.com" }, { conversationId: "conv_1" });
  const a3 = await capture("tool_conv_a", { name: "Three", email: "three@example.com" }, { conversationId: "conv_2" });
  const a4 = await capture("tool_conv_a", { name: "Four", email: "four@example.com" });

  // The contract's order, from each submission's own time.
  const at = {};
  for (const s of [a1, a2, b1, a3, a4]) at[s.submissionId] = (await api("GET", `/v1/submissions/${s.submissionId}`)).json.submission.submittedAt;
  const newestFirst = (...subs) =>
    subs.map((s) => s.submissionId).sort((x, y) => at[y] - at[x] || (y > x ? 1 : y < x ? -1 : 0));

  async function expectSubs(query, expected) {
    const res = await api("GET", `/v1/agents/agent_conv/submissions?${query}`);
    assert.equal(res.status, 200, `${query}: ${res.text}`);
    assert.deepEqual(res.json.submissions.map((s) => s.id), expected, query);
    assert.equal(res.json.nextCursor, null);
    return res.json.submissions;
  }
  const found = await expectSubs("toolId=tool_conv_a&conversationId=conv_1", newestFirst(a1, a2));
  assert.ok(found.every((s) => s.toolId === "tool_conv_a" && s.conversationId === "conv_1"));
  await expectSubs("conversationId=conv_1", newestFirst(a1, a2, b1));
  await expectSubs("conversationId=conv_2", [a3.submissionId]);
  await expectSubs("conversationId=conv_none", []);
  await expectSubs(`leadId=${a1.leadId}`, newestFirst(a1, b1));
  await expectSubs("", newestFirst(a1, a2, b1, a3, a4));

  const first = await api("GET", "/v1/agents/agent_conv/submissions?conversationId=conv_1&limit=2");
  assert.deepEqual(first.json.submissions.map((s) => s.id), newestFirst(a1, a2, b1).slice(0, 2));
  assert.equal(typeof first.json.nextCursor, "string");
  const rest = await api("GET", `/v1/agents/agent_conv/submissions?conversationId=conv_1&limit=2&cursor=${encodeURIComponent(first.json.nextCursor)}`);
  assert.deepEqual(rest.json.submissions.map((s) => s.id), newestFirst(a1, a2, b1).slice(2));
  assert.equal(rest.json.nextCursor, null);
  assert.equal((await api("GET", "/v1/agents/agent_conv/submissions?cursor=garbage")).json?.error?.field, "cursor");
  assert.equal((await api("GET", "/v1/agents/agent_conv/submissions?limit=0")).json?.error?.field, "limit");

  assert.deepEqual((await detail(a1.leadId)).conversationIds, ["conv_1"]);
  assert.deepEqual((await detail(a3.leadId)).conversationIds, ["conv_2"]);
  assert.deepEqual((await detail(a4.leadId)).conversationIds, []);
});

test("CSV export: exact columns, BOM only for excel, RFC 4180 quoting, formulas neutralized, filters apply", async () => {
  await makeAgent("agent_csv");
  await makeTool("agent_csv", {
    id: "tool_csv",
    name: "csv_form",
    fields: [
      { name: "first_name", type: "text" },
      { name: "last_name", type: "text" },
      { name: "email", type: "email", required: true },
      { name: "phone", type: "phone" },
      { name: "company", type: "text" },
      { name: "website", type: "url" },
      { name: "plan", type: "text" },
      { name: "notes", type: "textarea" },
    ],
  });
  // First seen: `plan` (the first lead), then `notes` (the second).
  const zoe = await capture(
    "tool_csv",
    { first_name: "Zoë", last_name: "Ångström", email: "zoe@example.com", phone: "+1 (415) 555-0100", company: 'Müller, Söhne & "Partner"', website: "https://example.com/a?b=1,2", plan: "Pro 🚀" },
    { attribution: ATTRIBUTION },
    { Origin: PAGE },
  );
  const formula = await capture("tool_csv", {
    first_name: '=HYPERLINK("http://evil.example","click")',
    last_name: "+1+1",
    email: "formula@example.com",
    phone: "-415 555 0199",
    company: "-2",
    plan: "@SUM(A1:A2)",
    notes: 'line one\nline two, with a comma\n"quoted"',
  });
  const plain = await capture("tool_csv", { first_name: "Plain", last_name: "Row", email: "plain@example.com", phone: "(415) 555-0123" });
  // A tab or a carriage return cannot survive a form field (values are trimmed): set them by hand.
  const edited = await patchLead(plain.leadId, { stage: "contacted", customFields: { plan: "\tcmd", notes: "\rcr" } });
  assert.equal(edited.status, 200, edited.text);

  const leads = (await allLeads(stack, "agent_csv")).leads; // newest first, as the file
  const createdAt = Object.fromEntries(leads.map((l) => [l.id, l.createdAt]));
  const updated = (lead) => ({ "Lead ID": lead.leadId, "Last Updated": new Date(leads.find((l) => l.id === lead.leadId).updatedAt).toISOString() });
  const HEADER = ["First Name", "Last Name", "Email", "Phone Number", "Company Name", "Website URL", "Lead Status", "Lead Source", "Create Date", "Landing Page", "UTM Source", "UTM Medium", "UTM Campaign", "Lost Reason", "Lead ID", "Last Updated", "plan", "notes"];
  const noVisit = { "Landing Page": "", "UTM Source": "", "UTM Medium": "", "UTM Campaign": "" };
  const expected = (profile) => ({
    [zoe.leadId]: {
      "First Name": "Zoë",
      "Last Name": "Ångström",
      Email: "zoe@example.com",
      // As typed, the number would need the quote; a CRM gets it in E.164.
      "Phone Number": profile === "crm" ? "+14155550100" : "'+1 (415) 555-0100",
      "Company Name": 'Müller, Söhne & "Partner"',
      "Website URL": "https://example.com/a?b=1,2",
      "Lead Status": "New",
      "Lead Source": "Widget",
      "Create Date": new Date(createdAt[zoe.leadId]).toISOString(),
      "Lost Reason": "",
      ...updated(zoe),
      // Where the lead came from: its first visit.
      "Landing Page": ATTRIBUTION.landingPage,
      "UTM Source": "newsletter",
      "UTM Medium": "email",
      "UTM Campaign": "fall_launch",
      plan: "Pro 🚀",
      notes: "",
    },
    [formula.leadId]: {
      "First Name": `'=HYPERLINK("http://evil.example","click")`,
      "Last Name": "'+1+1",
      Email: "formula@example.com",
      "Phone Number": "'-415 555 0199",
      "Company Name": "'-2",
      "Website URL": "",
      "Lead Status": "New",
      "Lead Source": "API",
      "Create Date": new Date(createdAt[formula.leadId]).toISOString(),
      "Lost Reason": "",
      ...updated(formula),
      ...noVisit,
      plan: "'@SUM(A1:A2)",
      notes: 'line one\nline two, with a comma\n"quoted"',
    },
    [plain.leadId]: {
      "First Name": "Plain",
      "Last Name": "Row",
      Email: "plain@example.com",
      "Phone Number": "(415) 555-0123",
      "Company Name": "",
      "Website URL": "",
      "Lead Status": "Contacted",
      "Lead Source": "API",
      "Create Date": new Date(createdAt[plain.leadId]).toISOString(),
      "Lost Reason": "",
      ...updated(plain),
      ...noVisit,
      plan: "'\tcmd",
      notes: "'\rcr",
    },
  });

  for (const profile of ["crm", "excel"]) {
    const dayBefore = utcDay(Date.now());
    const res = await api("GET", `/v1/agents/agent_csv/leads.csv?profile=${profile}`);
    const dayAfter = utcDay(Date.now());
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get("content-type"), "text/csv; charset=utf-8");
    const disposition = res.headers.get("content-disposition");
    assert.ok(
      [dayBefore, dayAfter].some((day) => disposition === `attachment; filename="leads-agent_csv-${day}.csv"`),
      disposition,
    );
    const bom = res.bytes.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]));
    assert.equal(bom, profile === "excel", `${profile}: BOM ${bom}`);
    const text = res.bytes.subarray(bom ? 3 : 0).toString("utf8");
    assert.ok(text.startsWith(HEADER.join(",") + "\r\n"), JSON.stringify(text.slice(0, 200)));
    assert.ok(text.endsWith("\r\n"), "every record ends with CRLF");
    const outsideQuotes = text.replace(/"(?:[^"]|"")*"/g, "");
    assert.doesNotMatch(outsideQuotes, /(^|[^\r])\n/, "no bare LF between records");
    assert.ok(text.includes('"Müller, Söhne & ""Partner"""'), "quotes doubled inside a quoted cell");

    const rows = parse(res.text, { bom: true, columns: true, relax_column_count: false });
    const header = Object.keys(rows[0]);
    assert.deepEqual(header, HEADER);
    const want = expected(profile);
    assert.deepEqual(rows, leads.map((l) => want[l.id]), `${profile} rows, newest first`);
  }

  const contacted = await api("GET", "/v1/agents/agent_csv/leads.csv?profile=crm&stage=contacted");
  assert.equal(contacted.status, 200, contacted.text);
  assert.deepEqual(parse(contacted.text, { bom: true, columns: true, relax_column_count: false }), [expected("crm")[plain.leadId]]);
  const searched = await api("GET", "/v1/agents/agent_csv/leads.csv?profile=excel&q=zoe");
  assert.deepEqual(parse(searched.text, { bom: true, columns: true, relax_column_count: false }), [expected("excel")[zoe.leadId]]);
  const none = await api("GET", "/v1/agents/agent_csv/leads.csv?profile=crm&stage=lost");
  assert.equal(none.text, HEADER.join(",") + "\r\n", "no lead: the header alone");
  const badProfile = await api("GET", "/v1/agents/agent_csv/leads.csv?profile=pdf");
  assert.equal(badProfile.status, 400);
  assert.equal(badProfile.json.error.field, "profile");
  // The list's paging means nothing to an export: left aside, every lead is in it.
  const paged = await api("GET", "/v1/agents/agent_csv/leads.csv?profile=crm&limit=1&cursor=whatever");
  assert.equal(paged.status, 200, paged.text);
  assert.equal(parse(paged.text, { bom: true, columns: true, relax_column_count: false }).length, leads.length);
});

test("CSV export: a custom field named like a fixed column gets its own header, so an import cannot take it for the lead's email or id", async () => {
  await makeAgent("agent_csv_names");
  await makeTool("agent_csv_names", {
    id: "tool_csv_names",
    name: "csv_names_form",
    fields: [
      { name: "work_email", type: "email", required: true },
      { name: "Email", type: "text", leadAttribute: "custom" },
    ],
  });
  const ivy = await capture("tool_csv_names", { work_email: "ivy@example.com", Email: "spoof@evil.example" });
  const edited = await patchLead(ivy.leadId, { customFields: { "lead id": "lead_fake" } });
  assert.equal(edited.status, 200, edited.text);
  const res = await api("GET", "/v1/agents/agent_csv_names/leads.csv?profile=crm");
  assert.equal(res.status, 200, res.text);
  const [row] = parse(res.text, { bom: true, columns: true, relax_column_count: false });
  const header = Object.keys(row);
  assert.equal(new Set(header.map((h) => h.trim().toLowerCase())).size, header.length, `no header twice: ${header}`);
  assert.equal(row.Email, "ivy@example.com");
  assert.equal(row["Lead ID"], ivy.leadId);
  assert.equal(row["Email (custom)"], "spoof@evil.example");
  assert.equal(row["lead id (custom)"], "lead_fake");
});

test("markup in lead fields stays the exact string in the JSON", async () => {
  await makeAgent("agent_markup");
  await makeTool("agent_markup", { id: "tool_markup", name: "markup_form", fields: PERSON_FIELDS });
  const name = `<script>alert("x")</script>`;
  const company = `<img src=x onerror=alert(1)> & "Co"`;
  const message = `</script><script>alert(2)</script>`;
  const { leadId } = await capture("tool_markup", { name, email: "markup@example.com", company, message });
  const res = await api("GET", `/v1/leads/${leadId}`);
  assert.match(res.headers.get("content-type"), /^application\/json/);
  assert.equal(res.json.lead.name, name);
  assert.equal(res.json.lead.firstName, "<script>alert(\"x\")</script>");
  assert.equal(res.json.lead.company, company);
  assert.equal(res.json.lead.customFields.message, message);
  const listed = (await allLeads(stack, "agent_markup")).leads[0];
  assert.deepEqual([listed.name, listed.company, listed.customFields.message], [name, company, message]);
  const search = await api("GET", `/v1/agents/agent_markup/leads?q=${encodeURIComponent("<script>")}`);
  assert.deepEqual(search.json.leads.map((l) => l.id), [leadId]);
});

test("an export larger than one file may hold is refused before its first byte, naming the date range", async () => {
  // Each page of an export is a D1 query, and an invocation may make only so many.
  const small = await startStack({ vars: { EXPORT_MAX_LEADS: "2" } });
  try {
    assert.equal((await small.owner("POST", "/v1/agents", { id: "agent_big", name: "Big" })).status, 201);
    const tool = await small.owner("POST", "/v1/agents/agent_big/tools", { id: "tool_big", name: "big", title: "T", executionMode: "client", fields: PERSON_FIELDS });
    assert.equal(tool.status, 201, JSON.stringify(tool.body));
    for (const who of ["ann", "bob", "cy"]) {
      const sent = await postJson(small.url + "/form-submissions/submit", { toolId: "tool_big", formData: { name: who, email: `${who}@example.com` }, fieldsCompleted: [] });
      assert.equal(sent.status, 200, sent.text);
    }
    const all = await ownerRequest(small, "GET", "/v1/agents/agent_big/leads.csv");
    assert.equal(all.status, 400, all.text);
    assert.equal(all.json.error.field, "to");
    assert.match(all.json.error.message, /holds 3 leads .* at most 2/);
    const narrowed = await ownerRequest(small, "GET", "/v1/agents/agent_big/leads.csv?q=ann");
    assert.equal(narrowed.status, 200, narrowed.text);
    assert.equal(parse(narrowed.text, { bom: true, columns: true }).length, 1);
  } finally {
    await small.stop();
  }
});

test("where leads come from: per channel, landing page and campaign, by stage, kept through moves, a later first touch and deletes", async () => {
  await makeAgent("agent_origins");
  await makeTool("agent_origins", {
    id: "tool_origins",
    name: "origins_form",
    fields: [
      { name: "name", type: "text" },
      { name: "email", type: "email", required: true },
    ],
  });
  const visit = (landingPage, source, campaign) => ({
    attribution: { pageUrl: landingPage, referrer: null, landingPage, utm: { source, medium: null, campaign, term: null, content: null } },
  });
  const pricing = `${PAGE}/pricing`;
  const fromPage = { Origin: PAGE };
  // Two from /pricing (one through a Google ad, one through the newsletter: the query is not
  // part of the page), one from /demo, one through the API with no visit at all.
  const ann = await capture("tool_origins", { name: "Ann", email: "ann@origins.example" }, visit(`${pricing}?utm_source=google#plans`, "google", "spring"), fromPage);
  const bo = await capture("tool_origins", { name: "Bo", email: "bo@origins.example" }, visit(`${pricing}?utm_source=newsletter`, "newsletter", ""), fromPage);
  await capture("tool_origins", { name: "Cy", email: "cy@origins.example" }, visit(`${PAGE}/demo`, "google", "spring"), fromPage);
  const dee = await capture("tool_origins", { name: "Dee", email: "dee@origins.example" });
  assert.equal((await patchLead(ann.leadId, { stage: "converted" })).status, 200);
  assert.equal((await patchLead(bo.leadId, { stage: "qualified" })).status, 200);

  const origins = async (query = "") => {
    const res = await api("GET", `/v1/agents/agent_origins/leads/origins${query}`);
    assert.equal(res.status, 200, res.text);
    return res.json.origins;
  };
  const brief = (list) => list.map((o) => [o.value, o.total, o.qualified, o.converted, o.conversionRate]);
  let seen = await origins();
  assert.deepEqual(brief(seen.source), [["widget", 3, 1, 1, 33.33], ["api", 1, 0, 0, 0]]);
  assert.deepEqual(brief(seen.page), [[pricing, 2, 1, 1, 50], [`${PAGE}/demo`, 1, 0, 0, 0]]);
  assert.deepEqual(brief(seen.utmSource), [["google", 2, 0, 1, 50], ["newsletter", 1, 1, 0, 0]]);
  assert.deepEqual(brief(seen.utmCampaign), [["spring", 2, 0, 1, 50]], "an empty campaign is none");
  assert.deepEqual(Object.keys(seen.page[0]), ["value", "total", "new", "contacted", "qualified", "converted", "lost", "conversionRate"]);

  // Each origin opens its leads.
  const leadsFrom = async (query) => (await allLeads(stack, "agent_origins", query)).leads.map((l) => l.name).sort();
  assert.deepEqual(await leadsFrom(`landingPage=${encodeURIComponent(pricing)}`), ["Ann", "Bo"]);
  assert.deepEqual(await leadsFrom("utmSource=google&stage=converted"), ["Ann"]);
  assert.deepEqual(await leadsFrom("utmCampaign=spring"), ["Ann", "Cy"]);

  // Dee comes back from a page: the lead's first touch is now that visit, and it moves.
  await capture("tool_origins", { email: "dee@origins.example" }, visit(`${PAGE}/demo?ref=x`, "partner", "spring"), fromPage);
  seen = await origins();
  assert.deepEqual(brief(seen.page), [[`${PAGE}/demo`, 2, 0, 0, 0], [pricing, 2, 1, 1, 50]], "a tie goes by name");
  assert.deepEqual(brief(seen.utmSource), [["google", 2, 0, 1, 50], ["newsletter", 1, 1, 0, 0], ["partner", 1, 0, 0, 0]]);
  assert.deepEqual(brief(seen.source), [["widget", 3, 1, 1, 33.33], ["api", 1, 0, 0, 0]], "the channel is the lead's first");

  // A deleted lead leaves its origins.
  assert.equal((await api("DELETE", `/v1/leads/${ann.leadId}`)).status, 204);
  seen = await origins("?limit=1");
  assert.deepEqual(brief(seen.page), [[`${PAGE}/demo`, 2, 0, 0, 0]], "most leads first, one of each kind");
  assert.deepEqual(brief(seen.utmCampaign), [["spring", 2, 0, 0, 0]]);
  assert.equal((await api("GET", "/v1/agents/agent_origins/leads/origins?limit=0")).json.error.field, "limit");
});
