// The rest of seed 002's contract against the real local runtime: files (R2, signed links,
// type checks), client results with message and data, the `both` mode, and analytics with
// exact figures.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { startStack, startReceiver, contactForm, seedSubmit, postJson } from "./support/stack.mjs";

let stack;
let receiver;
const submit = (body, headers) => postJson(stack.url + "/form-submissions/submit", body, headers);
const report = (body) => postJson(stack.url + "/form-submissions/client-result", body);
// Each display comes from a widget load of its own, with the display token its config gave.
const tokens = new Map();
async function displayToken(agentId, displayId) {
  const key = `${agentId}/${displayId}`;
  if (!tokens.has(key)) {
    const res = await fetch(`${stack.url}/widget/config?agentId=${agentId}`);
    tokens.set(key, (await res.json()).displayToken);
  }
  return tokens.get(key);
}
const event = async (toolId, displayId, type) =>
  postJson(stack.url + "/form-submissions/events", {
    toolId,
    displayId,
    type,
    displayToken: await displayToken(toolId === "tool_other" ? "agent_other" : "agent_forms", displayId),
  });
const analytics = (query, key = stack.apiKey) =>
  fetch(`${stack.url}/form-submissions/analytics?${query}`, { headers: key ? { Authorization: `Bearer ${key}` } : {} }).then(
    async (res) => ({ status: res.status, body: await res.json() }),
  );

before(async () => {
  stack = await startStack({ vars: { RETRY_SCHEDULE_SECS: "0,1,1" } });
  // Leads named "fail" are refused for good (a 4xx is not retried): the failed column.
  receiver = await startReceiver({ respond: (req) => (req.json?.formData?.name === "fail" ? 400 : 200) });
  for (const id of ["agent_forms", "agent_other"]) {
    const agent = await stack.owner("POST", "/v1/agents", { id, name: id });
    assert.equal(agent.status, 201, JSON.stringify(agent.body));
  }
});

after(async () => {
  await receiver?.stop();
  await stack?.stop();
});

async function createTool(agentId, tool) {
  const created = await stack.owner("POST", `/v1/agents/${agentId}/tools`, tool);
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body;
}

const PDF = Buffer.from("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n");
const PNG = Buffer.from("89504e470d0a1a0a0000000d4948445200000001", "hex");
const dataUrl = (type, bytes, name) => `data:${type}${name ? `;name=${encodeURIComponent(name)}` : ""};base64,${bytes.toString("base64")}`;
const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

test("a file goes to R2; webhook and API describe it and link to its bytes", async () => {
  await createTool("agent_forms", contactForm(receiver.url + "/files", {
    id: "tool_files",
    name: "files_form",
    fields: [
      { name: "email", type: "email", required: true },
      { name: "deck", type: "file", required: true },
    ],
  }));
  const res = await submit({
    toolId: "tool_files",
    formData: { email: "jane@example.com", deck: dataUrl("application/pdf", PDF, "Q3 deck.pdf") },
    fieldsCompleted: ["email", "deck"],
  });
  assert.equal(res.status, 200, res.text);
  const id = res.json.submissionId;
  assert.equal(res.json.webhookResult.success, true, res.text);
  const hook = receiver.requests.find((r) => r.json?.submissionId === id);
  const deck = hook.json.formData.deck;
  assert.deepEqual(
    { name: deck.name, contentType: deck.contentType, size: deck.size, sha256: deck.sha256 },
    { name: "Q3 deck.pdf", contentType: "application/pdf", size: PDF.length, sha256: sha256(PDF) },
  );
  assert.ok(deck.url.startsWith(`${stack.url}/files/${id}/deck?expires=`), deck.url);

  const download = await fetch(deck.url);
  assert.equal(download.status, 200);
  assert.equal(download.headers.get("content-type"), "application/pdf");
  assert.match(download.headers.get("content-disposition"), /^attachment; filename="Q3 deck.pdf"/);
  assert.equal(download.headers.get("x-content-type-options"), "nosniff");
  assert.ok(Buffer.from(await download.arrayBuffer()).equals(PDF), "the bytes come back as sent");

  // A link cannot be stretched or pointed at another file.
  const longer = deck.url.replace(/expires=\d+/, (m) => `expires=${Number(m.slice(8)) + 1}`);
  const forged = await fetch(longer);
  assert.equal(forged.status, 403);
  assert.equal((await forged.json()).error.code, "invalid_file_link");
  assert.equal((await fetch(deck.url.replace("/deck?", "/email?"))).status, 403);

  // The stored row holds the description, not the bytes; the owner API links too.
  const owner = await stack.owner("GET", `/v1/submissions/${id}`);
  const shown = owner.body.submission.formData.deck;
  assert.equal(shown.sha256, sha256(PDF));
  assert.ok(!JSON.stringify(owner.body).includes(PDF.toString("base64")), "no base64 in D1");
  assert.ok(Buffer.from(await (await fetch(shown.url)).arrayBuffer()).equals(PDF));
});

