// Safe offline (issue 12, item 5): a submission that cannot reach the edge is kept in the
// browser with its idempotency key, the visitor is told it is saved and will be sent, and it
// reaches the edge exactly once: when the connection returns, or on the visitor's next page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { quickPerson, waitUntil } from "./support/stack.mjs";
import { startDemo } from "./support/demo.mjs";
import { DEMO_AGENT_ID } from "../demo-site/seed.mjs";

const SAVED = /saved on this device and will be sent/;
const SHOTS = "test-results/offline";

let demo, stack, receiver, site, browser, tool;

before(async () => {
  ({ stack, receiver, site, browser, tool } = demo = await startDemo({ shots: SHOTS }));
});

after(() => demo?.stop());

/** The agent's stored submissions whose email is `email`. */
async function storedFor(email) {
  const { status, body } = await stack.owner("GET", `/v1/agents/${DEMO_AGENT_ID}/submissions?limit=100`);
  assert.equal(status, 200, JSON.stringify(body));
  return body.submissions.filter((s) => s.formData?.email === email);
}

/** Webhooks the receiver got for `email`. */
const hooksFor = (email) => receiver.requests.filter((r) => r.json?.formData?.email === email);

/** What the widget keeps in this page's IndexedDB (the offline queue), as submit bodies. */
const kept = (page) =>
  page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open("leadform", 1);
        open.onupgradeneeded = () => open.result.createObjectStore("outbox");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const all = open.result.transaction("outbox").objectStore("outbox").getAll();
          all.onsuccess = () => (open.result.close(), resolve(all.result.map((i) => JSON.parse(i.body))));
          all.onerror = () => reject(all.error);
        };
      })
  );

/** Opens the demo in `context`, asks for sales and fills the form in as a person would. */
async function fillForm(context, email) {
  const page = await context.newPage();
  await page.goto(site.url + "/");
  await page.locator(".lf-bubble").click();
  await page.locator(".lf-chip", { hasText: "Talk to sales" }).click();
  const form = page.locator("form.lf-form[data-tool=contact_form]");
  await form.locator("input[name=name]").fill("Offline Olga");
  await form.locator("input[name=email]").fill(email);
  await form.locator("textarea[name=message]").fill("Sent from a train");
  await quickPerson();
  return { page, form };
}

const CALL_ME_BACK_FIELDS = [
  { name: "name", label: "Name", type: "text", required: true },
  { name: "email", label: "Email", type: "email", required: true },
];

