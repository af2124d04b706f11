// An owner pauses a form (`enabled: false`) and deletes one, on the real local runtime: a
// paused form leaves the widget config and the agent's replies but still takes the displays
// the edge already showed; a deleted one is gone for visitors and the API, while what it
// took in (leads, submissions, a delivery under way) stays, and its name is free again.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startStack, startReceiver, contactForm, seedSubmit, postJson, ownerRequest, asOwner, rememberConversation, conversationHeaders } from "./support/stack.mjs";

const SITE = "https://shop.example";
const AGENT = "agent_life";
let stack, receiver;
// The receiver fails the first delivery it gets when this is set: a retry is under way.
let failNext = false;

before(async () => {
  stack = await startStack();
  receiver = await startReceiver({
    respond: () => {
      if (!failNext) return 200;
      failNext = false;
      return 503;
    },
  });
  const made = await ownerRequest(stack, "POST", "/v1/agents", { body: { id: AGENT, name: "Life", allowedOrigins: [SITE] } });
  assert.equal(made.status, 201, made.text);
});

after(async () => {
  await receiver?.stop();
  await stack?.stop();
});

const makeForm = async (overrides) => {
  const res = await ownerRequest(stack, "POST", `/v1/agents/${AGENT}/tools`, { body: contactForm(receiver.url + "/hook", overrides) });
  assert.equal(res.status, 201, res.text);
  return res.json;
};
const patch = (id, body) => ownerRequest(stack, "PATCH", `/v1/tools/${id}`, { body });
const config = async () => {
  const res = await fetch(`${stack.url}/widget/config?agentId=${AGENT}`, { headers: { Origin: SITE } });
  assert.equal(res.status, 200);
  return res.json();
};
const offeredIds = async () => (await config()).forms.map((f) => f.toolId);
const submit = (body, headers = {}) => postJson(`${stack.url}/form-submissions/submit`, body, headers);
const person = (n) => ({ name: `Person ${n}`, email: `person${n}@example.com`, message: "Hello" });

/** A new conversation, and a message in it: the form the agent's reply shows, if any. */
async function formOffered() {
  const started = rememberConversation(await postJson(`${stack.url}/conversations`, { agentId: AGENT }, { Origin: SITE }));
  assert.equal(started.status, 201, started.text);
  const id = started.json.conversationId;
  const said = await postJson(`${stack.url}/conversations/${id}/messages`, { text: "Can someone contact me?" }, conversationHeaders(id, { Origin: SITE }));
  assert.equal(said.status, 200, said.text);
  return said.json.messages.find((m) => m.form)?.form.toolId ?? null;
}

test("a paused form leaves the widget and the agent, takes only displays already shown, and comes back when resumed", async () => {
  // The visitor below fills the form within a second of the page's load: no spam check here.
  const form = await makeForm({ id: "tool_life_paused", name: "contact_form", spamThreshold: 1000 });
  assert.equal(form.enabled, true, "a form is offered unless paused");
  // A visitor's page loaded before the pause: its display token.
  const open = await config();
  assert.ok(open.forms.some((f) => f.toolId === form.id));
  assert.equal(await formOffered(), form.id);
  // A server's submission taken before the pause, whose answer its sender did not get.
  const early = seedSubmit({ toolId: form.id, formData: person(0), idempotencyKey: "server_retry_0" });
  const taken = await submit(early);
  assert.equal(taken.status, 200, taken.text);

  const paused = await patch(form.id, { enabled: false });
  assert.equal(paused.status, 200, paused.text);
  assert.equal(paused.json.enabled, false);
  assert.equal(paused.json.title, "Talk to us", "pausing changes nothing else");
  assert.equal((await ownerRequest(stack, "GET", `/v1/tools/${form.id}`)).json.enabled, false);
  assert.ok((await ownerRequest(stack, "GET", `/v1/agents/${AGENT}/tools`)).json.some((t) => t.id === form.id && !t.enabled), "still listed for its owner");

  assert.deepEqual(await offeredIds(), [], "not in the widget config");
  assert.equal(await formOffered(), null, "the agent no longer offers it");

  // seed 002's call (a server, no display): refused, naming the form's id.
  const refused = await submit(seedSubmit({ toolId: form.id, formData: person(1) }));
  assert.equal(refused.status, 409, refused.text);
  assert.equal(refused.json.success, false);
  assert.equal(refused.json.error.code, "form_paused");
  assert.equal(refused.json.error.field, "toolId");
  // The owner's own server is no exception: the owner paused it.
  assert.equal((await submit(seedSubmit({ toolId: form.id, formData: person(2) }), asOwner(stack))).status, 409);

  // The visitor who had it open sends it: taken, and delivered.
  const before = receiver.requests.length;
  const shown = await submit(
    { toolId: form.id, formData: person(3), fieldsCompleted: ["name", "email", "message"], displayToken: open.displayToken, idempotencyKey: "disp_life_open", startedAt: Date.now() - 20_000 },
    { Origin: SITE }
  );
  assert.equal(shown.status, 200, shown.text);
  await receiver.waitFor(before + 1);
  assert.equal(receiver.requests.at(-1).json.formData.email, "person3@example.com");
  // A made-up token is no display the edge showed, and a token fetched after the pause
  // (anyone may load the config) shows nothing of this form.
  const forged = await submit({ toolId: form.id, formData: person(4), fieldsCompleted: [], displayToken: "1.2.3" }, { Origin: SITE });
  assert.equal(forged.status, 409, forged.text);
  const late = (await config()).displayToken;
  const afterPause = await submit({ toolId: form.id, formData: person(6), fieldsCompleted: [], displayToken: late }, { Origin: SITE });
  assert.equal(afterPause.status, 409, afterPause.text);
  assert.equal(afterPause.json.error.code, "form_paused");
  // The sender that lost its answer and sends again hears the first answer, not a refusal.
  const again = await submit(early);
  assert.equal(again.status, 200, again.text);
  assert.equal(again.json.submissionId, taken.json.submissionId);

  const wrong = await patch(form.id, { enabled: "no" });
  assert.equal(wrong.status, 400, wrong.text);
  assert.equal(wrong.json.error.field, "enabled");

  const resumed = await patch(form.id, { enabled: true });
  assert.equal(resumed.status, 200, resumed.text);
  assert.deepEqual(await offeredIds(), [form.id]);
  assert.equal(await formOffered(), form.id);
  assert.equal((await submit(seedSubmit({ toolId: form.id, formData: person(5) }))).status, 200);
  assert.equal((await ownerRequest(stack, "DELETE", `/v1/tools/${form.id}`)).status, 204);
});

