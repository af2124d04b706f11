// The widget on host pages that do what real sites do: a framework that rebuilds the whole
// document (React 18 hydrating `document`, as Remix does) or tidies unknown nodes away, a
// `fetch` wrapper that knows only string URLs, a modal whose focus trap pulls focus back, a
// native modal `<dialog>`, a theme's `div:empty { display: none }`, a phone held sideways.
// Each page is the demo page with a script of the host's added before anything else
// (Playwright's init scripts).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { startDemo } from "./support/demo.mjs";
import { quickPerson, waitUntil } from "./support/stack.mjs";
import { DEMO_AGENT_ID } from "../demo-site/seed.mjs";

const SHOTS = path.resolve("test-results/host-pages");
let demo, site, browser, stack;

before(async () => {
  ({ site, browser, stack } = demo = await startDemo({ shots: SHOTS }));
});

after(() => demo?.stop());

/** The demo page with `script` (a function run in the page first, given `arg`). */
async function hostPage(script, arg, { width = 1280, height = 800 } = {}) {
  const context = await browser.newContext({ viewport: { width, height } });
  await context.addInitScript(() => document.addEventListener("leadform:ready", () => (window.__ready = true)));
  if (script) await context.addInitScript(script, arg);
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(site.url + "/");
  return { context, page, errors };
}

const hosts = (page) => page.evaluate(() => document.querySelectorAll("#leadform-widget").length);

test("a page that rebuilds its whole document after the widget started gets the widget back, as it was", async () => {
  const { context, page, errors } = await hostPage();
  await page.waitForFunction(() => window.__ready === true);
  await page.locator(".lf-bubble").click();
  await page.locator(".lf-agent").first().waitFor();
  // React 18 on a hydration mismatch: the document's <html> removed and a new one rendered.
  await page.evaluate(() => {
    const fresh = document.createElement("html");
    fresh.append(document.createElement("head"), document.createElement("body"));
    fresh.querySelector("body").textContent = "Rendered again by the framework";
    document.removeChild(document.documentElement);
    document.appendChild(fresh);
  });
  await waitUntil(async () => (await hosts(page)) === 1, { message: "the host is back in the new <html>" });
  // The same widget: the conversation shown so far is still there, and it still works.
  assert.equal(await page.locator(".lf-agent").count(), 1);
  await page.locator(".lf-input").fill("I want to talk to sales");
  await page.locator(".lf-input").press("Enter");
  await page.locator("form.lf-form[data-tool=contact_form]").waitFor();
  // A framework that tidies unknown nodes out of <html>: back again.
  await page.evaluate(() => document.querySelector("#leadform-widget").remove());
  await waitUntil(async () => (await hosts(page)) === 1, { message: "the host is back after a removal" });
  assert.deepEqual(errors, []);
  await context.close();
});

test("a host taken out before the widget loaded is put back when it starts", async () => {
  // The page is never idle: only a call (or the visitor) loads the widget.
  const { context, page } = await hostPage(() => (window.requestIdleCallback = () => 0));
  await page.locator(".lf-bubble").waitFor();
  await page.evaluate(() => document.querySelector("#leadform-widget").remove());
  assert.equal(await hosts(page), 0);
  await page.evaluate(() => window.leadform.open());
  await page.locator(".lf-panel:not([hidden])").waitFor();
  assert.equal(await hosts(page), 1);
  await context.close();
});

test("a page whose fetch wrapper knows only string URLs still gets the edge's replies and the lead", async () => {
  const { context, page } = await hostPage(() => {
    const original = window.fetch;
    // Drops a Request's method, headers and body: only a URL string and an init get through.
    window.fetch = (input, init) => original(typeof input === "string" ? input : input.url, init);
  });
  await page.waitForFunction(() => window.__ready === true);
  await page.locator(".lf-bubble").click();
  await page.locator(".lf-input").fill("Can someone from sales contact me?");
  await page.locator(".lf-input").press("Enter");
  const form = page.locator("form.lf-form[data-tool=contact_form]");
  await form.waitFor();
  const id = await page.evaluate((agent) => sessionStorage.getItem("leadform:conversation:" + agent), DEMO_AGENT_ID);
  assert.ok(id, "the conversation is on the edge");
  await form.locator("input[name=name]").fill("Wrapped Wanda");
  await form.locator("input[name=email]").fill("wanda@example.com");
  await quickPerson();
  await form.locator(".lf-submit").click();
  await page.locator(".lf-success").waitFor();
  const { body } = await stack.owner("GET", `/v1/agents/${DEMO_AGENT_ID}/submissions?limit=100`);
  assert.equal(body.submissions.filter((s) => s.formData?.email === "wanda@example.com").length, 1);
  await context.close();
});

