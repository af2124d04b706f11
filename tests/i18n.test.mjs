// The widget in the visitor's language, in Chromium on the demo page: a German browser gets
// German texts (and the owner's German greeting and labels), the agent's `locale` wins over
// the browser, and Arabic lays out right to left with no axe-core violation. Screenshots
// land in test-results/i18n/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { ownerRequest, quickPerson, PNG_1X1 } from "./support/stack.mjs";
import { startDemo } from "./support/demo.mjs";
import { axeViolations } from "./support/axe.mjs";
import { DEMO_AGENT_ID, DEMO_TOOL_ID } from "../demo-site/seed.mjs";

const SHOTS = path.resolve("test-results/i18n");
const DE_GREETING = "Hallo! Ich bin der Acme-Assistent. Wie können wir helfen?";
const DE_HELP = "Ein, zwei Sätze genügen: So wissen wir, wer antworten soll.";
let demo, stack, receiver, site, browser;

before(async () => {
  ({ stack, receiver, site, browser } = demo = await startDemo({ shots: SHOTS }));
  // The owner's translations: a German greeting, German and Arabic labels for the name; the
  // default success message (core's English, which the widget translates).
  await patch(`/v1/agents/${DEMO_AGENT_ID}`, { greetings: { de: DE_GREETING } });
  const tool = await ownerRequest(stack, "GET", `/v1/tools/${DEMO_TOOL_ID}`);
  assert.equal(tool.status, 200, tool.text);
  const fields = tool.json.fields.map((f) =>
    f.name === "name"
      ? { ...f, labels: { de: "Ihr Name", ar: "اسمك" }, minLength: 3 }
      : f.name === "message"
        ? { ...f, helps: { de: DE_HELP } }
        : f,
  );
  await patch(`/v1/tools/${DEMO_TOOL_ID}`, { fields, successMessage: null });
});

after(() => demo?.stop());

async function patch(route, body) {
  const res = await ownerRequest(stack, "PATCH", route, { body });
  assert.equal(res.status, 200, res.text);
  return res.json;
}

/** The demo page in a browser speaking `locale`, once the bubble is there. */
async function visit(locale) {
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(site.url + "/");
  // The widget itself, not only the loader's bubble: its panel is there (hidden) once it took over.
  await page.locator(".lf-panel").waitFor({ state: "attached" });
  return { context, page, errors };
}

/** Ends the widget's fade-ins, so boxes and colors are measured where they come to rest. */
const settle = (page) =>
  page.evaluate(() => document.querySelector("#leadform-widget").shadowRoot.querySelectorAll("*").forEach((el) => el.getAnimations().forEach((a) => a.finish())));

/** Where the panel's header and form sit against the panel: nothing inside may have scrolled sideways. */
const sideways = (page) =>
  page.evaluate(() => {
    const root = document.querySelector("#leadform-widget").shadowRoot;
    const left = (selector) => Math.round(root.querySelector(selector).getBoundingClientRect().left);
    const panel = root.querySelector(".lf-panel").getBoundingClientRect();
    return { head: left(".lf-head") - Math.round(panel.left), inView: panel.left >= 0 && panel.right <= window.innerWidth + 0.5 };
  });

/** Opens the chat, waits for the conversation to start, and shows the contact form. */
async function openWithForm(page) {
  await page.locator(".lf-bubble").click();
  await page.locator(".lf-agent").first().waitFor();
  // The edge's copy of the greeting arrives after the widget's own: give it time to (not) show.
  await page.waitForLoadState("networkidle");
  await page.evaluate(() => window.leadform.showForm("contact_form"));
  await page.locator("form.lf-form").waitFor();
  await settle(page);
}

/** Sends the form empty: the edge refuses the first required field. */
async function sendEmpty(page) {
  await quickPerson();
  await page.locator(".lf-submit").click();
  await page.locator(".lf-error:not(:empty)").first().waitFor();
}

