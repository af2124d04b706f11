// The owner's dashboard in real Chromium against the real local runtime: sign-in, the lead
// pipeline (a lead captured by the widget appears without a reload, stage changes with a
// lost reason, CSV export, delete), roles, CSRF, escaping, and axe-core on every page at
// 390 and 1440 px. Screenshots land in test-results/dashboard/ for a person to look at.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import path from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import { startStack, startReceiver, postJson, ownerRequest, waitUntil, PNG_1X1, fileDataUrl, quickPerson, asOwner } from "./support/stack.mjs";
import { startDemo } from "./support/demo.mjs";
import { axeViolations } from "./support/axe.mjs";
import { DEMO_AGENT_ID } from "../demo-site/seed.mjs";

const SHOTS = path.resolve("test-results/dashboard");
const WIDTHS = { phone: 390, desktop: 1440 };

let demo, stack, receiver, site, browser;

before(async () => {
  ({ stack, receiver, site, browser } = demo = await startDemo({ shots: SHOTS }));
});

after(() => demo?.stop());

/** A browser context of its own (its own cookies), watching for CSP violations and errors. */
async function newVisitor({ width = WIDTHS.desktop, bypassCSP = false } = {}) {
  const context = await browser.newContext({ viewport: { width, height: 900 }, bypassCSP, acceptDownloads: true });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(String(e)));
  // Pages answering 400/403 (a refused form) log "Failed to load resource": expected here.
  page.on("console", (m) => m.type() === "error" && !/^Failed to load resource/.test(m.text()) && problems.push(m.text()));
  return { context, page, problems };
}

async function signIn(page, { email, password }) {
  await page.goto(stack.url + "/dashboard/");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForLoadState();
}

async function submitLead(formData, headers = { Origin: site.url }, extra = {}) {
  const fields = Object.keys(formData);
  const res = await postJson(stack.url + "/form-submissions/submit", { toolId: "tool_contact_form", formData, fieldsCompleted: fields, ...extra }, asOwner(stack, headers));
  assert.equal(res.status, 200, res.text);
  return res.json;
}

/** A member with `role`, invited by the admin key and signed up through the invitation page. */
async function member(role) {
  const email = `${role}-${Date.now()}@example.com`;
  const invited = await ownerRequest(stack, "POST", "/v1/members", { body: { email, role } });
  assert.equal(invited.status, 201, invited.text);
  const password = "a good long password";
  const { context, page, problems } = await newVisitor();
  await page.goto(invited.json.inviteUrl);
  await page.getByLabel(/New password/).fill(password);
  await page.getByRole("button", { name: /Set password/ }).click();
  await page.waitForURL(/\/dashboard\/leads/);
  return { email, password, context, page, problems };
}

async function axe(page, label) {
  const result = await axeViolations(page);
  const serious = result.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(serious, [], `${label}: ${JSON.stringify(serious)}`);
}

test("sign-in: a wrong password is refused with a message; the right one opens the leads page", async () => {
  const { context, page, problems } = await newVisitor();
  await signIn(page, { email: stack.admin.email, password: "not the password" });
  assert.match(await page.getByRole("alert").textContent(), /Wrong email or password/);
  assert.match(page.url(), /sign-in/);
  await signIn(page, { email: stack.admin.email.toUpperCase(), password: stack.admin.password });
  await page.waitForURL(/\/dashboard\/leads/);
  assert.equal(await page.getByRole("heading", { level: 1 }).textContent().then((t) => t.trim().startsWith("Leads")), true);
  const [cookie] = (await context.cookies()).filter((c) => c.name === "lf_session");
  assert.ok(cookie.httpOnly, "the session cookie is HttpOnly");
  assert.equal(cookie.sameSite, "Lax");
  // Sign out ends the session: the page asks to sign in again.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/sign-in/);
  await page.goto(stack.url + "/dashboard/leads");
  assert.match(page.url(), /sign-in\?next=%2Fdashboard%2Fleads/);
  assert.deepEqual(problems, []);
  await context.close();
});

test("repeated failed sign-ins lock that email from that address, even for the right password; the owner's own address still gets in", async () => {
  const { email, password, context } = await member("viewer");
  await context.close();
  const attempt = (pw, ip = "203.0.113.9", who = email) =>
    fetch(stack.url + "/dashboard/sign-in", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "CF-Connecting-IP": ip },
      body: new URLSearchParams({ email: who, password: pw }),
      redirect: "manual",
    });
  for (let i = 0; i < 4; i++) assert.equal((await attempt("wrong guess " + i)).status, 401);
  const locking = await attempt("wrong guess 5");
  assert.equal(locking.status, 429);
  assert.ok(Number(locking.headers.get("retry-after")) > 800);
  const right = await attempt(password);
  assert.equal(right.status, 429, "locked: the right password waits too");
  assert.match(await right.text(), /Too many wrong passwords/);
  // A stranger cannot lock the member out: from another address the password works.
  assert.equal((await attempt(password, "198.51.100.7")).status, 303);
  // An email with no account answers exactly the same way: it tells nothing.
  const statuses = [];
  for (let i = 0; i < 6; i++) statuses.push((await attempt("wrong", "203.0.113.10", "nobody-here@example.com")).status);
  assert.deepEqual(statuses, [401, 401, 401, 401, 429, 429]);
});

test("sign-in goes on to the dashboard page it was asked for, and only to one", async () => {
  const { email, password, context } = await member("viewer");
  await context.close();
  const signIn = (next) =>
    fetch(`${stack.url}/dashboard/sign-in?next=${next}`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "CF-Connecting-IP": "192.0.2.44" },
      body: new URLSearchParams({ email, password }),
      redirect: "manual",
    });
  const cases = [
    ["%2Fdashboard%2Fanalytics", "/dashboard/analytics"],
    // A line break would split the Location header: not a place to go.
    ["/dashboard/%0d%0aX:1", "/dashboard/leads"],
    ["https://evil.example/dashboard/", "/dashboard/leads"],
    ["/dashboard/%5C%5Cevil.example", "/dashboard/leads"],
    // Dot segments would take the browser out of the dashboard (to a CSV export, say).
    ["%2Fdashboard%2F..%2F..%2Fv1%2Fagents%2Fagent_demo%2Fleads.csv", "/dashboard/leads"],
    ["/dashboard/%252e%252e/v1/keys", "/dashboard/leads"],
  ];
  for (const [next, to] of cases) {
    const res = await signIn(next);
    assert.equal(res.status, 303, `${next}: ${res.status}`);
    assert.equal(res.headers.get("location"), to, next);
  }
});

