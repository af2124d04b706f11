// Forms people finish (seed 000's best practices; issue 12 item 6): a multi-step form with
// its progress, prefill from `leadform.identify`, hidden fields from the page's UTM
// parameters and from `identify`, a date, a multiselect and a consent checkbox with its
// link. In headless Chromium against the real runtime; the lead arrives at a real webhook.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ownerRequest, postJson, quickClick, quickPerson, waitUntil, signInCookie } from "./support/stack.mjs";
import { startDemo } from "./support/demo.mjs";
import { axeViolations } from "./support/axe.mjs";
import { DEMO_AGENT_ID } from "../demo-site/seed.mjs";

let demo, stack, receiver, site, browser, toolId;

const PROJECT_FORM = (webhookUrl) => ({
  name: "project_form",
  title: "Plan your project",
  fields: [
    { name: "full_name", label: "Your name", required: true, minLength: 3, step: "About you" },
    { name: "email", label: "Work email", type: "email", required: true },
    { name: "topics", label: "What do you need?", type: "multiselect", options: ["Website", "App", "Branding"], required: true, step: "Your project" },
    { name: "start", label: "Start date", type: "date" },
    { name: "privacy", label: "I agree to the privacy policy", type: "consent", required: true, link: "https://acme.example/privacy" },
    { name: "campaign", type: "hidden", from: "utm_campaign" },
    { name: "plan", type: "hidden" },
    { name: "url", type: "hidden", from: "page_url" },
    { name: "team", label: "Team size", type: "number" },
  ],
  executionMode: "webhook",
  webhookUrl,
  successMessage: "Thanks, we'll plan it with you.",
});

before(async () => {
  ({ stack, receiver, site, browser } = demo = await startDemo({ shots: "test-results/forms-finish" }));
  const made = await ownerRequest(stack, "POST", `/v1/agents/${DEMO_AGENT_ID}/tools`, { body: PROJECT_FORM(receiver.url + "/project") });
  assert.equal(made.status, 201, made.text);
  toolId = made.json.id;
});

after(() => demo?.stop());

test("the owner's config is checked: a consent needs its link, a hidden field cannot be required, a step stays together", async () => {
  const make = (fields) => ownerRequest(stack, "POST", `/v1/agents/${DEMO_AGENT_ID}/tools`, { body: { ...PROJECT_FORM(receiver.url), name: "bad_form", fields } });
  const cases = [
    [[{ name: "ok", type: "consent" }], "fields[0].link"],
    [[{ name: "ok", type: "consent", link: "javascript:alert(1)" }], "fields[0].link"],
    [[{ name: "a" }, { name: "src", type: "hidden", required: true }], "fields[1].required"],
    [[{ name: "a", step: "A" }, { name: "b", step: "B" }, { name: "c", step: "A" }], "fields[2].step"],
    [[{ name: "t", type: "multiselect" }], "fields[0].options"],
  ];
  for (const [fields, field] of cases) {
    const res = await make(fields);
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json.error.field, field, res.text);
  }
});

test("the API takes a multiselect as a list of its options and a date that exists", async () => {
  const submit = (formData) => postJson(`${stack.url}/form-submissions/submit`, { toolId, formData, fieldsCompleted: Object.keys(formData) });
  const base = { full_name: "Api Person", email: "api@example.com", topics: ["App"], privacy: true };
  for (const [change, field] of [
    [{ topics: "App" }, "topics"],
    [{ topics: ["App", "Print"] }, "topics"],
    [{ topics: [] }, "topics"],
    [{ start: "2026-02-30" }, "start"],
    [{ privacy: false }, "privacy"],
  ]) {
    const res = await submit({ ...base, ...change });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json.error.field, field, res.text);
  }
  const ok = await submit({ ...base, start: "2026-03-02", topics: ["Branding", "App"] });
  assert.equal(ok.status, 200, ok.text);
});