test("a German browser gets German texts, the owner's German greeting and labels, and German errors and outcomes", async () => {
  const { context, page, errors } = await visit("de-DE");
  const bubble = page.locator(".lf-bubble");
  assert.equal(await bubble.getAttribute("aria-label"), "Chat mit Acme Assistant");
  assert.equal(await page.locator(".lf-root").getAttribute("lang"), "de");
  assert.equal(await page.locator(".lf-root").getAttribute("dir"), "ltr");
  await openWithForm(page);
  assert.equal(await page.locator(".lf-input").getAttribute("placeholder"), "Nachricht schreiben…");
  assert.equal(await page.locator(".lf-input").getAttribute("aria-label"), "Nachricht");
  assert.equal(await page.locator(".lf-send").textContent(), "Senden");
  assert.equal(await page.locator(".lf-close").getAttribute("aria-label"), "Chat schließen");
  assert.ok(await page.getByRole("dialog", { name: "Chat mit Acme Assistant" }).isVisible());
  // The owner's German greeting, once: the edge's English copy of it is not shown as well.
  assert.deepEqual(await page.locator(".lf-agent").allTextContents(), [DE_GREETING]);
  const labels = await page.locator(".lf-label").allTextContents();
  assert.deepEqual(labels, ["Ihr Name *", "Work email *", "How can we help?"], "a label without a German one keeps the owner's");
  // The owner's German words for why a field is asked, as the field's description.
  const message = page.locator("textarea[name=message]");
  assert.deepEqual(await message.evaluate((t) => t.ariaDescribedByElements.map((e) => e.textContent)), [DE_HELP, ""]);
  assert.equal(await page.locator(".lf-submit").textContent(), "Senden");
  assert.equal(await page.locator(".lf-dismiss").textContent(), "Nicht jetzt");

  await sendEmpty(page);
  assert.equal(await page.locator(".lf-error").first().textContent(), "Ihr Name ist erforderlich");
  await page.screenshot({ path: path.join(SHOTS, "german-error.png") });

  // The edge's refusal of a length, with its number, in German too.
  await page.locator("input[name=name]").fill("Al");
  await page.locator("input[name=email]").fill("grete@example.de");
  await quickPerson();
  await page.locator(".lf-submit").click();
  await page.locator(".lf-error", { hasText: "Ihr Name muss mindestens 3 Zeichen lang sein" }).waitFor();

  await page.locator("input[name=name]").fill("Grete Beispiel");
  await page.locator(".lf-submit").click();
  await page.locator(".lf-success").waitFor();
  assert.equal(await page.locator(".lf-success").textContent(), "Danke – wir melden uns!");
  await receiver.waitFor(1);
  await settle(page);
  await page.screenshot({ path: path.join(SHOTS, "german-success.png") });

  // The edge's own lines follow the browser's language too (its Accept-Language).
  await page.locator(".lf-chip", { hasText: "Talk to sales" }).click();
  await page.locator("form.lf-form").waitFor();
  const said = await page.locator(".lf-agent").allTextContents();
  assert.equal(said.at(-1), "Gern! Hinterlassen Sie hier Ihre Daten, wir melden uns bei Ihnen.");
  assert.deepEqual(errors, []);
  await context.close();
});