test("a lead captured by the widget appears in the open table without a reload, then is worked end to end", async () => {
  const { context, page, problems } = await newVisitor();
  await signIn(page, stack.admin);
  await page.waitForURL(/\/dashboard\/leads/);
  const totalShown = async () => Number(await page.locator("#lead-counters li").first().locator(".n").textContent());
  const totalBefore = await totalShown();

  // A visitor on the demo page submits the contact form in the chat.
  const visitor = await browser.newPage();
  await visitor.goto(site.url + "/");
  await visitor.locator(".lf-bubble").click();
  await visitor.locator(".lf-chip", { hasText: "Talk to sales" }).click();
  const form = visitor.locator("form.lf-form[data-tool=contact_form]");
  await form.locator("input[name=name]").fill("Dana Widget");
  await form.locator("input[name=email]").fill("dana@example.com");
  await form.locator("textarea[name=message]").fill("Demo please");
  await quickPerson(); // a fill under a second is quarantined as spam (core/src/spam.rs)
  await form.locator(".lf-submit").click();
  await visitor.locator(".lf-success").waitFor();
  await visitor.close();

  // The table refreshes itself (htmx, every 10 s): the row shows up without a reload.
  const row = page.locator("table.leads tr", { hasText: "dana@example.com" });
  await row.waitFor({ timeout: 20_000 });
  assert.match(await row.textContent(), /Dana Widget[\s\S]*dana@example.com[\s\S]*Widget[\s\S]*New[\s\S]*contact_form/);
  assert.equal(await totalShown(), totalBefore + 1, "the counters refresh with the table");
  await page.screenshot({ path: path.join(SHOTS, "leads-desktop.png"), fullPage: true });

  // Filters: a search that does not match empties the table; clearing brings it back.
  await page.getByLabel("Search").fill("nobody-like-this");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await page.getByText("No leads yet for these filters").waitFor();
  await page.getByRole("link", { name: "Clear" }).click();
  await row.waitFor();

  // Where leads come from: the page the visitor landed on counts the lead, and opens it.
  const landing = page.getByRole("table", { name: "By landing page" }).locator("tr", { hasText: `${new URL(site.url).host}/` });
  assert.match(await landing.textContent(), /1[\s\S]*0%/);
  await landing.getByRole("link").click();
  await page.getByText(`Only leads whose landing page is ${site.url}/`).waitFor();
  await row.waitFor();
  await page.screenshot({ path: path.join(SHOTS, "leads-by-landing-page.png"), fullPage: true });
  await page.getByRole("link", { name: "Clear" }).click();
  await row.waitFor();

  // The lead's page.
  await row.getByRole("link", { name: "Dana Widget" }).click();
  await page.getByRole("heading", { level: 1, name: /Dana Widget/ }).waitFor();
  assert.match(await page.locator("section", { hasText: "Source" }).first().textContent(), /Channel\s*Widget/, "the channel as seed 004 names it");
  assert.match(await page.locator("section", { hasText: "Deliveries" }).textContent(), /webhook[\s\S]*delivered/);
  // The conversation it came from: its summary here, its transcript one click away.
  const conversation = page.locator("section", { hasText: "Conversation" }).first();
  assert.match(await conversation.textContent(), /Filled in Talk to our team: Your name: Dana Widget; Work email: dana@example\.com/);
  await conversation.getByRole("link", { name: "Read the transcript" }).click();
  await page.locator("ol.transcript li.visitor", { hasText: "Talk to sales" }).waitFor();
  assert.match(await page.locator("ol.transcript").textContent(), /Form shown[\s\S]*contact_form[\s\S]*Form submitted/);
  await page.screenshot({ path: path.join(SHOTS, "conversation-desktop.png"), fullPage: true });
  await page.goBack();

  // Lost without a reason is refused next to the field; with one it is in the trail.
  await page.getByLabel("Move to").selectOption("lost");
  await page.getByRole("button", { name: "Update stage" }).click();
  const reasonError = page.locator("#reason-error");
  await reasonError.waitFor();
  assert.match(await reasonError.textContent(), /reason/i);
  assert.equal(await page.getByLabel("Reason, when lost").getAttribute("aria-invalid"), "true");
  await page.getByLabel("Move to").selectOption("lost");
  const reasons = await page.getByLabel("Reason, when lost").locator("option").allTextContents();
  await page.getByLabel("Reason, when lost").selectOption(reasons[1]);
  await page.getByRole("button", { name: "Update stage" }).click();
  await page.getByText("Stage updated.").waitFor();
  const trail = page.locator("ol.trail");
  assert.match(await trail.textContent(), new RegExp(`Stage New → Lost[\\s\\S]*by ${stack.admin.email}[\\s\\S]*Reason: ${reasons[1]}`));

  // A note.
  await page.getByLabel("Note", { exact: true }).fill("Called, no budget this year.");
  await page.getByRole("button", { name: "Add note" }).click();
  await page.getByText("Note added.").waitFor();
  assert.match(await trail.textContent(), /Called, no budget this year\./);
  await page.screenshot({ path: path.join(SHOTS, "lead-desktop.png"), fullPage: true });

  // The API sees the same lead, changed by this member.
  const leadId = page.url().split("/dashboard/leads/")[1].split("?")[0];
  const api = await ownerRequest(stack, "GET", `/v1/leads/${leadId}`);
  assert.equal(api.json.lead.stage, "lost");
  assert.equal(api.json.lead.lostReason, reasons[1]);

  // CSV export with the current filters: downloads and parses.
  await page.goto(`${stack.url}/dashboard/leads?agent=${DEMO_AGENT_ID}&stage=lost`);
  await page.getByLabel("CSV profile").selectOption("excel");
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export CSV" }).click()]);
  const csvPath = path.join(SHOTS, "export.csv");
  await download.saveAs(csvPath);
  const csvText = (await import("node:fs")).readFileSync(csvPath, "utf8").replace(/^\uFEFF/, "");
  const records = parseCsv(csvText, { columns: true, delimiter: csvText.split("\n")[0].includes(";") ? ";" : "," });
  assert.ok(records.length >= 1);
  assert.ok(records.every((r) => Object.values(r).join(" ").toLowerCase().includes("lost")), JSON.stringify(records));
  assert.ok(records.some((r) => Object.values(r).includes("dana@example.com")));

  // Back from Lost: the form still shows the reason, and the move goes through without it.
  await page.goto(`${stack.url}/dashboard/leads/${leadId}`);
  assert.equal(await page.getByLabel("Reason, when lost").inputValue(), reasons[1]);
  await page.getByLabel("Move to").selectOption("contacted");
  await page.getByRole("button", { name: "Update stage" }).click();
  await page.getByText("Stage updated.").waitFor();
  assert.match(await page.locator("ol.trail").textContent(), /Stage Lost → Contacted/);
  assert.equal((await ownerRequest(stack, "GET", `/v1/leads/${leadId}`)).json.lead.stage, "contacted");
  // A note over the limit (the field's maxlength is the edge's, but a script can set more):
  // refused at the field, and the text is given back to shorten, not lost.
  const note = page.getByLabel("Note", { exact: true });
  assert.equal(await note.getAttribute("maxlength"), "5000");
  const callLog = "Call log. ".repeat(501);
  await note.evaluate((el, text) => (el.value = text), callLog);
  await page.getByRole("button", { name: "Add note" }).click();
  await page.locator("#note-error").waitFor();
  assert.match(await page.locator("#note-error").textContent(), /at most 5000 characters/);
  assert.equal(await page.getByLabel("Note", { exact: true }).inputValue(), callLog);
  await page.screenshot({ path: path.join(SHOTS, "lead-note-refused.png"), fullPage: true });

  // Delete behind a typed confirmation.
  await page.goto(`${stack.url}/dashboard/leads/${leadId}`);
  await page.getByLabel(/Type delete to confirm/).fill("yes");
  await page.getByRole("button", { name: "Delete lead" }).click();
  await page.locator("#confirm-error").waitFor();
  await page.getByLabel(/Type delete to confirm/).fill("delete");
  await page.getByRole("button", { name: "Delete lead" }).click();
  await page.getByText("The lead was deleted.").waitFor();
  assert.equal(await page.locator("table.leads tr", { hasText: "dana@example.com" }).count(), 0);
  assert.equal((await ownerRequest(stack, "GET", `/v1/leads/${leadId}`)).status, 404);
  assert.deepEqual(problems, []);
  await context.close();
});

test("a failed delivery is replayed from the lead's page", async () => {
  let fail = true;
  const flaky = await startReceiver({ respond: () => (fail ? 500 : 200) });
  await ownerRequest(stack, "POST", `/v1/agents/${DEMO_AGENT_ID}/tools`, {
    body: {
      id: "tool_flaky",
      name: "flaky_form",
      title: "Flaky",
      fields: [{ name: "email", type: "email", required: true }],
      executionMode: "webhook",
      webhookUrl: flaky.url + "/hook",
      retrySchedule: [0],
    },
  });
  const res = await postJson(stack.url + "/form-submissions/submit", { toolId: "tool_flaky", formData: { email: "replay@example.com" }, fieldsCompleted: ["email"] }, asOwner(stack));
  assert.equal(res.status, 200, res.text);
  await stack.waitForStatus(res.json.submissionId, ["webhook_failed"]);
  const { context, page } = await newVisitor();
  await signIn(page, stack.admin);
  await page.goto(`${stack.url}/dashboard/leads/${res.json.leadId}`);
  fail = false;
  await page.getByRole("button", { name: /Replay webhook/ }).click();
  await page.getByText(/Delivery replayed/).waitFor();
  await flaky.waitFor(2);
  await waitUntil(async () => {
    await page.reload();
    return /delivered/.test(await page.locator("section", { hasText: "Deliveries" }).textContent());
  }, { message: "replayed delivery shows delivered" });
  await context.close();
  await flaky.stop();
});

test("roles: sales cannot open settings (page and API), a viewer changes nothing", async () => {
  const lead = await submitLead({ name: "Role Check", email: "roles@example.com" });
  const sales = await member("sales");
  const settings = await sales.page.goto(stack.url + "/dashboard/settings");
  assert.equal(settings.status(), 403);
  assert.equal(await sales.page.getByRole("link", { name: "Settings" }).count(), 0);
  const apiSettings = await sales.page.evaluate(async (agent) => (await fetch(`/v1/agents/${agent}/tools`)).status, DEMO_AGENT_ID);
  assert.equal(apiSettings, 403);
  const apiMembers = await sales.page.evaluate(async () => (await fetch("/v1/members")).status);
  assert.equal(apiMembers, 403);
  // Sales works leads: through the page, and through the API with the page's CSRF token.
  await sales.page.goto(`${stack.url}/dashboard/leads/${lead.leadId}`);
  await sales.page.getByLabel("Move to").selectOption("contacted");
  await sales.page.getByRole("button", { name: "Update stage" }).click();
  await sales.page.getByText("Stage updated.").waitFor();
  const noToken = await sales.page.evaluate(async (id) => (await fetch(`/v1/leads/${id}`, { method: "PATCH", headers: { "Content-Type": "application/json" }, body: '{"stage":"qualified"}' })).status, lead.leadId);
  assert.equal(noToken, 403, "an API write from the session needs the CSRF token");
  // The delivery log names where it went, but a webhook URL is often a secret itself: a
  // member who may not read the configuration sees its origin only.
  const where = await sales.page.locator('td[data-label="Where"]').first().textContent();
  assert.equal(where, `${new URL(receiver.url).origin}/…`);
  assert.ok(!(await sales.page.content()).includes("/hook"), "the path is nowhere on the page");
  await sales.page.screenshot({ path: path.join(SHOTS, "lead-sales-desktop.png"), fullPage: true });
  await sales.context.close();

  const viewer = await member("viewer");
  await viewer.page.goto(`${stack.url}/dashboard/leads/${lead.leadId}`);
  assert.equal(await viewer.page.getByRole("button", { name: "Update stage" }).count(), 0);
  assert.equal(await viewer.page.getByRole("button", { name: "Delete lead" }).count(), 0);
  // Even a hand-made post with the viewer's own CSRF token is refused.
  const csrf = await viewer.page.locator("input[name=_csrf]").first().getAttribute("value");
  const forced = await viewer.page.evaluate(
    async ({ id, csrf }) => (await fetch(`/dashboard/leads/${id}/stage`, { method: "POST", body: new URLSearchParams({ _csrf: csrf, stage: "converted" }) })).status,
    { id: lead.leadId, csrf }
  );
  assert.equal(forced, 403);
  const apiWrite = await viewer.page.evaluate(
    async ({ id, csrf }) => {
      const res = await fetch(`/v1/leads/${id}`, { method: "PATCH", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf }, body: '{"stage":"converted"}' });
      return { status: res.status, body: await res.json() };
    },
    { id: lead.leadId, csrf }
  );
  assert.equal(apiWrite.status, 403);
  // A member is told what their role lacks, not about a key they do not hold.
  assert.equal(apiWrite.body.error.message, "a viewer member lacks the scope leads:write");
  assert.equal((await ownerRequest(stack, "GET", `/v1/leads/${lead.leadId}`)).json.lead.stage, "contacted");
  const analytics = await viewer.page.goto(`${stack.url}/dashboard/analytics`);
  assert.equal(analytics.status(), 200, "viewers read analytics");
  await viewer.context.close();
});