test("a file's declared type must match its bytes; programs and oversize files are refused", async () => {
  const send = (deck) => submit({ toolId: "tool_files", formData: { email: "a@example.com", deck }, fieldsCompleted: ["email", "deck"] });
  const cases = [
    [dataUrl("application/pdf", PNG, "x.pdf"), 400, "invalid_field", /declared as application\/pdf but its contents are image\/png/],
    [dataUrl("image/png", Buffer.from("MZ\x90\x00program"), "setup.png"), 400, "invalid_field", /programs are not accepted/],
    [dataUrl("application/pdf", Buffer.alloc(5 * 1024 * 1024 + 1, 0x25), "big.pdf"), 400, "file_too_large", /file too large/],
    ["data:application/pdf;base64,%%%", 400, "invalid_field", /base64 data URL/],
    // A type no browser sends, which its file link could not send back as a header.
    ["data:text/pl\nain;base64,aGk=", 400, "invalid_field", /content type like image\/png/],
    [`data:application/${"a".repeat(200_000)};base64,aGk=`, 400, "invalid_field", /content type like image\/png/],
  ];
  for (const [deck, status, code, message] of cases) {
    const res = await send(deck);
    assert.equal(res.status, status, res.text);
    assert.equal(res.json.error.code, code);
    assert.equal(res.json.error.field, "deck");
    assert.match(res.json.error.message, message);
  }
  const png = await send(dataUrl("image/png", PNG, "logo.png"));
  assert.equal(png.status, 200, png.text);
});

test("client result: message and data are kept, bad ones are named", async () => {
  await createTool("agent_forms", contactForm(undefined, { id: "tool_crm", name: "crm_form", executionMode: "client" }));
  const res = await submit(seedSubmit({ toolId: "tool_crm" }));
  const id = res.json.submissionId;
  for (const [body, field] of [
    [{ submissionId: id, success: true, message: 5 }, "message"],
    [{ submissionId: id, success: true, data: [1] }, "data"],
    [{ submissionId: id, success: true, message: "x".repeat(1001) }, "message"],
  ]) {
    const bad = await report(body);
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.json.error.field, field);
  }
  const ok = await report({ submissionId: id, success: true, message: "Lead created in CRM", data: { crmLeadId: "crm_lead_789" } });
  assert.deepEqual(ok.json, { success: true, status: "client_success" });
  const stored = (await stack.owner("GET", `/v1/submissions/${id}`)).body.submission;
  assert.equal(stored.clientMessage, "Lead created in CRM");
  assert.deepEqual(stored.clientData, { crmLeadId: "crm_lead_789" });
  assert.equal(stored.result, "successful");
});

