// Delivery that never loses a lead, against the real local runtime with receivers on
// 127.0.0.1: post-actions and their request shapes, per-tool retry schedules, dead
// letters, the delivery log and replay, and a runtime restart in the middle of a retry wait.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { createHash } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { startStack, startReceiver, contactForm, seedSubmit, postJson, waitUntil, fileDataUrl, PNG_1X1 } from "./support/stack.mjs";

let stack;
const receivers = {};

/**
 * Mailchimp's members API as documented (Marketing API 3.0): `POST /lists/{id}/members`
 * adds and answers 400 "Member Exists" for an address already there; `PUT
 * /lists/{id}/members/{subscriber_hash}` (the MD5 of the lower-case email) adds or updates,
 * needs `status_if_new` to add, and changes a member's status only when `status` is sent.
 */
const audience = new Map();

/**
 * The email API's idempotency, as Resend documents it: a key seen before with the same body
 * answers as before and sends nothing; with another body it is a 409. `emails` holds what
 * was sent. A message to `lost-answer@acme.test` is sent, but its first answer is a 503
 * (the answer lost on the way: the sender cannot tell it went). A message to
 * `key-busy@acme.test` is being sent by an earlier request with its key (one the fast lane
 * stopped waiting for) when it arrives: a 409 `concurrent_idempotent_requests`, and the
 * next request with that key answers as that one did.
 */
const emails = [];
const emailKeys = new Map();
function emailApi(entry) {
  const key = entry.headers["idempotency-key"];
  if (key && emailKeys.has(key)) return emailKeys.get(key) === entry.body ? 200 : 409;
  if (key) emailKeys.set(key, entry.body);
  emails.push(entry);
  if (key && entry.json?.to?.includes("key-busy@acme.test")) {
    return { status: 409, json: { statusCode: 409, name: "concurrent_idempotent_requests", message: "Same idempotency key used while original request is still in progress." } };
  }
  return entry.json?.to?.includes("lost-answer@acme.test") ? 503 : 200;
}
/** Audiences the Mailchimp account has (`GET /lists/{id}` answers 404 for any other). */
const AUDIENCES = { aud42: "Newsletter", aud_test: "Trial users" };
function mailchimp(entry) {
  // `GET /lists/{list_id}`: the audience, to a request with the account's key.
  const list = entry.url.match(/^\/3\.0\/lists\/([^/?]+)(?:\?.*)?$/);
  if (entry.method === "GET" && list) {
    if (entry.headers.authorization !== "Basic " + Buffer.from("leadform:mc-key-us1").toString("base64")) return { status: 401, json: { title: "API Key Invalid", status: 401 } };
    if (!AUDIENCES[list[1]]) return { status: 404, json: { title: "Resource Not Found", status: 404, detail: "The requested resource could not be found." } };
    return { status: 200, json: { id: list[1], name: AUDIENCES[list[1]] } };
  }
  const member = entry.url.match(/^\/3\.0\/lists\/([^/]+)\/members(?:\/([0-9a-f]{32}))?$/);
  const body = entry.json ?? {};
  if (!member || typeof body.email_address !== "string") return 400;
  const hash = createHash("md5").update(body.email_address.toLowerCase()).digest("hex");
  const known = audience.get(hash);
  if (entry.method === "POST" && !member[2]) {
    if (known) return 400; // "Member Exists"
    audience.set(hash, { email: body.email_address, status: body.status, merge: { ...body.merge_fields } });
    return 200;
  }
  if (entry.method !== "PUT" || member[2] !== hash) return 400;
  if (!known) {
    if (!body.status_if_new) return 400;
    audience.set(hash, { email: body.email_address, status: body.status_if_new, merge: { ...body.merge_fields } });
  } else {
    known.merge = { ...known.merge, ...body.merge_fields };
    if (body.status) known.status = body.status;
  }
  return 200;
}
/**
 * The Sheets API's values as documented (v4): `POST …/values/{range}:append` adds rows
 * after the sheet's table, `GET …/values/{range}?majorDimension=ROWS` reads them back
 * (`values` left out when the range is empty). No idempotency key. A row with
 * `lost-answer@acme.test` in it is appended, but its first answer is a 503 (the answer
 * lost on the way); a row with `sheets-down@acme.test` is refused with a 503 the first time.
 * The first read of spreadsheet `sheet_read_quota` is refused with a 429 (the API's
 * per-minute read quota), with the receiver's `Retry-After`.
 */
const sheets = new Map();
const refusedOnce = new Set();
function sheetsApi(entry) {
  const match = entry.url.match(/^\/v4\/spreadsheets\/([^/]+)\/values\/([^:?]+)(:append)?\?/);
  if (!match) return 404;
  const [, spreadsheet, range, append] = match;
  const name = decodeURIComponent(range).replace(/!.*$/, "");
  const key = `${spreadsheet}/${name}`;
  const rows = sheets.get(key) ?? [];
  if (entry.method === "GET" && !append) {
    if (spreadsheet === "sheet_read_quota" && !refusedOnce.has(spreadsheet)) {
      refusedOnce.add(spreadsheet);
      return 429;
    }
    const values = rows.map((row) => row.slice(0, 3));
    return { status: 200, json: values.length ? { range: `${name}!A1:C${values.length}`, majorDimension: "ROWS", values } : { range: `${name}!A1:C1`, majorDimension: "ROWS" } };
  }
  if (entry.method !== "POST" || !append || !Array.isArray(entry.json?.values)) return 400;
  const text = JSON.stringify(entry.json.values);
  if (text.includes("sheets-down@acme.test") && !refusedOnce.has(text)) {
    refusedOnce.add(text);
    return 503;
  }
  sheets.set(key, [...rows, ...entry.json.values]);
  if (text.includes("lost-answer@acme.test") && !refusedOnce.has(text)) {
    refusedOnce.add(text);
    return 503;
  }
  return { status: 200, json: { spreadsheetId: spreadsheet, updates: { updatedRows: entry.json.values.length } } };
}
const submit = (body) => postJson(stack.url + "/form-submissions/submit", body);

/** The delivery of `kind` of submission `id`, with its attempts, once it is delivered or failed. */
function settled(id, kind) {
  return waitUntil(async () => {
    const all = (await stack.owner("GET", `/v1/submissions/${id}/deliveries`)).body.deliveries;
    const found = all.find((d) => d.delivery.kind === kind);
    return ["delivered", "failed"].includes(found?.delivery.status) && found;
  }, { message: `the ${kind} delivery of ${id} settled`, timeoutMs: 20_000 });
}