test("CSRF: a form on another origin posting with the member's cookie is refused", async () => {
  const lead = await submitLead({ name: "Csrf Target", email: "csrf@example.com" });
  // 127.0.0.1 on another port is the same *site*, so SameSite=Lax still sends the cookie:
  // only the origin check and the token stand in the way.
  const evil = createServer((req, res) => {
    res.setHeader("Content-Type", "text/html");
    res.end(`<form id="f" method="post" action="${stack.url}/dashboard/leads/${lead.leadId}/stage">
      <input name="stage" value="converted"><input name="_csrf" value="guess"></form>
      <script>document.getElementById("f").submit()</script>`);
  });
  await new Promise((r) => evil.listen(0, "127.0.0.1", r));
  const { context, page } = await newVisitor();
  await signIn(page, stack.admin);
  const answer = page.waitForResponse((r) => r.url().includes(`/dashboard/leads/${lead.leadId}/stage`));
  await page.goto(`http://127.0.0.1:${evil.address().port}/`);
  const res = await answer;
  assert.equal(res.status(), 403);
  assert.match(await page.textContent("body"), /cross-site forgery/);
  assert.equal((await ownerRequest(stack, "GET", `/v1/leads/${lead.leadId}`)).json.lead.stage, "new");
  await context.close();
  await new Promise((r) => evil.close(r));
});

test("a page of the same site cannot read analytics with the member's cookie", async () => {
  // The widget's calls answer pages; analytics is the owner's, though its path is beside them.
  const sibling = createServer((req, res) => {
    res.setHeader("Content-Type", "text/html");
    res.end("<!doctype html><title>sibling</title>");
  });
  await new Promise((r) => sibling.listen(0, "127.0.0.1", r));
  const { context, page } = await newVisitor();
  await signIn(page, stack.admin);
  await page.goto(`http://127.0.0.1:${sibling.address().port}/`);
  const read = await page.evaluate(async (url) => {
    try {
      const res = await fetch(url, { credentials: "include" });
      return `read ${res.status}: ${(await res.text()).slice(0, 80)}`;
    } catch (e) {
      return `refused: ${e.name}`;
    }
  }, `${stack.url}/form-submissions/analytics?agentId=${DEMO_AGENT_ID}`);
  assert.equal(read, "refused: TypeError");
  // The same call from the dashboard's own origin works: the cookie is a member's.
  await page.goto(`${stack.url}/dashboard/leads`);
  const own = await page.evaluate(async (url) => (await fetch(url)).status, `/form-submissions/analytics?agentId=${DEMO_AGENT_ID}`);
  assert.equal(own, 200);
  await context.close();
  await new Promise((r) => sibling.close(r));
});

test("an email address a visitor typed opens a message to that address only: no copy, subject or body of theirs", async () => {
  const planted = "sales?cc=attacker%40evil.example&subject=Invoice&body=Pay%20here&x=@example.com";
  const lead = await submitLead({ name: "Mailto Planter", email: planted, message: "hi" });
  const { context, page, problems } = await newVisitor();
  await signIn(page, stack.admin);
  await page.goto(`${stack.url}/dashboard/leads/${lead.leadId}`);
  const link = page.getByRole("link", { name: planted });
  const href = await link.getAttribute("href");
  const url = new URL(href);
  assert.equal(url.protocol, "mailto:");
  assert.equal(url.search, "", href);
  assert.equal(decodeURIComponent(url.pathname), planted, "the whole address, as typed, is the recipient");
  assert.deepEqual(problems, []);
  await context.close();
});

test("a move made on a lead a colleague changed meanwhile is refused, and the page shows the lead as it is now", async () => {
  const lead = await submitLead({ name: "Stale Page", email: "stale-page@example.com", message: "hi" });
  const { context, page, problems } = await newVisitor();
  await signIn(page, stack.admin);
  await page.goto(`${stack.url}/dashboard/leads/${lead.leadId}`);
  // A colleague moves it to Lost, with a reason and a note, while this page is open.
  const reasons = (await ownerRequest(stack, "GET", `/v1/agents/${DEMO_AGENT_ID}`)).json.lostReasons;
  const colleague = await ownerRequest(stack, "PATCH", `/v1/leads/${lead.leadId}`, { body: { stage: "lost", lostReason: reasons[0], note: "They went with a competitor" } });
  assert.equal(colleague.status, 200, colleague.text);
  await page.getByLabel("Move to").selectOption("qualified");
  const [refused] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith(`/dashboard/leads/${lead.leadId}/stage`)),
    page.getByRole("button", { name: "Update stage" }).click(),
  ]);
  assert.equal(refused.status(), 409);
  const alert = page.getByRole("alert");
  await alert.waitFor();
  assert.match(await alert.textContent(), /This lead changed after you opened it/);
  assert.match(await page.getByRole("heading", { level: 1 }).textContent(), /Lost/);
  // The colleague's reason and note are both in the trail.
  assert.match(await page.locator("ol.trail").textContent(), new RegExp(`Stage New → Lost[\\s\\S]*Reason: ${reasons[0].replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}; note: They went with a competitor`));
  assert.equal((await ownerRequest(stack, "GET", `/v1/leads/${lead.leadId}`)).json.lead.stage, "lost", "nothing was written");
  // The member's choice is still selected: one more click, now on what they see, moves it.
  assert.equal(await page.getByLabel("Move to").inputValue(), "qualified");
  await page.getByRole("button", { name: "Update stage" }).click();
  await page.getByText("Stage updated.").waitFor();
  assert.equal((await ownerRequest(stack, "GET", `/v1/leads/${lead.leadId}`)).json.lead.stage, "qualified");
  // Lost again, with a reason only it has: the leads page counts it under that reason, and
  // the reason opens its lost leads.
  await ownerRequest(stack, "PATCH", `/v1/agents/${DEMO_AGENT_ID}`, { body: { lostReasons: [...reasons, "Went dark"] } });
  assert.equal((await ownerRequest(stack, "PATCH", `/v1/leads/${lead.leadId}`, { body: { stage: "lost", lostReason: "Went dark" } })).status, 200);
  await page.goto(`${stack.url}/dashboard/leads?agent=${DEMO_AGENT_ID}`);
  const why = page.getByRole("table", { name: "Why leads were lost" }).locator("tr", { hasText: "Went dark" });
  assert.match(await why.textContent(), /Went dark\s*1/);
  await page.screenshot({ path: path.join(SHOTS, "leads-lost-reasons.png"), fullPage: true });
  await why.getByRole("link").click();
  await page.getByText("Only leads whose lost reason is Went dark").waitFor();
  assert.deepEqual(await page.locator("table.leads tbody tr").allTextContents().then((rows) => rows.map((r) => /stale-page@example\.com/.test(r))), [true]);
  await ownerRequest(stack, "PATCH", `/v1/agents/${DEMO_AGENT_ID}`, { body: { lostReasons: reasons } });
  // An agent that is not there is a 404, not another agent's leads.
  const missing = await page.goto(`${stack.url}/dashboard/leads?agent=agent_nope`);
  assert.equal(missing.status(), 404);
  assert.deepEqual(problems, []);
  await context.close();
});

