// How the widget looks on an owner's site, in Chromium on the demo page: the agent's brand
// color (kept readable), the left corner, a labelled launcher, dark mode from the visitor's
// system, and a full-screen panel on phones. Screenshots land in test-results/look/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { createServer } from "node:http";
import { ownerRequest } from "./support/stack.mjs";
import { startDemo } from "./support/demo.mjs";
import { axeViolations } from "./support/axe.mjs";
import { DEMO_AGENT_ID } from "../demo-site/seed.mjs";

const SHOTS = path.resolve("test-results/look");
let demo, stack, receiver, site, browser;

before(async () => {
  ({ stack, receiver, site, browser } = demo = await startDemo({ shots: SHOTS }));
});

after(() => demo?.stop());

const setLook = async (look) => {
  const res = await ownerRequest(stack, "PATCH", `/v1/agents/${DEMO_AGENT_ID}`, { body: { look } });
  assert.equal(res.status, 200, res.text);
  return res.json;
};

async function visit({ width = 1280, height = 800, colorScheme = "light" } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, colorScheme });
  const page = await context.newPage();
  await page.goto(site.url + "/");
  // The widget itself, not only the loader's bubble: its panel is there (hidden) once it took over.
  await page.locator(".lf-panel").waitFor({ state: "attached" });
  return { context, page };
}

/**
 * Serves `html` from 127.0.0.1 like the demo (Chromium keeps a page from elsewhere off
 * loopback), on an origin of its own that the agent allows.
 */
async function pageOfItsOwn(html) {
  const server = createServer((req, res) => res.writeHead(200, { "Content-Type": "text/html" }).end(html));
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const allowed = await ownerRequest(stack, "PATCH", `/v1/agents/${DEMO_AGENT_ID}`, { body: { allowedOrigins: [site.url, origin] } });
  assert.equal(allowed.status, 200, allowed.text);
  return { origin, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** Ends the widget's fade-ins, so boxes are measured where they come to rest. */
const settle = (page) =>
  page.evaluate(() => document.querySelector("#leadform-widget").shadowRoot.querySelectorAll("*").forEach((el) => el.getAnimations().forEach((a) => a.finish())));

/** A computed style property of the first element `selector` finds in the widget. */
const style = (page, selector, property) =>
  page.evaluate(
    ([selector, property]) => getComputedStyle(document.querySelector("#leadform-widget").shadowRoot.querySelector(selector))[property],
    [selector, property]
  );

test("the agent's brand color, the left corner and a launcher label; a light color gets dark text", async () => {
  const agent = await setLook({ brandColor: "#0B7285", position: "left", launcherLabel: "Ask us anything" });
  assert.deepEqual(agent.look, { brandColor: "#0B7285", position: "left", launcherLabel: "Ask us anything" });
  const { context, page } = await visit();
  assert.equal(await style(page, ".lf-bubble", "backgroundColor"), "rgb(11, 114, 133)");
  assert.equal(await style(page, ".lf-bubble", "color"), "rgb(255, 255, 255)");
  assert.equal((await page.locator(".lf-bubble").textContent()).trim(), "Ask us anything");
  // Its name begins with the words it shows (WCAG 2.5.3, label in name).
  assert.equal(await page.locator(".lf-bubble").getAttribute("aria-label"), "Ask us anything, Chat with Acme Assistant");
  const bubble = await page.locator(".lf-bubble").boundingBox();
  assert.ok(bubble.x < 40, `the bubble sits in the left corner (x ${bubble.x})`);
  await page.locator(".lf-bubble").click();
  await settle(page);
  const panel = await page.locator(".lf-panel").boundingBox();
  assert.ok(panel.x < 40, `the panel opens on the left (x ${panel.x})`);
  assert.equal(await style(page, ".lf-head", "backgroundColor"), "rgb(11, 114, 133)");
  await page.screenshot({ path: path.join(SHOTS, "brand-left.png") });
  await context.close();

  await setLook({ brandColor: "#ffd43b" });
  const light = await visit();
  assert.equal(await style(light.page, ".lf-bubble", "backgroundColor"), "rgb(255, 212, 59)");
  assert.equal(await style(light.page, ".lf-bubble", "color"), "rgb(29, 36, 51)", "dark text on yellow");
  await light.context.close();

  for (const [look, field] of [
    [{ brandColor: "red" }, "look.brandColor"],
    [{ brandColor: "#fff;background:url(//x)" }, "look.brandColor"],
    [{ position: "top" }, "look.position"],
    [{ launcherLabel: "x".repeat(41) }, "look.launcherLabel"],
    [{ theme: "dark" }, "look.theme"],
  ]) {
    const res = await ownerRequest(stack, "PATCH", `/v1/agents/${DEMO_AGENT_ID}`, { body: { look } });
    assert.equal(res.status, 400, JSON.stringify(look));
    assert.ok(res.json.error.field.startsWith(field.split(".")[0]), `${res.json.error.field} for ${JSON.stringify(look)}`);
  }
  await setLook(null);
  const config = await (await fetch(`${stack.url}/widget/config?agentId=${DEMO_AGENT_ID}`, { headers: { Origin: site.url } })).json();
  assert.equal(config.agent.look, undefined, "no look: the widget's defaults");
});

test("dark mode follows the visitor's system, and axe finds no violation on the open panel with a form", async () => {
  const { context, page } = await visit({ colorScheme: "dark" });
  await page.locator(".lf-bubble").click();
  await page.locator(".lf-input").fill("Can someone contact me?");
  await page.keyboard.press("Enter");
  await page.locator("form.lf-form").waitFor();
  assert.equal(await style(page, ".lf-panel", "backgroundColor"), "rgb(28, 32, 48)");
  assert.equal(await style(page, ".lf-log", "backgroundColor"), "rgb(19, 22, 34)");
  await settle(page);
  const violations = await axeViolations(page, "#leadform-widget");
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 1));
  await page.screenshot({ path: path.join(SHOTS, "dark.png") });
  await context.close();
});

