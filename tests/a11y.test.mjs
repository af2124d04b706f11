// The widget for a visitor who uses a keyboard or a screen reader, in Chromium on the demo
// page: the whole path by keyboard alone (bubble, dialog, form, submit, close), focus kept
// inside the open panel and given back to the bubble, fields with their names, required and
// invalid states, what the live region reads out, reduced motion, and axe-core finding no
// violation on the open panel, a form, an error and the success state. Screenshots of the
// focus rings land in test-results/a11y/ for a person to look at.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { waitUntil, quickPerson, ownerRequest } from "./support/stack.mjs";
import { startDemo } from "./support/demo.mjs";
import { axeViolations } from "./support/axe.mjs";
import { DEMO_AGENT_ID } from "../demo-site/seed.mjs";

const SHOTS = path.resolve("test-results/a11y");
const SUCCESS = "Thanks! Our team will email you within one business day.";

let demo, stack, receiver, site, browser;

before(async () => {
  ({ stack, receiver, site, browser } = demo = await startDemo({ shots: SHOTS }));
});

after(() => demo?.stop());

/** The demo page in a context of its own, once the widget's bubble is there. */
async function visit({ reducedMotion = "no-preference", width = 1280 } = {}) {
  const context = await browser.newContext({ viewport: { width, height: 800 }, reducedMotion });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(site.url + "/");
  // The widget itself, not only the loader's bubble: its panel is there (hidden) once it took over.
  await page.locator(".lf-panel").waitFor({ state: "attached" });
  return { context, page, errors };
}

/**
 * What has keyboard focus, as a short name: a form field's `name`, else the element's first
 * class (a quick reply with its text); `page:TAG` when focus is outside the widget.
 */
const focused = (page) =>
  page.evaluate(() => {
    const host = document.querySelector("#leadform-widget");
    if (!host || document.activeElement !== host) return `page:${document.activeElement?.tagName}`;
    const el = host.shadowRoot.activeElement;
    if (!el) return "none";
    if (el.name) return el.name;
    const name = `.${el.classList[0]}`;
    return name === ".lf-chip" ? `${name}(${el.textContent})` : name;
  });

/** Whether the focused element is inside the open panel. */
const focusInPanel = (page) =>
  page.evaluate(() => Boolean(document.querySelector("#leadform-widget")?.shadowRoot.activeElement?.closest(".lf-panel:not([hidden])")));

const focusReaches = (page, name) =>
  waitUntil(async () => (await focused(page)) === name, { timeoutMs: 10_000, intervalMs: 25, message: `focus on ${name}` });

/** What the live region has read out so far, in order. */
const announced = (page) => page.locator(".lf-sr p").allTextContents();

/** Waits for the widget's animations (the panel and messages fading in) to end. */
const settled = (page) =>
  page.evaluate(() => Promise.all(document.querySelector("#leadform-widget").shadowRoot.getAnimations().map((a) => a.finished)));

async function shot(page, name) {
  await settled(page);
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), animations: "disabled" });
}

/** Opens the chat from the bubble by keyboard and asks for the contact form. */
async function openForm(page) {
  await page.locator(".lf-bubble").focus();
  await page.keyboard.press("Enter");
  await focusReaches(page, ".lf-input");
  await page.keyboard.type("Can someone contact me?");
  await page.keyboard.press("Enter");
  await focusReaches(page, "name");
}

/**
 * axe-core on the widget (its host and shadow root, page-level rules such as landmarks
 * included): the widget lands on pages it does not control, and the demo page's own
 * markup is not what this checks.
 */
/** In an open panel: asks for the form through the message field. */
async function openFormFromInput(page) {
  await page.locator(".lf-input").fill("Can someone contact me?");
  await page.keyboard.press("Enter");
  await page.locator("form.lf-form").waitFor();
}

async function assertNoAxeViolation(page, label) {
  await settled(page);
  const violations = await axeViolations(page, "#leadform-widget");
  assert.deepEqual(violations, [], `${label}: ${JSON.stringify(violations, null, 1)}`);
}

