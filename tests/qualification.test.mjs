// Qualification before a form (seed 000), routing on it, seed 003's `collect_leads` config
// as written, and the lead's summary written by the LLM: against the real local runtime,
// with receivers and a chat-completions server on 127.0.0.1.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startStack, startReceiver, contactForm, postJson, ownerRequest, waitUntil, signInCookie, asOwner, rememberConversation, conversationHeaders } from "./support/stack.mjs";
import { startLlm, completion, showForm } from "./support/llm.mjs";

const SITE = "https://shop.example";
let stack, receiver;

before(async () => {
  stack = await startStack();
  receiver = await startReceiver();
});

after(async () => {
  await receiver?.stop();
  await stack?.stop();
});

const call = (url, body, origin = SITE) => postJson(url, body, origin ? { Origin: origin } : {});
// A submit from a page of the site, with the owner's key: its answer names the lead.
const submitAsOwner = (s, body) => postJson(`${s.url}/form-submissions/submit`, body, asOwner(s, { Origin: SITE }));
const start = async (url, agentId) => rememberConversation(await call(`${url}/conversations`, { agentId, page: `${SITE}/pricing` }));
const say = async (url, id, text) => {
  const res = await postJson(`${url}/conversations/${id}/messages`, { text }, conversationHeaders(id, { Origin: SITE }));
  assert.equal(res.status, 200, res.text);
  return res.json.messages;
};

const QUALIFICATION = {
  questions: [
    {
      key: "team",
      text: "How big is your team?",
      options: [
        { label: "Just me", points: 0 },
        { label: "2-50", points: 20 },
        { label: "More than 50", points: 40 },
      ],
    },
    { key: "budget", text: "What is your monthly budget?", options: [{ label: "Under $1k" }, { label: "$1k or more", points: 30 }] },
  ],
  threshold: 50,
  belowThresholdMessage: "Thanks! Our self-serve plans will suit you: see /pricing.",
};

async function agentWithQualifiedForm(agentId, postActions = []) {
  const made = await ownerRequest(stack, "POST", "/v1/agents", { body: { id: agentId, name: "Acme", greeting: "Hi!", allowedOrigins: [SITE] } });
  assert.equal(made.status, 201, made.text);
  const form = contactForm(receiver.url + `/hook/${agentId}`, { id: `tool_${agentId}`, name: "contact_form", qualification: QUALIFICATION, postActions });
  const created = await ownerRequest(stack, "POST", `/v1/agents/${agentId}/tools`, { body: form });
  assert.equal(created.status, 201, created.text);
  assert.deepEqual(created.json.qualification.questions.map((q) => q.key), ["team", "budget"]);
}