test("on a phone the open panel fills the screen, the bubble steps aside, and the form's fields stay in view", async () => {
  const { context, page } = await visit({ width: 390, height: 740 });
  await page.locator(".lf-bubble").click();
  await settle(page);
  const panel = await page.locator(".lf-panel").boundingBox();
  assert.deepEqual([panel.x, panel.y, panel.width, panel.height].map(Math.round), [0, 0, 390, 740]);
  assert.equal(await page.locator(".lf-bubble").isVisible(), false, "the bubble does not cover the panel");
  await page.locator(".lf-input").fill("Can someone contact me?");
  await page.keyboard.press("Enter");
  const email = page.locator("form.lf-form input[name=email]");
  await email.waitFor();
  await email.focus();
  await settle(page);
  const box = await email.boundingBox();
  assert.ok(box.y >= 0 && box.y + box.height <= 740, `the focused field is on screen (${JSON.stringify(box)})`);
  await page.screenshot({ path: path.join(SHOTS, "phone.png") });
  await page.locator(".lf-close").click();
  assert.equal(await page.locator(".lf-bubble").isVisible(), true, "closed: the bubble is back");
  await context.close();
});

test("the host page's styles do not reach in: rules on everything, its custom properties, a transformed body", async () => {
  // A page at war with everyone: `* { all: unset }` (so its html's inherited properties
  // reach the host), the widget's own variable names, a transform on a long body (which
  // makes the body the box `position: fixed` is placed in) and buttons hidden.
  const hostile = `<!doctype html><html lang="en"><head><meta charset="utf-8"><style>
    * { all: unset; } head, style, script { display: none; }
    html { direction: rtl; font-size: 40px; letter-spacing: 4px; word-spacing: 20px; text-transform: uppercase; cursor: crosshair; --b: red; --bt: lime; }
    body { display: block; min-height: 3000px; transform: translateZ(0); }
    button { display: none !important; }
  </style></head><body><h1>A page at war</h1>
  <script src="${stack.url}/leadform.js" data-agent-id="${DEMO_AGENT_ID}" async></script></body></html>`;
  const { origin, close } = await pageOfItsOwn(hostile);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(origin + "/");
  // The loader's bubble, then the widget's: in the corner of the screen both times.
  for (const ready of [".lf-bubble", ".lf-panel"]) {
    await page.locator(ready).waitFor({ state: "attached" });
    const bubble = await page.locator(".lf-bubble").boundingBox();
    assert.deepEqual([bubble.x, bubble.y].map(Math.round), [1204, 724], `${ready}: the bubble in the corner (${JSON.stringify(bubble)})`);
    assert.equal(await style(page, ".lf-bubble", "backgroundColor"), "rgb(59, 91, 219)", "the widget's blue, not the page's --b");
  }
  await page.evaluate(() => window.leadform.showForm("contact_form"));
  await page.locator("form.lf-form").waitFor();
  await settle(page);
  assert.equal(await style(page, ".lf-head", "backgroundColor"), "rgb(59, 91, 219)");
  assert.equal(await style(page, ".lf-head", "color"), "rgb(255, 255, 255)");
  for (const selector of [".lf-agent", ".lf-label", ".lf-form-title"]) {
    const [transform, letters, words, direction] = await Promise.all(
      ["textTransform", "letterSpacing", "wordSpacing", "direction"].map((p) => style(page, selector, p))
    );
    assert.deepEqual([transform, letters, words, direction], ["none", "normal", "0px", "ltr"], selector);
  }
  assert.equal(await style(page, ".lf-log", "cursor"), "auto");
  const panel = await page.locator(".lf-panel").boundingBox();
  assert.ok(panel.y >= 0 && panel.y + panel.height <= 800, `the panel on screen (${JSON.stringify(panel)})`);
  await page.screenshot({ path: path.join(SHOTS, "hostile-page.png") });
  await context.close();
  await close();
});

