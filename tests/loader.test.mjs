// The loader paints the bubble before any wasm arrives (js-shim/leadform.js), in Chromium on
// the demo page: no request for the .wasm until the page is idle or the visitor reaches for
// the bubble (hover, focus, tap); a click or Enter before the widget is ready opens the chat
// once it is; and the widget takes the bubble over with no pixel changed and focus kept.
// The wasm is held at the network (a Playwright route) to look at the loader's bubble
// alone. Screenshots of both bubbles land in test-results/loader/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { ownerRequest, waitUntil } from "./support/stack.mjs";
import { startDemo } from "./support/demo.mjs";
import { DEMO_AGENT_ID } from "../demo-site/seed.mjs";

const SHOTS = path.resolve("test-results/loader");
let demo, stack, receiver, site, browser;

before(async () => {
  ({ stack, receiver, site, browser } = demo = await startDemo({ shots: SHOTS }));
});

after(() => demo?.stop());

/**
 * The demo page with the .wasm held until `release()`. `idle: false` makes the page never
 * idle (requestIdleCallback does nothing), so only the visitor's reach starts the download.
 * In the page: `__bubblePainted` (ms since navigation: a frame after the bubble is in the
 * DOM, after its rendering) and `__ready` (the loader's `leadform:ready`).
 */
async function visit({ width = 1280, idle = true, colorScheme = "light" } = {}) {
  const context = await browser.newContext({ viewport: { width, height: 800 }, colorScheme });
  await context.addInitScript((idle) => {
    if (!idle) window.requestIdleCallback = () => 0;
    document.addEventListener("leadform:ready", () => (window.__ready = true));
    new MutationObserver((_, observer) => {
      if (!document.querySelector("#leadform-widget")?.shadowRoot?.querySelector(".lf-bubble")) return;
      observer.disconnect();
      requestAnimationFrame(() => setTimeout(() => (window.__bubblePainted = performance.now())));
    }).observe(document, { childList: true, subtree: true });
  }, idle);
  const page = await context.newPage();
  const wasm = { requested: 0, paintedFirst: null };
  let release;
  const held = new Promise((r) => (release = r));
  await page.route(/\.wasm$/, async (route) => {
    // Looked at before it is counted, so a test that saw the request sees this too.
    const painted = await page.evaluate(() => window.__bubblePainted !== undefined);
    wasm.paintedFirst ??= painted;
    wasm.requested++;
    await held;
    await route.continue();
  });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(site.url + "/");
  await page.waitForFunction(() => window.__bubblePainted !== undefined);
  return { context, page, wasm, release, errors };
}

const ready = (page) => page.waitForFunction(() => window.__ready === true);
const wasmRequested = (wasm) => waitUntil(() => wasm.requested > 0, { timeoutMs: 10_000, intervalMs: 20, message: "a request for the wasm" });
const inWidget = (page, fn) => page.evaluate(`(${fn})(document.querySelector("#leadform-widget").shadowRoot)`);

test("the bubble is painted before any request for the wasm, which comes once the page is idle", async () => {
  const { context, page, wasm, release, errors } = await visit();
  await wasmRequested(wasm);
  assert.equal(wasm.paintedFirst, true, "the bubble was painted before the wasm was asked for");
  release();
  await ready(page);
  assert.equal(await page.locator("#leadform-widget").count(), 1, "one host");
  assert.equal(await page.locator(".lf-bubble").count(), 1, "one bubble");
  assert.deepEqual(errors, []);
  await context.close();
});

for (const [reach, how] of [
  ["hover", (page) => page.locator(".lf-bubble").hover()],
  ["keyboard focus", (page) => page.locator(".lf-bubble").focus()],
  ["a tap", (page) => page.locator(".lf-bubble").dispatchEvent("pointerdown")],
]) {
  test(`on a page that is never idle, ${reach} on the bubble fetches the wasm`, async () => {
    const { context, page, wasm, release } = await visit({ idle: false });
    // A page that is never idle gives the loader no other reason to fetch it.
    await page.evaluate(() => new Promise((r) => setTimeout(r, 300)));
    assert.equal(wasm.requested, 0, "no wasm before the visitor reaches for the bubble");
    await how(page);
    await wasmRequested(wasm);
    release();
    await ready(page);
    await context.close();
  });
}