test("below the threshold the form never shows; at or above it the form comes after the questions, and the score travels with the lead", async () => {
  await agentWithQualifiedForm("agent_q", [
    { type: "webhook", url: receiver.url + "/enterprise", when: { minScore: 60 } },
    { type: "webhook", url: receiver.url + "/smb", when: { maxScore: 59 } },
    { type: "webhook", url: receiver.url + "/everyone" },
  ]);

  // A small team with a small budget: two questions as quick replies, then no form.
  const small = (await start(stack.url, "agent_q")).json.conversationId;
  const [first] = await say(stack.url, small, "Can someone contact me?");
  assert.equal(first.text, "How big is your team?");
  assert.deepEqual(first.quickReplies, ["Just me", "2-50", "More than 50"]);
  assert.equal(first.form, undefined, "the questions come first");
  const [second] = await say(stack.url, small, "Just me");
  assert.equal(second.text, "What is your monthly budget?");
  assert.deepEqual(second.quickReplies, ["Under $1k", "$1k or more"]);
  const [verdict] = await say(stack.url, small, "under $1K");
  assert.equal(verdict.text, QUALIFICATION.belowThresholdMessage);
  assert.equal(verdict.form, undefined);
  const [later] = await say(stack.url, small, "please call me back");
  assert.equal(later.form, undefined, "a visitor below the threshold is not shown the form later either");
  assert.equal(later.quickReplies, undefined, "nor asked again");

  // A bigger team: a side question keeps the question open, a number picks a choice.
  const big = (await start(stack.url, "agent_q")).json.conversationId;
  assert.equal((await say(stack.url, big, "I want a demo"))[0].text, "How big is your team?");
  const [again] = await say(stack.url, big, "what do you mean?");
  assert.equal(again.text, "How big is your team?", "an answer that is none of the choices asks again");
  assert.equal((await say(stack.url, big, "3"))[0].text, "What is your monthly budget?");
  const [offer] = await say(stack.url, big, "$1k or more");
  assert.equal(offer.form?.name, "contact_form", "70 points reach the threshold of 50");

  const submitted = await submitAsOwner(stack, {
    toolId: "tool_agent_q",
    conversationId: big,
    formData: { name: "Big Co", email: "buyer@big.example", message: "demo for 80 people" },
    fieldsCompleted: ["name", "email", "message"],
  });
  assert.equal(submitted.status, 200, submitted.text);
  assert.deepEqual(submitted.json.postActionResults.map((r) => r.type), ["webhook", "webhook"], "routed: enterprise and everyone");

  const expected = {
    score: 70,
    qualified: true,
    answers: [
      { key: "team", question: "How big is your team?", answer: "More than 50", points: 40 },
      { key: "budget", question: "What is your monthly budget?", answer: "$1k or more", points: 30 },
    ],
  };
  const detail = await ownerRequest(stack, "GET", `/v1/leads/${submitted.json.leadId}`);
  assert.equal(detail.json.lead.score, 70);
  assert.deepEqual(detail.json.lead.qualification, expected);
  assert.deepEqual(detail.json.submissions[0].qualification, expected);
  const submission = await ownerRequest(stack, "GET", `/v1/submissions/${submitted.json.submissionId}`);
  assert.deepEqual(submission.json.qualification ?? submission.json.submission?.qualification, expected);

  await waitUntil(() => receiver.requests.filter((r) => r.json?.submissionId === submitted.json.submissionId).length >= 3, {
    message: "the webhook, the enterprise route and the catch-all",
  });
  const got = receiver.requests.filter((r) => r.json?.submissionId === submitted.json.submissionId);
  assert.deepEqual(got.map((r) => r.url).sort(), ["/enterprise", "/everyone", "/hook/agent_q"]);
  assert.deepEqual(got.find((r) => r.url === "/hook/agent_q").json.qualification, expected, "the webhook carries the score");

  // The transcript shows the questions and the answers with their points.
  const turns = (await ownerRequest(stack, "GET", `/v1/conversations/${big}`)).json.turns;
  const answers = turns.filter((t) => t.kind === "answer").map((t) => [t.question, t.text, t.points]);
  assert.deepEqual(answers, [
    ["team", "More than 50", 40],
    ["budget", "$1k or more", 30],
  ]);
  assert.equal(turns.find((t) => t.kind === "form_shown").reason, "qualified");
  assert.match(detail.json.conversations[0].summary, /Score 70 \(qualified\)/);

  // The owner's dashboard shows the score and the answers on the lead, and the questions in
  // the transcript.
  const cookie = await signInCookie(stack);
  const leadPage = await (await fetch(`${stack.url}/dashboard/leads/${submitted.json.leadId}`, { headers: { Cookie: cookie } })).text();
  assert.match(leadPage, /<h2 id="qualification-h">Qualification<\/h2>/);
  assert.match(leadPage, /<dt>Score<\/dt><dd>70 \(qualified\)<\/dd>/);
  assert.match(leadPage, /<dt>How big is your team\?<\/dt><dd>More than 50 \(40 points\)<\/dd>/);
  const transcriptPage = await (await fetch(`${stack.url}/dashboard/conversations/${big}`, { headers: { Cookie: cookie } })).text();
  assert.match(transcriptPage, /Visitor answers \(40 points\)/);
  assert.match(transcriptPage, /Agent asks/);
  // Seed 000's "Form Submissions" of the conversation: the form, its status, its values.
  assert.match(transcriptPage, /<h2 id="submissions-h">Form submissions<\/h2>/);
  assert.match(transcriptPage, /<h3>contact_form <span class="muted"><time datetime="[^"]+">[^<]+<\/time> · [a-z ]+<\/span><\/h3>/);
  assert.match(transcriptPage, /<dt>message<\/dt><dd class="pre">demo for 80 people<\/dd>/);
  assert.doesNotMatch(transcriptPage, /not part of the transcript/, "sent with the owner's key: the conversation's own");

  // A submission made without the conversation (the API) has no score: only the
  // unconditioned post-action runs.
  const direct = await submitAsOwner(stack, {
    toolId: "tool_agent_q",
    formData: { name: "Api", email: "api@big.example", message: "hi" },
    fieldsCompleted: ["name", "email", "message"],
  }, null);
  assert.equal(direct.status, 200, direct.text);
  assert.deepEqual(direct.json.postActionResults.map((r) => r.type), ["webhook"]);
});

