// How the widget looks on an owner's site, in Chromium on the demo page: the agent's brand
// color (kept readable), the left corner, a labelled launcher, dark mode from the visitor's
// system, and a full-screen panel on phones. Screenshots land in test-results/look/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
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