test("what visitors typed renders as text: <script> and <img onerror> in lead fields", async () => {
  const lead = await submitLead({
    name: `<script>window.__pwned = 1</script>Mallory`,
    email: "mallory@example.com",
    message: `<img src=x onerror="window.__pwned = 2">`,
  });
  const { context, page, problems } = await newVisitor();
  await signIn(page, stack.admin);
  await page.goto(`${stack.url}/dashboard/leads?agent=${DEMO_AGENT_ID}&q=mallory`);
  const row = page.locator("table.leads tr", { hasText: "mallory@example.com" });
  assert.match(await row.textContent(), /<script>window.__pwned = 1<\/script>Mallory/);
  await row.getByRole("link").click();
  await page.getByRole("heading", { level: 1 }).waitFor();
  assert.match(await page.locator("main").textContent(), /<img src=x onerror="window.__pwned = 2">/);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.equal(await page.locator("main img").count(), 0);
  assert.deepEqual(problems, []);
  await context.close();
});

test("conversations: the agent's newest first, each with its page, messages, summary and lead, paged; what a visitor typed stays text", async () => {
  const open = async (n, page) => {
    const started = await postJson(stack.url + "/conversations", { agentId: DEMO_AGENT_ID, page }, { Origin: site.url, "CF-Connecting-IP": `198.18.7.${n}` });
    assert.equal(started.status, 201, started.text);
    return started.json;
  };
  // Past one page (50): the oldest of these are on the second.
  const first = await open(1, "https://shop.example/first-of-many");
  for (let n = 2; n <= 51; n++) await open(n, `https://shop.example/many/${n}`);
  const chat = await open(60, "https://shop.example/pricing?<b>plan</b>");
  const token = { Origin: site.url, "X-Leadform-Conversation-Token": chat.conversationToken, "CF-Connecting-IP": "198.18.7.60" };
  const said = await postJson(`${stack.url}/conversations/${chat.conversationId}/messages`, { text: "<img src=x onerror=\"window.__xss=1\"> a quote please" }, token);
  assert.equal(said.status, 200, said.text);
  const lead = await submitLead({ name: "Casey <Chat>", email: "casey.chat@example.com", message: "Quote" }, token, { conversationId: chat.conversationId });

  const { context, page, problems } = await newVisitor();
  await signIn(page, stack.admin);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Conversations" }).click();
  await page.getByRole("heading", { level: 1, name: /Conversations/ }).waitFor();
  const rows = page.locator("table.conversations tbody tr");
  // A chat opened and left (no message, no form) is listed only when asked for.
  const listed = async () => (await rows.locator('[data-label="Started"] a').evaluateAll((links) => links.map((a) => a.getAttribute("href")))).join(" ");
  assert.match(await listed(), new RegExp(chat.conversationId));
  assert.doesNotMatch(await page.locator("table.conversations").textContent(), /shop\.example\/many/);
  await page.getByLabel("Also chats where the visitor wrote nothing").check();
  await page.getByRole("button", { name: "Show" }).click();
  await page.waitForURL(/all=1/);
  assert.equal(await rows.count(), 50);
  // Newest first: the one with the lead, its page as text, its lead by name.
  const top = rows.first();
  assert.match(await top.textContent(), /shop\.example\/pricing\?<b>plan<\/b>/);
  assert.equal(await top.locator("b").count(), 0, "the page address is text, not markup");
  assert.match(await top.locator('[data-label="Summary"]').textContent(), /Casey <Chat>/);
  assert.equal(await top.locator('[data-label="Visitor messages"]').textContent(), "1");
  await top.getByRole("link", { name: "Casey <Chat>" }).click();
  await page.waitForURL(new RegExp(`/dashboard/leads/${lead.leadId}$`));
  await page.goBack();
  await rows.first().locator('[data-label="Started"] a').click();
  await page.waitForURL(new RegExp(`/dashboard/conversations/${chat.conversationId}$`));
  assert.match(await page.locator("ol.transcript").textContent(), /<img src=x onerror="window.__xss=1"> a quote please/);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  await page.getByRole("link", { name: "← All conversations" }).click();
  await page.screenshot({ path: path.join(SHOTS, "conversations-desktop.png"), fullPage: true });
  await page.getByLabel("Also chats where the visitor wrote nothing").check();
  await page.getByRole("button", { name: "Show" }).click();
  await page.waitForURL(/all=1/);

  // The next page goes on where the first stopped, down to the oldest; none twice.
  const firstPage = await rows.locator('[data-label="Started"] a').evaluateAll((links) => links.map((a) => a.getAttribute("href")));
  await page.getByRole("link", { name: "Next page" }).click();
  await page.getByRole("link", { name: "First page" }).waitFor();
  const secondPage = await rows.locator('[data-label="Started"] a').evaluateAll((links) => links.map((a) => a.getAttribute("href")));
  assert.ok(secondPage.includes(`/dashboard/conversations/${first.conversationId}`), "the oldest is on the second page");
  assert.deepEqual(firstPage.filter((href) => secondPage.includes(href)), []);
  // A cursor edited by hand is a clear 400 with the way back, not an error page.
  const edited = await page.goto(`${stack.url}/dashboard/conversations?agent=${DEMO_AGENT_ID}&all=1&cursor=not-a-cursor`);
  assert.equal(edited.status(), 400);
  assert.match(await page.getByRole("alert").textContent(), /cursor/);
  await page.getByRole("link", { name: "First page" }).click();
  assert.equal(await rows.count(), 50);

  // Each agent's own: another agent's conversation is listed on its page only.
  const other = await ownerRequest(stack, "POST", "/v1/agents", { body: { name: "Other desk", allowedOrigins: [site.url] } });
  assert.equal(other.status, 201, other.text);
  const theirs = await postJson(stack.url + "/conversations", { agentId: other.json.id, page: "https://other.example/help" }, { Origin: site.url, "CF-Connecting-IP": "198.18.7.70" });
  assert.equal(theirs.status, 201, theirs.text);
  await page.goto(`${stack.url}/dashboard/conversations?agent=${DEMO_AGENT_ID}&all=1`);
  assert.doesNotMatch(await page.locator("table.conversations").textContent(), /other\.example/);
  await page.getByLabel("Agent", { exact: true }).selectOption(other.json.id);
  await page.getByRole("button", { name: "Show" }).click();
  await page.getByRole("heading", { level: 1, name: /Other desk/ }).waitFor();
  assert.equal(await rows.count(), 1);
  assert.match(await rows.first().textContent(), /other\.example\/help[\s\S]*none/);
  assert.deepEqual(problems, []);
  await context.close();
});

test("settings: a form's page sends its webhook and each post-action an example and says what the receiver did", async () => {
  // A paused Slack post-action next to the webhook: each has its own button.
  const slack = { type: "slack", webhookUrl: receiver.url + "/slack/T9/B9/x", enabled: false };
  const patched = await ownerRequest(stack, "PATCH", "/v1/tools/tool_contact_form", { body: { postActions: [slack] } });
  assert.equal(patched.status, 200, patched.text);
  const { context, page, problems } = await newVisitor();
  await signIn(page, stack.admin);
  await page.goto(`${stack.url}/dashboard/settings/forms/tool_contact_form`);
  const tests = page.locator("#test-h + p + ul.tests > li");
  assert.equal(await tests.count(), 2);
  assert.match(await tests.nth(1).textContent(), /Slack: .*\/slack\/T9\/B9\/x\s*\(paused\)/);
  const before = receiver.requests.length;
  await page.getByRole("button", { name: /^Send a test to Webhook/ }).click();
  const said = page.getByRole("status").filter({ hasText: /test delivered/ });
  await said.waitFor();
  assert.match(await said.textContent(), /^Webhook: test delivered, the receiver answered HTTP 200 in \d+ ms\.$/);
  // (Only the tests: a visitor's delivery from an earlier test may reach the receiver too.)
  const sentTests = () => receiver.requests.slice(before).filter((r) => r.headers["leadform-test"] === "true" || r.url.startsWith("/slack/T9/"));
  const hooks = sentTests();
  assert.deepEqual(hooks.map((r) => r.url), ["/hook"]);
  assert.equal(hooks[0].json.toolId, "tool_contact_form");
  await page.screenshot({ path: path.join(SHOTS, "form-test-sent-desktop.png"), fullPage: true });

  await page.getByRole("button", { name: /^Send a test to Slack/ }).click();
  const slackSaid = page.getByRole("status").filter({ hasText: /^Slack \(postActions\[0\]\): test delivered/ });
  await slackSaid.waitFor();
  const [, message] = sentTests();
  assert.equal(message.url, "/slack/T9/B9/x");
  assert.match(message.json.text, /^\[Test\] New /);
  assert.deepEqual(problems, []);
  await context.close();
  assert.equal((await ownerRequest(stack, "PATCH", "/v1/tools/tool_contact_form", { body: { postActions: [] } })).status, 200);
});

