// A strict site: its Content-Security-Policy allows scripts, styles and connections only
// from the edge's origin plus 'wasm-unsafe-eval', and nothing inline. The widget must start
// styled and take a lead there; a page that forbids WebAssembly gets one clear console
// message naming the directive, and is otherwise untouched.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdir } from "node:fs/promises";
import { startStack, startReceiver, ownerRequest, quickPerson } from "./support/stack.mjs";
import { launchChromium } from "./support/chromium.mjs";
import { seedDemo, DEMO_AGENT_ID } from "../demo-site/seed.mjs";

let stack, receiver, site, browser;

/** The README's policy for embedding (Embedding and page handlers), with `wasm` on or off. */
const policy = (edge, wasm) =>
  [
    "default-src 'none'",
    `script-src ${edge}${wasm ? " 'wasm-unsafe-eval'" : ""}`,
    `style-src ${edge}`,
    `connect-src ${edge}`,
    `img-src ${edge} data:`,
  ].join("; ");

before(async () => {
  stack = await startStack();
  receiver = await startReceiver();
  site = createServer((req, res) => {
    const wasm = !req.url.includes("nowasm");
    // A bundler or site builder may turn every script tag into a module script.
    const type = req.url.includes("module") ? 'type="module" ' : "";
    // Another tool's data block, earlier on the page, that carries the same attribute.
    const decoy = req.url.includes("decoy") ? '<script type="application/json" data-agent-id="theirs">{}</script>' : "";
    res.setHeader("Content-Type", "text/html; charset=utf-8");
    res.setHeader("Content-Security-Policy", policy(stack.url, wasm));
    res.end(`<!doctype html><html lang="en"><head><title>Strict shop</title></head>
      <body><h1>Strict shop</h1>${decoy}
      <script ${type}src="${stack.url}/leadform.js" data-agent-id="${DEMO_AGENT_ID}" async></script></body></html>`);
  });
  await new Promise((r) => site.listen(0, "127.0.0.1", r));
  const origin = `http://127.0.0.1:${site.address().port}`;
  site.origin = origin;
  await seedDemo({ edgeUrl: stack.url, apiKey: stack.apiKey, webhookUrl: receiver.url + "/hook", allowedOrigins: [origin] });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await new Promise((r) => site?.close(r));
  await receiver?.stop();
  await stack?.stop();
});

async function open(path) {
  const page = await browser.newPage();
  const messages = [];
  page.on("console", (m) => m.type() === "error" && messages.push(m.text()));
  page.on("pageerror", (e) => messages.push(String(e)));
  await page.goto(site.origin + path);
  return { page, messages };
}

test("under a strict policy with 'wasm-unsafe-eval' the widget starts styled and takes a lead", async () => {
  const { page, messages } = await open("/");
  const bubble = page.locator(".lf-bubble");
  await bubble.waitFor();
  // Styled: the stylesheet applied inside the shadow root (no inline <style> was needed).
  assert.equal(await bubble.evaluate((b) => getComputedStyle(b).borderRadius), "28px");
  assert.equal(await page.evaluate(() => document.querySelector("#leadform-widget").shadowRoot.querySelectorAll("style").length), 0);
  await bubble.click();
  await page.locator(".lf-chip", { hasText: "Talk to sales" }).click();
  const form = page.locator("form.lf-form[data-tool=contact_form]");
  await form.locator("input[name=name]").fill("Strict Visitor");
  await form.locator("input[name=email]").fill("strict@example.com");
  await quickPerson();
  await form.locator(".lf-submit").click();
  await page.locator(".lf-success").waitFor();
  await mkdir("test-results/widget", { recursive: true });
  await page.screenshot({ path: "test-results/widget/strict-csp.png" });
  await receiver.waitFor(1);
  assert.equal(receiver.requests.at(-1).json.formData.email, "strict@example.com");
  assert.deepEqual(messages.filter((m) => /Content Security Policy|Refused/.test(m)), [], "no CSP violation");
  const leads = await ownerRequest(stack, "GET", `/v1/agents/${DEMO_AGENT_ID}/leads?q=strict`);
  assert.equal(leads.json.total, 1);
  await page.close();
});

test("under the strict policy the loader's own bubble, before any wasm, is styled too", async () => {
  const page = await browser.newPage();
  const messages = [];
  page.on("console", (m) => m.type() === "error" && messages.push(m.text()));
  await page.route(/\.wasm$/, () => {}); // never answered: the loader's bubble alone
  await page.goto(site.origin + "/");
  const bubble = page.locator(".lf-bubble");
  await bubble.waitFor();
  assert.equal(await page.locator(".lf-panel").count(), 0, "the widget has not started");
  assert.equal(await bubble.evaluate((b) => getComputedStyle(b).borderRadius), "28px");
  assert.equal(await bubble.evaluate((b) => getComputedStyle(b).backgroundColor), "rgb(59, 91, 219)");
  assert.equal(await page.evaluate(() => document.querySelector("#leadform-widget").shadowRoot.querySelectorAll("style").length), 0);
  assert.deepEqual(messages.filter((m) => /Content Security Policy|Refused/.test(m)), [], "no CSP violation");
  await page.close();
});

test("a page that forbids WebAssembly gets one message naming the directive, and nothing else changes", async () => {
  const { page, messages } = await open("/?nowasm");
  await page.waitForFunction(() => window.leadform !== undefined);
  const named = () => messages.filter((m) => m.startsWith("leadform:"));
  const deadline = Date.now() + 10_000;
  while (named().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(named(), [
    "leadform: this page's Content-Security-Policy blocks WebAssembly: script-src needs 'wasm-unsafe-eval'",
  ]);
  assert.equal(await page.locator("#leadform-widget").count(), 0, "no half-started widget");
  assert.equal(await page.locator("h1").textContent(), "Strict shop");
  // The page's own "Contact us" button: nothing is downloaded, nothing else is logged.
  const downloads = [];
  page.on("request", (r) => /\/widget\//.test(r.url()) && downloads.push(r.url()));
  await page.evaluate(() => (window.leadform.open(), window.leadform.showForm("contact_form")));
  await page.evaluate(() => new Promise((r) => setTimeout(r, 500))); // an import would have started at once
  assert.deepEqual(downloads, []);
  assert.equal(named().length, 1, JSON.stringify(messages));
  assert.equal(messages.length, 1, JSON.stringify(messages));
  await page.close();
});

test("pasted as a module script (no currentScript), the loader still finds its tag, not an earlier data block with the same attribute, and the chat opens", async () => {
  const { page, messages } = await open("/?module&decoy");
  await page.locator(".lf-bubble").click();
  await page.locator(".lf-panel:not([hidden])").waitFor();
  await page.locator(".lf-agent").first().waitFor();
  assert.deepEqual(messages, []);
  await page.close();
});
