// A visitor in real Chromium on the demo page: opens the chat, asks to be contacted, fills
// the form inside the chat, and the lead reaches a webhook receiver through the real local
// runtime (workerd, local D1 and Queues).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { startStack, startReceiver, quickPerson, waitUntil } from "./support/stack.mjs";
import { launchChromium } from "./support/chromium.mjs";
import { startDemoSite } from "../demo-site/server.mjs";
import { seedDemo, DEMO_AGENT_ID } from "../demo-site/seed.mjs";

const SHOTS = path.resolve("test-results/e2e");
let stack, receiver, site, browser;

before(async () => {
  stack = await startStack();
  receiver = await startReceiver();
  site = await startDemoSite({ edgeUrl: stack.url, agentId: DEMO_AGENT_ID });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await site?.stop();
  await receiver?.stop();
  await stack?.stop();
});

async function seedWithWebhook(webhookUrl) {
  return seedDemo({ edgeUrl: stack.url, apiKey: stack.apiKey, webhookUrl, allowedOrigins: [site.url] });
}

async function openDemo() {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(site.url + "/");
  await page.locator(".lf-bubble").click(); // Playwright's CSS pierces the open shadow root
  await page.locator(".lf-agent").first().waitFor();
  return { page, errors };
}

async function fillContactForm(page, { name, email, message }) {
  const form = page.locator("form.lf-form[data-tool=contact_form]");
  await form.waitFor();
  await form.locator("input[name=name]").fill(name);
  await form.locator("input[name=email]").fill(email);
  await form.locator("textarea[name=message]").fill(message);
  await quickPerson();
  return form;
}

test("a visitor asks for sales, fills the form in the chat, and the webhook gets the lead", async () => {
  const { tool } = await seedWithWebhook(receiver.url + "/hook");
  const { page, errors } = await openDemo();
  assert.match(await page.locator(".lf-agent").first().textContent(), /Acme assistant/);

  await page.locator(".lf-chip", { hasText: "Talk to sales" }).click();
  const form = await fillContactForm(page, { name: "Jane Smith", email: "jane@example.com", message: "Pricing for 40 seats?" });
  await form.locator(".lf-submit").click();
  const success = page.locator(".lf-success");
  await success.waitFor();
  assert.equal(await success.textContent(), tool.successMessage);
  const submissionId = await success.getAttribute("data-submission-id");
  assert.match(submissionId, /^sub_/);

  await receiver.waitFor(1);
  const hook = receiver.requests.at(-1).json;
  assert.equal(hook.submissionId, submissionId);
  assert.equal(hook.toolId, "tool_contact_form");
  assert.equal(hook.toolName, "contact_form");
  assert.match(hook.conversationId, /^conv_/);
  assert.deepEqual(hook.formData, { name: "Jane Smith", email: "jane@example.com", message: "Pricing for 40 seats?" });

  const log = await stack.waitForStatus(submissionId, ["webhook_success"]);
  const s = log.submission;
  assert.deepEqual(s.fieldsCompleted, ["name", "email", "message"]);
  assert.ok(s.impressionAt > 0 && s.startedAt >= s.impressionAt && s.submittedAt >= s.startedAt, JSON.stringify(s));
  assert.deepEqual(errors, []);
  await page.close();
});