test("a German visitor reads the edge's refusal of a file in German: a program, contents not of their type", async () => {
  const made = await ownerRequest(stack, "POST", `/v1/agents/${DEMO_AGENT_ID}/tools`, {
    body: { name: "file_form", title: "Unterlagen", fields: [{ name: "email", type: "email", required: true }, { name: "brief", label: "Brief", type: "file" }], executionMode: "store" },
  });
  assert.equal(made.status, 201, made.text);
  const { context, page, errors } = await visit("de-DE");
  await page.locator(".lf-bubble").click();
  await page.evaluate(() => window.leadform.showForm("file_form"));
  const form = page.locator("form.lf-form[data-tool=file_form]");
  await form.waitFor();
  await form.locator("input[name=email]").fill("datei@example.de");
  const cases = [
    [{ name: "brief.pdf", mimeType: "application/pdf", buffer: PNG_1X1 }, "Brief enthält nicht den angegebenen Dateityp"],
    [{ name: "brief.pdf", mimeType: "application/pdf", buffer: Buffer.from("MZ\x90\x00 a program") }, "Brief ist ein Programm; Programme werden nicht angenommen"],
  ];
  for (const [file, said] of cases) {
    await form.locator("input[name=brief]").setInputFiles(file);
    await quickPerson();
    await form.locator(".lf-submit").click();
    await form.locator(".lf-error", { hasText: said }).waitFor();
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test("an English browser keeps English, with the owner's own greeting", async () => {
  const { context, page } = await visit("en-US");
  assert.equal(await page.locator(".lf-bubble").getAttribute("aria-label"), "Chat with Acme Assistant");
  await page.locator(".lf-bubble").click();
  await page.locator(".lf-agent").first().waitFor();
  assert.match(await page.locator(".lf-agent").first().textContent(), /^Hi! I'm the Acme assistant/);
  assert.equal(await page.locator(".lf-input").getAttribute("placeholder"), "Type a message…");
  await context.close();
});

test("the agent's locale wins over the browser: Arabic, right to left, with no axe-core violation", async () => {
  await patch(`/v1/agents/${DEMO_AGENT_ID}`, { locale: "ar" });
  try {
    const { context, page, errors } = await visit("de-DE");
    const root = page.locator(".lf-root");
    assert.equal(await root.getAttribute("lang"), "ar");
    assert.equal(await root.getAttribute("dir"), "rtl");
    assert.equal(await page.locator(".lf-bubble").getAttribute("aria-label"), "الدردشة مع Acme Assistant");
    await openWithForm(page);
    assert.equal(await page.locator(".lf-input").getAttribute("placeholder"), "اكتب رسالة…");
    assert.equal(await page.locator(".lf-send").textContent(), "إرسال");
    assert.equal(await page.locator(".lf-dismiss").textContent(), "ليس الآن");
    // No Arabic greeting from the owner: their own (English) one, not the German one.
    assert.match(await page.locator(".lf-agent").first().textContent(), /^Hi! I'm the Acme assistant/);
    assert.equal(await page.locator(".lf-label").first().textContent(), "اسمك *");

    // The layout mirrors: the agent's message starts at the right, the title sits right
    // and the close button left, the field's label is aligned right.
    const box = (selector) => page.locator(selector).first().boundingBox();
    const [log, message, title, close, label, field] = await Promise.all(
      [".lf-log", ".lf-agent", ".lf-title", ".lf-close", ".lf-label", "input[name=name]"].map(box)
    );
    assert.ok(log.x + log.width - (message.x + message.width) < 20, `the agent's message hugs the right edge (${JSON.stringify({ log, message })})`);
    assert.ok(message.x - log.x > 20, "and leaves room on the left");
    assert.ok(title.x > close.x, "title right, close button left");
    assert.ok(field.x + field.width - (label.x + label.width) < 2, "the label ends where its field ends");
    assert.equal(await page.locator(".lf-panel").evaluate((el) => getComputedStyle(el).direction), "rtl");
    // An address is written left to right inside the right-to-left panel (else
    // "jo@example.com" shows as "example.com@jo"), still against the field's right edge.
    const email = await page.locator("input[name=email]").evaluate((el) => [getComputedStyle(el).direction, getComputedStyle(el).textAlign]);
    assert.deepEqual(email, ["ltr", "right"]);
    assert.deepEqual(await axeViolations(page, "#leadform-widget"), [], "the open panel with a form");

    await sendEmpty(page);
    assert.equal(await page.locator(".lf-error").first().textContent(), "اسمك مطلوب");
    assert.deepEqual(await axeViolations(page, "#leadform-widget"), [], "with an error");
    // A label the owner left in English (no Arabic one) does not turn the Arabic line
    // around: the line still reads right to left, from the field's right edge.
    await page.locator("input[name=name]").fill("سارة");
    await page.locator(".lf-submit").click();
    const emailError = page.locator("input[name=email] + .lf-error");
    await emailError.filter({ hasText: "مطلوب" }).waitFor();
    assert.equal(await emailError.textContent(), "Work email مطلوب");
    const [lineRight, boxRight] = await emailError.evaluate((el) => {
      const range = document.createRange();
      range.selectNodeContents(el);
      return [range.getBoundingClientRect().right, el.getBoundingClientRect().right];
    });
    assert.ok(boxRight - lineRight < 2, `the line starts at the right (${lineRight} of ${boxRight})`);
    await page.screenshot({ path: path.join(SHOTS, "arabic-error.png") });
    assert.deepEqual(errors, []);
    await context.close();

    // On a phone the panel fills the screen, mirrored the same way.
    const phone = await browser.newContext({ locale: "ar", viewport: { width: 390, height: 780 } });
    const small = await phone.newPage();
    await small.goto(site.url + "/");
    await small.locator(".lf-bubble").click();
    await small.locator(".lf-agent").first().waitFor();
    await small.evaluate(() => window.leadform.showForm("contact_form"));
    await small.locator("form.lf-form").waitFor();
    await settle(small);
    assert.equal(await small.locator(".lf-root").getAttribute("dir"), "rtl");
    await small.screenshot({ path: path.join(SHOTS, "arabic-phone.png") });
    await phone.close();
  } finally {
    await patch(`/v1/agents/${DEMO_AGENT_ID}`, { locale: null });
  }
});

test("the owner API refuses unknown locales and over-long translations", async () => {
  const bad = async (route, body, field) => {
    const res = await ownerRequest(stack, "PATCH", route, { body });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json.error.field, field);
  };
  await bad(`/v1/agents/${DEMO_AGENT_ID}`, { locale: "xx" }, "locale");
  await bad(`/v1/agents/${DEMO_AGENT_ID}`, { greetings: { nl: "Hallo" } }, "greetings.nl");
  await bad(
    `/v1/tools/${DEMO_TOOL_ID}`,
    { fields: [{ name: "name", labels: { ja: "名".repeat(201) } }] },
    "fields[0].labels.ja"
  );
  const agent = await ownerRequest(stack, "GET", `/v1/agents/${DEMO_AGENT_ID}`);
  assert.equal(agent.json.locale, null);
  assert.deepEqual(agent.json.greetings, { de: DE_GREETING });
  const config = await fetch(`${stack.url}/widget/config?agentId=${DEMO_AGENT_ID}`, { headers: { Origin: site.url } }).then((r) => r.json());
  assert.deepEqual(config.agent.greetings, { de: DE_GREETING });
  assert.deepEqual(config.forms[0].fields[0].labels, { de: "Ihr Name", ar: "اسمك" });
  // A conversation keeps the greeting as the visitor saw it: the German one for a German
  // browser, the owner's default for any other.
  const start = async (language) => {
    const res = await fetch(`${stack.url}/conversations`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Origin: site.url, "Accept-Language": language },
      body: JSON.stringify({ agentId: DEMO_AGENT_ID }),
    });
    assert.equal(res.status, 201);
    const { conversationId } = await res.json();
    return (await ownerRequest(stack, "GET", `/v1/conversations/${conversationId}`)).json.turns[0].text;
  };
  assert.equal(await start("de-DE,de;q=0.9"), DE_GREETING);
  assert.equal(await start("fr-FR"), agent.json.greeting);
});

test("the stepped form in German and Arabic, at 390 and 1280 px, light and dark: its step line, Next, a step's error, no axe-core violation", async () => {
  const made = await ownerRequest(stack, "POST", `/v1/agents/${DEMO_AGENT_ID}/tools`, {
    body: {
      name: "steps_form",
      title: "Plan your project",
      fields: [
        { name: "full_name", label: "Your name", labels: { de: "Ihr Name", ar: "اسمك" }, required: true, step: "About you" },
        { name: "email", type: "email", required: true },
        { name: "topics", type: "multiselect", label: "What do you need?", options: ["Website", "App"], required: true, step: "Your project" },
        { name: "start", type: "date", label: "Start date" },
      ],
      executionMode: "webhook",
      webhookUrl: receiver.url + "/steps",
    },
  });
  assert.equal(made.status, 201, made.text);
  const words = {
    de: { step1: "Schritt 1 von 2", next: "Weiter", required: "Ihr Name ist erforderlich", step2: "Schritt 2 von 2", send: "Senden" },
    ar: { step1: "الخطوة 1 من 2", next: "التالي", required: "اسمك مطلوب", step2: "الخطوة 2 من 2", send: "إرسال" },
  };
  for (const locale of ["de", "ar"]) {
    for (const width of [390, 1280]) {
      for (const colorScheme of ["light", "dark"]) {
        const name = `steps-${locale}-${width}-${colorScheme}`;
        const context = await browser.newContext({ locale, colorScheme, viewport: { width, height: width < 480 ? 844 : 800 } });
        const page = await context.newPage();
        await page.goto(site.url + "/");
        await page.locator(".lf-panel").waitFor({ state: "attached" });
        await page.evaluate(() => window.leadform.showForm("steps_form"));
        const form = page.locator("form.lf-form[data-tool=steps_form]");
        await form.locator(".lf-steps", { hasText: words[locale].step1 }).waitFor();
        assert.equal(await page.locator(".lf-root").getAttribute("dir"), locale === "ar" ? "rtl" : "ltr", name);
        assert.equal(await form.locator(".lf-submit").textContent(), words[locale].next, name);
        await form.locator(".lf-submit").click();
        await form.locator(".lf-error", { hasText: words[locale].required }).waitFor();
        await settle(page);
        assert.deepEqual(await axeViolations(page, "#leadform-widget"), [], `${name}, step 1 with its error`);
        await page.screenshot({ path: path.join(SHOTS, `${name}-1.png`) });
        // A right-to-left panel once scrolled 27 px sideways when a field took focus.
        assert.deepEqual(await sideways(page), { head: 0, inView: true }, `${name}, step 1 in place`);
        await form.locator("input[name=full_name]").fill("Jo Doe");
        await form.locator("input[name=email]").fill("jo@example.com");
        await form.locator(".lf-submit").click();
        await form.locator(".lf-steps", { hasText: words[locale].step2 }).waitFor();
        assert.equal(await form.locator(".lf-submit").textContent(), words[locale].send, name);
        await form.locator(".lf-submit").click();
        await form.locator("fieldset.lf-field[aria-invalid=true]").waitFor();
        await settle(page);
        assert.deepEqual(await axeViolations(page, "#leadform-widget"), [], `${name}, step 2 with its error`);
        await page.screenshot({ path: path.join(SHOTS, `${name}-2.png`) });
        assert.deepEqual(await sideways(page), { head: 0, inView: true }, `${name}, step 2 in place`);
        await context.close();
      }
    }
  }
});