test("both mode: webhook and handler each report; the status follows the seed's table", async () => {
  await createTool("agent_forms", contactForm(receiver.url + "/both", { id: "tool_both", name: "both_form", executionMode: "both" }));
  const cases = [
    // [lead name (fail = receiver refuses), handler success, status after webhook, final status]
    ["Jane", true, "webhook_success", "success"],
    ["Jane", false, "webhook_success", "failed"],
    ["fail", true, "webhook_failed", "failed"],
  ];
  for (const [name, handlerOk, afterWebhook, final] of cases) {
    const res = await submit(seedSubmit({ toolId: "tool_both", formData: { name, email: "j@example.com" }, fieldsCompleted: ["name", "email"] }));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.executionMode, "both");
    assert.equal(res.json.clientHandler, "both_form");
    assert.ok(res.json.webhookResult, "both mode reports the webhook");
    await stack.waitForStatus(res.json.submissionId, [afterWebhook]);
    const reported = await report({ submissionId: res.json.submissionId, success: handlerOk });
    assert.equal(reported.json.status, final);
  }
  // A handler that reports before the webhook settles moves the status all the same.
  const slow = await startReceiver({ respond: () => 503 });
  await createTool("agent_forms", contactForm(slow.url + "/slow", { id: "tool_both_slow", name: "both_slow", executionMode: "both" }));
  const early = await submit(seedSubmit({ toolId: "tool_both_slow", formData: { name: "Jane", email: "j@example.com" }, fieldsCompleted: ["name", "email"] }));
  assert.equal(early.json.webhookResult.success, false);
  assert.equal(early.json.webhookResult.pending, true, "a 503 is retried: not final yet");
  assert.equal((await report({ submissionId: early.json.submissionId, success: true })).json.status, "client_success");
  await stack.waitForStatus(early.json.submissionId, ["failed"]);
  await slow.stop();
});