test("a deleted form is gone for visitors and the API; its leads stay, a delivery under way still arrives, its name is free", async () => {
  const form = await makeForm({ id: "tool_life_gone", name: "contact_form", retrySchedule: [0, 1] });
  const token = (await config()).displayToken;
  // Accepted before the delete; its first attempt fails, the retry is due after it.
  failNext = true;
  const before = receiver.requests.length;
  const body = seedSubmit({ toolId: form.id, formData: person(10), idempotencyKey: "server_retry_10" });
  const accepted = await submit(body, asOwner(stack));
  assert.equal(accepted.status, 200, accepted.text);
  const { submissionId, leadId } = accepted.json;
  await receiver.waitFor(before + 1);

  const deleted = await ownerRequest(stack, "DELETE", `/v1/tools/${form.id}`);
  assert.equal(deleted.status, 204, deleted.text);
  assert.equal((await ownerRequest(stack, "DELETE", `/v1/tools/${form.id}`)).status, 404, "deleted once");
  // A change that comes after the delete does not bring it back.
  assert.equal((await patch(form.id, { title: "Still here?" })).status, 404);
  // Its sender, sending again what was taken, hears the first answer.
  const repeated = await submit(body, asOwner(stack));
  assert.equal(repeated.status, 200, repeated.text);
  assert.equal(repeated.json.submissionId, submissionId);

  // The retry still goes out, to the form's URL, signed: nothing accepted is lost.
  await receiver.waitFor(before + 2);
  assert.equal(receiver.requests.at(-1).json.submissionId, submissionId);
  await stack.waitForStatus(submissionId, ["webhook_success"]);

  // Gone for the API.
  for (const [method, route] of [["GET", ""], ["PATCH", ""], ["GET", "/secret"], ["POST", "/secret/rotate"], ["POST", "/test"]]) {
    const res = await ownerRequest(stack, method, `/v1/tools/${form.id}${route}`, { body: method === "GET" ? undefined : {} });
    assert.equal(res.status, 404, `${method} ${route}: ${res.text}`);
    assert.equal(res.json.error.code, "tool_not_found");
  }
  assert.ok(!(await ownerRequest(stack, "GET", `/v1/agents/${AGENT}/tools`)).json.some((t) => t.id === form.id));
  // Gone for visitors: not offered, no submission with or without a display, no events.
  assert.deepEqual(await offeredIds(), []);
  assert.equal(await formOffered(), null);
  for (const [body, headers] of [
    [seedSubmit({ toolId: form.id, formData: person(11) }), {}],
    [{ toolId: form.id, formData: person(12), fieldsCompleted: [], displayToken: token }, { Origin: SITE }],
  ]) {
    const res = await submit(body, headers);
    assert.equal(res.status, 404, res.text);
    assert.equal(res.json.error.code, "tool_not_found");
  }
  const event = await postJson(`${stack.url}/form-submissions/events`, { toolId: form.id, displayId: "disp_life_gone", type: "impression", displayToken: token }, { Origin: SITE });
  assert.equal(event.status, 404, event.text);
  const analytics = await ownerRequest(stack, "GET", `/form-submissions/analytics?agentId=${AGENT}`);
  assert.ok(!analytics.json.analytics.some((a) => a.toolId === form.id));

  // What it took in stays.
  const lead = await ownerRequest(stack, "GET", `/v1/leads/${leadId}`);
  assert.equal(lead.status, 200, lead.text);
  assert.deepEqual(lead.json.submissions.map((s) => [s.id, s.toolId]), [[submissionId, form.id]]);
  assert.equal((await ownerRequest(stack, "GET", `/v1/submissions/${submissionId}`)).status, 200);

  // Its name is free for a new form; its id, named again, brings it back.
  const again = await makeForm({ id: "tool_life_new", name: "contact_form" });
  assert.deepEqual(await offeredIds(), [again.id]);
  const clash = await ownerRequest(stack, "POST", `/v1/agents/${AGENT}/tools`, { body: contactForm(receiver.url + "/hook", { id: form.id, name: "contact_form" }) });
  assert.equal(clash.status, 400, clash.text);
  assert.equal(clash.json.error.field, "name", "the name is the new form's now");
  await makeForm({ id: form.id, name: "contact_form_old" });
  assert.deepEqual(await offeredIds(), [form.id, again.id]);
  assert.equal((await submit(seedSubmit({ toolId: form.id, formData: person(13) }))).status, 200);
});