test("in the browser: identify prefills, two steps with their progress, the edge's refusal goes back to its step, hidden values from the page arrive", async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 800 } });
  const page = await context.newPage();
  // The campaign's landing page; the form is shown on the visit's second page, whose
  // address no longer carries the campaign.
  await page.goto(site.url + "/?utm_campaign=spring-launch");
  await page.waitForFunction(() => window.leadform && window.leadform.identify);
  await page.goto(site.url + "/?page=pricing");
  await page.waitForFunction(() => window.leadform && window.leadform.identify);
  await page.evaluate(() => window.leadform.identify({ email: "signed.in@example.com", name: "Signed In", plan: "pro", website: "https://signed-in.example", ignored: { nested: true } }));
  await page.evaluate(() => window.leadform.showForm("project_form")); // queued until the widget is ready
  const form = page.locator("form.lf-form[data-tool=project_form]");
  await form.waitFor();

  // Step 1: prefilled by name (`email`) and by what the field is (`full_name` is a name).
  assert.equal(await form.locator("input[name=email]").inputValue(), "signed.in@example.com");
  assert.equal(await form.locator("input[name=full_name]").inputValue(), "Signed In");
  await assert.doesNotReject(form.locator(".lf-steps", { hasText: "Step 1 of 2: About you" }).waitFor());
  assert.equal(await form.locator("input[name=topics]").first().isVisible(), false, "step 2 is not shown yet");
  assert.equal(await form.locator(".lf-submit").textContent(), "Next");

  // A required field left empty keeps the visitor on the step, with the reason at the field.
  await form.locator("input[name=full_name]").fill("");
  await form.locator(".lf-submit").click();
  await form.locator(".lf-error", { hasText: "is required" }).waitFor();
  assert.equal(await form.locator("input[name=full_name]").getAttribute("aria-invalid"), "true");
  // Two letters pass the widget (it checks what core's formats say) and go on to step 2;
  // the edge's minLength will bring the visitor back here.
  await form.locator("input[name=full_name]").fill("Jo");
  // A format the widget can tell is refused at Next, before anything is sent.
  await form.locator("input[name=email]").fill("signed.in@");
  await form.locator(".lf-submit").click();
  await form.locator(".lf-error", { hasText: "must be an email address" }).waitFor();
  await form.locator("input[name=email]").fill("signed.in@example.com");
  await form.locator("input[name=full_name]").press("Enter");

  // Step 2: its progress, focus on its first field, Back and forth.
  await form.locator(".lf-steps", { hasText: "Step 2 of 2: Your project" }).waitFor();
  assert.equal(await form.locator("input[name=full_name]").isVisible(), false);
  assert.equal(await page.evaluate(() => document.querySelector("#leadform-widget").shadowRoot.activeElement?.getAttribute("name")), "topics");
  assert.equal(await form.locator(".lf-submit").textContent(), "Send");
  const link = form.locator("a.lf-link");
  assert.equal(await link.getAttribute("href"), "https://acme.example/privacy");
  assert.equal(await link.getAttribute("rel"), "noopener noreferrer");
  assert.equal(await link.textContent(), "Privacy policy");
  await form.locator("legend", { hasText: "What do you need?" }).waitFor();
  // A group of boxes cannot carry aria-required: its name says it, in a word of its own.
  await form.getByRole("group", { name: "What do you need? (required)", exact: true }).waitFor();
  await form.locator("input[name=topics][value=Website]").check();
  await form.locator("input[name=topics][value=Branding]").check();
  await form.locator("input[name=start]").fill("2026-12-04");
  await page.screenshot({ path: "test-results/forms-finish/step-2-390.png" });

  // Send without the consent: refused here, at the field, before any request.
  const submits = [];
  page.on("request", (r) => r.url().endsWith("/form-submissions/submit") && submits.push(JSON.parse(r.postData())));
  await quickPerson();
  await form.locator(".lf-submit").click();
  await form.locator(".lf-error", { hasText: "is required" }).waitFor();
  assert.equal(await form.locator("input[name=privacy]").getAttribute("aria-invalid"), "true");
  assert.equal(submits.length, 0, "nothing sent");
  // A required multiselect left empty: its fieldset is invalid and described by the error.
  await form.locator("input[name=topics][value=Website]").uncheck();
  await form.locator("input[name=topics][value=Branding]").uncheck();
  await form.locator(".lf-submit").click();
  const group = form.locator("fieldset.lf-field");
  await waitUntil(async () => (await group.getAttribute("aria-invalid")) === "true", { message: "the group is invalid" });
  const described = await group.getAttribute("aria-describedby");
  assert.match(await form.locator(`[id="${described}"]`).textContent(), /is required/);
  assert.deepEqual(await axeViolations(page, "#leadform-widget"), [], "no axe-core violation on a step with a group, a consent and errors");
  await page.screenshot({ path: "test-results/forms-finish/step-2-errors-390.png" });
  await form.locator("input[name=topics][value=Website]").check();
  await form.locator("input[name=topics][value=Branding]").check();
  await form.locator("input[name=privacy]").check();
  await form.locator(".lf-submit").click();

  // The edge refuses the two-letter name (its minLength): the form goes back to step 1,
  // with the reason at the field.
  await form.locator(".lf-steps", { hasText: "Step 1 of 2" }).waitFor();
  await form.locator(".lf-error", { hasText: "must be at least 3 characters" }).waitFor();
  assert.equal(submits.length, 1);
  assert.deepEqual(submits[0].fieldsCompleted, ["full_name", "email", "topics", "start", "privacy"], "hidden fields are the page's, not filled in");
  await form.locator("input[name=full_name]").fill("Jane Steps");
  await form.locator(".lf-submit").click();
  await form.locator(".lf-steps", { hasText: "Step 2 of 2" }).waitFor();
  await form.locator(".lf-submit").click();
  await page.locator(".lf-success", { hasText: "we'll plan it with you" }).waitFor();

  const fromBrowser = (r) => r.url === "/project" && r.json?.formData?.full_name === "Jane Steps";
  await waitUntil(() => receiver.requests.some(fromBrowser), { message: "the webhook" });
  const hook = receiver.requests.find(fromBrowser);
  const data = hook.json.formData;
  assert.deepEqual(data.topics, ["Website", "Branding"]);
  assert.equal(data.start, "2026-12-04");
  assert.equal(data.privacy, true);
  assert.equal(data.full_name, "Jane Steps");
  assert.equal(data.email, "signed.in@example.com");
  assert.equal(data.campaign, "spring-launch", "a hidden field from the visit's landing utm_campaign, shown on its second page");
  assert.equal(data.plan, "pro", "a hidden field from identify, by its name");
  assert.ok(data.url.startsWith(site.url + "/"), `a hidden field is filled from identify by its name only: ${data.url}`);
  assert.equal(data.ignored, undefined, "what is not a field of the form is not sent");

  // identify(null) forgets the visitor; a later page of the tab no longer prefills.
  await page.evaluate(() => window.leadform.identify(null));
  await page.reload();
  await page.waitForFunction(() => window.leadform && window.leadform.identify);
  await page.evaluate(() => window.leadform.showForm("project_form")); // queued until the widget is ready
  const again = page.locator("form.lf-form[data-tool=project_form]");
  await again.waitFor();
  assert.equal(await again.locator("input[name=email]").inputValue(), "");
  await context.close();
});