test("analytics: exact figures per form, a date range, and the owner key", async () => {
  await createTool("agent_forms", contactForm(receiver.url + "/stats", {
    id: "tool_stats",
    name: "stats_form",
    fields: [
      { name: "name", type: "text" },
      { name: "email", type: "email", required: true },
      { name: "phone", type: "phone" },
    ],
  }));
  await createTool("agent_forms", contactForm(receiver.url + "/quiet", { id: "tool_quiet", name: "quiet_form" }));
  await createTool("agent_other", contactForm(receiver.url + "/other", { id: "tool_other", name: "other_form" }));

  // Ten displays, d1 twice: one impression each. Six starts, d2 twice. Two dismissals.
  for (let i = 1; i <= 10; i++) assert.equal((await event("tool_stats", `d${i}`, "impression")).status, 202);
  await event("tool_stats", "d1", "impression");
  for (let i = 1; i <= 6; i++) await event("tool_stats", `d${i}`, "start");
  await event("tool_stats", "d2", "start");
  await event("tool_stats", "d7", "dismiss");
  await event("tool_stats", "d8", "dismiss");
  await event("tool_other", "x1", "impression");

  // Six submissions: four from started displays, one from a display whose events never
  // arrived (d11: it implies its impression and start), one without a display (API only).
  const leads = [
    ["d1", { name: "Ann", email: "ann@example.com" }],
    ["d2", { name: "Bo", email: "bo@example.com", phone: "+1 555 0100 22" }],
    ["d3", { name: "Cy", email: "cy@example.com" }],
    ["d4", { name: "fail", email: "dee@example.com" }],
    ["d11", { email: "eve@example.com" }],
    [undefined, { email: "fay@example.com", phone: "+44 20 7946 0958" }],
  ];
  const startedAgo = 5_000;
  // Every display was shown (its widget loaded) a few seconds before it was sent, as a person
  // would: a fill under a second would be quarantined as spam, and not counted.
  for (const [display] of leads) if (display) await displayToken("agent_forms", display);
  await new Promise((r) => setTimeout(r, 3_000));
  let slowest = 0;
  const ids = [];
  for (const [display, formData] of leads) {
    const sentAt = Date.now();
    const res = await submit({
      toolId: "tool_stats",
      formData,
      fieldsCompleted: Object.keys(formData),
      startedAt: sentAt - startedAgo,
      ...(display ? { idempotencyKey: display, displayToken: await displayToken("agent_forms", display) } : {}),
    });
    assert.equal(res.status, 200, res.text);
    slowest = Math.max(slowest, Date.now() - sentAt);
    ids.push([res.json.submissionId, formData.name === "fail" ? "webhook_failed" : "webhook_success"]);
  }
  for (const [id, status] of ids) await stack.waitForStatus(id, [status]);

  const res = await analytics("agentId=agent_forms");
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const byTool = Object.fromEntries(res.body.analytics.map((a) => [a.toolId, a]));
  assert.deepEqual(Object.keys(byTool).sort(), ["tool_both", "tool_both_slow", "tool_crm", "tool_files", "tool_quiet", "tool_stats"]);
  const stats = byTool.tool_stats;
  const { averageCompletionTimeMs, ...exact } = stats;
  assert.deepEqual(exact, {
    toolId: "tool_stats",
    toolName: "stats_form",
    impressions: 11,
    started: 7,
    submitted: 6,
    successful: 5,
    failed: 1,
    conversionRate: 54.55, // 6 / 11
    completionRate: 85.71, // 6 / 7
    fieldCompletionRates: { name: 66.67, email: 100, phone: 33.33 },
    // Started but not completed: d5 and d6 (the API's submission had no display to start).
    dropOff: 2,
    dropOffRate: 28.57,
    dismissed: 2,
    // Field analysis: these submissions came through the API, untimed, and nothing named
    // a field when it was dismissed.
    fieldTimeMs: {},
    dropOffByField: { name: 0, email: 0, phone: 0 },
  });
  assert.ok(averageCompletionTimeMs >= startedAgo && averageCompletionTimeMs <= startedAgo + slowest, String(averageCompletionTimeMs));
  assert.deepEqual(
    [byTool.tool_quiet.impressions, byTool.tool_quiet.submitted, byTool.tool_quiet.conversionRate, byTool.tool_quiet.averageCompletionTimeMs],
    [0, 0, 0, null],
  );

  const today = new Date().toISOString().slice(0, 10);
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  const todayOnly = await analytics(`agentId=agent_forms&from=${today}&to=${today}`);
  assert.deepEqual(todayOnly.body.analytics.find((a) => a.toolId === "tool_stats"), stats);
  assert.deepEqual(todayOnly.body.range, { from: today, to: today });
  const future = await analytics(`agentId=agent_forms&from=${tomorrow}`);
  assert.equal(future.body.analytics.find((a) => a.toolId === "tool_stats").impressions, 0);

  const other = await analytics("agentId=agent_other");
  assert.deepEqual(other.body.analytics.map((a) => [a.toolId, a.impressions]), [["tool_other", 1]]);

  for (const [query, key, status, field] of [
    ["agentId=agent_forms", null, 401],
    ["agentId=agent_forms", "wrong", 401],
    ["", undefined, 400, "agentId"],
    ["agentId=agent_forms&from=2026-13-01", undefined, 400, "from"],
    ["agentId=agent_forms&from=2026-11-23&to=2026-11-22", undefined, 400, "from"],
    ["agentId=agent_nope", undefined, 404],
  ]) {
    const bad = await analytics(query, key === undefined ? stack.apiKey : key);
    assert.equal(bad.status, status, `${query}: ${JSON.stringify(bad.body)}`);
    if (field) assert.equal(bad.body.error.field, field);
  }
});

test("a start claimed from long ago does not move a form's average completion time", async () => {
  await createTool("agent_forms", contactForm(receiver.url + "/clock", { id: "tool_clock", name: "clock_form" }));
  const send = (email, ago) =>
    submit({ toolId: "tool_clock", formData: { name: "Kim", email }, fieldsCompleted: ["name", "email"], startedAt: Date.now() - ago });
  for (const [email, ago] of [["a@clock.example", 5_000], ["b@clock.example", 7_000], ["c@clock.example", 23 * 3_600_000]]) {
    const res = await send(email, ago);
    assert.equal(res.status, 200, res.text);
  }
  const res = await analytics("agentId=agent_forms");
  const clock = res.body.analytics.find((a) => a.toolId === "tool_clock");
  assert.equal(clock.submitted, 3, "every submission counts as submitted");
  // The two real fills only (5 and 7 s, plus the time each took to arrive).
  assert.ok(clock.averageCompletionTimeMs >= 6_000 && clock.averageCompletionTimeMs < 9_000, `${clock.averageCompletionTimeMs} ms`);
});