test("on a small phone the virtual keyboard never hides the focused field: the chat scrolls it back into view", async () => {
  const { context, page } = await visit({ width: 320, height: 568 });
  await page.evaluate(() => window.leadform.showForm("contact_form"));
  const message = page.locator("form.lf-form textarea[name=message]");
  await message.waitFor();
  await message.focus();
  await settle(page);
  // The keyboard comes up: what is left of the screen (the visual viewport) shrinks.
  await page.setViewportSize({ width: 320, height: 300 });
  await page.waitForFunction(() => visualViewport.height === 300);
  await page.waitForFunction(() => {
    const field = document.querySelector("#leadform-widget").shadowRoot.querySelector("textarea[name=message]");
    const box = field.getBoundingClientRect();
    return box.top >= 0 && box.bottom <= visualViewport.height;
  });
  const panel = await page.locator(".lf-panel").boundingBox();
  assert.deepEqual([panel.y, panel.height].map(Math.round), [0, 300], "the panel fits what the keyboard leaves");
  await page.screenshot({ path: path.join(SHOTS, "phone-keyboard.png") });
  await context.close();
});

test("on a phone, a page without a viewport meta and a page wider than the screen: the bubble in the screen's corner, the panel filling the screen at its natural size", async () => {
  const page_ = (meta) => `<!doctype html><html><head>${meta}<title>An older shop</title></head>
    <body style="margin: 0; font: 16px serif"><div style="width: 960px"><h1>An older shop</h1><p>${"Welcome to our shop. ".repeat(40)}</p></div>
    <script src="${stack.url}/leadform.js" data-agent-id="${DEMO_AGENT_ID}" async></script></body></html>`;
  const cases = {
    // Laid out 980 px wide and shown zoomed out to fit, at about 0.4.
    "no-viewport-meta": page_(""),
    // Laid out as wide as the 960 px block, shown at scale 1 from its left edge.
    "wider-than-the-screen": page_('<meta name="viewport" content="width=device-width, initial-scale=1">'),
  };
  for (const [name, html] of Object.entries(cases)) {
    const { origin, close } = await pageOfItsOwn(html);
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    await page.goto(origin + "/");
    await page.locator(".lf-panel").waitFor({ state: "attached" });
    const screen = () => page.evaluate(() => ({ scale: visualViewport.scale, left: visualViewport.offsetLeft, top: visualViewport.offsetTop, width: visualViewport.width, height: visualViewport.height, layout: innerWidth }));
    const before = await screen();
    assert.ok(before.layout > 900, `${name}: the layout is wider than the phone (${JSON.stringify(before)})`);
    // Boxes in the page's CSS px; times the scale, in the screen's.
    const onScreen = async (selector) => {
      const box = await page.locator(selector).boundingBox();
      const s = await screen();
      return { x: (box.x - s.left) * s.scale, y: (box.y - s.top) * s.scale, width: box.width * s.scale, height: box.height * s.scale };
    };
    const bubble = await onScreen(".lf-bubble");
    assert.ok(Math.abs(bubble.width - 56) < 1, `${name}: the bubble at its natural size on screen (${JSON.stringify(bubble)})`);
    assert.ok(Math.abs(bubble.x + bubble.width - 370) < 1.5 && Math.abs(bubble.y + bubble.height - 824) < 1.5, `${name}: in the screen's corner (${JSON.stringify(bubble)})`);
    await page.locator(".lf-bubble").tap();
    await settle(page);
    const panel = await onScreen(".lf-panel");
    assert.deepEqual([panel.x, panel.y, panel.width, panel.height].map(Math.round), [0, 0, 390, 844], `${name}: the panel fills the screen`);
    const closeButton = await onScreen(".lf-close");
    assert.ok(closeButton.x + closeButton.width <= 390 && closeButton.height >= 20, `${name}: its close button on screen, at its size (${JSON.stringify(closeButton)})`);
    const text = await onScreen(".lf-agent");
    assert.ok(text.width > 250, `${name}: the greeting as wide as on any phone (${JSON.stringify(text)})`);
    await page.screenshot({ path: path.join(SHOTS, `phone-${name}.png`) });
    await page.locator(".lf-close").tap();
    const back = await onScreen(".lf-bubble");
    assert.ok(Math.abs(back.width - 56) < 1 && back.x + back.width <= 390, `${name}: closed, the bubble is back (${JSON.stringify(back)})`);
    await context.close();
    await close();
  }
});