test("a lead captured in the browser keeps the visit: landing page, UTM, the page it came from", async () => {
  await seedWithWebhook(receiver.url + "/hook");
  const page = await browser.newPage();
  // The visit lands with UTM parameters, then moves to another page of the site: the lead
  // keeps the first touch and the page where the form was filled.
  const landing = `${site.url}/?utm_source=newsletter&utm_medium=email&utm_campaign=fall%20launch`;
  await page.goto(landing);
  await page.goto(site.url + "/?page=pricing");
  await page.locator(".lf-bubble").click();
  await page.locator(".lf-chip", { hasText: "Talk to sales" }).click();
  const form = await fillContactForm(page, { name: "Ada Lovelace", email: "Ada@Example.com", message: "Hi" });
  await form.locator(".lf-submit").click();
  const success = page.locator(".lf-success");
  await success.waitFor();
  const submissionId = await success.getAttribute("data-submission-id");
  const { body } = await stack.owner("GET", `/v1/submissions/${submissionId}`);
  const leadId = body.submission.leadId;
  assert.match(leadId, /^lead_[0-9a-f]{24}$/);
  const { status, body: detail } = await stack.owner("GET", `/v1/leads/${leadId}`);
  assert.equal(status, 200);
  const lead = detail.lead;
  assert.equal(lead.source, "widget");
  assert.equal(lead.email, "Ada@Example.com");
  assert.equal(lead.firstName, "Ada");
  assert.equal(lead.lastName, "Lovelace");
  assert.deepEqual(lead.customFields, { message: "Hi" });
  assert.equal(lead.attribution.landingPage, landing);
  assert.equal(lead.attribution.pageUrl, site.url + "/?page=pricing");
  assert.deepEqual(lead.attribution.utm, { source: "newsletter", medium: "email", campaign: "fall launch", term: null, content: null });
  assert.deepEqual(Object.keys(lead.geo).sort(), ["city", "country", "region", "timezone"]);
  assert.equal(detail.submissions[0].id, submissionId);
  assert.deepEqual(detail.conversationIds, [body.submission.conversationId]);
  assert.deepEqual(detail.activity.map((a) => [a.type, a.by]), [["created", "visitor"]]);
  await page.close();
});

test("the demo's own inbox shows the delivered lead on the page", async () => {
  await seedWithWebhook(site.inboxUrl);
  const { page } = await openDemo();
  await page.locator(".lf-input").fill("Can someone from your team contact me?");
  await page.locator(".lf-send").click();
  const form = await fillContactForm(page, { name: "Ravi Patel", email: "ravi@example.org", message: "Demo next week?" });
  await form.locator(".lf-submit").click();
  const submissionId = await page.locator(".lf-success").getAttribute("data-submission-id");
  const delivered = page.locator(`#deliveries .delivery[data-submission-id="${submissionId}"]`);
  await delivered.waitFor({ timeout: 10_000 });
  assert.match(await delivered.textContent(), /"email": "ravi@example.org"/);
  assert.match(await delivered.textContent(), /signed yes/);
  await page.close();
});

test("the edge's field error shows under the field, and a double click sends one lead", async () => {
  await seedWithWebhook(receiver.url + "/hook");
  const { page } = await openDemo();
  await page.evaluate(() => window.leadform.showForm("contact_form"));
  const form = await fillContactForm(page, { name: "Li Wei", email: "li.wei@", message: "" });
  // The browser may fill in the visitor's own details; a free-text question is theirs to write.
  const autocomplete = (name) => form.locator(`[name=${name}]`).getAttribute("autocomplete");
  assert.deepEqual(await Promise.all(["name", "email", "message"].map(autocomplete)), ["name", "email", null]);
  await form.locator(".lf-submit").click();
  const emailError = form.locator("input[name=email] + .lf-error");
  await emailError.filter({ hasText: "email" }).waitFor();
  assert.match(await emailError.textContent(), /must be an email address/);
  assert.equal(await form.locator("input[name=email]").getAttribute("aria-invalid"), "true");

  await form.locator("input[name=email]").fill("li.wei@example.com");
  await form.locator(".lf-submit").dblclick();
  const submissionId = await page.locator(".lf-success").getAttribute("data-submission-id");
  // Delivered, and what the edge knows of it when not (a quarantine, a delivery left to retry).
  let known;
  await waitUntil(async () => {
    known = (await stack.owner("GET", `/v1/submissions/${submissionId}`)).body;
    return known.deliveries?.length > 0 && known.deliveries.every((d) => d.delivery.status === "delivered");
  }).catch((e) => assert.fail(`${e.message}: the edge has ${JSON.stringify(known)}; its log ends ${stack.logs().slice(-4000)}`));
  assert.deepEqual(known.deliveries.map((d) => d.delivery.attempts), [1]);
  assert.equal(receiver.requests.filter((r) => r.json?.submissionId === submissionId).length, 1, "one webhook for one lead");
  // The second click made no submission of its own.
  const mine = (await stack.owner("GET", `/v1/agents/${DEMO_AGENT_ID}/submissions`)).body.submissions;
  assert.deepEqual(mine.filter((s) => s.formData.email === "li.wei@example.com").map((s) => s.id), [submissionId]);
  await page.close();
});

