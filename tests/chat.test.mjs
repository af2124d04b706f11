// The conversation as a visitor has it, in Chromium on the demo page: the edge decides
// when the form appears (here an `afterMessages: 3` rule), a dismissed form stays away for
// its cooldown, the conversation goes on across page loads of the visit, and the owner
// reads the whole transcript through the API.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ownerRequest, quickPerson, waitUntil } from "./support/stack.mjs";
import { startDemo } from "./support/demo.mjs";
import { DEMO_AGENT_ID } from "../demo-site/seed.mjs";

let demo, stack, receiver, site, browser;

before(async () => {
  ({ stack, receiver, site, browser } = demo = await startDemo());
  // Only the rules decide here: no trigger words, the form on the third message, and two
  // more messages of quiet after a dismissal.
  const patched = await ownerRequest(stack, "PATCH", `/v1/tools/${demo.tool.id}`, {
    body: { triggers: ["zzz-never"], rules: { afterMessages: 3, cooldownAfterDismissMessages: 2 } },
  });
  assert.equal(patched.status, 200, patched.text);
});

after(() => demo?.stop());

async function send(page, text) {
  const before = await page.locator(".lf-agent").count();
  await page.locator(".lf-input").fill(text);
  await page.locator(".lf-send").click();
  await page.waitForFunction(
    (n) => document.querySelector("#leadform-widget").shadowRoot.querySelectorAll(".lf-agent").length > n,
    before
  );
}

test("the form appears on the third message, stays away during its cooldown, and the visit keeps the conversation", async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(site.url + "/");
  await page.locator(".lf-bubble").click();
  await page.locator(".lf-agent").first().waitFor();

  await send(page, "Hi, what does Acme do?");
  await send(page, "Do you integrate with Slack?");
  assert.equal(await page.locator(".lf-form").count(), 0, "not before the third message");
  await send(page, "Sounds good");
  await page.locator("form.lf-form[data-tool=contact_form]").waitFor();

  // Not now: the form goes, and the next message (still in the cooldown) does not bring it back.
  await page.locator(".lf-dismiss").click();
  const formsAfterDismiss = await page.locator(".lf-form").count();
  await send(page, "One more question about pricing");
  assert.equal(await page.locator(".lf-form").count(), formsAfterDismiss, "no new form during the cooldown");

  // The visit's next page goes on with the same conversation.
  await page.goto(site.url + "/?page=2");
  await page.locator(".lf-bubble").click();
  await page.locator(".lf-visitor", { hasText: "Do you integrate with Slack?" }).waitFor();
  const texts = await page.locator(".lf-msg").allTextContents();
  assert.equal(texts.filter((t) => t.startsWith("Hi! I'm the Acme assistant")).length, 1, "the greeting once");

  // The owner reads it all, in order, with the form shown and dismissed.
  const list = await ownerRequest(stack, "GET", `/v1/agents/${DEMO_AGENT_ID}/conversations`);
  assert.equal(list.json.conversations.length, 1, "one conversation for the whole visit");
  const detail = await ownerRequest(stack, "GET", `/v1/conversations/${list.json.conversations[0].id}`);
  const kinds = detail.json.turns.map((t) => `${t.role}:${t.kind}`);
  assert.deepEqual(kinds, [
    "agent:message",
    "visitor:message", "agent:message",
    "visitor:message", "agent:message",
    "visitor:message", "agent:message", "agent:form_shown",
    "visitor:form_dismissed",
    "visitor:message", "agent:message",
  ]);
  assert.equal(detail.json.turns.find((t) => t.kind === "form_shown").reason, "after_messages");

  // A conversation kept without its token (by a widget from before tokens) is not read by
  // its id alone: the next page starts a new one, and nothing breaks.
  const key = "leadform:conversation:" + DEMO_AGENT_ID;
  const [id] = (await page.evaluate((k) => sessionStorage.getItem(k), key)).split("\n");
  await page.evaluate(([k, v]) => sessionStorage.setItem(k, v), [key, id + "\n"]);
  await page.goto(site.url + "/?page=3");
  await page.locator(".lf-bubble").click();
  await page.locator(".lf-agent").first().waitFor();
  await waitUntil(async () => (await page.evaluate((k) => sessionStorage.getItem(k), key)).split("\n")[0] !== id, { message: "a new conversation" });
  assert.equal(await page.locator(".lf-visitor").count(), 0, "the old one's messages are not shown");
  assert.deepEqual(errors, []);
  await page.close();
});