test("keyboard only: Tab reaches the bubble, Enter opens the dialog, a form is filled and sent, Escape closes and focus returns to the bubble", async () => {
  const { context, page, errors } = await visit();
  // From the top of the page, through its own links, to the bubble (the page's last control).
  for (let i = 0; i < 60 && (await focused(page)) !== ".lf-bubble"; i++) await page.keyboard.press("Tab");
  assert.equal(await focused(page), ".lf-bubble");
  const bubble = page.locator(".lf-bubble");
  assert.equal(await bubble.getAttribute("aria-expanded"), "false");
  await shot(page, "bubble-focused");

  await page.keyboard.press("Enter");
  await focusReaches(page, ".lf-input");
  const dialog = page.getByRole("dialog", { name: "Chat with Acme Assistant" });
  assert.ok(await dialog.isVisible(), "a dialog named after the agent");
  assert.equal(await dialog.getAttribute("aria-modal"), "true", "modal, as Tab staying inside makes it");
  assert.equal(await bubble.getAttribute("aria-expanded"), "true");

  await page.keyboard.type("Can someone contact me?");
  await page.keyboard.press("Enter");
  // The agent shows the form and focus moves to its first field.
  await focusReaches(page, "name");
  await page.keyboard.type("Kay Board");
  await page.keyboard.press("Tab");
  assert.equal(await focused(page), "email");
  await page.keyboard.type("kay@example.com");
  await shot(page, "form-field-focused");
  await page.keyboard.press("Tab");
  assert.equal(await focused(page), "message");
  await page.keyboard.type("Only a keyboard here.");
  await page.keyboard.press("Tab");
  assert.equal(await focused(page), ".lf-submit");
  await shot(page, "send-focused");
  await quickPerson();
  await page.keyboard.press("Enter");

  await page.locator(".lf-success").waitFor();
  // The form left the chat; focus goes on in the message field, not lost to the page.
  await focusReaches(page, ".lf-input");
  assert.ok((await announced(page)).includes(SUCCESS), "the outcome is read out");
  await receiver.waitFor(1);
  assert.equal(receiver.requests.at(-1).json.formData.email, "kay@example.com");
  await shot(page, "success");

  await page.keyboard.press("Escape");
  await focusReaches(page, ".lf-bubble");
  assert.equal(await dialog.isVisible(), false);
  assert.equal(await bubble.getAttribute("aria-expanded"), "false");
  // And open again from there.
  await page.keyboard.press("Enter");
  await focusReaches(page, ".lf-input");
  assert.deepEqual(errors, []);
  await context.close();
});

test("focus stays in the open panel: Tab cycles forward, Shift+Tab backward, through every control once", async () => {
  const { context, page } = await visit();
  await openForm(page);
  // Every control of the panel in order, from the close button in its header.
  const cycle = [
    ".lf-close",
    ".lf-log", // the conversation itself, to scroll back through it by keyboard
    "name",
    "email",
    "message",
    ".lf-submit",
    ".lf-dismiss",
    ".lf-chip(Talk to sales)",
    ".lf-chip(Book a demo)",
    ".lf-input",
    ".lf-send",
  ];
  await page.locator(".lf-close").focus();
  const forward = [];
  for (let i = 0; i < cycle.length * 2; i++) {
    forward.push(await focused(page));
    assert.ok(await focusInPanel(page), `Tab ${i} left the panel for ${forward.at(-1)}`);
    await page.keyboard.press("Tab");
  }
  assert.deepEqual(forward, [...cycle, ...cycle]);
  await shot(page, "close-focused-after-wrap");
  // The log's focus ring is drawn inside it: the panel clips anything outside.
  await page.locator(".lf-close").focus();
  await page.keyboard.press("Tab");
  const ring = await page.locator(".lf-log").evaluate((el) => [getComputedStyle(el).outlineStyle, parseFloat(getComputedStyle(el).outlineOffset)]);
  assert.equal(ring[0], "solid");
  assert.ok(ring[1] < 0, `outline-offset ${ring[1]}`);
  await shot(page, "log-focused");
  await page.locator(".lf-close").focus();

  const backward = [];
  for (let i = 0; i < cycle.length * 2; i++) {
    backward.push(await focused(page));
    assert.ok(await focusInPanel(page), `Shift+Tab ${i} left the panel for ${backward.at(-1)}`);
    await page.keyboard.press("Shift+Tab");
  }
  const reversed = [cycle[0], ...cycle.slice(1).reverse()];
  assert.deepEqual(backward, [...reversed, ...reversed]);

  // The close button, by keyboard, gives focus back to the bubble.
  await page.locator(".lf-close").focus();
  await page.keyboard.press("Enter");
  await focusReaches(page, ".lf-bubble");
  await context.close();
});