/** A "Call me back" form named `name` (id `tool_<name>`) on the demo agent, in `executionMode`. */
async function makeCallMeBack(name, executionMode) {
  const made = await stack.owner("POST", `/v1/agents/${DEMO_AGENT_ID}/tools`, {
    id: `tool_${name}`,
    name,
    title: "Call me back",
    fields: CALL_ME_BACK_FIELDS,
    executionMode,
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
}

/**
 * A page in `context` that shows form `tool` (through `leadform.showForm`), fills in a name
 * and `email` and sends it offline: the page, once the form says it is saved.
 */
async function sentOffline(context, tool, email) {
  const page = await context.newPage();
  await page.goto(site.url + "/");
  await page.evaluate((name) => window.leadform.showForm(name), tool);
  const form = page.locator(`form.lf-form[data-tool=${tool}]`);
  await form.locator("input[name=name]").fill("Kept Person");
  await form.locator("input[name=email]").fill(email);
  await quickPerson();
  await context.setOffline(true);
  await form.locator(".lf-submit").click();
  await page.locator(".lf-saved").waitFor();
  return page;
}

/**
 * The visitor's next page in `context`: the widget sends what the last page kept for
 * `email` before the chat is opened, and the visitor reads the outcome when they open it,
 * after the greeting. Checks one stored submission and one webhook; the page and its
 * success message.
 */
async function sentOnNextPage(context, email) {
  const next = await context.newPage();
  await next.goto(site.url + "/?page=pricing");
  await waitUntil(async () => (await storedFor(email)).length > 0, { message: "sent on the next page" });
  await waitUntil(async () => (await kept(next)).length === 0, { message: "the queue emptied" });
  await next.locator(".lf-bubble").click();
  const success = next.locator(".lf-success");
  await success.waitFor();
  assert.equal(await success.textContent(), tool.successMessage);
  const stored = await storedFor(email);
  assert.deepEqual(stored.map((s) => s.id), [await success.getAttribute("data-submission-id")], "exactly one submission");
  await waitUntil(() => hooksFor(email).length > 0, { message: "the webhook" });
  assert.equal(hooksFor(email).length, 1);
  return { next, success };
}

test("a submission made offline is saved, announced, and arrives once after reconnecting", async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 760 } });
  const email = "olga.online-again@example.com";
  const { page, form } = await fillForm(context, email);

  await context.setOffline(true);
  await form.locator(".lf-submit").click();
  const saved = page.locator(".lf-saved");
  await saved.waitFor();
  assert.match(await saved.textContent(), SAVED);
  // Read out like any outcome, through the live region.
  await waitUntil(async () => SAVED.test(await page.locator(".lf-sr").textContent()), { message: "announced" });
  await page.screenshot({ path: `${SHOTS}/saved-offline-390.png`, animations: "disabled" });
  const [queued] = await kept(page);
  assert.match(queued.idempotencyKey, /^disp_/);
  assert.equal(queued.formData.email, email);
  assert.deepEqual(await storedFor(email), [], "nothing reached the edge while offline");
  // While it waits, the page's button does not offer the same form again: filled in twice,
  // it would make two leads.
  assert.equal(await page.evaluate(() => window.leadform.showForm("contact_form")), true);
  assert.equal(await form.count(), 0, "no second copy of the form");

  // Going back online is what sends it (the widget listens for this event; a timer with
  // backoff covers an edge that is down while the browser is online, see the 503 test).
  const online = page.evaluate(() => new Promise((r) => addEventListener("online", () => r(true), { once: true })));
  await context.setOffline(false);
  assert.equal(await online, true);
  const success = page.locator(".lf-success");
  await success.waitFor();
  assert.equal(await success.textContent(), tool.successMessage);
  await page.screenshot({ path: `${SHOTS}/sent-after-reconnect-390.png`, animations: "disabled" });
  const submissionId = await success.getAttribute("data-submission-id");
  await waitUntil(async () => (await kept(page)).length === 0, { message: "the queue emptied" });
  await receiver.waitFor(1);
  await waitUntil(() => hooksFor(email).length > 0, { message: "the webhook" });

  const stored = await storedFor(email);
  assert.deepEqual(stored.map((s) => s.id), [submissionId], "exactly one submission");
  assert.equal(hooksFor(email).length, 1);
  assert.equal(hooksFor(email)[0].json.submissionId, submissionId);
  // Sent, the form may be shown again, as after any submission.
  await page.evaluate(() => window.leadform.showForm("contact_form"));
  await form.waitFor();
  await context.close();
});

test("a browser whose database never opens does not hold the form: the submission goes all the same", async () => {
  const context = await browser.newContext();
  // An open request that never ends (WebKit's hang, a connection that blocks it).
  await context.addInitScript(() => {
    indexedDB.open = () => ({});
  });
  const email = "olga.no-database@example.com";
  const { page, form } = await fillForm(context, email);
  await form.locator(".lf-submit").click();
  const success = page.locator(".lf-success");
  await success.waitFor({ timeout: 15_000 });
  assert.equal(await success.textContent(), tool.successMessage);
  const stored = await storedFor(email);
  assert.deepEqual(stored.map((s) => s.id), [await success.getAttribute("data-submission-id")], "exactly one submission");
  await context.close();
});

test("a kept submission of a client form waits for its page handler, which is told the conversation it was sent from", async () => {
  await makeCallMeBack("kept_client", "client");
  const context = await browser.newContext();
  const email = "olga.kept-client@example.com";
  const page = await sentOffline(context, "kept_client", email);
  const [queued] = await kept(page);
  assert.match(queued.conversationId, /^conv_/);
  await page.close();

  // The next page registers its handler only after the widget has started (and found the
  // kept submission waiting for one): it goes then, and the handler hears of the
  // conversation the submission named, not this page's own.
  await context.setOffline(false);
  await context.addInitScript(() => document.addEventListener("leadform:ready", () => (window.__ready = true)));
  const next = await context.newPage();
  await next.goto(site.url + "/?page=pricing");
  await next.waitForFunction(() => window.__ready);
  assert.deepEqual(await storedFor(email), [], "not sent without its handler");
  await next.evaluate(() =>
    window.leadform.registerFormHandler("kept_client", { onSubmit: (ctx) => ((window.__ctx = ctx), { success: true }) }));
  await waitUntil(async () => (await storedFor(email)).length === 1, { message: "sent once the handler is there", timeoutMs: 20_000 });
  const ctx = await next.waitForFunction(() => window.__ctx).then((h) => h.jsonValue());
  assert.equal(ctx.conversationId, queued.conversationId);
  assert.equal(ctx.formData.email, email);
  await context.close();
});