test("integrations: each form's webhook and post-actions with their latest delivery, tested, paused and turned on again; a stale button changes nothing; admins only", async (t) => {
  const refusing = await startReceiver({ respond: () => 404 });
  t.after(() => refusing.stop());
  const actions = [
    { type: "slack", webhookUrl: receiver.url + "/slack/T7/B7/int" },
    { type: "webhook", url: receiver.url + "/crm-in", enabled: false },
    { type: "webhook", url: refusing.url + "/gone" },
  ];
  assert.equal((await ownerRequest(stack, "PATCH", "/v1/tools/tool_contact_form", { body: { postActions: actions } })).status, 200);
  const postActions = async () => (await ownerRequest(stack, "GET", "/v1/tools/tool_contact_form")).json.postActions;
  // A lead: the webhook and Slack take it, the refusing receiver fails it (a 404 is final),
  // the paused one is not run.
  const { submissionId } = await submitLead({ name: "Integration Ivy", email: "ivy@example.com" });
  await waitUntil(async () => {
    const log = (await ownerRequest(stack, "GET", `/v1/submissions/${submissionId}/deliveries`)).json.deliveries;
    return log.length === 3 && log.every((d) => ["delivered", "failed"].includes(d.delivery.status));
  }, { message: "the lead's three deliveries settled" });
  const { context, page, problems } = await newVisitor();
  await signIn(page, stack.admin);
  await page.getByRole("link", { name: "Integrations" }).click();
  await page.getByRole("heading", { level: 1, name: /Integrations/ }).waitFor();
  const section = page.locator("#form-tool_contact_form");
  const rows = section.locator("tbody tr");
  const cells = async () => (await rows.evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("td")].slice(0, 4).map((td) => td.textContent.trim()))));
  const shown = await cells();
  assert.deepEqual(shown.map((row) => row.slice(0, 3)), [
    ["Webhook", `${receiver.url}/hook`, "Active"],
    ["Slack", `${receiver.url}/slack/T7/B7/int`, "Active"],
    ["Webhook", `${receiver.url}/crm-in`, "Paused"],
    ["Webhook", `${refusing.url}/gone`, "Active"],
  ]);
  // How each one's latest delivery went.
  assert.match(shown[0][3], /^Delivered \d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
  assert.match(shown[1][3], /^Delivered /);
  assert.equal(shown[2][3], "none among the form's latest submissions");
  assert.match(shown[3][3], /^Failed \d{4}-\d\d-\d\d \d\d:\d\d UTC: receiver answered HTTP 404$/);

  // Pause the Slack one: kept with its settings, paused; then on again.
  await section.getByRole("button", { name: /^Pause Slack/ }).click();
  await page.getByRole("status").filter({ hasText: /^Paused:/ }).waitFor();
  assert.deepEqual((await postActions()).map((a) => a.enabled ?? true), [false, false, true]);
  assert.equal((await postActions())[0].webhookUrl, `${receiver.url}/slack/T7/B7/int`);
  await section.getByRole("button", { name: /^Turn on Slack/ }).click();
  await page.getByRole("status").filter({ hasText: /^Turned on:/ }).waitFor();
  assert.deepEqual((await postActions()).map((a) => a.enabled ?? true), [true, false, true]);

  // A paused one can be sent a test before it is turned on; told under its form.
  const before = receiver.requests.length;
  await section.getByRole("button", { name: /^Send a test to Webhook: .*crm-in/ }).click();
  const said = section.getByRole("status");
  await said.waitFor();
  assert.match(await said.textContent(), /^Webhook \(postActions\[1\]\): test delivered, the receiver answered HTTP 200 in \d+ ms\.$/);
  const sent = receiver.requests.slice(before).filter((r) => r.headers["leadform-test"] === "true");
  assert.deepEqual(sent.map((r) => r.url), ["/crm-in"]);
  await page.screenshot({ path: path.join(SHOTS, "integrations-tested-desktop.png"), fullPage: true });

  // Someone else changed the list meanwhile: the button's index names another integration
  // now, so nothing is switched, and the page says so.
  assert.equal((await ownerRequest(stack, "PATCH", "/v1/tools/tool_contact_form", { body: { postActions: [actions[1], actions[0], actions[2]] } })).status, 200);
  await section.getByRole("button", { name: /^Pause Slack/ }).click();
  await page.getByRole("status").filter({ hasText: /changed meanwhile: nothing was changed/ }).waitFor();
  assert.deepEqual((await postActions()).map((a) => a.enabled ?? true), [false, true, true]);

  // A form switched to store keeps its webhook URL, but sends it nothing: not "Active".
  const mode = async (executionMode) =>
    assert.equal((await ownerRequest(stack, "PATCH", "/v1/tools/tool_contact_form", { body: { executionMode } })).status, 200);
  await mode("store");
  await page.reload();
  assert.deepEqual((await cells())[0].slice(0, 3), ["Webhook", `${receiver.url}/hook`, "Not used: the form runs in store mode"]);
  await page.screenshot({ path: path.join(SHOTS, "integrations-store-mode-desktop.png"), fullPage: true });
  await mode("webhook");
  assert.deepEqual(problems, []);
  await context.close();

  // Settings are the admin's: a sales member has no link and no page.
  const sales = await member("sales");
  await sales.page.goto(`${stack.url}/dashboard/leads?agent=${DEMO_AGENT_ID}`);
  assert.equal(await sales.page.getByRole("link", { name: "Integrations" }).count(), 0);
  const refused = await sales.page.goto(`${stack.url}/dashboard/integrations?agent=${DEMO_AGENT_ID}`);
  assert.equal(refused.status(), 403);
  await sales.context.close();
  assert.equal((await ownerRequest(stack, "PATCH", "/v1/tools/tool_contact_form", { body: { postActions: [] } })).status, 200);
});

test("integrations are connected from the Integrations page, a kind's own inputs rather than JSON; a wrong value shows at its input; one is removed after one more click", async () => {
  const postActions = async () => (await ownerRequest(stack, "GET", "/v1/tools/tool_contact_form")).json.postActions;
  assert.deepEqual(await postActions(), []);
  const { context, page, problems } = await newVisitor();
  await signIn(page, stack.admin);
  await page.goto(`${stack.url}/dashboard/integrations?agent=${DEMO_AGENT_ID}`);
  const section = page.locator("#form-tool_contact_form");
  await section.getByRole("link", { name: /^Slack to / }).click();
  await page.getByRole("heading", { level: 1, name: /Connect Slack/ }).waitFor();

  // Not a URL: refused at its input, what was typed kept, nothing added.
  await page.getByLabel("Incoming webhook URL").fill("hooks.slack.com/oops");
  await page.getByLabel("Message").fill("Lead: {{email}}");
  await page.getByRole("button", { name: "Connect Slack" }).click();
  await page.locator("#webhookUrl-error").waitFor();
  assert.equal(await page.getByLabel("Incoming webhook URL").getAttribute("aria-invalid"), "true");
  assert.equal(await page.getByLabel("Message").inputValue(), "Lead: {{email}}");
  assert.deepEqual(await postActions(), []);
  await page.screenshot({ path: path.join(SHOTS, "integration-connect-refused-desktop.png"), fullPage: true });

  // Right: connected, active, shown on Integrations; the next lead reaches the channel.
  await page.getByLabel("Incoming webhook URL").fill(`${receiver.url}/slack/T1/B1/connected`);
  await page.getByRole("button", { name: "Connect Slack" }).click();
  await page.getByRole("status").filter({ hasText: /^Connected: it runs/ }).waitFor();
  assert.deepEqual(await postActions(), [{ type: "slack", webhookUrl: `${receiver.url}/slack/T1/B1/connected`, messageTemplate: "Lead: {{email}}" }]);
  assert.deepEqual((await section.locator("tbody tr").nth(1).locator("td").allTextContents()).slice(0, 3).map((t) => t.trim()), ["Slack", `${receiver.url}/slack/T1/B1/connected`, "Active"]);
  const before = receiver.requests.length;
  await submitLead({ name: "Connie Slack", email: "connie@example.com" });
  await waitUntil(() => receiver.requests.slice(before).some((r) => r.url === "/slack/T1/B1/connected"), { message: "Slack got the lead" });
  assert.equal(receiver.requests.slice(before).find((r) => r.url === "/slack/T1/B1/connected").json.text, "Lead: connie@example.com");

  // An email to a member and an address, connected paused; a webhook's header line without a colon is refused at Headers.
  await section.getByRole("link", { name: /^Email to / }).click();
  await page.getByLabel("Addresses").fill("sales@example.com, bad-address");
  await page.getByLabel(stack.admin.email).check();
  await page.getByLabel(/Active: it runs/).uncheck();
  await page.getByRole("button", { name: "Connect Email" }).click();
  assert.match(await page.locator("#recipients-error").textContent(), /"bad-address" is not an email address/);
  assert.equal(await page.getByLabel(stack.admin.email).isChecked(), true, "the ticked member stays ticked");
  assert.equal(await page.getByLabel(/Active: it runs/).isChecked(), false);
  await page.getByLabel("Addresses").fill("sales@example.com");
  await page.getByRole("button", { name: "Connect Email" }).click();
  await page.getByRole("status").filter({ hasText: /^Connected, paused/ }).waitFor();
  const email = (await postActions())[1];
  assert.equal(email.type, "email");
  assert.deepEqual([email.recipients, email.recipientIds.length, email.enabled], [["sales@example.com"], 1, false]);
  const emailRow = (await section.locator("tbody tr").nth(2).locator("td").allTextContents()).map((t) => t.trim());
  assert.deepEqual(emailRow.slice(0, 3), ["Email", `sales@example.com, ${stack.admin.email} (member)`, "Paused"], "members by their address");
  await section.getByRole("link", { name: /^Webhook to / }).click();
  await page.getByLabel("URL", { exact: true }).fill(`${receiver.url}/crm-connected`);
  await page.getByLabel("Headers").fill("Authorization Bearer abc");
  await page.getByRole("button", { name: "Connect Webhook" }).click();
  assert.equal(await page.locator("#headers-error").textContent(), "line 1: write a header as Name: value");
  assert.equal((await postActions()).length, 2);

  // Removing takes one more click, and takes only that integration off.
  await page.goto(`${stack.url}/dashboard/integrations?agent=${DEMO_AGENT_ID}`);
  await section.locator("summary", { hasText: "Remove" }).first().click();
  await section.getByRole("button", { name: /^Remove Slack/ }).click();
  await page.getByRole("status").filter({ hasText: /^Removed:/ }).waitFor();
  assert.deepEqual((await postActions()).map((a) => a.type), ["email"]);
  await page.screenshot({ path: path.join(SHOTS, "integration-removed-desktop.png"), fullPage: true });
  assert.deepEqual(problems, []);
  await context.close();
  assert.equal((await ownerRequest(stack, "PATCH", "/v1/tools/tool_contact_form", { body: { postActions: [] } })).status, 200);
});