before(async () => {
  for (const name of ["slack", "extra", "primary"]) receivers[name] = await startReceiver();
  receivers.sheets = await startReceiver({ respond: sheetsApi });
  receivers.email = await startReceiver({ respond: emailApi });
  receivers.mailchimp = await startReceiver({ respond: mailchimp });
  stack = await startStack({
    vars: {
      RETRY_SCHEDULE_SECS: "0,1,1",
      EMAIL_API_URL: receivers.email.url + "/emails",
      EMAIL_API_KEY: "mail-key",
      EMAIL_FROM: "leads@acme.test",
      GOOGLE_SHEETS_API_URL: receivers.sheets.url,
      GOOGLE_SHEETS_TOKEN: "sheets-token",
      MAILCHIMP_API_URL: receivers.mailchimp.url + "/3.0",
      MAILCHIMP_API_KEY: "mc-key-us1",
      CONVERSATION_URL_TEMPLATE: "https://app.acme.test/conversations/{conversationId}",
      SWEEP_GRACE_SECS: "1",
      DELIVERY_TIMEOUT_MS: "1500",
    },
    cronEveryMs: 1000,
  });
  const agent = await stack.owner("POST", "/v1/agents", { id: "agent_dlv", name: "Delivery" });
  assert.equal(agent.status, 201, JSON.stringify(agent.body));
});

after(async () => {
  await stack?.stop();
  for (const r of Object.values(receivers)) await r.stop();
});

async function createTool(tool) {
  const created = await stack.owner("POST", "/v1/agents/agent_dlv/tools", tool);
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body;
}

/**
 * A server on 127.0.0.1 for test `t` only, closed when the test ends however it ends: one
 * left open by a failed assertion would keep the test file from ever exiting.
 */
async function serveFor(t, handler) {
  const server = createServer(handler);
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise((resolve) => (server.close(resolve), server.closeAllConnections())));
  return `http://127.0.0.1:${server.address().port}`;
}

const byId = (receiver, id) => receiver.requests.filter((r) => JSON.stringify(r.json ?? r.body).includes(id));

test("every post-action makes its own request, in the documented shape", async () => {
  const tool = await createTool(contactForm(receivers.primary.url + "/hook", {
    id: "tool_actions",
    fields: [
      { name: "name", type: "text", required: true },
      { name: "email", type: "email", required: true },
      { name: "phone", type: "phone" },
      { name: "message", type: "textarea" },
    ],
    postActions: [
      { type: "slack", webhookUrl: receivers.slack.url + "/services/T0/B0/x", messageTemplate: "New {{_toolName}} submission!\nEmail: {{email}} {{nope}}\n{{message}}" },
      { type: "webhook", url: receivers.extra.url + "/api/leads", headers: { Authorization: "Bearer xxx" } },
      { type: "email", recipients: ["sales@acme.test", "ceo@acme.test"], subject: "New Form Submission" },
      { type: "google_sheets", spreadsheetId: "sheet123", sheet: "Leads" },
      { type: "mailchimp", audienceId: "aud42" },
    ],
  }));
  const res = await submit(seedSubmit({
    toolId: "tool_actions",
    conversationId: "conv_xyz789",
    formData: { name: "Jane Smith", email: "jane@example.com", message: "<!channel> pricing?" },
  }));
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json.webhookResult, { success: true, error: null, pending: false });
  assert.deepEqual(
    res.json.postActionResults.map(({ type, success }) => ({ type, success })),
    ["slack", "webhook", "email", "google_sheets", "mailchimp"].map((type) => ({ type, success: true })),
  );
  const id = res.json.submissionId;

  const [slack] = byId(receivers.slack, "jane@example.com");
  assert.equal(slack.url, "/services/T0/B0/x");
  assert.deepEqual(slack.json, {
    text: "New contact_form submission!\nEmail: jane@example.com \n&lt;!channel&gt; pricing?",
    // Plain text: what a visitor typed formats nothing; no previews of their links.
    mrkdwn: false,
    unfurl_links: false,
    unfurl_media: false,
  });

  const [extra] = byId(receivers.extra, id);
  assert.equal(extra.headers.authorization, "Bearer xxx");
  // A post-action's receiver has a secret of its own, not the tool's.
  const { body: secrets } = await stack.owner("GET", "/v1/tools/tool_actions/secret");
  const own = secrets.postActionSecrets.find((p) => p.url === receivers.extra.url + "/api/leads");
  assert.equal(own.index, 1);
  assert.notEqual(own.secret, secrets.webhookSecret);
  assert.throws(() => new Webhook(secrets.webhookSecret).verify(extra.body, extra.headers));
  const verified = new Webhook(own.secret).verify(extra.body, extra.headers);
  assert.equal(verified.submissionId, id);
  assert.notEqual(extra.headers["webhook-id"], byId(receivers.primary, id)[0].headers["webhook-id"], "each delivery has its own id");

  const [email] = byId(receivers.email, id);
  assert.equal(email.url, "/emails");
  assert.equal(email.headers.authorization, "Bearer mail-key");
  // The email API drops repeats of one key: a retried email is sent once.
  const emailDelivery = (await stack.owner("GET", `/v1/submissions/${id}`)).body.deliveries.find((d) => d.delivery.kind === "email");
  assert.equal(email.headers["idempotency-key"], emailDelivery.delivery.id);
  assert.equal(email.json.from, "leads@acme.test");
  assert.deepEqual(email.json.to, ["sales@acme.test", "ceo@acme.test"]);
  assert.equal(email.json.subject, "New Form Submission");
  for (const part of ["Talk to us", "name: Jane Smith", "email: jane@example.com", "https://app.acme.test/conversations/conv_xyz789", "Submitted at: 20"]) {
    assert.ok(email.json.text.includes(part), `${part} in ${email.json.text}`);
  }
  assert.ok(email.json.html.includes("&lt;!channel&gt;"), "HTML is escaped");

  const [sheet] = byId(receivers.sheets, id);
  assert.equal(sheet.url, "/v4/spreadsheets/sheet123/values/%27Leads%27%21A1:append?valueInputOption=RAW&insertDataOption=INSERT_ROWS");
  assert.equal(sheet.headers.authorization, "Bearer sheets-token");
  const row = sheet.json.values[0];
  assert.deepEqual(row.slice(1), [id, "contact_form", "Jane Smith", "jane@example.com", "", "<!channel> pricing?", "conv_xyz789"]);

  const [member] = receivers.mailchimp.requests.filter((r) => r.json?.email_address === "jane@example.com");
  const janeHash = createHash("md5").update("jane@example.com").digest("hex");
  assert.equal(member.method, "PUT");
  assert.equal(member.url, `/3.0/lists/aud42/members/${janeHash}`);
  assert.equal(member.headers.authorization, "Basic " + Buffer.from("leadform:mc-key-us1").toString("base64"));
  assert.deepEqual(member.json, { email_address: "jane@example.com", status_if_new: "subscribed", merge_fields: { FNAME: "Jane", LNAME: "Smith" } });
  assert.deepEqual(audience.get(janeHash), { email: "jane@example.com", status: "subscribed", merge: { FNAME: "Jane", LNAME: "Smith" } });

  const log = await stack.owner("GET", `/v1/submissions/${id}/deliveries`);
  assert.deepEqual(log.body.deliveries.map((d) => [d.delivery.kind, d.delivery.status, d.attempts.length]), [
    ["webhook", "delivered", 1], ["slack", "delivered", 1], ["webhook", "delivered", 1], ["email", "delivered", 1], ["google_sheets", "delivered", 1], ["mailchimp", "delivered", 1],
  ]);
  const first = log.body.deliveries[0].attempts[0];
  assert.equal(first.statusCode, 200);
  assert.ok(first.latencyMs >= 0 && first.startedAt > 0 && first.responseSnippet.includes("ok"));
  assert.equal((await stack.owner("GET", `/v1/submissions/${id}`)).body.leadStatus, "completed");

  // Jane unsubscribes in Mailchimp, then comes back with her full name: the audience takes
  // the update (adding her again would be a 400 "Member Exists"), and she stays unsubscribed.
  audience.get(janeHash).status = "unsubscribed";
  const again = await submit(seedSubmit({
    toolId: "tool_actions",
    formData: { name: "Jane Smith-Jones", email: "Jane@Example.com", message: "back again" },
  }));
  assert.equal(again.status, 200, again.text);
  const mailchimpResult = again.json.postActionResults.find((r) => r.type === "mailchimp");
  assert.deepEqual([mailchimpResult.success, mailchimpResult.error], [true, null]);
  assert.deepEqual(audience.get(janeHash), { email: "jane@example.com", status: "unsubscribed", merge: { FNAME: "Jane", LNAME: "Smith-Jones" } });
  assert.equal(audience.size, 1);
});