test("opened by the page's own button (leadform.showForm), focus lands in the form and returns to the bubble on close", async () => {
  const { context, page } = await visit();
  await page.locator("#talk-to-sales").focus();
  await page.keyboard.press("Enter");
  await focusReaches(page, "name");
  assert.ok(await focusInPanel(page));
  await page.keyboard.press("Escape");
  await focusReaches(page, ".lf-bubble");
  await context.close();
});

test("fields have their names and required state; a bad email is marked invalid with its reason tied to it", async () => {
  const { context, page } = await visit();
  await openForm(page);
  const name = page.getByRole("textbox", { name: "Your name", exact: true });
  const email = page.getByRole("textbox", { name: "Work email", exact: true });
  const message = page.getByRole("textbox", { name: "How can we help?", exact: true });
  assert.equal(await name.getAttribute("aria-required"), "true");
  assert.equal(await email.getAttribute("aria-required"), "true");
  assert.equal(await message.getAttribute("aria-required"), null);
  assert.ok(await page.getByRole("form", { name: "Talk to our team" }).isVisible(), "the form is named by its title");
  // Why a field is asked (the owner's `help`) is shown under it and is its description,
  // read before its error line (empty until there is one).
  const help = "A sentence or two is enough: it tells us who should answer.";
  assert.ok(await page.locator(".lf-help").filter({ hasText: help }).isVisible());
  assert.deepEqual(await message.evaluate((input) => input.ariaDescribedByElements.map((e) => e.textContent)), [help, ""]);

  await page.keyboard.type("Ada Lovelace");
  await page.keyboard.press("Tab");
  await page.keyboard.type("ada-at-example");
  await page.keyboard.press("Enter");

  await page.locator("input[name=email][aria-invalid=true]").waitFor();
  assert.equal(await focused(page), "email", "focus goes to the field to fix");
  assert.equal(await name.getAttribute("aria-invalid"), null);
  const reason = await email.evaluate((input) => input.getRootNode().getElementById(input.getAttribute("aria-describedby")).textContent);
  assert.match(reason, /^Work email /, "the error names the field");
  // The browser resolves the tie too: the reason is the field's description.
  assert.deepEqual(await email.evaluate((input) => input.ariaDescribedByElements.map((e) => e.textContent)), [reason]);
  // Enter was pressed in that very field: focus did not move, so the reason is read out.
  assert.ok((await page.locator(".lf-sr").textContent()).includes(reason), "the error is announced");
  assert.ok(await page.locator(".lf-error").filter({ hasText: reason }).isVisible());
  await shot(page, "invalid-email");

  await email.fill("ada@example.com");
  await quickPerson();
  await page.keyboard.press("Enter");
  await page.locator(".lf-success").waitFor();
  assert.equal(await page.locator("[aria-invalid]").count(), 0);
  await context.close();
});