test("qualification and routing configs are checked, naming the field", async () => {
  await ownerRequest(stack, "POST", "/v1/agents", { body: { id: "agent_qbad", name: "Acme", allowedOrigins: [SITE] } });
  const bad = [
    [{ qualification: { questions: [] } }, "qualification.questions"],
    [{ qualification: { questions: [{ key: "a b", text: "?", options: [{ label: "x" }, { label: "y" }] }] } }, "qualification.questions[0].key"],
    [{ qualification: { questions: [{ key: "a", text: "?", options: [{ label: "x" }] }] } }, "qualification.questions[0].options"],
    [{ qualification: { questions: [{ key: "a", text: "?", options: [{ label: "x" }, { label: "y", points: 5000 }] }] } }, "qualification.questions[0].options[1].points"],
    [{ qualification: { questions: [{ key: "a", text: "?", options: [{ label: "x" }, { label: "y" }] }], limit: 3 } }, "qualification"],
    [{ postActions: [{ type: "webhook", url: "https://crm.example/x", when: { minScore: 9, maxScore: 1 } }] }, "postActions[0].when.minScore"],
  ];
  for (const [extra, field] of bad) {
    const res = await ownerRequest(stack, "POST", "/v1/agents/agent_qbad/tools", { body: contactForm(receiver.url + "/x", { name: "f", ...extra }) });
    assert.equal(res.status, 400, `${field}: ${res.text}`);
    assert.ok(res.json.error.field.startsWith(field), `${res.json.error.field} names ${field}`);
  }
});

test("seed 003's collect_leads config, as written, makes a form that stores its leads", async () => {
  await ownerRequest(stack, "POST", "/v1/agents", { body: { id: "agent_cl", name: "Acme", allowedOrigins: [SITE] } });
  const seed = {
    kind: "collect_leads",
    fields: ["name", "email", "phone"],
    success_message: "Thanks! Our team will email you within one business day.",
    dismiss_message: "No problem — ask me anything else in the meantime.",
  };
  const made = await ownerRequest(stack, "POST", "/v1/agents/agent_cl/tools", { body: seed });
  assert.equal(made.status, 201, made.text);
  const tool = made.json;
  assert.equal(tool.name, "collect_leads");
  assert.equal(tool.executionMode, "store");
  assert.equal(tool.webhookUrl, null);
  assert.deepEqual(tool.fields.map((f) => [f.name, f.type, f.required]), [
    ["name", "text", false],
    ["email", "email", true],
    ["phone", "phone", false],
  ]);
  assert.equal(tool.successMessage, seed.success_message);
  assert.equal(tool.dismissMessage, seed.dismiss_message);

  // The widget shows it; a visitor's submission is stored as a lead, with nothing to deliver.
  const config = await (await fetch(`${stack.url}/widget/config?agentId=agent_cl`, { headers: { Origin: SITE } })).json();
  assert.equal(config.forms[0].executionMode, "store");
  const bad = await submitAsOwner(stack, { toolId: tool.id, formData: { name: "No Email" }, fieldsCompleted: ["name"] });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.field, "email");
  const sent = await submitAsOwner(stack, {
    toolId: tool.id,
    formData: { name: "Lee Store", email: "lee@store.example", phone: "+1 555 0100" },
    fieldsCompleted: ["name", "email", "phone"],
  });
  assert.equal(sent.status, 200, sent.text);
  assert.equal(sent.json.executionMode, "store");
  assert.equal(sent.json.webhookResult, null, "no webhook");
  assert.equal(sent.json.clientHandler, null, "no page handler");
  const submission = await ownerRequest(stack, "GET", `/v1/submissions/${sent.json.submissionId}`);
  const status = submission.json.status ?? submission.json.submission?.status;
  assert.equal(status, "success", "stored is all it does");
  const lead = (await ownerRequest(stack, "GET", `/v1/leads/${sent.json.leadId}`)).json.lead;
  assert.deepEqual([lead.name, lead.email, lead.phone], ["Lee Store", "lee@store.example", "+1 555 0100"]);
  const analytics = await ownerRequest(stack, "GET", "/form-submissions/analytics?agentId=agent_cl");
  const row = analytics.json.analytics.find((f) => f.toolId === tool.id);
  assert.deepEqual([row.submitted, row.successful, row.failed], [1, 1, 0], "counted as successful at once");

  // The seed's defaults: email only, required, and its success message.
  await ownerRequest(stack, "POST", "/v1/agents", { body: { id: "agent_cl2", name: "Acme", allowedOrigins: [SITE] } });
  const plain = await ownerRequest(stack, "POST", "/v1/agents/agent_cl2/tools", { body: { kind: "collect_leads" } });
  assert.equal(plain.status, 201, plain.text);
  assert.deepEqual(plain.json.fields.map((f) => [f.name, f.type, f.required]), [["email", "email", true]]);
  assert.equal(plain.json.successMessage, "Thanks — we'll be in touch!");
  const wrong = await ownerRequest(stack, "POST", "/v1/agents/agent_cl2/tools", { body: { kind: "collect_leads", name: "other", fields: ["email", "my field!"] } });
  assert.equal(wrong.status, 400);
  assert.equal(wrong.json.error.field, "fields[1]");
});