test("a click before the widget is ready opens the chat once it is, and no second time", async () => {
  const { context, page, wasm, release } = await visit({ idle: false });
  await page.locator(".lf-bubble").click();
  await wasmRequested(wasm);
  assert.equal(await page.locator(".lf-panel").count(), 0, "no widget yet");
  release();
  await page.locator(".lf-panel:not([hidden])").waitFor();
  assert.equal(await page.locator(".lf-bubble").getAttribute("aria-expanded"), "true");
  await page.locator(".lf-agent").first().waitFor();
  assert.equal(await page.locator(".lf-agent").count(), 1, "one greeting");
  // Now the widget's own listener: the next click closes it.
  await page.locator(".lf-bubble").click();
  assert.equal(await page.locator(".lf-panel").isHidden(), true);
  await context.close();
});

/**
 * The demo page (never idle: only the visitor starts the download) whose first download
 * matching `pattern` fails, and a click on the bubble that meets the failure (logged).
 * `asked`: the URLs asked for so far.
 */
async function clickWhileDownloadFails(pattern) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript(() => (window.requestIdleCallback = () => 0));
  const page = await context.newPage();
  const asked = [];
  await page.route(pattern, (route) => (asked.push(route.request().url()), asked.length === 1 ? route.abort("internetdisconnected") : route.continue()));
  const logged = [];
  page.on("console", (m) => m.type() === "error" && logged.push(m.text()));
  await page.goto(site.url + "/");
  const bubble = page.locator(".lf-bubble");
  await bubble.click();
  await waitUntil(() => logged.some((l) => l.includes("leadform: the widget could not start")), { message: "the failure logged" });
  return { context, page, bubble, asked };
}

test("a wasm download that fails keeps the bubble, and the next reach for it tries again", async () => {
  // The first download fails (a flaky network); the next goes through.
  const { context, page, bubble, asked } = await clickWhileDownloadFails(/\.wasm$/);
  assert.equal(await bubble.count(), 1, "the bubble stays");
  assert.equal(await page.locator(".lf-panel").count(), 0, "no widget yet");
  await page.screenshot({ path: path.join(SHOTS, "download-failed-1280.png") });
  await bubble.click();
  await page.locator(".lf-panel:not([hidden])").waitFor();
  assert.equal(asked.length, 2);
  await context.close();
});

test("a glue download that fails is tried again under another address; the click before it opens nothing later", async () => {
  // Chromium keeps a failed module import for its URL: the same address would fail at once.
  const { context, page, bubble, asked } = await clickWhileDownloadFails(/leadform_widget\.js/);
  // Later the pointer only passes over the bubble: the widget starts, the chat stays shut.
  await page.mouse.move(5, 5);
  await bubble.hover();
  await page.locator(".lf-panel").waitFor({ state: "attached" });
  assert.equal(await page.locator(".lf-panel").isHidden(), true, "a click from before the failure does not open it now");
  assert.equal(await bubble.getAttribute("aria-expanded"), "false");
  assert.equal(asked.length, 2);
  assert.notEqual(asked[1], asked[0], "asked for under another address");
  await bubble.click();
  await page.locator(".lf-panel:not([hidden])").waitFor();
  await context.close();
});

test("Enter on the focused bubble before the widget is ready opens the chat with focus in it; focus alone stays on the bubble", async () => {
  const focused = (page) => inWidget(page, (root) => root.activeElement?.className ?? "none");
  const first = await visit({ idle: false });
  await first.page.locator(".lf-bubble").focus();
  await wasmRequested(first.wasm);
  first.release();
  await ready(first.page);
  assert.equal(await focused(first.page), "lf-bubble", "the widget took over the focused bubble without moving focus");
  await first.context.close();

  const { context, page, wasm, release } = await visit({ idle: false });
  await page.locator(".lf-bubble").focus();
  await page.keyboard.press("Enter");
  await wasmRequested(wasm);
  release();
  await waitUntil(async () => (await focused(page)) === "lf-input", { timeoutMs: 10_000, intervalMs: 25, message: "focus in the message field" });
  assert.equal(await page.locator(".lf-panel").isVisible(), true);
  await context.close();
});

test("leadform.showForm before the widget is ready fetches it and shows the form", async () => {
  const { context, page, release } = await visit({ idle: false });
  await page.evaluate(() => window.leadform.showForm("contact_form"));
  release();
  await page.locator("form.lf-form[data-tool=contact_form]").waitFor();
  await context.close();
});