test("Not now while the form is being sent does nothing: the visitor sees how it went", async () => {
  await seedWithWebhook(receiver.url + "/hook");
  const { page } = await openDemo();
  // The submit is held on the way (a slow phone, a large file), then let through.
  let release;
  const held = new Promise((r) => (release = r));
  await page.route("**/form-submissions/submit", async (route) => {
    await held;
    await route.continue();
  });
  await page.evaluate(() => window.leadform.showForm("contact_form"));
  const form = await fillContactForm(page, { name: "Sam Slow", email: "sam.slow@example.com", message: "On a train" });
  await form.locator(".lf-submit").click();
  await waitUntil(async () => (await form.locator(".lf-submit").getAttribute("aria-disabled")) === "true", { message: "sending" });
  await form.locator(".lf-dismiss").click();
  assert.equal(await form.count(), 1, "the form stays while it is sent");
  release();
  await page.locator(".lf-success").waitFor();
  assert.equal(await page.locator(".lf-agent", { hasText: "No problem" }).count(), 0, "no dismissal said");
  await page.close();
});

test("the page's button pressed twice shows its form once, and focus goes back to it", async () => {
  await seedWithWebhook(receiver.url + "/hook");
  const page = await browser.newPage();
  await page.goto(site.url + "/");
  await page.locator(".lf-panel").waitFor({ state: "attached" });
  await page.locator("#talk-to-sales").dblclick();
  const forms = page.locator("form.lf-form[data-tool=contact_form]");
  await forms.first().waitFor();
  await forms.first().locator("input[name=name]").fill("Twice Pressed");
  await page.locator(".lf-input").focus();
  await page.evaluate(() => window.leadform.showForm("contact_form"));
  await page.waitForFunction(() => document.querySelector("#leadform-widget").shadowRoot.activeElement?.name === "name");
  assert.equal(await forms.count(), 1, "one form in the chat");
  assert.equal(await forms.locator("input[name=name]").inputValue(), "Twice Pressed", "what was typed stays");
  await page.close();
});

test("text from config is shown as text, never run as markup", async () => {
  const evil = '<img src=x onerror="window.__pwned=1">';
  await stack.owner("PATCH", `/v1/agents/${DEMO_AGENT_ID}`, { greeting: evil, name: evil });
  await stack.owner("PATCH", "/v1/tools/tool_contact_form", { title: evil });
  const { page } = await openDemo();
  await page.evaluate(() => window.leadform.showForm("contact_form"));
  await page.locator(".lf-form-title").waitFor();
  assert.equal(await page.locator(".lf-form-title").textContent(), evil);
  assert.equal(await page.locator(".lf-agent").first().textContent(), evil);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  await page.close();
});