test("in the browser: a signed-in visitor who only presses Send on the form the page filled in is a lead, not spam for being quick", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(site.url + "/");
  await page.waitForFunction(() => window.leadform && window.leadform.identify);
  await page.evaluate(() => window.leadform.identify({ email: "quick.signed.in@example.com", name: "Quick Signed In" }));
  await page.evaluate(() => window.leadform.showForm("contact_form"));
  const form = page.locator("form.lf-form[data-tool=contact_form]");
  await form.waitFor();
  assert.equal(await form.locator("input[name=email]").inputValue(), "quick.signed.in@example.com");
  // Send at a glance: nothing typed, well under the second a person needs to fill a field.
  await quickClick();
  await form.locator(".lf-submit").click();
  await page.locator(".lf-success").waitFor();
  const listed = await waitUntil(async () => {
    const res = await ownerRequest(stack, "GET", `/v1/agents/${DEMO_AGENT_ID}/submissions?toolId=tool_contact_form`);
    return res.json.submissions.find((s) => s.formData.email === "quick.signed.in@example.com");
  }, { message: "the submission is listed (the default list leaves spam out)" });
  const detail = (await ownerRequest(stack, "GET", `/v1/submissions/${listed.id}`)).json.submission;
  assert.equal(detail.spam, null, JSON.stringify(detail.spam));
  assert.match(detail.leadId ?? "", /^lead_/, "a lead was made");
  await context.close();
});