test("a form opened from a page modal with a focus trap can be filled in", async () => {
  const { context, page } = await hostPage(() => {
    document.addEventListener("DOMContentLoaded", () => {
      const modal = document.createElement("div");
      modal.id = "pricing-modal";
      modal.tabIndex = -1;
      modal.innerHTML = '<p>Pro plan</p><button id="talk">Talk to sales</button>';
      document.body.append(modal);
      document.getElementById("talk").onclick = () => window.leadform.showForm("contact_form");
      // The usual trap (Bootstrap's, focus-trap's): focus outside the modal is pulled back.
      document.addEventListener("focusin", (e) => {
        if (!modal.contains(e.target)) modal.focus();
      });
      modal.focus();
    });
  });
  await page.waitForFunction(() => window.__ready === true);
  await page.locator("#talk").click();
  const name = page.locator("form.lf-form[data-tool=contact_form] input[name=name]");
  await name.waitFor();
  await name.click();
  await page.keyboard.type("Modal Mo");
  assert.equal(await name.inputValue(), "Modal Mo");
  await context.close();
});

test("a form opened from a native modal <dialog> can be filled in and sent; the widget stays after the dialog closes", async () => {
  const { context, page, errors } = await hostPage(() => {
    document.addEventListener("DOMContentLoaded", () => {
      // `showModal()` makes everything outside the dialog inert: clicks and focus pass it by.
      const dialog = document.createElement("dialog");
      dialog.id = "plan-dialog";
      dialog.innerHTML = '<p>Pro plan</p><button id="talk">Talk to sales</button><button id="shut">Close</button>';
      document.body.append(dialog);
      document.getElementById("talk").onclick = () => window.leadform.showForm("contact_form");
      document.getElementById("shut").onclick = () => dialog.close();
      dialog.showModal();
    });
  }, undefined, { width: 1280, height: 800 });
  await page.waitForFunction(() => window.__ready === true);
  await page.locator("#talk").click();
  const form = page.locator("form.lf-form[data-tool=contact_form]");
  await form.waitFor();
  // Typed and clicked as a person would: an inert field would take neither.
  await form.locator("input[name=name]").click();
  await page.keyboard.type("Dialog Dora");
  await form.locator("input[name=email]").click();
  await page.keyboard.type("dora@example.com");
  assert.equal(await form.locator("input[name=name]").inputValue(), "Dialog Dora");
  await page.screenshot({ path: path.join(SHOTS, "native-modal-dialog-1280.png") });
  await quickPerson();
  await form.locator(".lf-submit").click();
  await page.locator(".lf-success").waitFor();
  const { body } = await stack.owner("GET", `/v1/agents/${DEMO_AGENT_ID}/submissions?limit=100`);
  assert.equal(body.submissions.filter((s) => s.formData?.email === "dora@example.com").length, 1);
  // The dialog closed, the widget is back at the end of <html>, one of it, and still works.
  await page.locator("#shut").click();
  await waitUntil(() => page.evaluate(() => document.getElementById("leadform-widget").parentElement === document.documentElement), { message: "the host back in <html>" });
  assert.equal(await hosts(page), 1);
  await page.locator(".lf-input").fill("Thanks!");
  await page.locator(".lf-input").press("Enter");
  await waitUntil(async () => (await page.locator(".lf-visitor").count()) >= 1, { message: "the message shown" });
  // A dialog taken out of the page while open gives the widget back too.
  await page.evaluate(() => {
    document.getElementById("plan-dialog").showModal();
    window.leadform.open();
  });
  await waitUntil(() => page.evaluate(() => document.getElementById("plan-dialog").contains(document.getElementById("leadform-widget"))), { message: "the host in the dialog" });
  // Escape in the chat closes the chat, not the page's dialog around it.
  await page.locator(".lf-input").focus();
  await page.keyboard.press("Escape");
  await page.locator(".lf-panel[hidden]").waitFor({ state: "attached" });
  assert.equal(await page.evaluate(() => document.getElementById("plan-dialog").open), true, "the page's dialog stays open");
  await page.evaluate(() => document.getElementById("plan-dialog").remove());
  await waitUntil(() => page.evaluate(() => document.getElementById("leadform-widget")?.isConnected === true), { message: "the host back in the page" });
  assert.deepEqual(errors, []);
  await context.close();
});