test("each integration can be sent a test: the request a submission makes, marked, of an example; Mailchimp is only read; nothing stored", async () => {
  const member = await stack.owner("POST", "/v1/members", { email: "owner@acme.test", role: "sales" });
  assert.equal(member.status, 201, JSON.stringify(member.body));
  await createTool(contactForm(undefined, {
    id: "tool_tests",
    name: "tests_form",
    title: "Book a demo",
    executionMode: "store",
    fields: [
      { name: "name", type: "text", required: true },
      { name: "email", type: "email", required: true },
      { name: "company", type: "text", maxLength: 5 },
    ],
    postActions: [
      { type: "slack", webhookUrl: receivers.slack.url + "/services/T1/B1/test" },
      { type: "webhook", url: receivers.extra.url + "/test-hook", headers: { "X-Api-Key": "k1" }, enabled: false },
      { type: "email", recipients: ["sales@acme.test"], recipientIds: [member.body.member.id] },
      { type: "google_sheets", spreadsheetId: "sheet_tests" },
      { type: "mailchimp", audienceId: "aud_test" },
      { type: "mailchimp", audienceId: "aud_gone" },
    ],
  }));
  const audienceBefore = audience.size;
  const sent = async (postAction) => {
    const res = await stack.owner("POST", "/v1/tools/tool_tests/test", { postAction });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };

  const slack = await sent(0);
  assert.deepEqual([slack.target, slack.kind, slack.delivered, slack.statusCode], ["postActions[0]", "slack", true, 200]);
  const [message] = receivers.slack.requests.filter((r) => r.url === "/services/T1/B1/test");
  assert.ok(message.json.text.startsWith("[Test] New Book a demo submission"), message.json.text);
  assert.deepEqual(message.json, slack.request.body);
  assert.match(message.json.text, /email: \S+@example\.com/);

  // A paused webhook post-action is tested before it is turned on, signed with its own secret.
  const hook = await sent(1);
  assert.deepEqual([hook.kind, hook.delivered], ["webhook", true]);
  const [received] = receivers.extra.requests.filter((r) => r.url === "/test-hook");
  assert.deepEqual([received.headers["x-api-key"], received.headers["leadform-test"], received.headers["webhook-id"]], ["k1", "true", hook.webhookId]);
  const { body: secrets } = await stack.owner("GET", "/v1/tools/tool_tests/secret");
  const own = secrets.postActionSecrets.find((p) => p.index === 1);
  assert.match(new Webhook(own.secret).verify(received.body, received.headers).submissionId, /^sub_test_/);

  // The email goes to the addresses and to the member as the dashboard has them.
  const email = await sent(2);
  assert.equal(email.delivered, true);
  const [mail] = receivers.email.requests.filter((r) => r.json?.subject?.startsWith("[Test] "));
  assert.deepEqual(mail.json.to, ["sales@acme.test", "owner@acme.test"]);
  assert.equal(mail.json.subject, "[Test] New Book a demo submission");
  assert.ok(mail.json.text.includes("Summary:"), "shows where the chat's summary goes");
  assert.ok(mail.headers["idempotency-key"].startsWith("test_"));

  const sheet = await sent(3);
  assert.equal(sheet.delivered, true);
  const [row] = sheets.get("sheet_tests/'Sheet1'") ?? [];
  assert.match(row[1], /^sub_test_/);
  assert.equal(row[2], "tests_form");
  assert.equal(row[5].length <= 5, true, "the example fits the field's maxLength");

  // Mailchimp: the audience is read, nobody is added.
  const mc = await sent(4);
  assert.deepEqual([mc.kind, mc.delivered, mc.statusCode, mc.request.method], ["mailchimp", true, 200, "GET"]);
  assert.match(mc.responseSnippet, /Trial users/);
  const gone = await sent(5);
  assert.deepEqual([gone.delivered, gone.statusCode], [false, 404]);
  assert.equal(audience.size, audienceBefore, "no member added");

  // The webhook's own test: this form has none. A wrong index is named.
  const none = await stack.owner("POST", "/v1/tools/tool_tests/test");
  assert.deepEqual([none.status, none.body.error.code], [409, "no_webhook"]);
  for (const postAction of [6, -1, "0"]) {
    const wrong = await stack.owner("POST", "/v1/tools/tool_tests/test", { postAction });
    assert.deepEqual([wrong.status, wrong.body.error.field], [400, "postAction"], JSON.stringify(wrong.body));
  }
  // Nothing stored or counted.
  const listed = await stack.owner("GET", "/v1/agents/agent_dlv/submissions?toolId=tool_tests");
  assert.deepEqual(listed.body.submissions, []);
});