test("a submission made offline on a page the visitor closed is sent once on their next page", async () => {
  const context = await browser.newContext();
  const email = "olga.next-page@example.com";
  const { page, form } = await fillForm(context, email);
  await context.setOffline(true);
  await form.locator(".lf-submit").click();
  await page.locator(".lf-saved").waitFor();
  await page.close(); // still offline: this page never sent it

  await context.setOffline(false);
  const { next, success } = await sentOnNextPage(context, email);
  assert.equal(await next.locator(".lf-msg").last().getAttribute("class"), await success.getAttribute("class"));
  assert.match(await next.locator(".lf-msg").first().textContent(), /Acme assistant/);
  await next.screenshot({ path: `${SHOTS}/sent-on-next-page-1280.png`, animations: "disabled" });

  // A third page has nothing left to send.
  const third = await context.newPage();
  await third.goto(site.url + "/");
  await third.locator(".lf-bubble").click();
  await third.locator(".lf-agent").first().waitFor();
  assert.equal(await third.locator(".lf-success").count(), 0);
  assert.equal((await storedFor(email)).length, 1);
  await context.close();
});

test("a form kept on an earlier page is not offered again when the next page resumes its chat", async () => {
  const context = await browser.newContext();
  const email = "olga.not-twice@example.com";
  // The edge's submit is out of reach for the whole visit (a filter that only lets the
  // chat through): nothing the visitor sends gets there until it is let through.
  const cut = (route) => route.abort("internetdisconnected");
  await context.route("**/form-submissions/submit", cut);
  const { page, form } = await fillForm(context, email);
  await form.locator(".lf-submit").click();
  await page.locator(".lf-saved").waitFor();

  // The next page (in the same tab) goes on with the conversation. To the edge the form is still open (it
  // never got the submission), but the visitor already filled it in: offering it again
  // would make a second lead.
  const next = page;
  await next.goto(site.url + "/?page=pricing");
  await next.locator(".lf-bubble").click();
  await next.locator(".lf-visitor", { hasText: "Talk to sales" }).waitFor();
  await next.locator(".lf-agent").last().waitFor();
  assert.equal(await next.locator("form.lf-form").count(), 0, "the form is not offered again");
  assert.equal((await kept(next)).length, 1, "it is still kept");

  // Let through, it goes once.
  await context.unroute("**/form-submissions/submit", cut);
  await next.evaluate(() => window.dispatchEvent(new Event("online")));
  await waitUntil(async () => (await storedFor(email)).length === 1, { message: "sent once let through" });
  await next.locator(".lf-success").waitFor();
  assert.equal((await storedFor(email)).length, 1);
  await context.close();
});

test("a submission kept on one page and sent as the next page loads is written into its conversation, and its form is not offered again", async () => {
  const context = await browser.newContext();
  const email = "olga.same-tab@example.com";
  const cut = (route) => route.abort("internetdisconnected");
  await context.route("**/form-submissions/submit", cut);
  const { page, form } = await fillForm(context, email);
  await form.locator(".lf-submit").click();
  await page.locator(".lf-saved").waitFor();
  await context.unroute("**/form-submissions/submit", cut);
  // The visitor goes on to the next page in the same tab, the chat closed: the widget
  // sends what was kept as it starts, before the conversation is loaded again.
  await page.goto(site.url + "/?page=pricing");
  await waitUntil(async () => (await storedFor(email)).length === 1, { message: "sent as the next page loads" });
  const [stored] = await storedFor(email);
  // With the conversation's token, as a live send: the transcript has it (and the edge
  // no longer counts the form as open there).
  const { body } = await stack.owner("GET", `/v1/conversations/${stored.conversationId}`);
  assert.ok(body.turns.some((t) => t.kind === "form_submitted" && t.submissionId === stored.id), JSON.stringify(body.turns));
  await page.locator(".lf-bubble").click();
  await page.locator(".lf-success").waitFor();
  await page.locator(".lf-visitor", { hasText: "Talk to sales" }).waitFor();
  assert.equal(await page.locator("form.lf-form").count(), 0, "the form is not offered again");
  assert.equal((await storedFor(email)).length, 1);
  await context.close();
});

test("a kept submission the edge refuses later is told at its field, in the form's words", async () => {
  await makeCallMeBack("kept_refused", "store");
  const context = await browser.newContext();
  const page = await sentOffline(context, "kept_refused", "olga.kept-refused@example.com");
  await page.close();

  // Meanwhile the owner makes the form ask for one more thing: the kept one lacks it.
  const changed = await stack.owner("PATCH", "/v1/tools/tool_kept_refused", {
    fields: [...CALL_ME_BACK_FIELDS, { name: "company_size", label: "Team size", type: "text", required: true }],
  });
  assert.equal(changed.status, 200, JSON.stringify(changed.body));
  await context.setOffline(false);
  const next = await context.newPage();
  await next.goto(site.url + "/?page=pricing");
  await waitUntil(async () => (await kept(next)).length === 0, { message: "refused, so no longer kept" });
  await next.locator(".lf-bubble").click();
  const told = next.locator(".lf-agent", { hasText: "could not be sent" });
  await told.waitFor();
  assert.equal(await told.textContent(), "Your saved details could not be sent: Team size is required");
  await context.close();
});