test("every page at 390 and 1440 px: axe-core finds nothing serious, screenshots for review", async () => {
  const started = await postJson(stack.url + "/conversations", { agentId: DEMO_AGENT_ID }, { Origin: site.url });
  const conversationId = started.json.conversationId;
  await postJson(`${stack.url}/conversations/${conversationId}/messages`, { text: "Can someone contact me?" }, { Origin: site.url, "X-Leadform-Conversation-Token": started.json.conversationToken });
  const lead = await submitLead({ name: "Axe Person", email: "axe@example.com", message: "Hi" }, { Origin: site.url, "X-Leadform-Conversation-Token": started.json.conversationToken }, { conversationId });
  await ownerRequest(stack, "POST", "/v1/members", { body: { email: "invitee@example.com", role: "viewer" } });
  const pages = [
    ["leads", `/dashboard/leads?agent=${DEMO_AGENT_ID}`],
    ["lead", `/dashboard/leads/${lead.leadId}`],
    ["analytics", `/dashboard/analytics?agent=${DEMO_AGENT_ID}`],
    ["settings", `/dashboard/settings`],
    ["agent-settings", `/dashboard/settings/agents/${DEMO_AGENT_ID}`],
    ["form-settings", `/dashboard/settings/forms/tool_contact_form`],
    ["integrations", `/dashboard/integrations?agent=${DEMO_AGENT_ID}`],
    ["integration-connect", "/dashboard/integrations/tool_contact_form/connect/email"],
    ["conversations", `/dashboard/conversations?agent=${DEMO_AGENT_ID}`],
    ["conversation", `/dashboard/conversations/${conversationId}`],
    ["account", `/dashboard/account`],
  ];
  for (const [size, width] of Object.entries(WIDTHS)) {
    // The pages' own CSP forbids injected scripts; axe runs in a context that bypasses it,
    // while the CSP itself is checked by the other tests (no violation is ever logged).
    const { context, page } = await newVisitor({ width, bypassCSP: true });
    await page.goto(stack.url + "/dashboard/sign-in");
    await axe(page, `sign-in@${width}`);
    const invite = await ownerRequest(stack, "POST", "/v1/members", { body: { email: `axe-${width}@example.com`, role: "sales" } });
    await page.goto(invite.json.inviteUrl);
    await axe(page, `invite@${width}`);
    await page.screenshot({ path: path.join(SHOTS, `sign-in-${size}.png`), fullPage: true });
    await signIn(page, stack.admin);
    for (const [name, url] of pages) {
      const res = await page.goto(stack.url + url);
      assert.equal(res.status(), 200, `${name}@${width}`);
      await axe(page, `${name}@${width}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${name}@${width} scrolls sideways by ${overflow}px`);
      await page.screenshot({ path: path.join(SHOTS, `${name}-${size}.png`), fullPage: true });
    }
    await context.close();
  }
});

test("keyboard only: sign in, reach a lead, change its stage", async () => {
  const lead = await submitLead({ name: "Keyboard Kim", email: "kim@example.com" });
  const { context, page } = await newVisitor();
  await page.goto(stack.url + "/dashboard/sign-in");
  await page.keyboard.press("Tab");
  await page.keyboard.type(stack.admin.email);
  await page.keyboard.press("Tab");
  await page.keyboard.type(stack.admin.password);
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/dashboard\/leads/);
  // The skip link is the first stop and is visible when focused.
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Skip to content");
  const link = page.getByRole("link", { name: "Keyboard Kim" });
  await link.focus();
  await page.keyboard.press("Enter");
  await page.waitForURL(new RegExp(lead.leadId));
  await page.getByLabel("Move to").focus();
  await page.keyboard.press("ArrowDown"); // New → Contacted
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Update stage");
  await page.keyboard.press("Enter");
  await page.getByText("Stage updated.").waitFor();
  assert.equal((await ownerRequest(stack, "GET", `/v1/leads/${lead.leadId}`)).json.lead.stage, "contacted");
  await context.close();
});