test("a theme's div:empty { display: none } does not hide the widget", async () => {
  const { context, page } = await hostPage(() => {
    document.addEventListener("DOMContentLoaded", () => {
      const style = document.createElement("style");
      style.textContent = "div:empty { display: none !important; }";
      document.head.append(style);
    });
  });
  const bubble = page.locator(".lf-bubble");
  await bubble.waitFor();
  assert.ok(await bubble.isVisible(), "the loader's bubble shows");
  await page.waitForFunction(() => window.__ready === true);
  await bubble.click();
  await page.locator(".lf-panel:not([hidden])").waitFor();
  await context.close();
});

for (const [name, shot, css] of [
  // A sticky cart or cookie bar at the highest z-index there is, over the widget's corner.
  ["a page's own maximum z-index", "max-z-index", "#cart { position: fixed; inset: auto 0 0 0; height: 120px; z-index: 2147483647; background: #222; color: #fff; }"],
  // A site's grayscale "mourning mode" on every element, the widget's host too.
  ["a filter on every element (a site's mourning mode)", "filter-everywhere", "* { filter: grayscale(1); }"],
]) {
  test(`${name} leaves the widget on top, in its corner`, async () => {
    const { context, page } = await hostPage((rules) => {
      document.addEventListener("DOMContentLoaded", () => {
        const style = document.createElement("style");
        style.textContent = rules;
        document.head.append(style);
        const bar = document.createElement("div");
        bar.id = "cart";
        bar.textContent = "Add to cart";
        document.body.append(bar);
      });
    }, css);
    await page.waitForFunction(() => window.__ready === true);
    // On screen, and what is on top at its centre is the widget (its host, from the page's side).
    const onTop = async (selector) => {
      const box = await page.locator(selector).boundingBox();
      assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= 1280 && box.y + box.height <= 800, `${selector} on screen: ${JSON.stringify(box)}`);
      return page.evaluate(([x, y]) => document.elementFromPoint(x, y)?.id, [box.x + box.width / 2, box.y + box.height / 2]);
    };
    assert.equal(await onTop(".lf-bubble"), "leadform-widget");
    await page.locator(".lf-bubble").click();
    await page.locator(".lf-agent").first().waitFor();
    assert.equal(await onTop(".lf-input"), "leadform-widget", "the message field is not under the page");
    await page.screenshot({ path: path.join(SHOTS, `on-top-${shot}.png`) });
    await context.close();
  });
}

test("on a phone held sideways the open panel fills the screen", async () => {
  const { context, page } = await hostPage(null, null, { width: 740, height: 360 });
  await page.locator(".lf-bubble").click();
  await page.locator(".lf-agent").first().waitFor();
  const panel = await page.locator(".lf-panel").boundingBox();
  assert.ok(panel.width >= 739 && panel.height >= 359, `the panel fills 740x360: ${JSON.stringify(panel)}`);
  const input = await page.locator(".lf-input").boundingBox();
  assert.ok(input.y + input.height <= 360, `the message field is on screen: ${JSON.stringify(input)}`);
  await page.screenshot({ path: path.join(SHOTS, "landscape-740x360.png") });
  await context.close();
});

// A widget that fought for ever would hang the page: the time limit makes that a failure.
test("a page that takes the host out every time it is put back is not fought for ever", { timeout: 60_000 }, async () => {
  const { context, page } = await hostPage(() => {
    new MutationObserver(() => document.querySelector("#leadform-widget")?.remove()).observe(document, {
      childList: true,
      subtree: true,
    });
  });
  await page.waitForFunction(() => window.__ready === true);
  // The widget gave up after a few tries: the page answers, with no host left.
  await waitUntil(async () => (await hosts(page)) === 0, { message: "the page won" });
  assert.equal(await page.evaluate(() => document.title.length >= 0), true);
  await context.close();
});