test("a page closed while its submission was on its way: it was kept before it went, and the next page sends it once", async () => {
  const context = await browser.newContext();
  const email = "olga.closed-mid-send@example.com";
  const { page, form } = await fillForm(context, email);
  // The request leaves the browser and hangs there, as on a train going into a tunnel.
  let leaving;
  const left = new Promise((resolve) => (leaving = resolve));
  await page.route("**/form-submissions/submit", (route) => leaving(route.request().postDataJSON()));
  await form.locator(".lf-submit").click();
  const sent = await left;
  const [queued] = await kept(page);
  assert.equal(queued?.idempotencyKey, sent.idempotencyKey, "kept before it went");
  assert.deepEqual(queued.formData, sent.formData);
  await page.close(); // closed before any answer
  assert.deepEqual(await storedFor(email), [], "the edge never got it");

  await sentOnNextPage(context, email);
  await context.close();
});

test("an answered submission leaves nothing kept: taken, or refused at its field", async () => {
  const context = await browser.newContext();
  const email = "olga.answered@example.com";
  const { page, form } = await fillForm(context, email);
  // The edge refuses it at a field (a rule the widget does not know, say): final, not kept.
  await page.route("**/form-submissions/submit", (route) =>
    route.fulfill({
      status: 400,
      contentType: "application/json",
      body: JSON.stringify({ success: false, error: { code: "validation_error", message: "Use your work email", field: "email" } }),
    })
  );
  await form.locator(".lf-submit").click();
  await form.locator("input[name=email][aria-invalid=true]").waitFor();
  assert.deepEqual(await kept(page), [], "a refusal is not kept");
  // Fixed and sent again: taken, and nothing left for a next page to send.
  await page.unroute("**/form-submissions/submit");
  await form.locator(".lf-submit").click();
  await page.locator(".lf-success").waitFor();
  assert.deepEqual(await kept(page), []);
  assert.equal((await storedFor(email)).length, 1);
  await context.close();
});

test("a chat opened offline reaches the edge with the first message after the connection returns", async () => {
  const context = await browser.newContext();
  await context.addInitScript(() => document.addEventListener("leadform:ready", () => (window.__ready = true)));
  const page = await context.newPage();
  await page.goto(site.url + "/");
  await page.waitForFunction(() => window.__ready === true);
  await context.setOffline(true);
  await page.locator(".lf-bubble").click();
  const input = page.locator(".lf-input");
  await input.fill("anyone there?");
  await input.press("Enter");
  // Offline: the greeting, then the widget's own answer (the trigger words found nothing).
  await waitUntil(async () => (await page.locator(".lf-agent").count()) === 2, { message: "the offline answer" });
  assert.equal(await page.evaluate((agent) => sessionStorage.getItem("leadform:conversation:" + agent), DEMO_AGENT_ID), null, "no conversation on the edge yet");

  const online = page.evaluate(() => new Promise((r) => addEventListener("online", () => r(true), { once: true })));
  await context.setOffline(false);
  assert.equal(await online, true);
  await input.fill("back online: do you ship to Lisbon?");
  await input.press("Enter");
  await waitUntil(async () => (await page.locator(".lf-agent").count()) >= 3, { message: "the edge's reply" });
  // Kept as "id\nwho\ntoken" for the visit's next page.
  const kept = () => page.evaluate((agent) => sessionStorage.getItem("leadform:conversation:" + agent), DEMO_AGENT_ID);
  const [id, , token] = (await kept()).split("\n");
  assert.match(id, /^conv_/, "the conversation is kept on the edge now");
  assert.match(token, /^[A-Za-z0-9_-]{43}$/, "with its token");
  const { status, body } = await stack.owner("GET", `/v1/conversations/${id}`);
  assert.equal(status, 200, JSON.stringify(body));
  const said = body.turns.filter((t) => t.role === "visitor" && t.kind === "message").map((t) => t.text);
  assert.deepEqual(said, ["back online: do you ship to Lisbon?"], "the owner reads what was said once the edge could hear it");
  // And the next message goes to the same conversation.
  await input.fill("and to Porto?");
  await input.press("Enter");
  await waitUntil(async () => (await page.locator(".lf-agent").count()) >= 4, { message: "the next reply" });
  assert.equal((await kept()).split("\n")[0], id);
  const again = (await stack.owner("GET", `/v1/conversations/${id}`)).body.turns.filter((t) => t.role === "visitor" && t.kind === "message");
  assert.equal(again.length, 2);

  // Offline again, in the middle of the conversation: a message the edge never got is not
  // thanked for. The visitor reads that it did not go, and sends it again once back.
  await context.setOffline(true);
  await input.fill("my order 1234 never arrived");
  await input.press("Enter");
  await waitUntil(async () => (await page.locator(".lf-agent").count()) >= 5, { message: "the offline answer" });
  const answer = await page.locator(".lf-agent").nth(4).textContent();
  assert.match(answer, /could not reach the server/, answer);
  assert.doesNotMatch(answer, /Thanks for your message/);
  await context.close();
});