test("in the browser: a kept identity fills the next page of the tab, and the Back button returns to step 1", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: "dark" });
  const page = await context.newPage();
  await page.goto(site.url + "/");
  await page.waitForFunction(() => window.leadform && window.leadform.identify);
  await page.evaluate(() => window.leadform.identify({ email: "first@example.com", company: "First Co" }));
  // Another person signs in on the tab: what the page says now replaces the last.
  await page.evaluate(() => window.leadform.identify({ email: "kept@example.com" }));
  await page.goto(site.url + "/?page=2");
  await page.evaluate(() => window.leadform.showForm("project_form")); // queued until the widget is ready
  const form = page.locator("form.lf-form[data-tool=project_form]");
  await form.waitFor();
  assert.equal(await form.locator("input[name=email]").inputValue(), "kept@example.com");
  assert.equal(await page.evaluate(() => JSON.parse(sessionStorage.getItem("leadform:identity")).company), undefined, "nothing of the first person");
  await form.locator("input[name=full_name]").fill("Back Tester");
  await form.locator(".lf-submit").click();
  await form.locator(".lf-steps", { hasText: "Step 2 of 2" }).waitFor();
  await page.screenshot({ path: "test-results/forms-finish/step-2-1280-dark.png" });
  await form.getByRole("button", { name: "Back" }).click();
  await form.locator(".lf-steps", { hasText: "Step 1 of 2" }).waitFor();
  assert.equal(await form.locator("input[name=full_name]").inputValue(), "Back Tester", "what was typed stays");
  await context.close();
});

test("in the browser: a double-click on Next moves one step and sends nothing; one on Back moves one step back", async () => {
  const made = await ownerRequest(stack, "POST", `/v1/agents/${DEMO_AGENT_ID}/tools`, {
    body: {
      name: "three_steps",
      title: "Three steps",
      fields: [
        { name: "email", type: "email", required: true, step: "You" },
        { name: "company", step: "Company" },
        { name: "city", step: "Where" },
      ],
      executionMode: "store",
    },
  });
  assert.equal(made.status, 201, made.text);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const submits = [];
  page.on("request", (r) => r.url().endsWith("/form-submissions/submit") && submits.push(r));
  await page.goto(site.url + "/");
  await page.waitForFunction(() => window.leadform && window.leadform.identify);
  await page.evaluate(() => window.leadform.showForm("three_steps"));
  const form = page.locator("form.lf-form[data-tool=three_steps]");
  await form.waitFor();
  await form.locator("input[name=email]").fill("double@example.com");
  await form.locator(".lf-submit").dblclick();
  await form.locator(".lf-steps", { hasText: "Step 2 of 3" }).waitFor();
  await form.locator("input[name=company]").fill("Double Co");
  // Step 2's fields are optional: the second click would have skipped step 3 and sent.
  await form.locator(".lf-submit").dblclick();
  await form.locator(".lf-steps", { hasText: "Step 3 of 3" }).waitFor();
  assert.equal(await form.locator(".lf-submit").textContent(), "Send");
  await form.getByRole("button", { name: "Back" }).dblclick();
  await form.locator(".lf-steps", { hasText: "Step 2 of 3" }).waitFor();
  await form.locator(".lf-submit").click();
  await form.locator(".lf-steps", { hasText: "Step 3 of 3" }).waitFor();
  assert.equal(submits.length, 0, "nothing was sent on the way");
  await form.locator("input[name=city]").fill("Lyon");
  await form.locator(".lf-submit").click();
  await page.locator(".lf-success").waitFor();
  assert.equal(submits.length, 1);
  assert.deepEqual(JSON.parse(submits[0].postData()).formData, { email: "double@example.com", company: "Double Co", city: "Lyon" });
  await context.close();
});