test("a showForm call without a name before the widget is ready stops nothing: the calls after it run, ready fires, and one widget starts", async () => {
  const { context, page, release, errors } = await visit({ idle: false });
  // A page's button whose data attribute was left empty: showForm(undefined).
  await page.evaluate(() => {
    window.leadform.showForm(undefined);
    window.leadform.showForm({ not: "a name" });
    window.leadform.showForm("contact_form");
  });
  release();
  await ready(page);
  await page.locator("form.lf-form[data-tool=contact_form]").waitFor();
  // Reaching for the bubble again starts nothing more.
  await page.locator(".lf-bubble").hover();
  await page.locator(".lf-bubble").focus();
  assert.equal(await page.evaluate(() => window.leadform.showForm(null)), false);
  assert.equal(await inWidget(page, (root) => root.querySelectorAll(".lf-panel").length), 1, "one panel");
  assert.equal(await page.locator("form.lf-form").count(), 1, "one form");
  assert.deepEqual(errors, []);
  await context.close();
});

/** The bubble's box, look and pixels (a clip around it). */
async function bubbleState(page, name) {
  const box = await page.locator(".lf-bubble").boundingBox();
  const look = await inWidget(page, (root) => {
    const b = root.querySelector(".lf-bubble");
    const s = getComputedStyle(b);
    return { bg: s.backgroundColor, color: s.color, radius: s.borderRadius, shadow: s.boxShadow, label: b.getAttribute("aria-label"), text: b.textContent };
  });
  const clip = { x: Math.max(0, box.x - 24), y: Math.max(0, box.y - 24), width: box.width + 48, height: box.height + 44 };
  const pixels = await page.screenshot({ clip });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
  return { box, look, pixels };
}

for (const [lookName, look] of [
  ["default", null],
  ["brand-left-label", { brandColor: "#0B7285", position: "left", launcherLabel: "Ask us anything" }],
]) {
  for (const width of [390, 1280]) {
    test(`the widget takes over the loader's bubble with nothing moved or recolored (${lookName}, ${width} px)`, async () => {
      const res = await ownerRequest(stack, "PATCH", `/v1/agents/${DEMO_AGENT_ID}`, { body: { look } });
      assert.equal(res.status, 200, res.text);
      const { context, page, release } = await visit({ width, idle: false });
      const loader = await bubbleState(page, `${lookName}-${width}-loader`);
      await page.locator(".lf-bubble").dispatchEvent("pointerdown");
      release();
      await ready(page);
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r))));
      const widget = await bubbleState(page, `${lookName}-${width}-widget`);
      assert.deepEqual(widget.box, loader.box, "same place and size");
      assert.deepEqual(widget.look, loader.look, "same colors, label and text");
      assert.ok(widget.pixels.equals(loader.pixels), "the same pixels around the bubble");
      if (look) assert.equal(loader.look.bg, "rgb(11, 114, 133)");
      await context.close();
    });
  }
}

test("in dark mode a focused bubble keeps the same focus ring when the widget takes it over", async () => {
  const { context, page, release } = await visit({ idle: false, colorScheme: "dark" });
  await page.locator(".lf-bubble").focus();
  const loader = await bubbleState(page, "dark-focused-loader");
  release();
  await ready(page);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r))));
  const widget = await bubbleState(page, "dark-focused-widget");
  assert.equal(await inWidget(page, (root) => root.activeElement?.matches(".lf-bubble:focus-visible")), true);
  assert.deepEqual(widget.look, loader.look);
  assert.ok(widget.pixels.equals(loader.pixels), "the same pixels around the focused bubble");
  await context.close();
});

test("the loader's bubble speaks the visitor's language and shows the owner's words as text, never markup", async () => {
  const name = `<b>Acme</b> $& $1 Co`;
  const look = { launcherLabel: "<i>Ask</i> $&" };
  const res = await ownerRequest(stack, "PATCH", `/v1/agents/${DEMO_AGENT_ID}`, { body: { name, look } });
  assert.equal(res.status, 200, res.text);
  const config = await (await fetch(`${stack.url}/widget/config?agentId=${DEMO_AGENT_ID}`, { headers: { "Accept-Language": "de" } })).json();
  assert.equal(config.locale, "de");
  const context = await browser.newContext({ locale: "de" });
  await context.addInitScript(() => (window.requestIdleCallback = () => 0));
  const page = await context.newPage();
  await page.route(/\.wasm$/, () => {}); // never answered: the loader's bubble alone
  await page.goto(site.url + "/");
  const bubble = page.locator(".lf-bubble");
  await bubble.waitFor();
  // The launcher's words begin its name (WCAG 2.5.3, label in name), then "chat with".
  assert.equal(await bubble.getAttribute("aria-label"), `${look.launcherLabel}, ${config.texts.chatWith.replace("{}", () => name)}`);
  assert.ok(!(await bubble.getAttribute("aria-label")).includes("Chat with"), "German, not English");
  assert.equal(await bubble.locator("span").textContent(), look.launcherLabel);
  assert.equal(await page.locator("#leadform-widget b, #leadform-widget i").count(), 0, "no markup from the config");
  assert.equal(await page.locator(".lf-root").getAttribute("lang"), "de");
  await context.close();
  await ownerRequest(stack, "PATCH", `/v1/agents/${DEMO_AGENT_ID}`, { body: { name: "Acme Assistant", look: null } });
});