test("a page that zooms itself (html { zoom: 1.25 }): the panel keeps its natural size, its header on screen", async () => {
  const { origin, close } = await pageOfItsOwn(`<!doctype html><html style="zoom: 1.25"><head><meta name="viewport" content="width=device-width, initial-scale=1"></head>
    <body><h1>Zoomed</h1><script src="${stack.url}/leadform.js" data-agent-id="${DEMO_AGENT_ID}" async></script></body></html>`);
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  await page.goto(origin + "/");
  await page.locator(".lf-panel").waitFor({ state: "attached" });
  await page.evaluate(() => window.leadform.open());
  await settle(page);
  const panel = await page.locator(".lf-panel").boundingBox();
  assert.deepEqual([panel.width, panel.height].map(Math.round), [370, 560], `the panel at its size (${JSON.stringify(panel)})`);
  const head = await page.locator(".lf-head").boundingBox();
  assert.ok(head.y >= 0 && panel.y + panel.height <= 720, `all of it on screen (${JSON.stringify({ head, panel })})`);
  await context.close();
  await close();
});

test("in forced colors (Windows High Contrast) the panel, the bubble and the buttons keep an edge", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, forcedColors: "active" });
  const page = await context.newPage();
  await page.goto(site.url + "/");
  await page.locator(".lf-panel").waitFor({ state: "attached" });
  await page.evaluate(() => window.leadform.showForm("contact_form"));
  await page.locator("form.lf-form").waitFor();
  await settle(page);
  for (const selector of [".lf-panel", ".lf-bubble", ".lf-send", ".lf-submit"]) {
    assert.equal(await style(page, selector, "borderTopStyle"), "solid", selector);
    assert.equal(await style(page, selector, "borderTopWidth"), "2px", selector);
  }
  await page.screenshot({ path: path.join(SHOTS, "forced-colors.png") });
  await context.close();
});