test("in the browser: a file over 5 MB is refused at its own step, before the visitor goes on", async () => {
  const made = await ownerRequest(stack, "POST", `/v1/agents/${DEMO_AGENT_ID}/tools`, {
    body: {
      name: "brief_steps",
      title: "Send your brief",
      fields: [
        { name: "brief", label: "Your brief", type: "file", step: "The brief" },
        { name: "email", type: "email", required: true, step: "You" },
      ],
      executionMode: "store",
    },
  });
  assert.equal(made.status, 201, made.text);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(site.url + "/");
  await page.waitForFunction(() => window.leadform && window.leadform.identify);
  await page.evaluate(() => window.leadform.showForm("brief_steps"));
  const form = page.locator("form.lf-form[data-tool=brief_steps]");
  await form.waitFor();
  const brief = form.locator("input[name=brief]");
  await brief.setInputFiles({ name: "huge.pdf", mimeType: "application/pdf", buffer: Buffer.alloc(5 * 1024 * 1024 + 1, 0x25) });
  await form.locator(".lf-submit").click();
  await form.locator("input[name=brief][aria-invalid=true]").waitFor();
  assert.equal(await form.locator(".lf-error").first().textContent(), "huge.pdf is 5.1 MB; files can be at most 5 MB.");
  assert.equal(await form.locator(".lf-steps").textContent(), "Step 1 of 2: The brief", "still at the file's step");
  await brief.setInputFiles({ name: "brief.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.4 small") });
  await form.locator(".lf-submit").click();
  await form.locator(".lf-steps", { hasText: "Step 2 of 2" }).waitFor();
  await context.close();
});

test("in the browser: a chat goes on over the tab's pages with whoever it was had with, and starts anew when another person signs in", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const chatOn = async (url) => {
    await page.goto(url);
    await page.waitForFunction(() => window.leadform && window.leadform.identify);
    await page.locator(".lf-bubble").click();
    await page.locator(".lf-agent").first().waitFor();
  };
  // A message, and the agent's answer to it: by then the edge has it in the conversation.
  const say = async (text) => {
    const answers = await page.locator(".lf-agent").count();
    await page.locator(".lf-input").fill(text);
    await page.locator(".lf-input").press("Enter");
    await waitUntil(async () => (await page.locator(".lf-agent").count()) > answers, { message: `the answer to ${text}` });
  };
  const said = (text) => page.locator(".lf-visitor", { hasText: text });
  // Before signing in: a question, then Ann signs in; the chat goes on with her.
  await chatOn(site.url + "/");
  await say("What does the pro plan cost?");
  await page.evaluate(() => window.leadform.identify({ email: "ann@example.com", name: "Ann" }));
  await chatOn(site.url + "/?page=2");
  await said("pro plan").waitFor();
  await say("My account number is 4417");
  // Ann again, saying more of herself, her email in capitals: the same person, the same chat.
  await page.evaluate(() => window.leadform.identify({ plan: "pro", email: "ANN@example.com", name: "Ann" }));
  await chatOn(site.url + "/?page=3");
  await said("4417").waitFor();
  // Ann signs out and Bea signs in on the same tab: Bea's chat is her own.
  await page.evaluate(() => {
    window.leadform.identify(null);
    window.leadform.identify({ email: "bea@example.com" });
  });
  await chatOn(site.url + "/?page=4");
  // Bea writes; the agent's answer comes once the chat has started (or resumed).
  await say("Hello, Bea here");
  assert.deepEqual(await page.locator(".lf-visitor").allTextContents(), ["Hello, Bea here"], "nothing of Ann's chat");
  // A site that names people by a numeric id (`identify({id: 42})`) has them told apart too.
  const signIn = (id) => page.evaluate((id) => (window.leadform.identify(null), window.leadform.identify({ id })), id);
  await signIn(42);
  await chatOn(site.url + "/?page=5");
  await say("Forty-two here");
  await signIn(43);
  await chatOn(site.url + "/?page=6");
  await say("Forty-three here");
  assert.deepEqual(await page.locator(".lf-visitor").allTextContents(), ["Forty-three here"], "nothing of 42's chat");
  await context.close();
});

