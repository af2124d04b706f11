// A visitor in real Chromium on the demo page: opens the chat, asks to be contacted, fills
// the form inside the chat, and the lead reaches a webhook receiver through the real local
// runtime (workerd, local D1 and Queues).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startStack, startReceiver } from "./support/stack.mjs";
import { launchChromium } from "./support/chromium.mjs";
import { startDemoSite } from "../demo-site/server.mjs";
import { seedDemo, DEMO_AGENT_ID } from "../demo-site/seed.mjs";

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
  const before = receiver.requests.length;
  const { page } = await openDemo();
  await page.evaluate(() => window.leadform.showForm("contact_form"));
  const form = await fillContactForm(page, { name: "Li Wei", email: "li.wei@", message: "" });
  await form.locator(".lf-submit").click();
  const emailError = form.locator("input[name=email] + .lf-error");
  await emailError.filter({ hasText: "email" }).waitFor();
  assert.match(await emailError.textContent(), /must be an email address/);
  assert.equal(await form.locator("input[name=email]").getAttribute("aria-invalid"), "true");

  await form.locator("input[name=email]").fill("li.wei@example.com");
  await form.locator(".lf-submit").dblclick();
  await page.locator(".lf-success").waitFor();
  await receiver.waitFor(before + 1);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(receiver.requests.length, before + 1, "one webhook for one lead");
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