test("qualification in the chat: quick replies below the threshold show no form, above it the form comes and the lead keeps the score", async () => {
  const tool = (await ownerRequest(stack, "GET", `/v1/agents/${DEMO_AGENT_ID}/tools`)).json[0];
  const patched = await ownerRequest(stack, "PATCH", `/v1/tools/${tool.id}`, {
    body: {
      triggers: [],
      rules: {},
      qualification: {
        questions: [{ key: "team", text: "How big is your team?", options: [{ label: "Just me" }, { label: "2-50", points: 20 }, { label: "More than 50", points: 40 }] }],
        threshold: 20,
        belowThresholdMessage: "Thanks! Our free plan fits you best.",
      },
    },
  });
  assert.equal(patched.status, 200, patched.text);
  const choose = async (page, label) => {
    const before = await page.locator(".lf-agent").count();
    await page.locator(".lf-choices .lf-chip", { hasText: label }).click();
    await page.waitForFunction(
      (n) => document.querySelector("#leadform-widget").shadowRoot.querySelectorAll(".lf-agent").length > n,
      before
    );
  };

  // A visitor on their own: one tap on "Just me", no form.
  const solo = await browser.newPage();
  await solo.goto(site.url + "/");
  await solo.locator(".lf-bubble").click();
  await solo.locator(".lf-agent").first().waitFor();
  await send(solo, "Can someone contact me?");
  await solo.locator(".lf-agent", { hasText: "How big is your team?" }).waitFor();
  assert.deepEqual(await solo.locator(".lf-choices .lf-chip").allTextContents(), ["Just me", "2-50", "More than 50"]);
  await solo.screenshot({ path: "test-results/chat-question.png" });
  await choose(solo, "Just me");
  await solo.locator(".lf-agent", { hasText: "Our free plan fits you best" }).waitFor();
  assert.equal(await solo.locator(".lf-choices").count(), 0, "the choices go once answered");
  assert.equal(await solo.locator(".lf-form").count(), 0, "below the threshold: no form");
  await solo.close();

  // A team: "2-50" reaches the threshold, the form comes, the lead keeps the score.
  const team = await browser.newPage();
  await team.goto(site.url + "/");
  await team.locator(".lf-bubble").click();
  await team.locator(".lf-agent").first().waitFor();
  await send(team, "I want a demo");
  await choose(team, "2-50");
  const form = team.locator("form.lf-form[data-tool=contact_form]");
  await form.waitFor();
  await team.screenshot({ path: "test-results/chat-qualified.png" });
  await form.locator("input[name=name]").fill("Team Lead");
  await form.locator("input[name=email]").fill("team@lead.example");
  await form.locator("textarea[name=message]").fill("A demo for 20 people");
  await quickPerson();
  await form.locator(".lf-submit").click();
  await team.locator(".lf-success").waitFor();
  const leads = await ownerRequest(stack, "GET", `/v1/agents/${DEMO_AGENT_ID}/leads?q=team%40lead.example`);
  const lead = leads.json.leads.find((l) => l.email === "team@lead.example");
  assert.equal(lead.score, 20);
  assert.deepEqual(lead.qualification.answers.map((a) => [a.key, a.answer]), [["team", "2-50"]]);
  await team.close();
});

/**
 * With the rules of the first test (the form on the third message), `page` chats until the
 * form is offered, leaves it unfinished and goes to the visit's next page.
 */
async function leaveFormForNextPage(page, messages) {
  const patched = await ownerRequest(stack, "PATCH", `/v1/tools/${demo.tool.id}`, {
    body: { triggers: ["zzz-never"], rules: { afterMessages: 3 }, qualification: null },
  });
  assert.equal(patched.status, 200, patched.text);
  await page.goto(site.url + "/");
  await page.locator(".lf-bubble").click();
  await page.locator(".lf-agent").first().waitFor();
  for (const text of messages) await send(page, text);
  await page.locator("form.lf-form[data-tool=contact_form]").waitFor();
  await page.goto(site.url + "/?page=2");
}

test("the page's showForm on the visit's next page, as the chat brings back the form it offered, shows that form once", async () => {
  const context = await browser.newContext();
  await context.addInitScript(() => document.addEventListener("leadform:ready", () => (window.__ready = true)));
  const page = await context.newPage();
  // On the next page the page's own button asks for the same form, while the chat goes on
  // with the visit's conversation, which brings the offered form back.
  await leaveFormForNextPage(page, ["Hello there", "What about integrations?", "Sounds good"]);
  await page.waitForFunction(() => window.__ready === true);
  await page.evaluate(() => window.leadform.showForm("contact_form"));
  await page.locator(".lf-visitor", { hasText: "Sounds good" }).waitFor();
  await page.locator("form.lf-form[data-tool=contact_form]").first().waitFor();
  assert.equal(await page.locator("form.lf-form[data-tool=contact_form]").count(), 1, "one form");
  await context.close();
});

test("on the visit's next page a form brought back with the conversation leaves the focus in the message field", async () => {
  const page = await browser.newPage();
  await leaveFormForNextPage(page, ["Good morning", "Do you have an API?", "Great"]);
  await page.locator(".lf-bubble").click();
  await page.locator("form.lf-form[data-tool=contact_form]").waitFor();
  const focused = () => page.evaluate(() => document.querySelector("#leadform-widget").shadowRoot.activeElement?.className);
  assert.equal(await focused(), "lf-input", "the visitor may already be typing there");
  await page.close();
});

test("a page with a very long address and a fragment still has its chat: the widget names it as the edge takes it", async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  const starts = [];
  page.on("request", (r) => r.url().endsWith("/conversations") && r.method() === "POST" && starts.push(r.postDataJSON()));
  // Long tracking parameters, and a single-page app's state in the fragment.
  await page.goto(`${site.url}/?gclid=${"a".repeat(2_100)}#/checkout/step-2`);
  await page.locator(".lf-bubble").click();
  await page.locator(".lf-agent").first().waitFor();
  await send(page, "Do you ship abroad?");
  assert.equal(starts.length, 1);
  assert.equal(starts[0].page.length, 2_000);
  assert.ok(starts[0].page.startsWith(`${site.url}/?gclid=aaa`) && !starts[0].page.includes("#"), starts[0].page.slice(0, 40));
  assert.equal(await page.locator(".lf-visitor").count(), 1);
  assert.deepEqual(errors, []);
  await page.close();
});