test("an email whose answer was lost is not sent again by the retry; an owner's replay sends it again", async () => {
  await createTool(contactForm(receivers.primary.url + "/hook", {
    id: "tool_mail_retry",
    name: "mail_retry",
    retrySchedule: [0, 1],
    fields: [
      { name: "name", type: "text" },
      { name: "email", type: "email", required: true },
      { name: "deck", type: "file" },
    ],
    postActions: [{ type: "email", recipients: ["lost-answer@acme.test"] }],
  }));
  const res = await submit(seedSubmit({
    toolId: "tool_mail_retry",
    formData: { name: "Deck Sender", email: "deck@example.com", deck: fileDataUrl("image/png", PNG_1X1, "deck.png") },
    fieldsCompleted: ["name", "email", "deck"],
  }));
  assert.equal(res.status, 200, res.text);
  const id = res.json.submissionId;
  const done = await settled(id, "email");
  // The retry carried the same key and the same body (its file link too): the API took it
  // as the email it had already sent.
  assert.deepEqual(done.attempts.map((a) => a.statusCode), [503, 200]);
  assert.equal(done.delivery.status, "delivered");
  const mine = () => emails.filter((e) => e.body.includes(id));
  assert.equal(mine().length, 1, "one email");
  assert.match(mine()[0].json.text, /deck\.png \(http/);

  // The owner replays it: a new key, so the email goes again.
  assert.equal((await stack.owner("POST", `/v1/deliveries/${done.delivery.id}/replay`)).status, 202);
  await waitUntil(() => mine().length === 2, { message: "the replayed email" });
  assert.notEqual(mine()[1].headers["idempotency-key"], mine()[0].headers["idempotency-key"]);
});

test("an email the API is still sending under its key (a 409) is asked again, not failed: one email, delivered", async () => {
  await createTool(contactForm(receivers.primary.url + "/hook", {
    id: "tool_mail_busy",
    name: "mail_busy",
    retrySchedule: [0, 1],
    postActions: [{ type: "email", recipients: ["key-busy@acme.test"] }],
  }));
  const res = await submit(seedSubmit({ toolId: "tool_mail_busy" }));
  assert.equal(res.status, 200, res.text);
  const id = res.json.submissionId;
  const done = await settled(id, "email");
  assert.deepEqual(done.attempts.map((a) => a.statusCode), [409, 200]);
  assert.equal(done.delivery.status, "delivered");
  assert.equal(emails.filter((e) => e.body.includes(id)).length, 1, "one email");
});

test("a Sheets append is retried only when its row is not in the sheet: one row per lead, whether the append or its answer was lost", async () => {
  await createTool(contactForm(receivers.primary.url + "/hook", {
    id: "tool_sheet_retry",
    name: "sheet_retry",
    retrySchedule: [0, 1, 1],
    postActions: [{ type: "google_sheets", spreadsheetId: "sheet_retry", sheet: "Leads" }],
  }));
  const settledSheet = (id) => settled(id, "google_sheets");
  const rowsOf = (id) => (sheets.get("sheet_retry/'Leads'") ?? []).filter((row) => row[1] === id);
  const send = async (email) => {
    const res = await submit(seedSubmit({ toolId: "tool_sheet_retry", formData: { name: "Row", email }, fieldsCompleted: ["name", "email"] }));
    assert.equal(res.status, 200, res.text);
    return res.json.submissionId;
  };

  // The row was appended, but its answer was lost: the retry reads the sheet, finds the
  // row and appends nothing.
  const lost = await send("lost-answer@acme.test");
  const found = await settledSheet(lost);
  assert.equal(found.delivery.status, "delivered");
  assert.deepEqual(found.attempts.map((a) => a.statusCode), [503, 200]);
  assert.match(found.attempts[1].responseSnippet, /already in the sheet/);
  assert.equal(rowsOf(lost).length, 1, "one row");
  const requests = receivers.sheets.requests.filter((r) => r.method === "GET" || r.body.includes(lost));
  assert.deepEqual(requests.map((r) => r.method), ["POST", "GET"], "the first attempt reads nothing; the retry reads and does not append");
  assert.equal(requests[1].url, "/v4/spreadsheets/sheet_retry/values/%27Leads%27%21A%3AC?majorDimension=ROWS");
  assert.equal(requests[1].headers.authorization, "Bearer sheets-token");
  assert.equal(requests[1].headers["content-type"], undefined, "a GET without a body");

  // The append itself was refused: the retry reads the sheet, does not find the row, and
  // appends it.
  const before = receivers.sheets.requests.length;
  const refused = await send("sheets-down@acme.test");
  const appended = await settledSheet(refused);
  assert.equal(appended.delivery.status, "delivered");
  assert.deepEqual(appended.attempts.map((a) => a.statusCode), [503, 200]);
  assert.equal(rowsOf(refused).length, 1, "one row");
  assert.deepEqual(receivers.sheets.requests.slice(before).map((r) => r.method), ["POST", "GET", "POST"]);
});

test("a Sheets read refused for its quota with Retry-After holds the next attempt as long as the API asked", async () => {
  await createTool(contactForm(receivers.primary.url + "/hook", {
    id: "tool_sheet_quota",
    name: "sheet_quota",
    retrySchedule: [0, 1, 1, 1],
    postActions: [{ type: "google_sheets", spreadsheetId: "sheet_read_quota", sheet: "Leads" }],
  }));
  receivers.sheets.retryAfter = "3";
  try {
    const res = await submit(seedSubmit({ toolId: "tool_sheet_quota", formData: { name: "Quota", email: "sheets-down@acme.test" }, fieldsCompleted: ["name", "email"] }));
    assert.equal(res.status, 200, res.text);
    const id = res.json.submissionId;
    const sheet = await settled(id, "google_sheets");
    // The append refused, the read refused for its quota, then a read and the append.
    assert.deepEqual(sheet.attempts.map((a) => a.statusCode), [503, 429, 200]);
    assert.equal(sheet.delivery.status, "delivered");
    const reads = receivers.sheets.requests.filter((r) => r.method === "GET" && r.url.includes("sheet_read_quota"));
    assert.equal(reads.length, 2);
    const gap = reads[1].at - reads[0].at;
    assert.ok(gap >= 2900, `read again after ${gap} ms; Retry-After said 3 s, the schedule 1 s`);
    assert.equal((sheets.get("sheet_read_quota/'Leads'") ?? []).filter((row) => row[1] === id).length, 1, "one row");
  } finally {
    receivers.sheets.retryAfter = null;
  }
});

test("an email's retry sends the summary its first attempt sent, though the chat went on; another agent's chat lends it none", async () => {
  await createTool(contactForm(receivers.primary.url + "/hook", {
    id: "tool_mail_summary",
    name: "mail_summary",
    retrySchedule: [0, 2],
    postActions: [{ type: "email", recipients: ["lost-answer@acme.test"] }],
  }));
  const chat = await postJson(stack.url + "/conversations", { agentId: "agent_dlv" });
  assert.equal(chat.status, 201, chat.text);
  const conversationId = chat.json.conversationId;
  const token = { "X-Leadform-Conversation-Token": chat.json.conversationToken };
  assert.equal((await postJson(`${stack.url}/conversations/${conversationId}/messages`, { text: "Do you ship to Lyon?" }, token)).status, 200);
  const send = async (message) => {
    // With the chat's token, as the widget sends it: the submission is the chat's.
    const body = seedSubmit({ toolId: "tool_mail_summary", conversationId, formData: { name: "Sam", email: "sam@lyon.example", message }, fieldsCompleted: ["name", "email", "message"] });
    const res = await postJson(stack.url + "/form-submissions/submit", body, token);
    assert.equal(res.status, 200, res.text);
    return res.json.submissionId;
  };
  const first = await send("Two pallets");
  const mailsOf = (id) => emails.filter((e) => e.body.includes(id));
  await waitUntil(() => mailsOf(first).length === 1, { message: "the first attempt (its answer lost)" });
  assert.match(mailsOf(first)[0].json.text, /Summary:\n.*\n.*Message: Two pallets/);
  // The visitor sends the form again in the same chat before the retry: a new summary.
  await send("Three pallets after all");
  const done = await settled(first, "email");
  assert.deepEqual(done.attempts.map((a) => a.statusCode), [503, 200], "the retry's body was the first's: no 409");
  assert.equal(mailsOf(first).length, 1, "one email");

  // Another agent's form naming this chat, even with its token: its email carries no summary of it.
  assert.equal((await stack.owner("POST", "/v1/agents", { id: "agent_else", name: "Else" })).status, 201);
  const theirs = await stack.owner("POST", "/v1/agents/agent_else/tools", contactForm(receivers.primary.url + "/hook", {
    id: "tool_else_mail", name: "else_mail", postActions: [{ type: "email", recipients: ["else@acme.test"] }],
  }));
  assert.equal(theirs.status, 201, JSON.stringify(theirs.body));
  const res = await postJson(stack.url + "/form-submissions/submit", seedSubmit({ toolId: "tool_else_mail", conversationId, formData: { name: "Eve", email: "eve@else.example" }, fieldsCompleted: ["name", "email"] }), token);
  assert.equal(res.status, 200, res.text);
  await waitUntil(() => mailsOf(res.json.submissionId).length === 1, { message: "the other agent's email" });
  assert.doesNotMatch(mailsOf(res.json.submissionId)[0].json.text, /Summary|Lyon|pallets/);
});

test("a delivery that cannot be built on our side ends as failed on its schedule, not retried for ever", async (t) => {
  const down = await startReceiver({ respond: () => 503 });
  t.after(() => down.stop());
  await createTool(contactForm(down.url + "/hook", {
    id: "tool_broken",
    name: "broken_form",
    retrySchedule: [0, 5],
    postActions: [{ type: "webhook", url: down.url + "/extra" }],
  }));
  const res = await submit(seedSubmit({ toolId: "tool_broken" }));
  assert.equal(res.status, 200, res.text);
  const id = res.json.submissionId;
  // The post-action gets a header name the runtime refuses (a row written past the
  // checks): building its request fails on our side. (The local D1 may be busy with the
  // cron's writes for a moment: the statement is tried again until it goes through.)
  const refused = JSON.stringify({ type: "webhook", url: down.url + "/extra", headers: { "Not a header name": "x" } });
  await waitUntil(() => stack.sql(`UPDATE deliveries SET action = '${refused}' WHERE submission_id = '${id}' AND action IS NOT NULL`).then(() => true, () => false), { message: "the row changed" });
  const broken = await waitUntil(async () => {
    const all = (await stack.owner("GET", `/v1/submissions/${id}/deliveries`)).body.deliveries;
    const extra = all.find((d) => d.delivery.targetUrl.endsWith("/extra"));
    return extra?.delivery.status === "failed" && extra;
  }, { message: "the post-action settled as failed", timeoutMs: 20_000 });
  assert.match(broken.delivery.lastError, /not sent/);
  assert.ok(broken.attempts.length <= 2, "within the tool's two attempts");
});

test("post-action and schedule configs are checked, the field named", async () => {
  for (const [patch, field] of [
    [{ postActions: [{ type: "slack", webhookUrl: "http://10.0.0.5/hook" }] }, "postActions[0].webhookUrl"],
    [{ postActions: [{ type: "email", recipients: [] }] }, "postActions[0].recipients"],
    [{ postActions: [{ type: "fax", number: "1" }] }, "postActions[0]"],
    [{ retrySchedule: [] }, "retrySchedule"],
    [{ retrySchedule: [0, 99999999] }, "retrySchedule"],
  ]) {
    const res = await stack.owner("POST", "/v1/agents/agent_dlv/tools", contactForm(receivers.primary.url, { id: "tool_bad", name: "bad", ...patch }));
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.ok(res.body.error.field.startsWith(field), `${res.body.error.field} vs ${field}`);
  }
});

test("an email to dashboard members (seed 002's recipientIds) goes to the members there are when it is sent; an id that is no member's is refused at its field", async () => {
  const invite = async (email) => {
    const res = await stack.owner("POST", "/v1/members", { email, role: "sales" });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.member.id;
  };
  const [ana, bo] = [await invite("ana@acme.test"), await invite("bo@acme.test")];
  const action = { type: "email", recipients: ["desk@acme.test"], recipientIds: [ana, bo], subject: "New Form Submission" };
  const unknown = await stack.owner("POST", "/v1/agents/agent_dlv/tools", contactForm(receivers.primary.url + "/hook", {
    id: "tool_members_mail", name: "members_mail", postActions: [{ ...action, recipientIds: [ana, "user_123"] }],
  }));
  assert.equal(unknown.status, 400, JSON.stringify(unknown.body));
  assert.equal(unknown.body.error.field, "postActions[0].recipientIds[1]");
  const made = await createTool(contactForm(receivers.primary.url + "/hook", { id: "tool_members_mail", name: "members_mail", postActions: [action] }));
  assert.deepEqual((await stack.owner("GET", `/v1/tools/${made.id}`)).body.postActions, [action], "read back as written");
  const sentTo = async (who) => {
    const res = await submit(seedSubmit({ toolId: "tool_members_mail", formData: { name: who, email: `${who}@example.com` } }));
    assert.equal(res.status, 200, res.text);
    const done = await settled(res.json.submissionId, "email");
    assert.equal(done.delivery.status, "delivered", JSON.stringify(done));
    return byId(receivers.email, res.json.submissionId)[0].json.to;
  };
  assert.deepEqual(await sentTo("first"), ["desk@acme.test", "ana@acme.test", "bo@acme.test"]);
  // Bo leaves the team: the next lead's email is not sent to him, and the form's other
  // changes are not refused for naming him.
  assert.equal((await stack.owner("DELETE", `/v1/members/${bo}`)).status, 204);
  const renamed = await stack.owner("PATCH", `/v1/tools/${made.id}`, { title: "Talk to the team" });
  assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
  assert.deepEqual(await sentTo("second"), ["desk@acme.test", "ana@acme.test"]);
});

test("a paused post-action keeps its settings and runs for no submission until it is on again", async () => {
  const slack = { type: "slack", webhookUrl: receivers.slack.url + "/services/T0/B0/paused", messageTemplate: "Paused {{email}}", enabled: false };
  const email = { type: "email", recipients: ["paused-desk@acme.test"] };
  const made = await createTool(contactForm(receivers.primary.url + "/hook", { id: "tool_paused", name: "paused_form", postActions: [slack, email] }));
  assert.deepEqual((await stack.owner("GET", `/v1/tools/${made.id}`)).body.postActions[0], slack, "read back as written");
  const send = async (who) => {
    const res = await submit(seedSubmit({ toolId: "tool_paused", formData: { name: who, email: `${who}@example.com` } }));
    assert.equal(res.status, 200, res.text);
    await settled(res.json.submissionId, "email");
    return res.json;
  };
  const quiet = await send("quiet");
  assert.deepEqual(quiet.postActionResults.map((r) => r.type), ["email"]);
  const slackFor = (who) => receivers.slack.requests.filter((r) => r.json?.text === `Paused ${who}@example.com`);
  assert.deepEqual(slackFor("quiet"), []);
  // On again (the flag left out): the next submission posts to Slack.
  const resumed = await stack.owner("PATCH", `/v1/tools/${made.id}`, { postActions: [{ ...slack, enabled: true }, email] });
  assert.equal(resumed.status, 200, JSON.stringify(resumed.body));
  assert.equal(resumed.body.postActions[0].enabled, undefined);
  const loud = await send("loud");
  assert.deepEqual(loud.postActionResults.map((r) => r.type), ["slack", "email"]);
  await settled(loud.submissionId, "slack");
  assert.equal(slackFor("loud").length, 1);
  assert.deepEqual(slackFor("quiet"), [], "nothing sent late for the paused one");
});

test("a store-only form's submission ends with its post-actions: pending while they run, failed when one fails, a success once a replay arrives; with none to run it ends as stored", async (t) => {
  let up = false;
  const crm = await startReceiver({ respond: () => (up ? 200 : 503) });
  t.after(() => crm.stop());
  const slack = { type: "slack", webhookUrl: receivers.slack.url + "/services/T9/B9/store" };
  await createTool(contactForm(undefined, {
    id: "tool_store_actions",
    name: "store_actions",
    executionMode: "store",
    postActions: [slack, { type: "webhook", url: crm.url + "/crm" }],
  }));
  const res = await submit(seedSubmit({ toolId: "tool_store_actions", formData: { name: "Sto Re", email: "store@example.com" } }));
  assert.equal(res.status, 200, res.text);
  const id = res.json.submissionId;
  const shown = async () => (await stack.owner("GET", `/v1/submissions/${id}`)).body;
  const counts = async () => {
    const row = (await stack.owner("GET", "/form-submissions/analytics?agentId=agent_dlv")).body.analytics.find((a) => a.toolId === "tool_store_actions");
    return [row.submitted, row.successful, row.failed];
  };
  // The CRM refuses every attempt of the round (0, 1, 1 s): still under way at first.
  assert.equal((await shown()).submission.status, "pending", "seed 002: just created, processing");
  assert.deepEqual(await counts(), [1, 0, 0]);
  assert.equal((await settled(id, "slack")).delivery.status, "delivered");
  const hook = await settled(id, "webhook");
  assert.equal(hook.delivery.status, "failed");
  const failed = await waitUntil(async () => { const b = await shown(); return b.submission.result && b; }, { message: "the submission ended" });
  assert.deepEqual([failed.submission.status, failed.submission.result, failed.leadStatus], ["failed", "failed", "failed"], "one or more actions failed");
  assert.deepEqual(await counts(), [1, 0, 1]);

  // The owner fixes the CRM and replays: every action has now arrived.
  up = true;
  assert.equal((await stack.owner("POST", `/v1/deliveries/${hook.delivery.id}/replay`)).status, 202);
  const done = await waitUntil(async () => { const b = await shown(); return b.submission.status === "success" && b; }, { message: "the replay arrived" });
  assert.deepEqual([done.submission.result, done.leadStatus], ["successful", "completed"]);
  assert.deepEqual(await counts(), [1, 1, 0], "counted by its latest outcome");

  // Nothing to run for it (its only post-action paused): it ends as it is stored.
  assert.equal((await stack.owner("PATCH", "/v1/tools/tool_store_actions", { postActions: [{ ...slack, enabled: false }] })).status, 200);
  const quiet = await submit(seedSubmit({ toolId: "tool_store_actions", formData: { name: "No Actions", email: "quiet-store@example.com" } }));
  const stored = (await stack.owner("GET", `/v1/submissions/${quiet.json.submissionId}`)).body;
  assert.deepEqual([stored.submission.status, stored.submission.result, stored.leadStatus], ["success", "successful", "completed"]);
});

test("a tool's own schedule: attempts run out, the lead is kept, a dead letter is recorded, replay delivers it", async () => {
  let up = false;
  const flaky = await startReceiver({ respond: () => (up ? 200 : 503) });
  await createTool(contactForm(flaky.url + "/hook", { id: "tool_sched", name: "sched_form", retrySchedule: [0, 2] }));
  const res = await submit(seedSubmit({ toolId: "tool_sched" }));
  const id = res.json.submissionId;
  assert.equal(res.json.webhookResult.pending, true);
  assert.equal((await stack.owner("GET", `/v1/submissions/${id}`)).body.leadStatus, "retrying");
  const failed = await stack.waitForStatus(id, ["webhook_failed"]);
  assert.equal(failed.leadStatus, "failed");
  // The agent's list says it too, for each submission of a page.
  const listed = async () => (await stack.owner("GET", "/v1/agents/agent_dlv/submissions?toolId=tool_sched")).body.submissions.find((s) => s.id === id);
  assert.equal((await listed()).leadStatus, "failed");
  const attempts = failed.deliveries[0].attempts;
  assert.equal(attempts.length, 2, "the tool's schedule has two attempts");
  assert.ok(attempts[1].startedAt - attempts[0].startedAt >= 1900, "the second came after the tool's 2 s");
  const deliveryId = failed.deliveries[0].delivery.id;

  // Recorded with the failure itself, in one write: no failed delivery is missing from the list.
  const dead = (await stack.owner("GET", "/v1/agents/agent_dlv/dead-letters")).body.deadLetters.find((d) => d.deliveryId === deliveryId);
  assert.ok(dead, "recorded as the delivery failed");
  assert.equal(dead.attempts, 2);
  assert.match(dead.lastError, /503/);

  up = true;
  const replayed = await stack.owner("POST", `/v1/deliveries/${deliveryId}/replay`);
  assert.equal(replayed.status, 202, JSON.stringify(replayed.body));
  const again = await stack.owner("POST", `/v1/deliveries/${deliveryId}/replay`);
  assert.ok([202, 409].includes(again.status));
  const done = await stack.waitForStatus(id, ["webhook_success"]);
  assert.equal(done.leadStatus, "completed");
  assert.equal((await listed()).leadStatus, "completed");
  const ids = new Set(flaky.requests.map((r) => r.headers["webhook-id"]));
  assert.deepEqual([...ids], [deliveryId], "one webhook-id across every attempt and the replay");
  assert.equal((await stack.owner("POST", "/v1/deliveries/dlv_nope/replay")).status, 404);
  const letters = (await stack.owner("GET", "/v1/agents/agent_dlv/dead-letters")).body.deadLetters;
  assert.ok(letters.find((d) => d.deliveryId === deliveryId).replayedAt > 0);
  await flaky.stop();
});

test("a replay that fails again is a dead letter again, with its new attempts and no replayedAt", async (t) => {
  // The receiver is gone (410); it holds its answer to the replay until the test has looked.
  let calls = 0;
  let answerReplay;
  const replayAnswered = new Promise((resolve) => (answerReplay = resolve));
  const gone = await serveFor(t, (req, res) => {
    calls += 1;
    req.resume();
    const answer = () => res.writeHead(410).end("gone");
    if (calls === 1) answer();
    else replayAnswered.then(answer);
  });
  t.after(answerReplay);
  await createTool(contactForm(`${gone}/hook`, { id: "tool_gone", name: "gone_form", retrySchedule: [0] }));
  const id = (await submit(seedSubmit({ toolId: "tool_gone" }))).json.submissionId;
  const failed = await stack.waitForStatus(id, ["webhook_failed"]);
  const deliveryId = failed.deliveries[0].delivery.id;
  const letter = async () => (await stack.owner("GET", "/v1/agents/agent_dlv/dead-letters")).body.deadLetters.find((d) => d.deliveryId === deliveryId);
  assert.equal((await letter()).attempts, 1);
  assert.equal((await stack.owner("POST", `/v1/deliveries/${deliveryId}/replay`)).status, 202);
  assert.ok((await letter()).replayedAt > 0, "marked replayed");
  answerReplay();
  await waitUntil(async () => (await letter()).attempts === 2, { message: "the replay's failure recorded" });
  const again = await letter();
  assert.equal(again.replayedAt, null, "failed again since the replay: to be replayed again");
  assert.match(again.lastError, /410/);
  assert.equal(calls, 2);
});

test("replay every failed delivery of an agent since a time", async (t) => {
  let up = false;
  const down = await startReceiver({ respond: () => (up ? 200 : 410) });
  t.after(() => down.stop());
  await createTool(contactForm(down.url + "/hook", { id: "tool_down", name: "down_form" }));
  const since = Date.now();
  const ids = [];
  for (let i = 0; i < 2; i++) ids.push((await submit(seedSubmit({ toolId: "tool_down" }))).json.submissionId);
  for (const id of ids) await stack.waitForStatus(id, ["webhook_failed"]);

  const none = await stack.owner("POST", "/v1/agents/agent_dlv/deliveries/replay", { since: new Date(Date.now() + 60_000).toISOString() });
  assert.equal(none.body.replayed, 0);
  const bad = await stack.owner("POST", "/v1/agents/agent_dlv/deliveries/replay", { since: "yesterday-ish" });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.field, "since");
  up = true;
  const all = await stack.owner("POST", "/v1/agents/agent_dlv/deliveries/replay", { since });
  assert.equal(all.status, 202);
  assert.equal(all.body.replayed, 2);
  assert.equal(all.body.nextCursor, null, "nothing left");
  for (const id of ids) await stack.waitForStatus(id, ["webhook_success"]);
  await down.stop(); // gone from now on: replayed deliveries fail again at once

  // More than one call's 100: the answer says where it stopped, and the next call goes on
  // from there, past deliveries made in the same millisecond (two per millisecond here) and
  // ones that failed again at once (one attempt, at a receiver that is gone).
  const at = Date.now() + 1_000_000;
  await waitUntil(() => stack.sql(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 105)
    INSERT INTO deliveries (id, submission_id, agent_id, kind, target_url, status, attempts, created_at, updated_at, schedule)
    SELECT printf('dlv_page_%03d', i), '${ids[0]}', 'agent_dlv', 'webhook', 'https://gone.example/hook', 'failed', 1, ${at} + i / 2, ${at}, '[0]'
    FROM n`).then(() => true, () => false), { message: "105 failed deliveries stored" });
  const first = await stack.owner("POST", "/v1/agents/agent_dlv/deliveries/replay", { since: at });
  assert.equal(first.body.replayed, 100);
  assert.deepEqual(first.body.deliveryIds.slice(0, 2), ["dlv_page_001", "dlv_page_002"], "oldest first");
  assert.match(first.body.nextCursor, /^[A-Za-z0-9_-]+$/);
  const deadAgain = async () =>
    (await stack.owner("GET", `/v1/agents/agent_dlv/dead-letters?since=0`)).body.deadLetters.filter((d) => d.deliveryId.startsWith("dlv_page_") && d.attempts === 2).length;
  await waitUntil(async () => (await deadAgain()) === 100, { message: "the first 100 failed again", timeoutMs: 30_000 });
  const rest = await stack.owner("POST", "/v1/agents/agent_dlv/deliveries/replay", { since: at, cursor: first.body.nextCursor });
  assert.deepEqual(rest.body.deliveryIds, ["dlv_page_101", "dlv_page_102", "dlv_page_103", "dlv_page_104", "dlv_page_105"]);
  assert.equal(rest.body.nextCursor, null);
  // Without the cursor (or with an empty one), the same `since` would start again with the
  // ones that failed again.
  const again = await stack.owner("POST", "/v1/agents/agent_dlv/deliveries/replay", { since: at, cursor: "" });
  assert.deepEqual(again.body.deliveryIds.slice(0, 2), ["dlv_page_001", "dlv_page_002"]);
  const wrong = await stack.owner("POST", "/v1/agents/agent_dlv/deliveries/replay", { since: at, cursor: "nope!" });
  assert.equal(wrong.status, 400);
  assert.equal(wrong.body.error.field, "cursor");
});

test("dead letters page past a thousand with nextCursor: the newest are reachable too", async () => {
  // An outage failed 1,205 lead events of one agent, three recorded per millisecond.
  const at = Date.now() + 2_000_000;
  const rows = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1205)";
  await waitUntil(() => stack.sql(`${rows}
    INSERT INTO deliveries (id, submission_id, agent_id, kind, target_url, status, attempts, created_at, updated_at, schedule)
    SELECT printf('dlv_dead_%04d', i), NULL, 'agent_dlv', 'lead_event', 'https://gone.example/events', 'failed', 3, ${at}, ${at}, '[0]' FROM n`).then(() => true, () => false), { message: "1,205 failed deliveries stored" });
  await waitUntil(() => stack.sql(`${rows}
    INSERT INTO dead_letters (delivery_id, submission_id, agent_id, kind, attempts, last_error, recorded_at)
    SELECT printf('dlv_dead_%04d', i), '', 'agent_dlv', 'lead_event', 3, 'receiver answered HTTP 503', ${at} + i / 3 FROM n`).then(() => true, () => false), { message: "their dead letters" });
  const seen = [];
  let cursor = "";
  for (let calls = 0; calls < 5; calls++) {
    const page = await stack.owner("GET", `/v1/agents/agent_dlv/dead-letters?since=${at}&cursor=${encodeURIComponent(cursor)}`);
    assert.equal(page.status, 200, JSON.stringify(page.body));
    seen.push(...page.body.deadLetters.map((d) => d.deliveryId));
    if (!page.body.nextCursor) break;
    assert.equal(page.body.deadLetters.length, 1000);
    cursor = page.body.nextCursor;
  }
  assert.equal(seen.length, 1205, "every one, once");
  assert.equal(new Set(seen).size, 1205);
  assert.equal(seen.at(-1), "dlv_dead_1205", "the newest too");
  const wrong = await stack.owner("GET", "/v1/agents/agent_dlv/dead-letters?cursor=nope!");
  assert.equal(wrong.status, 400);
  assert.equal(wrong.body.error.field, "cursor");
});

test("a restart of the runtime in the middle of a retry wait loses nothing", async () => {
  let up = false;
  const receiver = await startReceiver({ respond: () => (up ? 200 : 503) });
  await createTool(contactForm(receiver.url + "/hook", { id: "tool_restart", name: "restart_form", retrySchedule: [0, 3, 3] }));
  const res = await submit(seedSubmit({ toolId: "tool_restart" }));
  const id = res.json.submissionId;
  assert.equal(res.json.webhookResult.pending, true, "attempt 1 failed; attempt 2 waits in the queue");
  await stack.restart(); // local queues live in memory: the waiting message is gone
  up = true;
  const log = await stack.waitForStatus(id, ["webhook_success"], 30_000);
  assert.deepEqual(log.deliveries[0].attempts.map((a) => a.statusCode), [503, 200]);
  assert.equal(new Set(receiver.requests.map((r) => r.headers["webhook-id"])).size, 1);
  assert.equal(receiver.requests.length, 2, "sent once per attempt, never twice");
  await receiver.stop();
});

test("a receiver that never answers times out and is retried; the next answer delivers", async (t) => {
  let calls = 0;
  const hanging = await serveFor(t, (req, res) => {
    calls += 1;
    if (calls > 1) res.end("ok"); // the first request is left hanging
  });
  await createTool(contactForm(`${hanging}/hook`, { id: "tool_hang", name: "hang_form", retrySchedule: [0, 1] }));
  const res = await submit(seedSubmit({ toolId: "tool_hang" }));
  const log = await stack.waitForStatus(res.json.submissionId, ["webhook_success"]);
  const [first, second] = log.deliveries[0].attempts;
  assert.equal(first.statusCode, null);
  assert.match(first.error, /no answer within 1\.5 s/);
  assert.ok(first.latencyMs >= 1400 && first.latencyMs < 5000, String(first.latencyMs));
  assert.equal(second.statusCode, 200);
});

test("a receiver answering with an endless body is read for its snippet only, and delivers", async (t) => {
  let sent = 0;
  const flooding = await serveFor(t, (req, res) => {
    req.resume();
    res.writeHead(200, { "Content-Type": "text/plain" });
    const chunk = Buffer.alloc(64 * 1024, "x");
    const pump = () => {
      while (!res.destroyed && sent < 512 * 1024 * 1024) {
        sent += chunk.length;
        if (!res.write(chunk)) return res.once("drain", pump);
      }
    };
    pump();
  });
  await createTool(contactForm(`${flooding}/hook`, { id: "tool_flood", name: "flood_form", retrySchedule: [0] }));
  const res = await submit(seedSubmit({ toolId: "tool_flood" }));
  assert.equal(res.status, 200, res.text);
  const log = await stack.waitForStatus(res.json.submissionId, ["webhook_success", "webhook_failed"]);
  assert.equal(log.submission.status, "webhook_success", JSON.stringify(log.deliveries[0].attempts));
  const [first] = log.deliveries[0].attempts;
  assert.equal(first.statusCode, 200);
  assert.ok(first.latencyMs < 1500, `read past the snippet: ${first.latencyMs} ms`);
  assert.ok(sent < 512 * 1024 * 1024, "the edge stopped reading");
});

test("a 2xx whose body never ends was taken: delivered once, its first bytes logged, not retried", async (t) => {
  let calls = 0;
  const stalling = await serveFor(t, (req, res) => {
    calls += 1;
    req.resume();
    // The answer is in at once; the body starts and then stalls (a proxy holding it open).
    res.writeHead(200, { "Content-Type": "application/json" });
    res.write('{"received":');
  });
  await createTool(contactForm(`${stalling}/hook`, { id: "tool_stall", name: "stall_form", retrySchedule: [0, 1] }));
  const res = await submit(seedSubmit({ toolId: "tool_stall" }));
  const log = await stack.waitForStatus(res.json.submissionId, ["webhook_success", "webhook_failed"]);
  assert.equal(log.submission.status, "webhook_success", JSON.stringify(log.deliveries[0].attempts));
  const attempts = log.deliveries[0].attempts;
  assert.equal(attempts.length, 1);
  assert.equal(attempts[0].statusCode, 200);
  assert.equal(attempts[0].responseSnippet, '{"received":');
  assert.equal(calls, 1, "sent once");
});