/** A `both`-mode form with a file field on the demo agent, its webhook at `webhookUrl`. */
async function seedQuoteForm(webhookUrl) {
  await seedWithWebhook(webhookUrl);
  const created = await stack.owner("POST", `/v1/agents/${DEMO_AGENT_ID}/tools`, {
    id: "tool_quote",
    name: "quote_form",
    title: "Request a quote",
    fields: [
      { name: "email", label: "Work email", type: "email", required: true },
      { name: "brief", label: "Project brief", type: "file", required: true },
    ],
    successMessage: "Quote request received.",
    executionMode: "both",
    webhookUrl,
    // The widget must prove its report with the submit answer's client token.
    requireClientToken: true,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
}

/** Fills the quote form in as a person would: `email`, and a small PDF as its brief. */
async function fillQuoteForm(page, email, file) {
  const form = page.locator("form.lf-form[data-tool=quote_form]");
  await form.locator("input[name=email]").fill(email);
  await form.locator("input[name=brief]").setInputFiles({ name: file, mimeType: "application/pdf", buffer: Buffer.from(`%PDF-1.4 ${file}`) });
  await quickPerson();
  return form;
}

/** Watches the chat's shadow root and keeps every text a `.lf-progress` line showed. */
async function recordProgress(page) {
  await page.evaluate(() => {
    window.__progress = [];
    const root = document.getElementById("leadform-widget").shadowRoot;
    new MutationObserver(() => {
      const line = root.querySelector(".lf-progress");
      if (line && window.__progress.at(-1) !== line.textContent) window.__progress.push(line.textContent);
    }).observe(root, { subtree: true, childList: true, characterData: true });
  });
}

test("both mode in the browser: the page's handler runs, the file uploads with progress, both outcomes land", async () => {
  await seedQuoteForm(receiver.url + "/quote");
  const { page, errors } = await openDemo();
  await page.evaluate(() => {
    window.leadform.registerFormHandler("quote_form", {
      onSubmit: async (context) => {
        window.__context = context;
        await new Promise((r) => setTimeout(r, 50)); // a Promise, as a real CRM call would be
        return { success: true, message: "Saved to CRM", data: { crmId: "crm_42" } };
      },
    });
    window.leadform.showForm("quote_form");
  });
  const form = page.locator("form.lf-form[data-tool=quote_form]");
  await form.waitFor();
  await recordProgress(page);
  const pdf = Buffer.concat([Buffer.from("%PDF-1.7\n"), Buffer.alloc(3 * 1024 * 1024, 0x41)]);
  await form.locator("input[name=email]").fill("sam@example.com");
  await form.locator("input[name=brief]").setInputFiles({ name: "brief v2.pdf", mimeType: "application/pdf", buffer: pdf });
  await quickPerson();
  await form.locator(".lf-submit").click();
  const success = page.locator(".lf-success");
  await success.waitFor({ timeout: 20_000 });
  assert.equal(await success.textContent(), "Quote request received.");
  const submissionId = await success.getAttribute("data-submission-id");

  const progress = await page.evaluate(() => window.__progress);
  assert.ok(progress.length >= 1 && progress.at(-1) === "Reading brief v2.pdf… 100%", JSON.stringify(progress));
  const context = await page.evaluate(() => window.__context);
  assert.equal(context.submissionId, submissionId);
  assert.equal(context.toolName, "quote_form");
  assert.equal(context.formData.email, "sam@example.com");
  assert.ok(context.formData.brief.startsWith("data:application/pdf;name=brief%20v2.pdf;base64,JVBERi0xLjc"));

  const log = await stack.waitForStatus(submissionId, ["success"]);
  assert.equal(log.submission.clientMessage, "Saved to CRM");
  assert.deepEqual(log.submission.clientData, { crmId: "crm_42" });
  const hook = receiver.requests.find((r) => r.json?.submissionId === submissionId).json;
  assert.equal(hook.formData.brief.name, "brief v2.pdf");
  assert.equal(hook.formData.brief.size, pdf.length);
  const bytes = Buffer.from(await (await fetch(hook.formData.brief.url)).arrayBuffer());
  assert.ok(bytes.equals(pdf), "the webhook's link returns the uploaded bytes");
  assert.deepEqual(errors, []);
  await page.close();
});

test("a handler that throws is reported as a failure; a file over 5 MB is refused before upload", async () => {
  await seedQuoteForm(receiver.url + "/quote");
  const { page } = await openDemo();
  const submits = [];
  page.on("request", (r) => r.url().endsWith("/form-submissions/submit") && r.method() === "POST" && submits.push(r.url()));
  await page.evaluate(() => {
    window.leadform.registerFormHandler("quote_form", { onSubmit: () => { throw new Error("CRM is down"); } });
    window.leadform.showForm("quote_form");
  });
  const form = page.locator("form.lf-form[data-tool=quote_form]");
  await form.locator("input[name=email]").fill("kim@example.com");
  await quickPerson();
  await form.locator("input[name=brief]").setInputFiles({ name: "huge.pdf", mimeType: "application/pdf", buffer: Buffer.alloc(5 * 1024 * 1024 + 1, 0x25) });
  await form.locator(".lf-submit").click();
  const error = form.locator("input[name=brief] + .lf-error");
  await error.filter({ hasText: "MB" }).waitFor();
  assert.equal(await error.textContent(), "huge.pdf is 5.1 MB; files can be at most 5 MB.", "a sentence of its own, after no label");
  assert.equal(submits.length, 0, "nothing was uploaded");

  await form.locator("input[name=brief]").setInputFiles({ name: "ok.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.4 small") });
  await form.locator(".lf-submit").click();
  const success = page.locator(".lf-success");
  await success.waitFor();
  // The lead is stored: the visitor reads the success message, and the page's exception
  // (its internals) goes to the owner only.
  assert.equal(await success.textContent(), "Quote request received.");
  const log = await stack.waitForStatus(await success.getAttribute("data-submission-id"), ["failed"]);
  assert.equal(log.submission.clientOutcome, "failed");
  assert.equal(log.submission.clientMessage, "CRM is down");
  await page.close();
});

test("a handler that sends the visitor on to another page still has its report recorded", async () => {
  await seedQuoteForm(receiver.url + "/quote");
  const { page } = await openDemo();
  await page.evaluate((next) => {
    window.leadform.registerFormHandler("quote_form", {
      // The usual thank-you redirect: the page goes away right after the handler returns.
      onSubmit: () => {
        location.href = next;
        return { success: true, message: "Off to the thank-you page" };
      },
    });
    window.leadform.showForm("quote_form");
  }, site.url + "/?thanks=1");
  const form = await fillQuoteForm(page, "redirect@example.com", "r.pdf");
  const left = page.waitForURL(/thanks=1/);
  await form.locator(".lf-submit").click();
  await left;
  // (Found through the owner API: the page that saw the submit answer is gone.)
  const submission = await waitUntil(async () => {
    const { body } = await stack.owner("GET", `/v1/agents/${DEMO_AGENT_ID}/submissions?limit=100`);
    return body.submissions.find((s) => s.formData?.email === "redirect@example.com");
  }, { message: "the submission" });
  const log = await stack.waitForStatus(submission.id, ["success"]);
  assert.equal(log.submission.clientOutcome, "succeeded");
  assert.equal(log.submission.clientMessage, "Off to the thank-you page");
  await page.close();
});

test("a handler's report that does not fit what the edge takes is made to fit, not lost", async () => {
  await seedQuoteForm(receiver.url + "/quote");
  const { page, errors } = await openDemo();
  await page.evaluate(() => {
    window.leadform.registerFormHandler("quote_form", {
      // Data as a list (the edge takes an object) and a long message with a NUL in it: a
      // refused report would be lost, and the sweep would record a failure in its place.
      onSubmit: () => ({ success: true, message: "Saved\u0000 " + "x".repeat(1500), data: [{ id: 1 }] }),
    });
    window.leadform.showForm("quote_form");
  });
  const form = await fillQuoteForm(page, "fit@example.com", "f.pdf");
  const reported = page.waitForResponse((r) => r.url().endsWith("/form-submissions/client-result"));
  await form.locator(".lf-submit").click();
  assert.equal((await reported).status(), 200, "the edge took the report");
  const success = page.locator(".lf-success");
  await success.waitFor();
  const { body } = await stack.owner("GET", `/v1/submissions/${await success.getAttribute("data-submission-id")}`);
  assert.equal(body.submission.clientOutcome, "succeeded");
  assert.equal([...body.submission.clientMessage].length, 1000);
  assert.ok(body.submission.clientMessage.startsWith("Saved xxx"), body.submission.clientMessage.slice(0, 20));
  assert.equal(body.submission.clientData ?? null, null);
  assert.deepEqual(errors, []);
  await page.close();
});

test("while the page's handler runs the form says Sending…; a result it returns on purpose is shown", async () => {
  await seedQuoteForm(receiver.url + "/quote");
  const { page, errors } = await openDemo();
  await page.evaluate(() => {
    window.leadform.registerFormHandler("quote_form", {
      // A CRM call that takes as long as it takes: settled by the test.
      onSubmit: () => new Promise((resolve) => (window.__settle = resolve)),
    });
    window.leadform.showForm("quote_form");
  });
  const form = await fillQuoteForm(page, "lee@example.com", "b.pdf");
  // As long as a person takes at least: a fill within a second is spam (core::spam).
  await quickPerson();
  await form.locator(".lf-submit").click();
  await page.waitForFunction(() => typeof window.__settle === "function");
  const button = form.locator(".lf-submit");
  assert.equal(await button.textContent(), "Sending…");
  assert.equal(await button.getAttribute("aria-disabled"), "true");
  await page.screenshot({ path: path.join(SHOTS, "handler-sending.png") });
  await page.evaluate(() => window.__settle({ success: false, message: "Pick another slot" }));
  const success = page.locator(".lf-success");
  await success.waitFor();
  await page.screenshot({ path: path.join(SHOTS, "handler-note.png") });
  assert.equal(await success.textContent(), "Quote request received. (Note: Pick another slot)");
  const log = await stack.waitForStatus(await success.getAttribute("data-submission-id"), ["failed"]);
  assert.equal(log.submission.clientMessage, "Pick another slot");
  assert.deepEqual(errors, []);
  await page.close();
});

test("the page's custom properties and color scheme do not reach into the widget", async () => {
  await seedWithWebhook(receiver.url + "/hook");
  const context = await browser.newContext({ viewport: { width: 360, height: 640 }, colorScheme: "light" });
  const page = await context.newPage();
  // A page with its own --vh and --vt (common names) that is dark only.
  await page.addInitScript(() => {
    document.addEventListener("DOMContentLoaded", () => {
      document.documentElement.style.setProperty("--vh", "6.4");
      document.documentElement.style.setProperty("--vt", "12px");
      const meta = document.createElement("meta");
      meta.name = "color-scheme";
      meta.content = "dark";
      document.head.append(meta);
    });
  });
  await page.goto(site.url + "/");
  await page.locator(".lf-bubble").click();
  await page.locator(".lf-chip", { hasText: "Talk to sales" }).click();
  const field = page.locator("form.lf-form[data-tool=contact_form] input[name=name]");
  await field.waitFor();
  const panel = await page.locator(".lf-panel").boundingBox();
  assert.ok(panel.y <= 1 && panel.height >= 600, `the panel fills the phone's screen: ${JSON.stringify(panel)}`);
  const look = await field.evaluate((el) => ({ scheme: getComputedStyle(el).colorScheme, background: getComputedStyle(el).backgroundColor }));
  assert.deepEqual(look, { scheme: "light", background: "rgb(255, 255, 255)" }, "light fields in a light panel");
  await page.screenshot({ path: path.join(SHOTS, "page-vars-dark-only-360.png") });
  await context.close();
});

test("typing in the widget never reaches the page's keyboard shortcuts", async () => {
  await seedWithWebhook(receiver.url + "/hook");
  const { page } = await openDemo();
  // The usual page shortcut handler: keys outside fields are the page's.
  await page.evaluate(() => {
    window.__shortcuts = [];
    for (const kind of ["keydown", "keyup", "keypress"]) {
      document.addEventListener(kind, (e) => {
        if (/INPUT|TEXTAREA|SELECT/.test(e.target.tagName) || e.target.isContentEditable) return;
        window.__shortcuts.push(`${kind}:${e.key}`);
        if (e.key === " " || e.key === "/") e.preventDefault();
      });
    }
  });
  const input = page.locator(".lf-input");
  // (And no longer than the edge keeps: a longer message would be refused.)
  assert.equal(await input.getAttribute("maxlength"), "2000");
  await input.click();
  await page.keyboard.type("Is $50/month ok for 2 seats?");
  assert.equal(await input.inputValue(), "Is $50/month ok for 2 seats?");
  await page.locator(".lf-chip", { hasText: "Talk to sales" }).click();
  const message = page.locator("form.lf-form[data-tool=contact_form] textarea[name=message]");
  await message.click();
  await page.keyboard.type("Call me / text me");
  assert.equal(await message.inputValue(), "Call me / text me");
  assert.deepEqual(await page.evaluate(() => window.__shortcuts), []);
  // Outside the widget the page's shortcuts still work.
  await page.locator("h1").first().click();
  await page.keyboard.press("/");
  assert.deepEqual(await page.evaluate(() => window.__shortcuts), ["keydown:/", "keyup:/"]); // (its keydown took the keypress)
  await page.close();
});

test("the widget reports one impression and one start per display, and the funnel adds up", async () => {
  await seedWithWebhook(receiver.url + "/hook");
  const counts = async () => {
    const res = await fetch(`${stack.url}/form-submissions/analytics?agentId=${DEMO_AGENT_ID}`, { headers: { Authorization: `Bearer ${stack.apiKey}` } });
    return (await res.json()).analytics.find((a) => a.toolId === "tool_contact_form");
  };
  const before = await counts();
  const { page } = await openDemo();
  // Two displays of the form (the first put away with "Not now": the same form still in
  // the chat is not shown twice); the visitor fills in the second, typing into several fields.
  await page.evaluate(() => window.leadform.showForm("contact_form"));
  await page.locator("form.lf-form[data-tool=contact_form] .lf-dismiss").click();
  await page.locator("form.lf-form[data-tool=contact_form]").waitFor({ state: "detached" });
  await page.evaluate(() => window.leadform.showForm("contact_form"));
  // The edge times a fill from the display it recorded: on a busy machine the impression can
  // land late, and a fill timed from it would look like a bot's.
  await waitUntil(async () => (await counts()).impressions - before.impressions === 2, { message: "both impressions recorded" });
  const form = page.locator("form.lf-form[data-tool=contact_form]").last();
  await form.locator("input[name=name]").fill("Noor");
  await form.locator("input[name=email]").fill("noor@example.com");
  await form.locator("textarea[name=message]").fill("Hello");
  await quickPerson();
  await form.locator(".lf-submit").click();
  await page.locator(".lf-success").waitFor();
  const after = await counts();
  assert.deepEqual(
    [after.impressions - before.impressions, after.started - before.started, after.submitted - before.submitted],
    [2, 1, 1],
  );
  await page.close();
});

test("a person filling the form at a human pace is not spam; a bot filling the hidden field is quarantined", async () => {
  await seedWithWebhook(receiver.url + "/paced");
  const { page, errors } = await openDemo();
  await page.evaluate(() => window.leadform.showForm("contact_form"));
  const trap = page.locator("form.lf-form[data-tool=contact_form] input[name=fax_number]");
  assert.equal(await trap.getAttribute("tabindex"), "-1");
  assert.equal(await trap.getAttribute("aria-hidden"), "true");
  // No person sees it: clipped to nothing and transparent, and in place, inside its form (a
  // field placed off to one side is overflow a right-to-left panel can scroll to).
  const look = await trap.evaluate((el) => {
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    const card = el.closest("form").getBoundingClientRect();
    return { opacity: style.opacity, clipPath: style.clipPath, inForm: box.left >= card.left && box.right <= card.right };
  });
  assert.deepEqual(look, { opacity: "0", clipPath: "inset(50%)", inForm: true });
  const form = await fillContactForm(page, { name: "Maya Chen", email: "maya@example.com", message: "Can we book a demo for Tuesday?" });
  await new Promise((r) => setTimeout(r, 2_000)); // reading the form, then typing: 3 s or more
  await form.locator(".lf-submit").click();
  const success = page.locator(".lf-success");
  await success.waitFor();
  const human = await stack.waitForStatus(await success.getAttribute("data-submission-id"), ["webhook_success"]);
  assert.equal(human.submission.spam, null);
  assert.deepEqual(human.submission.formData, { name: "Maya Chen", email: "maya@example.com", message: "Can we book a demo for Tuesday?" });
  assert.deepEqual(errors, []);
  await page.close();

  // A bot drives the same page: it fills every input, the hidden one too, and sends at once.
  const bot = await openDemo();
  const before = receiver.requests.length;
  await bot.page.evaluate(() => window.leadform.showForm("contact_form"));
  const botForm = bot.page.locator("form.lf-form[data-tool=contact_form]");
  await botForm.waitFor();
  await bot.page.evaluate(() => {
    const root = document.getElementById("leadform-widget").shadowRoot;
    for (const input of root.querySelectorAll("form.lf-form input, form.lf-form textarea")) {
      input.value = input.name === "email" ? "bot@spam.example" : "Buy followers now";
    }
  });
  await botForm.locator(".lf-submit").click();
  const answered = bot.page.locator(".lf-success");
  await answered.waitFor();
  assert.match(await answered.textContent(), /./, "the bot sees the usual success message");
  const caught = await stack.waitForStatus(await answered.getAttribute("data-submission-id"), ["spam"]);
  const signals = caught.submission.spam.reasons.map((r) => r.signal);
  assert.ok(signals.includes("honeypot") && signals.includes("too_fast"), JSON.stringify(caught.submission.spam));
  assert.equal(caught.submission.formData.fax_number, undefined, "the trap is never stored");
  await new Promise((r) => setTimeout(r, 1_000));
  assert.equal(receiver.requests.length, before, "nothing delivered");
  assert.deepEqual(bot.errors, []);
  await bot.page.close();
});

test("a page that stays open (a single-page app, a kiosk) sends form after form, none taken for spam", async () => {
  await seedWithWebhook(receiver.url + "/kiosk");
  const { page, errors } = await openDemo();
  const tokens = [];
  page.on("request", (r) => r.url().endsWith("/form-submissions/submit") && tokens.push(r.postDataJSON().displayToken));
  const ids = [];
  // One display token makes three submissions (core/src/spam.rs): a fifth visitor at the
  // kiosk is past it unless each answer renews the widget's token.
  for (const n of [1, 2, 3, 4, 5]) {
    await page.evaluate(() => window.leadform.showForm("contact_form"));
    const form = await fillContactForm(page, { name: `Kiosk Visitor ${n}`, email: `kiosk${n}@example.com`, message: "Please call me back" });
    await form.locator(".lf-submit").click();
    const success = page.locator(`.lf-success[data-submission-id]`).nth(n - 1);
    await success.waitFor();
    ids.push(await success.getAttribute("data-submission-id"));
  }
  for (const id of ids) {
    const { submission } = await stack.waitForStatus(id, ["webhook_success"]);
    assert.equal(submission.spam, null, `${submission.formData.email}: ${JSON.stringify(submission.spam)}`);
  }
  assert.equal(new Set(tokens).size, 5, "each form after a submission carries the token its answer gave");
  assert.deepEqual(errors, []);
  await page.close();
});

test("on a phone the chat's and the form's text fields are 16 px, so iOS does not zoom in as they take focus", async () => {
  await seedWithWebhook(receiver.url + "/hook");
  for (const [width, size] of [[390, "16px"], [1280, "14px"]]) {
    const context = await browser.newContext({ viewport: { width, height: 760 } });
    const page = await context.newPage();
    await page.goto(site.url + "/");
    await page.locator(".lf-bubble").click();
    await page.locator(".lf-chip", { hasText: "Talk to sales" }).click();
    await page.locator("form.lf-form[data-tool=contact_form] input[name=name]").waitFor();
    const sizes = await page.evaluate(() =>
      [...document.querySelector("#leadform-widget").shadowRoot.querySelectorAll(".lf-input, .lf-input-field")].map(
        (el) => `${el.name || el.className}: ${getComputedStyle(el).fontSize}`
      )
    );
    assert.ok(sizes.length >= 4, sizes.join(", "));
    assert.deepEqual(sizes.filter((s) => !s.endsWith(size)), [], `every field at ${size} at ${width} px`);
    await context.close();
  }
});

test("a form left open comes back where it was offered after a reload, and not once it is sent", async () => {
  const { tool } = await seedWithWebhook(receiver.url + "/hook");
  const { page, errors } = await openDemo();
  await page.locator(".lf-chip", { hasText: "Talk to sales" }).click();
  await page.locator("form.lf-form[data-tool=contact_form]").waitFor();
  const offer = await page.locator(".lf-agent").last().textContent();

  await page.reload();
  await page.locator(".lf-bubble").click();
  const form = page.locator("form.lf-form[data-tool=contact_form]");
  await form.waitFor();
  assert.equal(await form.count(), 1, "shown once");
  // In its place: right after the offer, which is the last agent message before it.
  const before = await form.evaluate((el) => el.previousElementSibling.textContent);
  assert.equal(before, offer);
  await page.screenshot({ path: path.join(SHOTS, "form-back-after-reload-1280.png") });
  await fillContactForm(page, { name: "Reload Rita", email: "rita@example.com", message: "Back again" });
  await form.locator(".lf-submit").click();
  const success = page.locator(".lf-success");
  await success.waitFor();
  assert.equal(await success.textContent(), tool.successMessage);

  await page.reload();
  await page.locator(".lf-bubble").click();
  await page.locator(".lf-visitor").first().waitFor();
  assert.equal(await page.locator("form.lf-form").count(), 0, "a form sent is not shown again");
  assert.deepEqual(errors, []);
  await page.close();
});