test("with an LLM the lead's summary is the model's; the email post-action and the lead show it, and a failing model leaves the plain one", async () => {
  const SUMMARY = "Sam runs a 20-person office and wants a quote for 3 coffee machines; prefers email.";
  let summaryAnswer = completion(SUMMARY);
  const llm = await startLlm((body) => {
    if (!body.tools) return summaryAnswer; // the summary request carries no tool
    return completion("Happy to quote.", showForm({ form: "contact_form" }));
  });
  const mail = await startReceiver();
  const withLlm = await startStack({
    vars: { AGENT_LLM_BASE_URL: llm.url, AGENT_LLM_MODEL: "test-model", EMAIL_API_URL: mail.url + "/emails", EMAIL_API_KEY: "k", EMAIL_FROM: "leads@acme.test" },
  });
  try {
    await ownerRequest(withLlm, "POST", "/v1/agents", { body: { id: "agent_sum", name: "Beans", greeting: "Hi!", allowedOrigins: [SITE] } });
    const form = contactForm(receiver.url + "/sum", {
      id: "tool_sum",
      name: "contact_form",
      postActions: [{ type: "email", recipients: ["sales@beans.example"] }],
    });
    assert.equal((await ownerRequest(withLlm, "POST", "/v1/agents/agent_sum/tools", { body: form })).status, 201);

    const submitIn = async (question) => {
      const id = (await start(withLlm.url, "agent_sum")).json.conversationId;
      const [reply] = await say(withLlm.url, id, question);
      assert.equal(reply.form?.name, "contact_form");
      const sent = await submitAsOwner(withLlm, {
        toolId: "tool_sum",
        conversationId: id,
        formData: { name: "Sam", email: "sam@office.example", message: "3 machines" },
        fieldsCompleted: ["name", "email", "message"],
      });
      assert.equal(sent.status, 200, sent.text);
      return { id, sent: sent.json };
    };

    const { id, sent } = await submitIn("How much for 3 machines for our office?");
    const asked = llm.requests.find((r) => !r.body.tools);
    assert.match(asked.body.messages[0].content, /Summarize this website chat/);
    assert.match(asked.body.messages[1].content, /Visitor: How much for 3 machines for our office\?/);
    assert.match(asked.body.messages[1].content, /Filled in Talk to us: Name: Sam; Email: sam@office\.example/);
    const lead = (await ownerRequest(withLlm, "GET", `/v1/leads/${sent.leadId}`)).json;
    assert.deepEqual(lead.conversations, [{ id, kept: true, summary: SUMMARY }]);
    await mail.waitFor(1);
    assert.match(mail.requests[0].json.text, new RegExp(`Summary:\\n${SUMMARY.replace(/[.;]/g, "\\$&")}`));

    // The model fails: the plain summary is kept, and the lead still comes in.
    summaryAnswer = 500;
    const second = await submitIn("Do you deliver to Lyon?");
    const plain = (await ownerRequest(withLlm, "GET", `/v1/leads/${second.sent.leadId}`)).json.conversations.find((c) => c.id === second.id);
    assert.equal(plain.summary, "Asked: Do you deliver to Lyon?\nFilled in Talk to us: Name: Sam; Email: sam@office.example; Message: 3 machines");
  } finally {
    await withLlm.stop();
    await mail.stop();
    await llm.stop();
  }
});
