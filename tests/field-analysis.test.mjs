// Field analysis (seed 000: which fields "cause drop-offs" and "take longest to fill"):
// the widget reports the time spent in each field with a submission, and the last field
// touched when a started form is dismissed or its page left; analytics returns
// `fieldTimeMs` (median per field) and `dropOffByField`, from counters kept at write time.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { postJson, ownerRequest, waitUntil, quickPerson, signInCookie } from "./support/stack.mjs";
import { startDemo } from "./support/demo.mjs";
import { DEMO_AGENT_ID } from "../demo-site/seed.mjs";

let demo, stack, receiver, site, browser, toolId;

before(async () => {
  ({ stack, receiver, site, browser } = demo = await startDemo());
  toolId = demo.tool.id;
});

after(() => demo?.stop());

const analytics = async () =>
  (await ownerRequest(stack, "GET", `/form-submissions/analytics?agentId=${DEMO_AGENT_ID}`)).json.analytics.find((a) => a.toolId === toolId);
const token = async () => (await (await fetch(`${stack.url}/widget/config?agentId=${DEMO_AGENT_ID}`, { headers: { Origin: site.url } })).json()).displayToken;
const event = (body) => postJson(`${stack.url}/form-submissions/events`, body, { Origin: site.url });

test("the API: times per field give medians, a started form left unsent counts once at its last field, reports that name no field of the form are left out", async () => {
  const before = await analytics();
  assert.deepEqual(before.fieldTimeMs, {});
  assert.deepEqual(before.dropOffByField, { name: 0, email: 0, message: 0 });
  // Three submissions: the email takes 20 s twice and 3 s once; the name 1.5 s each time.
  for (const [i, emailMs] of [20_000, 20_000, 3_000].entries()) {
    const res = await postJson(`${stack.url}/form-submissions/submit`, {
      toolId,
      formData: { name: `Timed ${i}`, email: `timed${i}@example.com` },
      fieldsCompleted: ["name", "email"],
      fieldTimeMs: { name: 1_500, email: emailMs },
    });
    assert.equal(res.status, 200, res.text);
  }
  const timed = await analytics();
  assert.deepEqual(timed.fieldTimeMs, { name: 1_500, email: 22_500 }, "the median's bucket middle: 1-2 s, 15-30 s");

  // Analytics-only data never refuses a lead: what is not a time of one of the form's fields
  // (a field removed while the page was open, a bad value) is left out.
  for (const [i, [fieldTimeMs, why]] of [[{ fax: 5 }, "not a field"], [{ name: -3 }, "negative"], [{ name: "5s" }, "not a number"], [[1, 2], "not an object"]].entries()) {
    const res = await postJson(`${stack.url}/form-submissions/submit`, { toolId, formData: { name: "X", email: `x${i}@example.com` }, fieldsCompleted: ["name", "email"], fieldTimeMs });
    assert.equal(res.status, 200, `${why}: ${res.text}`);
  }
  assert.deepEqual((await analytics()).fieldTimeMs, timed.fieldTimeMs, "nothing of them counted");

  const displayToken = await token();
  assert.equal((await event({ toolId, displayId: "disp_a", type: "start", displayToken })).status, 202);
  assert.equal((await event({ toolId, displayId: "disp_a", type: "dismiss", displayToken, lastField: "email" })).status, 202);
  // The same display left afterwards, and a repeated leave: still one drop-off.
  assert.equal((await event({ toolId, displayId: "disp_a", type: "leave", displayToken, lastField: "email" })).status, 202);
  assert.equal((await event({ toolId, displayId: "disp_b", type: "start", displayToken })).status, 202);
  assert.equal((await event({ toolId, displayId: "disp_b", type: "leave", displayToken, lastField: "message" })).status, 202);
  assert.equal((await event({ toolId, displayId: "disp_b", type: "leave", displayToken, lastField: "message" })).status, 202);
  // A display never started (a field only clicked into, then "Not now") is no drop-off:
  // `dropOffByField` splits started forms left unsent.
  assert.equal((await event({ toolId, displayId: "disp_e", type: "impression", displayToken })).status, 202);
  assert.equal((await event({ toolId, displayId: "disp_e", type: "dismiss", displayToken, lastField: "name" })).status, 202);
  // A leave is sent only for a started form: one whose start request the leaving page cut
  // off is started, shown and dropped at its field all the same.
  const beforeLeave = await analytics();
  assert.equal((await event({ toolId, displayId: "disp_f", type: "leave", displayToken, lastField: "name" })).status, 202);
  const left = await analytics();
  assert.deepEqual([left.impressions - beforeLeave.impressions, left.started - beforeLeave.started, left.dropOff - beforeLeave.dropOff], [1, 1, 1]);
  const unknown = await event({ toolId, displayId: "disp_c", type: "leave", displayToken, lastField: "password" });
  assert.equal(unknown.status, 202, "a field the form does not have blames no field");
  const forged = await event({ toolId, displayId: "disp_d", type: "leave", displayToken: "forged", lastField: "name" });
  assert.equal(forged.status, 400);
  assert.equal(forged.json.error.field, "displayToken");
  const after = await analytics();
  assert.deepEqual(after.dropOffByField, { name: 1, email: 1, message: 1 });
  assert.equal(after.dismissed - before.dismissed, 2, "a leave is no dismissal");

  // The owner's analytics page shows the same figures per field.
  const cookie = await signInCookie(stack);
  const html = await (await fetch(`${stack.url}/dashboard/analytics?agent=${DEMO_AGENT_ID}`, { headers: { Cookie: cookie } })).text();
  assert.match(html, /<th scope="row" data-label="Field">email<\/th><td data-label="Median time">22\.5 s<\/td><td data-label="Drop-offs">1<\/td>/);
  assert.match(html, /<th scope="row" data-label="Field">message<\/th><td data-label="Median time">–<\/td><td data-label="Drop-offs">1<\/td>/);
});

test("in the browser: the widget times each field it fills, and a visitor who leaves mid-form is counted at the field they stopped", async () => {
  const before = await analytics();
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(site.url + "/");
  await page.evaluate(() => window.leadform.showForm("contact_form"));
  const form = page.locator("form.lf-form[data-tool=contact_form]");
  await form.locator("input[name=name]").fill("Field Timer");
  await form.locator("input[name=email]").fill("field.timer@example.com");
  await quickPerson();
  const submitted = page.waitForRequest((r) => r.url().endsWith("/form-submissions/submit"));
  await form.locator(".lf-submit").click();
  const body = JSON.parse((await submitted).postData());
  assert.deepEqual(Object.keys(body.fieldTimeMs).sort(), ["email", "name"]);
  assert.ok(body.fieldTimeMs.email >= 1_000, `the email field held focus through the pause (${body.fieldTimeMs.email} ms)`);
  await page.locator(".lf-success").waitFor();
  await waitUntil(async () => Object.keys((await analytics()).fieldTimeMs).includes("name"), { message: "name timed" });

  // A second display: the visitor types in the name, then leaves for another site.
  await page.evaluate(() => window.leadform.showForm("contact_form"));
  const second = page.locator("form.lf-form[data-tool=contact_form]").last();
  await second.locator("input[name=name]").fill("Gone Soon");
  await page.goto("about:blank");
  await waitUntil(async () => (await analytics()).dropOffByField.name > before.dropOffByField.name, {
    message: "the drop-off at the name field",
  });
  await context.close();
});