test("the live region reads out each new agent message and the outcome, not the visitor's words or the form", async () => {
  const { context, page } = await visit();
  assert.equal(await page.locator(".lf-sr").getAttribute("aria-live"), "polite");
  await page.locator(".lf-bubble").click();
  await waitUntil(async () => (await announced(page)).length === 1, { message: "the greeting read out" });
  const greeting = (await announced(page))[0];
  assert.match(greeting, /^Hi! I'm the Acme assistant/);
  // An open modal dialog hides the rest of the page from a screen reader (VoiceOver), so
  // the browser's accessibility tree must have the live region inside the dialog.
  const cdp = await context.newCDPSession(page);
  const liveInDialog = async () => {
    const { nodes } = await cdp.send("Accessibility.getFullAXTree");
    const byId = new Map(nodes.map((n) => [n.nodeId, n]));
    const dialog = nodes.find((n) => n.role?.value === "dialog" && !n.ignored);
    const inside = (n) => [n, ...(n.childIds ?? []).map((id) => byId.get(id)).filter(Boolean).flatMap(inside)];
    return dialog ? inside(dialog).some((n) => n.properties?.some((p) => p.name === "live" && p.value.value === "polite")) : null;
  };
  assert.equal(await liveInDialog(), true, "the live region is in the open dialog");

  await page.locator(".lf-input").fill("What does Acme do?");
  await page.keyboard.press("Enter");
  await waitUntil(async () => (await page.locator(".lf-agent").count()) === 2, { message: "the agent's answer" });
  const answer = await page.locator(".lf-agent").nth(1).textContent();
  assert.deepEqual(await announced(page), [greeting, answer]);

  await page.locator(".lf-input").fill("Can someone contact me?");
  await page.keyboard.press("Enter");
  await page.locator("form.lf-form").waitFor();
  const offer = await page.locator(".lf-agent").nth(2).textContent();
  await waitUntil(async () => (await announced(page)).at(-1) === offer, { message: "the offer read out" });
  // The region is inside the dialog, where browsing meets it: it keeps the last two, not
  // the whole chat a second time.
  const said = await announced(page);
  assert.deepEqual(said, [answer, offer]);
  assert.ok(!said.some((t) => /What does Acme do|Can someone contact me|Work email/.test(t)), JSON.stringify(said));

  await page.locator("input[name=name]").fill("Live Region");
  await page.locator("input[name=email]").fill("live@example.com");
  await quickPerson();
  await page.locator(".lf-submit").click();
  await waitUntil(async () => (await announced(page)).at(-1) === SUCCESS, { message: "the outcome read out" });
  await context.close();
});

test("axe-core finds no violation on the open panel, with a form, with an error, in the success state", async () => {
  const { context, page } = await visit();
  await page.locator(".lf-bubble").click();
  await page.locator(".lf-agent").waitFor();
  await assertNoAxeViolation(page, "open panel");
  await openFormFromInput(page);
  await assertNoAxeViolation(page, "form");
  await page.locator("input[name=name]").fill("Axe Core");
  await page.locator("input[name=email]").fill("not an email");
  await page.locator(".lf-submit").click();
  await page.locator("input[name=email][aria-invalid=true]").waitFor();
  await assertNoAxeViolation(page, "error");
  await page.locator("input[name=email]").fill("axe@example.com");
  await quickPerson();
  await page.locator(".lf-submit").click();
  await page.locator(".lf-success").waitFor();
  await assertNoAxeViolation(page, "success");
  await context.close();
});

test("prefers-reduced-motion: the panel and messages appear without animation or transition", async () => {
  const motion = (page) =>
    page.evaluate(() =>
      [...document.querySelector("#leadform-widget").shadowRoot.querySelectorAll("*")]
        .map((el) => getComputedStyle(el))
        .filter((s) => s.animationName !== "none" || s.transitionDuration.split(",").some((d) => parseFloat(d) > 0)).length,
    );
  // Without the preference the panel fades in: the check below is not vacuous.
  const normal = await visit();
  await normal.page.locator(".lf-bubble").click();
  await normal.page.locator(".lf-agent").waitFor();
  assert.equal(await normal.page.locator(".lf-panel").evaluate((p) => getComputedStyle(p).animationName), "lf-in");
  assert.ok((await motion(normal.page)) > 0);
  await normal.context.close();

  const { context, page } = await visit({ reducedMotion: "reduce" });
  await page.locator(".lf-bubble").click();
  await page.locator(".lf-agent").waitFor();
  await openFormFromInput(page);
  assert.equal(await motion(page), 0, "nothing in the widget animates or transitions");
  assert.equal(await page.evaluate(() => document.querySelector("#leadform-widget").shadowRoot.getAnimations().length), 0);
  await context.close();
});

test("choosing an answer to the agent's question by keyboard keeps focus in the dialog", async () => {
  // A form that asks a question first (its choices are buttons that go once one is chosen),
  // on a trigger of its own.
  const made = await ownerRequest(stack, "POST", `/v1/agents/${DEMO_AGENT_ID}/tools`, {
    body: {
      name: "partner_form",
      title: "Partner with us",
      fields: [{ name: "email", type: "email", required: true }],
      triggers: ["partnership"],
      qualification: {
        questions: [{ key: "size", text: "How big is your agency?", options: [{ label: "Just me", points: 0 }, { label: "A team", points: 50 }] }],
        threshold: 50,
        belowThresholdMessage: "Thanks! Our partner directory is open to everyone.",
      },
      executionMode: "webhook",
      webhookUrl: receiver.url + "/partner",
    },
  });
  assert.equal(made.status, 201, made.text);
  const { context, page } = await visit();
  await page.locator(".lf-bubble").focus();
  await page.keyboard.press("Enter");
  await focusReaches(page, ".lf-input");
  await page.waitForLoadState("networkidle");
  await page.keyboard.type("I'd like a partnership");
  await page.keyboard.press("Enter");
  const choice = page.locator(".lf-choices .lf-chip", { hasText: "Just me" });
  await choice.focus();
  await page.keyboard.press("Enter");
  await page.locator(".lf-agent", { hasText: "partner directory" }).waitFor();
  assert.equal(await page.locator(".lf-choices").count(), 0, "the choices went");
  await focusReaches(page, ".lf-input");
  await context.close();
});

test("after a click on a part of the panel that takes no focus, Escape and Shift+Tab are still the dialog's", async () => {
  const { context, page } = await visit();
  await page.locator(".lf-bubble").click();
  await page.locator(".lf-panel:not([hidden])").waitFor();
  // The header's title, and the message bar's padding: places a mouse user clicks.
  await page.locator(".lf-title").click();
  assert.equal(await focused(page), ".lf-panel", "the dialog itself, not the page's body");
  await shot(page, "panel-clicked");
  await page.keyboard.press("Shift+Tab");
  assert.ok(await focusInPanel(page), "Shift+Tab goes round inside");
  assert.equal(await focused(page), ".lf-send");
  await page.locator(".lf-compose").click({ position: { x: 2, y: 2 } });
  await page.keyboard.press("Escape");
  await page.locator(".lf-panel[hidden]").waitFor({ state: "attached" });
  assert.equal(await focused(page), ".lf-bubble", "closed, focus back on the bubble");
  await context.close();
});

test("a form the agent brings takes the focus only from an empty message field: a visitor typing on keeps their words", async () => {
  const { context, page } = await visit();
  await page.locator(".lf-bubble").click();
  await page.locator(".lf-agent").first().waitFor();
  // The agent takes a moment (an LLM would); meanwhile the visitor types their next message.
  let release;
  const held = new Promise((r) => (release = r));
  await page.route("**/messages", async (route) => {
    await held;
    await route.continue();
  });
  await page.locator(".lf-input").fill("Can someone contact me?");
  await page.keyboard.press("Enter");
  await page.keyboard.type("for my team of five");
  release();
  await page.locator("form.lf-form").waitFor();
  await settled(page);
  assert.equal(await focused(page), ".lf-input", "focus stayed where they type");
  assert.equal(await page.locator(".lf-input").inputValue(), "for my team of five");
  assert.equal(await page.locator("form.lf-form input[name=name]").inputValue(), "");
  await context.close();
});

test("long words stay inside the panel: a consent label beside its box, a long link in a description wrapped", async () => {
  const label = "I have read and agree to the data processing agreement and the subprocessor list";
  const made = await ownerRequest(stack, "POST", `/v1/agents/${DEMO_AGENT_ID}/tools`, {
    body: {
      name: "long_words",
      title: "Terms",
      description: "See https://acme.example/legal/data-processing-agreement/subprocessors/2026-edition-final-v2.pdf",
      fields: [
        { name: "email", type: "email", required: true },
        { name: "dpa", label, type: "consent", required: true, link: "https://acme.example/dpa" },
        { name: "topics", type: "multiselect", options: ["Data processing agreements and subprocessor lists for enterprise customers", "Pricing"] },
      ],
      executionMode: "webhook",
      webhookUrl: receiver.url + "/long",
    },
  });
  assert.equal(made.status, 201, made.text);
  for (const width of [390, 1280]) {
    const { context, page } = await visit({ width });
    await page.evaluate(() => window.leadform.showForm("long_words"));
    const form = page.locator("form.lf-form[data-tool=long_words]");
    await form.waitFor();
    await settled(page);
    const layout = await form.evaluate((card) => {
      const box = card.querySelector("input[name=dpa]").getBoundingClientRect();
      const text = card.querySelector("input[name=dpa]").parentElement.querySelector(".lf-label").getBoundingClientRect();
      const option = card.querySelector("input[name=topics]").getBoundingClientRect();
      const optionText = card.querySelector("input[name=topics]").nextElementSibling.getBoundingClientRect();
      const log = card.closest(".lf-log");
      return {
        besideItsBox: text.left >= box.right && text.top < box.bottom,
        optionBesideItsBox: optionText.left >= option.right && optionText.top < option.bottom,
        logScrollsSideways: log.scrollWidth > log.clientWidth,
      };
    });
    assert.deepEqual(layout, { besideItsBox: true, optionBesideItsBox: true, logScrollsSideways: false }, `at ${width} px`);
    await shot(page, `long-words-${width}`);
    await context.close();
  }
});