test("in the browser: a date that does not exist, typed in, is refused at its field and nothing is sent", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(site.url + "/");
  await page.waitForFunction(() => window.leadform && window.leadform.identify);
  await page.evaluate(() => {
    window.leadform.identify({ email: "dates@example.com", name: "Dee Date" });
    window.leadform.showForm("project_form");
  });
  const form = page.locator("form.lf-form[data-tool=project_form]");
  await form.locator("input[name=full_name]").waitFor();
  await form.locator(".lf-submit").click();
  await form.locator(".lf-steps", { hasText: "Step 2 of 2" }).waitFor();
  await form.locator("input[name=topics][value=App]").check();
  await form.locator("input[name=privacy]").check();
  // 30 February, typed into the browser's date field: its value is "" (badInput), which
  // must not pass for a date left empty.
  await form.locator("input[name=start]").focus();
  await page.keyboard.type("02302026");
  assert.equal(await form.locator("input[name=start]").inputValue(), "");
  const submits = [];
  page.on("request", (r) => r.url().endsWith("/form-submissions/submit") && submits.push(r));
  await quickPerson();
  await form.locator(".lf-submit").click();
  await form.locator(".lf-error", { hasText: "Start date must be a date" }).waitFor();
  assert.equal(await form.locator("input[name=start]").getAttribute("aria-invalid"), "true");
  assert.equal(await page.evaluate(() => document.querySelector("#leadform-widget").shadowRoot.activeElement?.name), "start");
  assert.equal(submits.length, 0, "nothing sent");
  // A number the browser cannot read ("1e") is refused the same way, not dropped.
  await form.locator("input[name=start]").fill("2026-03-02");
  await form.locator("input[name=team]").focus();
  await page.keyboard.type("1e");
  await form.locator(".lf-submit").click();
  await form.locator(".lf-error", { hasText: "Team size must be a number" }).waitFor();
  assert.equal(await form.locator("input[name=team]").getAttribute("aria-invalid"), "true");
  assert.equal(submits.length, 0, "nothing sent");
  // A real date and number go through.
  await form.locator("input[name=team]").fill("12");
  await form.locator(".lf-submit").click();
  await page.locator(".lf-success").waitFor();
  assert.equal(JSON.parse(submits[0].postData()).formData.team, "12");
  await context.close();
});

test("the dashboard's form editor shows and saves a row's step and its link or source, with an error at its input", async () => {
  const cookie = await signInCookie(stack);
  const page = async () => (await fetch(`${stack.url}/dashboard/settings/forms/${toolId}`, { headers: { Cookie: cookie } })).text();
  const html = await page();
  assert.match(html, /name="fields\[2\]\.step" value="Your project"/);
  assert.match(html, /name="fields\[4\]\.detail" value="https:\/\/acme.example\/privacy"/);
  assert.match(html, /name="fields\[5\]\.detail" value="utm_campaign"/);
  // Post the page back as it is, with the hidden field's source changed: once to a source
  // that does not exist (refused at its input), then to another query parameter.
  const unescape = (text) => text.replace(/&#x2f;/gi, "/").replaceAll("&quot;", '"').replaceAll("&#x27;", "'").replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");
  const form = {};
  for (const [, tag, attrs, content] of html.matchAll(/<(input|textarea)([^>]*)>(?:([^<]*)<\/textarea>)?/g)) {
    const attr = Object.fromEntries([...attrs.matchAll(/([\w\-\[\].]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (!attr.name || attr.type === "checkbox") continue;
    form[attr.name] = unescape(tag === "textarea" ? content ?? "" : attr.value ?? "");
  }
  for (const [i, f] of PROJECT_FORM("").fields.entries()) {
    form[`fields[${i}].type`] = f.type ?? "text";
    if (f.required) form[`fields[${i}].required`] = "on";
  }
  form.executionMode = "webhook";
  const post = (fields) =>
    fetch(`${stack.url}/dashboard/settings/forms/${toolId}`, {
      method: "POST",
      headers: { Cookie: cookie, "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
      redirect: "manual",
    });
  const refused = await post({ ...form, "fields[5].detail": "cookie:session" });
  assert.equal(refused.status, 400, (await refused.clone().text()).slice(0, 300));
  assert.match(await refused.text(), /name="fields\[5\]\.detail" value="cookie:session" aria-invalid="true" aria-describedby="f5-error"/);
  const saved = await post({ ...form, "fields[5].detail": "query:gclid" });
  assert.equal(saved.status, 303);
  const tool = (await ownerRequest(stack, "GET", `/v1/tools/${toolId}`)).json;
  const fields = (tool.tool ?? tool).fields;
  assert.equal(fields.find((f) => f.name === "campaign").from, "query:gclid");
  assert.equal(fields.find((f) => f.name === "privacy").link, "https://acme.example/privacy");
  assert.equal(fields.find((f) => f.name === "topics").step, "Your project");
});