test("settings: an admin edits the agent, builds a form, makes a key and an endpoint; the edge's errors show at their field", async () => {
  const { context, page, problems } = await newVisitor();
  await signIn(page, stack.admin);
  await page.goto(`${stack.url}/dashboard/settings`);
  await page.getByRole("link", { name: "Acme Assistant" }).click();
  await page.getByRole("heading", { level: 1, name: /Acme Assistant/ }).waitFor();
  assert.match(await page.getByLabel(/Paste before/).inputValue(), new RegExp(`data-agent-id="${DEMO_AGENT_ID}"`));

  // The agent: a bad origin is refused next to its input; a good one is saved and used.
  const origins = page.getByLabel("Allowed origins");
  const before = await origins.inputValue();
  await origins.fill(before + "\nnot an origin");
  await page.getByLabel("Quick replies").fill("Talk to sales\nYes, pricing");
  await page.getByRole("button", { name: "Save agent" }).click();
  await page.locator("#agent-allowedOrigins-error").waitFor();
  assert.equal(await origins.getAttribute("aria-invalid"), "true");
  assert.equal(await page.getByLabel("Quick replies").inputValue(), "Talk to sales\nYes, pricing", "what was typed is kept");
  await origins.fill(before + "\nhttps://shop.example");
  await page.getByRole("button", { name: "Save agent" }).click();
  await page.getByText("Agent saved.").waitFor();
  const agent = (await ownerRequest(stack, "GET", `/v1/agents/${DEMO_AGENT_ID}`)).json;
  assert.deepEqual(agent.quickReplies, ["Talk to sales", "Yes, pricing"]);
  assert.ok(agent.allowedOrigins.includes("https://shop.example"));

  // A new form: a select without options is refused at that row's input.
  await page.getByRole("link", { name: "New form" }).click();
  // It starts as seed 004 advises: a name and a required email.
  assert.deepEqual(
    [await page.getByLabel("Name of row 1").inputValue(), await page.getByLabel("Type of row 1").inputValue(), await page.getByLabel("Row 1 required").isChecked()],
    ["name", "text", false],
  );
  assert.deepEqual(
    [await page.getByLabel("Name of row 2").inputValue(), await page.getByLabel("Type of row 2").inputValue(), await page.getByLabel("Row 2 required").isChecked()],
    ["email", "email", true],
  );
  await page.getByLabel("Name (what page handlers use)").fill("quote_request");
  await page.getByLabel("Title").fill("Get a quote");
  await page.getByLabel("Webhook URL").fill(receiver.url + "/quote");
  await page.getByLabel("Name of row 1").fill("email");
  await page.getByLabel("Type of row 1").selectOption("email");
  await page.getByLabel("Row 1 required").check();
  await page.getByLabel("Name of row 2").fill("plan");
  await page.getByLabel("Type of row 2").selectOption("select");
  await page.getByRole("button", { name: "Create form" }).click();
  await page.locator("#f1-error").waitFor();
  assert.match(await page.locator("#f1-error").textContent(), /option/i);
  assert.equal(await page.getByLabel("Options of row 2").getAttribute("aria-invalid"), "true");
  assert.equal(await page.getByLabel("Name of row 1").inputValue(), "email", "rows are kept as typed");
  await page.getByLabel("Options of row 2").fill("Starter\nBusiness, yearly");
  await page.getByLabel("Position of row 2").fill("0");
  await page.getByRole("button", { name: "Create form" }).click();
  await page.getByRole("heading", { name: "Webhook signing secret" }).waitFor();
  assert.match(await page.locator("#new-secret").inputValue(), /^whsec_/);
  const config = (await (await fetch(`${stack.url}/widget/config?agentId=${DEMO_AGENT_ID}`)).json());
  const quote = config.forms.find((f) => f.name === "quote_request");
  assert.deepEqual(quote.fields.map((f) => f.name), ["plan", "email"], "ordered by position");
  assert.deepEqual(quote.fields[0].options, ["Starter", "Business, yearly"], "an option may hold a comma");
  // Editing it again: remove a field; a bad post-action JSON is refused at its input.
  await page.getByLabel("Remove row 1").check();
  await page.getByLabel("Post-actions (JSON)").fill("[{");
  await page.getByRole("button", { name: "Save form" }).click();
  await page.locator("#postActions-error").waitFor();
  await page.getByLabel("Post-actions (JSON)").fill("");
  await page.getByRole("button", { name: "Save form" }).click();
  await page.getByText("Form saved.").waitFor();
  const saved = (await ownerRequest(stack, "GET", `/v1/tools/${quote.toolId ?? quote.id}`)).json;
  assert.deepEqual(saved.fields.map((f) => f.name), ["email"]);
  await page.screenshot({ path: path.join(SHOTS, "form-settings-desktop.png"), fullPage: true });

  // Lead events: a bad URL is refused at its input, a good one shows its secret once.
  await page.goto(`${stack.url}/dashboard/settings/agents/${DEMO_AGENT_ID}`);
  await page.getByLabel("Endpoint URL").fill("ftp://nope");
  await page.getByRole("button", { name: "Add endpoint" }).click();
  await page.locator("#endpoint-error").waitFor();
  await page.getByLabel("Endpoint URL").fill(receiver.url + "/events");
  await page.getByRole("button", { name: "Add endpoint" }).click();
  const endpointSecret = await page.locator("#new-secret").inputValue();
  assert.match(endpointSecret, /^whsec_/);
  // Its secret rotates: the new one is shown once, with when the old one stops; a second
  // rotation during the overlap is refused with why.
  const rotate = page.getByRole("button", { name: `Rotate the secret of endpoint ${receiver.url}/events` });
  await rotate.click();
  await page.getByRole("heading", { name: `New signing secret for ${receiver.url}/events` }).waitFor();
  const rotatedSecret = await page.locator("#new-secret").inputValue();
  assert.match(rotatedSecret, /^whsec_/);
  assert.notEqual(rotatedSecret, endpointSecret);
  assert.match(await page.locator("#secret-h + p").textContent(), /old secret signs every event too until \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
  await page.screenshot({ path: path.join(SHOTS, "endpoint-rotated-desktop.png"), fullPage: true });
  await rotate.click();
  await page.getByRole("alert").filter({ hasText: /still signs until \d{4}-\d\d-\d\d \d\d:\d\d UTC/ }).waitFor();
  assert.equal(await page.locator("#new-secret").count(), 0, "no secret shown for a refused rotation");

  // An API key: no scope is refused; with one it is shown once and works, until revoked.
  await page.goto(`${stack.url}/dashboard/settings`);
  await page.getByLabel("Name", { exact: true }).fill("CRM sync");
  await page.getByRole("button", { name: "Make key" }).click();
  await page.locator("#key-error").waitFor();
  await page.getByLabel("leads:read").check();
  await page.getByRole("button", { name: "Make key" }).click();
  const key = await page.locator("#new-key").inputValue();
  assert.match(key, /^lf_/);
  assert.equal((await ownerRequest(stack, "GET", `/v1/agents/${DEMO_AGENT_ID}/leads`, { key })).status, 200);
  await page.getByRole("button", { name: "Revoke CRM sync" }).click();
  await page.getByText("Key revoked.").waitFor();
  assert.equal((await ownerRequest(stack, "GET", `/v1/agents/${DEMO_AGENT_ID}/leads`, { key })).status, 401);
  assert.deepEqual(problems, []);
  await context.close();
});

test("settings: a form is paused from its page, then deleted once \"delete\" is typed; its leads stay", async () => {
  const made = await ownerRequest(stack, "POST", `/v1/agents/${DEMO_AGENT_ID}/tools`, {
    body: { id: "tool_retire", name: "retire_me", title: "Spring offer", fields: [{ name: "email", type: "email", required: true }], executionMode: "store" },
  });
  assert.equal(made.status, 201, made.text);
  const { leadId } = await submitLead({ email: "spring@example.com" }, { Origin: site.url }, { toolId: "tool_retire" });
  const offered = async () => (await (await fetch(`${stack.url}/widget/config?agentId=${DEMO_AGENT_ID}`)).json()).forms.some((f) => f.toolId === "tool_retire");
  assert.equal(await offered(), true);

  const { context, page, problems } = await newVisitor();
  await signIn(page, stack.admin);
  await page.goto(`${stack.url}/dashboard/settings/forms/tool_retire`);
  const switchBox = page.getByLabel(/Offered to visitors/);
  assert.equal(await switchBox.isChecked(), true);
  await switchBox.uncheck();
  await page.getByRole("button", { name: "Save form" }).click();
  await page.getByText("Form saved.").waitFor();
  assert.equal((await ownerRequest(stack, "GET", "/v1/tools/tool_retire")).json.enabled, false);
  assert.equal(await offered(), false, "a paused form leaves the widget");
  assert.equal(await page.getByLabel(/Offered to visitors/).isChecked(), false);
  await page.goto(`${stack.url}/dashboard/settings/agents/${DEMO_AGENT_ID}`);
  assert.equal((await page.locator("#forms-h + ul li", { hasText: "retire_me" }).textContent()).trim(), "retire_me (paused)");

  // Delete without the word: refused at its input, and the form's own inputs still show it.
  await page.goto(`${stack.url}/dashboard/settings/forms/tool_retire`);
  await page.getByRole("button", { name: "Delete form" }).click();
  await page.locator("#confirm-error").waitFor();
  assert.equal(await page.getByLabel(/Type delete to confirm/).getAttribute("aria-invalid"), "true");
  assert.equal(await page.getByLabel("Title").inputValue(), "Spring offer", "the form as stored, not emptied");
  assert.equal((await ownerRequest(stack, "GET", "/v1/tools/tool_retire")).status, 200, "nothing deleted");
  await page.screenshot({ path: path.join(SHOTS, "form-delete-refused-desktop.png"), fullPage: true });
  await page.getByLabel(/Type delete to confirm/).fill("delete");
  await page.getByRole("button", { name: "Delete form" }).click();
  await page.getByText("Form deleted. Its leads and submissions are kept.").waitFor();
  assert.equal(await page.locator("#forms-h + ul li", { hasText: "retire_me" }).count(), 0);
  await page.screenshot({ path: path.join(SHOTS, "form-deleted-desktop.png"), fullPage: true });
  assert.equal((await ownerRequest(stack, "GET", "/v1/tools/tool_retire")).status, 404);
  assert.equal((await page.goto(`${stack.url}/dashboard/settings/forms/tool_retire`)).status(), 404);

  // The lead it brought stays, and still says which form.
  await page.goto(`${stack.url}/dashboard/leads/${leadId}`);
  await page.getByText("spring@example.com").first().waitFor();
  assert.match(await page.locator("main").textContent(), /retire_me/);
  // The leads page still filters by it, marked as deleted.
  await page.goto(`${stack.url}/dashboard/leads`);
  await page.getByLabel("Form", { exact: true }).selectOption({ label: "retire_me (deleted)" });
  await page.getByRole("button", { name: "Apply filters" }).click();
  await page.waitForURL(/toolId=tool_retire/);
  const listed = await page.locator("td[data-label='Name'] a").evaluateAll((links) => links.map((a) => a.getAttribute("href")));
  assert.deepEqual(listed, [`/dashboard/leads/${leadId}`]);
  assert.deepEqual(problems, []);
  await context.close();
});

test("a lead's contact is corrected from its page: a wrong value is refused at its input, the fix shows and is in the trail", async () => {
  const { leadId } = await submitLead({ name: "Cor Rect", email: "cor@example.com", message: "Hi" });
  const { context, page, problems } = await newVisitor();
  await signIn(page, stack.admin);
  await page.goto(`${stack.url}/dashboard/leads/${leadId}`);
  await page.getByText("Correct the contact").click();
  await page.getByLabel("Phone", { exact: true }).fill("call me");
  await page.getByLabel("Company", { exact: true }).fill("Fixed Inc");
  await page.getByRole("button", { name: "Save contact" }).click();
  await page.locator("#contact-phone-error").waitFor();
  assert.equal(await page.getByLabel("Phone", { exact: true }).getAttribute("aria-invalid"), "true");
  assert.equal(await page.getByLabel("Company", { exact: true }).inputValue(), "Fixed Inc", "what was typed is kept");
  assert.equal((await ownerRequest(stack, "GET", `/v1/leads/${leadId}`)).json.lead.company, null, "nothing saved");
  await page.screenshot({ path: path.join(SHOTS, "lead-contact-refused-desktop.png"), fullPage: true });

  await page.getByLabel("Phone", { exact: true }).fill("+1 202 555 0199");
  await page.getByRole("button", { name: "Save contact" }).click();
  await page.getByText("Contact saved.").waitFor();
  const facts = await page.locator("#contact-h + dl").textContent();
  assert.match(facts, /Fixed Inc/);
  assert.match(facts, /\+1 202 555 0199/);
  assert.match(await page.locator("ol.trail").textContent(), /Contact corrected\s+by owner@example\.com\s*Changed: phone, company/);
  const lead = (await ownerRequest(stack, "GET", `/v1/leads/${leadId}`)).json.lead;
  assert.deepEqual([lead.name, lead.email, lead.phone, lead.company], ["Cor Rect", "cor@example.com", "+1 202 555 0199", "Fixed Inc"]);
  await page.screenshot({ path: path.join(SHOTS, "lead-contact-saved-desktop.png"), fullPage: true });
  assert.deepEqual(problems, []);
  await context.close();
});

test("a lead's files download from its page through a signed link", async () => {
  await ownerRequest(stack, "POST", `/v1/agents/${DEMO_AGENT_ID}/tools`, {
    body: {
      id: "tool_with_file",
      name: "cv_form",
      title: "Send your CV",
      fields: [{ name: "email", type: "email", required: true }, { name: "portrait", type: "file" }],
      executionMode: "client",
    },
  });
  const res = await postJson(stack.url + "/form-submissions/submit", {
    toolId: "tool_with_file",
    formData: { email: "files@example.com", portrait: fileDataUrl("image/png", PNG_1X1, "me.png") },
    fieldsCompleted: ["email", "portrait"],
  }, asOwner(stack));
  assert.equal(res.status, 200, res.text);
  const { context, page } = await newVisitor();
  await signIn(page, stack.admin);
  await page.goto(`${stack.url}/dashboard/leads/${res.json.leadId}`);
  const link = page.getByRole("link", { name: /me\.png/ });
  const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
  const saved = path.join(SHOTS, "portrait.png");
  await download.saveAs(saved);
  assert.deepEqual((await import("node:fs")).readFileSync(saved), PNG_1X1);
  await context.close();
});

test("a member changes their own password: the current one first, then the new; their other browsers are signed out", async () => {
  const { email, password, context, page, problems } = await member("sales");
  const elsewhere = await newVisitor();
  await signIn(elsewhere.page, { email, password });
  await elsewhere.page.waitForURL(/\/dashboard\/leads/);
  await page.getByRole("link", { name: email }).click();
  await page.getByRole("heading", { level: 1, name: "Your account" }).waitFor();
  assert.match(await page.locator("main").textContent(), /also signed in on 1 other browser\./);

  const change = async (current, next) => {
    await page.getByLabel("Current password").fill(current);
    await page.getByLabel(/New password/).fill(next);
    await page.getByRole("button", { name: "Change password" }).click();
    await page.waitForLoadState();
  };
  await change("not my password", "a brand new passphrase");
  assert.equal(await page.locator("#current-error").textContent(), "That is not your current password.");
  assert.equal(await page.getByLabel("Current password").getAttribute("aria-invalid"), "true");
  await change(password, "short");
  assert.match(await page.locator("#password-error").textContent(), /at least 10 characters/);
  await change(password, password);
  assert.match(await page.locator("#password-error").textContent(), /must differ/);
  await change(password, "a brand new passphrase");
  await page.getByText("Your password was changed. Your other sessions were signed out.").waitFor();
  assert.match(await page.locator("main").textContent(), /signed in here only/);

  // The other browser's session ended with the old password; this one goes on.
  await elsewhere.page.goto(`${stack.url}/dashboard/leads`);
  assert.match(elsewhere.page.url(), /\/dashboard\/sign-in/);
  assert.equal((await page.goto(`${stack.url}/dashboard/leads`)).status(), 200);
  const fresh = await newVisitor();
  await signIn(fresh.page, { email, password });
  assert.match(await fresh.page.getByRole("alert").textContent(), /Wrong email or password/);
  await signIn(fresh.page, { email, password: "a brand new passphrase" });
  await fresh.page.waitForURL(/\/dashboard\/leads/);

  // Signing out everywhere else ends the fresh browser's session, not this one.
  await page.goto(`${stack.url}/dashboard/account`);
  await page.getByRole("button", { name: "Sign out everywhere else" }).click();
  await page.getByText("Your other sessions were signed out.").waitFor();
  await fresh.page.goto(`${stack.url}/dashboard/leads`);
  assert.match(fresh.page.url(), /\/dashboard\/sign-in/);
  assert.deepEqual(problems, []);
  for (const c of [context, elsewhere.context, fresh.context]) await c.close();
});

test("guessing the current password on the account page locks like sign-in does, even for the right one", async () => {
  const { email, password, context } = await member("viewer");
  await context.close();
  // Its own address, so the lock-out touches no other test.
  const guesser = await browser.newContext({ extraHTTPHeaders: { "CF-Connecting-IP": "203.0.113.77" } });
  const page = await guesser.newPage();
  await signIn(page, { email, password });
  await page.goto(`${stack.url}/dashboard/account`);
  const guess = async (current) => {
    await page.getByLabel("Current password").fill(current);
    await page.getByLabel(/New password/).fill("a brand new passphrase");
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith("/dashboard/account/password")),
      page.getByRole("button", { name: "Change password" }).click(),
    ]);
    await page.waitForLoadState();
    return answer.status();
  };
  for (let i = 0; i < 4; i++) assert.equal(await guess(`wrong guess ${i}`), 400);
  assert.equal(await guess("wrong guess 5"), 429);
  assert.match(await page.getByRole("alert").textContent(), /Too many wrong passwords/);
  assert.equal(await guess(password), 429, "locked: the right password waits too");
  // Nothing changed: the password is still the old one.
  const other = await newVisitor();
  await signIn(other.page, { email, password });
  await other.page.waitForURL(/\/dashboard\/leads/);
  await other.context.close();
  await guesser.close();
});