test("a busy edge (503) keeps the submission and a later try sends it; a refusal (400) is never kept", async () => {
  const context = await browser.newContext();
  const email = "olga.busy-edge@example.com";
  const { page, form } = await fillForm(context, email);
  let refused = 0;
  // The edge is up but overloaded: the browser is online, so only the retry timer helps.
  await page.route("**/form-submissions/submit", (route) => {
    refused += 1;
    return route.fulfill({
      status: 503,
      contentType: "application/json",
      body: JSON.stringify({ success: false, error: { code: "unavailable", message: "Try again later" } }),
    });
  });
  await form.locator(".lf-submit").click();
  await page.locator(".lf-saved").waitFor();
  assert.equal(refused, 1);
  await page.unroute("**/form-submissions/submit");
  const success = page.locator(".lf-success");
  await success.waitFor({ timeout: 20_000 });
  const submissionId = await success.getAttribute("data-submission-id");
  await waitUntil(async () => (await kept(page)).length === 0, { message: "the queue emptied" });
  assert.deepEqual((await storedFor(email)).map((s) => s.id), [submissionId]);

  // A 400 is final: the visitor sees it at the field, as always, and nothing is kept.
  await page.locator(".lf-chip", { hasText: "Talk to sales" }).click();
  const again = page.locator("form.lf-form[data-tool=contact_form]");
  await again.locator("input[name=name]").fill("Offline Olga");
  await again.locator("input[name=email]").fill("not-an-email");
  await again.locator("textarea[name=message]").fill("Again");
  await quickPerson();
  await again.locator(".lf-submit").click();
  await again.locator("input[name=email][aria-invalid=true]").waitFor();
  assert.equal(await page.locator(".lf-saved").count(), 1, "only the first was saved");
  assert.deepEqual(await kept(page), []);
  await context.close();
});

test("a kept submission a proxy keeps refusing (its page, not the edge's answer) stays kept and does not hold back the next", async () => {
  const context = await browser.newContext();
  const [blocked, next] = ["olga.blocked-by-proxy@example.com", "olga.after-the-blocked@example.com"];
  await makeCallMeBack("kept_behind_proxy", "store");
  const { page, form } = await fillForm(context, blocked);
  await context.setOffline(true);
  await form.locator(".lf-submit").click();
  await page.locator(".lf-saved").waitFor();
  // A second form, also sent offline (another one: the same is not offered twice while its
  // submission waits).
  await page.evaluate(() => window.leadform.showForm("kept_behind_proxy"));
  const second = page.locator("form.lf-form[data-tool=kept_behind_proxy]");
  await second.locator("input[name=name]").fill("Offline Olga");
  await second.locator("input[name=email]").fill(next);
  await quickPerson();
  await second.locator(".lf-submit").click();
  await page.locator(".lf-saved").nth(1).waitFor();
  assert.equal((await kept(page)).length, 2);

  // A firewall in front of the edge answers the first with its own HTML page, whatever the
  // order the round takes them in.
  const proxied = [];
  await page.route("**/form-submissions/submit", (route) => {
    if (route.request().postData()?.includes(blocked)) {
      proxied.push(route.request().url());
      return route.fulfill({ status: 403, contentType: "text/html", body: "<html><h1>Blocked by your network</h1></html>" });
    }
    return route.continue();
  });
  await context.setOffline(false);
  await waitUntil(async () => (await storedFor(next)).length === 1, { message: "the second goes" });
  assert.ok(proxied.length >= 1, "the first was tried");
  assert.deepEqual(await storedFor(blocked), [], "not the edge's refusal: not final");
  assert.deepEqual((await kept(page)).map((b) => b.formData.email), [blocked], "still kept, to try again");
  await context.close();
});