test("an element with id=\"leadform\" on the page neither stops the loader nor takes its calls", async () => {
  // window.leadform names such an element until the loader sets its own: a <dialog>'s
  // `open` is a boolean (setting it opens the page's dialog), a form answers to its inputs'
  // names (an input named "identify" looked like a loader already there).
  for (const markup of ['<dialog id="leadform"><p>The page\'s own dialog</p></dialog>', '<form id="leadform"><input name="identify"><input name="open"></form>']) {
    const context = await browser.newContext();
    await context.addInitScript((markup) => {
      new MutationObserver((_, observer) => {
        if (!document.body) return;
        observer.disconnect();
        document.body.insertAdjacentHTML("afterbegin", markup);
      }).observe(document, { childList: true, subtree: true });
    }, markup);
    const page = await context.newPage();
    await page.goto(site.url + "/");
    await page.waitForFunction(() => typeof window.leadform.showForm === "function");
    await page.evaluate(() => window.leadform.showForm("contact_form"));
    await page.locator("form.lf-form[data-tool=contact_form]").waitFor();
    await page.evaluate(() => window.leadform.open());
    const own = await page.evaluate(() => [document.getElementById("leadform").tagName, String(document.getElementById("leadform").open)]);
    assert.deepEqual(own, markup.startsWith("<dialog") ? ["DIALOG", "false"] : ["FORM", "[object HTMLInputElement]"], "the page's element is as it was");
    await context.close();
  }
});

for (const credentials of [undefined, "include"]) {
  const also = credentials ? " and sends every request with credentials" : "";
  test(`on a page whose fetch adds tracing headers to every request${also}, the widget still starts and talks to the edge`, async () => {
    const context = await browser.newContext();
    // What tracing libraries do when told to trace every origin: each request carries
    // `traceparent`, so the widget's downloads and calls need a CORS preflight. Some pages
    // also send every request with credentials, meant for their own API.
    await context.addInitScript((credentials) => {
      const original = window.fetch;
      window.fetch = (input, init = {}) => {
        const headers = new Headers(init.headers || (input instanceof Request ? input.headers : undefined));
        headers.set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        return original(input, { ...init, headers, ...(credentials ? { credentials } : {}) });
      };
      document.addEventListener("leadform:ready", () => (window.__ready = true));
    }, credentials);
    const page = await context.newPage();
    const traced = new Set();
    page.on("request", (r) => r.headers().traceparent && traced.add(new URL(r.url()).pathname));
    const logged = [];
    // (The demo site has no favicon: the browser's own request for it is not the widget's.)
    page.on("console", (m) => m.type() === "error" && !m.location().url.endsWith("/favicon.ico") && logged.push(`${m.text()} ${m.location().url}`));
    await page.goto(site.url + "/");
    await page.waitForFunction(() => window.__ready === true);
    await page.locator(".lf-bubble").click();
    await page.locator(".lf-input").fill("What does it cost?");
    await page.locator(".lf-input").press("Enter");
    await waitUntil(async () => (await page.locator(".lf-agent").count()) >= 2, { message: "the edge's reply" });
    const id = await page.evaluate((agent) => sessionStorage.getItem("leadform:conversation:" + agent), DEMO_AGENT_ID);
    assert.ok(id, "the conversation is on the edge");
    for (const path of ["/widget/config", "/widget/leadform_widget_bg.wasm", "/conversations"]) {
      assert.ok(traced.has(path), `${path} went out with the page's header (${[...traced]})`);
    }
    assert.deepEqual(logged, []);
    await context.close();
  });
}