test("an invitation links to the edge's PUBLIC_URL, whatever Host the request named", async () => {
  const { request } = await import("node:http");
  const edge = new URL(stack.url);
  const body = JSON.stringify({ email: `host-${Date.now()}@example.com`, role: "viewer" });
  const answer = await new Promise((resolve, reject) => {
    const req = request(
      { host: edge.hostname, port: edge.port, path: "/v1/members", method: "POST", headers: { Host: "evil.example", Authorization: `Bearer ${stack.apiKey}`, "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) } },
      (res) => {
        let text = "";
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode, text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
  assert.equal(answer.status, 201, answer.text);
  const { inviteUrl } = JSON.parse(answer.text);
  assert.ok(inviteUrl.startsWith(`${stack.url}/dashboard/invite/`), inviteUrl);
});

test("the last admin cannot be demoted or removed; with a second admin it can", async () => {
  const members = async () => (await ownerRequest(stack, "GET", "/v1/members")).json.members;
  const owner = (await members()).find((m) => m.email === stack.admin.email);
  assert.ok(owner, "the configured admin signed in earlier");
  const demote = (id) => ownerRequest(stack, "PATCH", `/v1/members/${id}`, { body: { role: "viewer" } });
  const alone = await demote(owner.id);
  assert.equal(alone.status, 409, `${alone.text} ${JSON.stringify(await members())}`);
  assert.equal(alone.json.error.code, "last_admin");
  assert.equal((await ownerRequest(stack, "DELETE", `/v1/members/${owner.id}`)).json.error.code, "last_admin");
  const second = await member("admin");
  await second.context.close();
  const secondId = (await members()).find((m) => m.email === second.email).id;
  assert.equal((await demote(owner.id)).status, 200);
  assert.equal((await demote(secondId)).status, 409, "now the second is the last");
  // The first admin is back to admin through the API; the configured variables do not
  // recreate anyone while an admin exists.
  assert.equal((await ownerRequest(stack, "PATCH", `/v1/members/${owner.id}`, { body: { role: "admin" } })).status, 200);
  assert.equal((await ownerRequest(stack, "PATCH", "/v1/members/mem_nope", { body: { role: "admin" } })).json.error.code, "member_not_found");
});

test("a new workspace without agents: every page says what to do, none fails; a signed-in member skips the sign-in page", async () => {
  const empty = await startStack();
  try {
    const context = await browser.newContext({ viewport: { width: 390, height: 900 } });
    const page = await context.newPage();
    const problems = [];
    page.on("pageerror", (e) => problems.push(String(e)));
    await page.goto(empty.url + "/dashboard/");
    await page.getByLabel("Email").fill(empty.admin.email);
    await page.getByLabel("Password").fill(empty.admin.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/dashboard\/leads/);
    assert.match(await page.locator("main").textContent(), /No agent yet/);
    await page.screenshot({ path: path.join(SHOTS, "empty-workspace-phone.png"), fullPage: true });
    for (const route of ["/dashboard/analytics", "/dashboard/settings", "/dashboard/conversations"]) {
      assert.equal((await page.goto(empty.url + route)).status(), 200, route);
    }
    await page.goto(empty.url + "/dashboard/sign-in");
    assert.match(page.url(), /\/dashboard\/leads/, "already signed in");
    assert.equal((await page.goto(empty.url + "/dashboard/leads/lead_nope")).status(), 404);
    assert.equal((await page.goto(empty.url + "/dashboard/nowhere")).status(), 404);
    assert.deepEqual(problems, []);
    await context.close();
  } finally {
    await empty.stop();
  }
});
