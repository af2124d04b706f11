// Leads from messaging channels (issue 13), against the real local runtime: a Telegram Bot
// API server and a WhatsApp Cloud API server on 127.0.0.1 (tests/support/platforms.mjs)
// drive the edge's webhooks with the platforms' documented payloads. The agent asks the
// form's fields one message at a time, and the lead goes through the same path as the
// widget's: stored, delivered to the form's webhook, counted.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startStack, startReceiver, contactForm, ownerRequest, waitUntil, PNG_1X1, signInCookie } from "./support/stack.mjs";
import { startTelegram, startWhatsApp } from "./support/platforms.mjs";

const TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
// A 3 MB photo: more than a D1 row holds, so the form keeps it in R2 until it is sent.
const BIG_PNG = Buffer.concat([PNG_1X1, Buffer.alloc(3 * 1024 * 1024)]);
const WA = { phoneNumberId: "106540352242922", accessToken: "EAAG-test-token", appSecret: "app-secret-123" };
let stack, receiver, telegram, whatsapp;

before(async () => {
  receiver = await startReceiver();
  telegram = await startTelegram({
    token: TOKEN,
    files: { "documents/file_7.png": { id: "DOC7", type: "image/png", bytes: PNG_1X1 } },
  });
  whatsapp = await startWhatsApp({ ...WA, media: { MEDIA1: { type: "image/png", bytes: BIG_PNG } } });
  stack = await startStack({
    vars: { TELEGRAM_API_URL: telegram.url, WHATSAPP_API_URL: whatsapp.url, RETRY_SCHEDULE_SECS: "0,1,1,1" },
  });
});

after(async () => {
  await stack?.stop();
  await telegram?.stop();
  await whatsapp?.stop();
  await receiver?.stop();
});

async function agentWithForm(agentId, form) {
  const made = await ownerRequest(stack, "POST", "/v1/agents", { body: { id: agentId, name: "Acme", greeting: "Hi! I'm Acme's assistant." } });
  assert.equal(made.status, 201, made.text);
  const tool = await ownerRequest(stack, "POST", `/v1/agents/${agentId}/tools`, { body: form });
  assert.equal(tool.status, 201, tool.text);
  return tool.json;
}

const turnsOf = async (conversationId) => (await ownerRequest(stack, "GET", `/v1/conversations/${conversationId}`)).json.turns;

test("Telegram: connect, a whole lead in the chat with a re-asked email, skip, and the lead delivered like the widget's", async () => {
  const tool = await agentWithForm("agent_tg", contactForm(receiver.url + "/tg-hook", { id: "tool_tg" }));
  const bad = await ownerRequest(stack, "POST", "/v1/agents/agent_tg/channels", { body: { kind: "telegram", botToken: "nope" } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.field, "botToken");
  const refused = await ownerRequest(stack, "POST", "/v1/agents/agent_tg/channels", { body: { kind: "telegram", botToken: "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsXX" } });
  assert.equal(refused.status, 400, "Telegram refuses an unknown token");
  assert.match(refused.json.error.message, /Unauthorized/);
  // Telegram out of reach, or failing, says nothing of the token: it could not be checked
  // (not "refused"), and no channel is made.
  for (const [down, said] of [["reset", /could not be checked, try again: Telegram could not be reached/], ["busy", /could not be checked, try again: Telegram answered HTTP 502/]]) {
    telegram.down = down;
    const unreachable = await ownerRequest(stack, "POST", "/v1/agents/agent_tg/channels", { body: { kind: "telegram", botToken: TOKEN } });
    telegram.down = null;
    assert.equal(unreachable.status, 400, unreachable.text);
    assert.equal(unreachable.json.error.field, "botToken");
    assert.match(unreachable.json.error.message, said);
    assert.doesNotMatch(unreachable.json.error.message, /refused/);
  }
  assert.deepEqual((await ownerRequest(stack, "GET", "/v1/agents/agent_tg/channels")).json.channels, []);

  const connected = await ownerRequest(stack, "POST", "/v1/agents/agent_tg/channels", { body: { kind: "telegram", botToken: TOKEN } });
  assert.equal(connected.status, 201, connected.text);
  const channel = connected.json;
  assert.match(channel.id, /^chan_/);
  assert.equal(channel.account, "acme_leads_bot");
  assert.equal(channel.webhookUrl, `${stack.url}/channels/telegram/${channel.id}`);
  assert.ok(!JSON.stringify(channel).includes(TOKEN), "the token is never shown back");
  assert.equal(telegram.webhook.url, channel.webhookUrl, "the bot's webhook points at the edge");
  assert.match(telegram.webhook.secret, /^[0-9a-f]{48}$/);
  const listed = await ownerRequest(stack, "GET", "/v1/agents/agent_tg/channels");
  assert.equal(listed.json.channels.length, 1);
  assert.ok(!JSON.stringify(listed.json).includes(TOKEN) && !JSON.stringify(listed.json).includes(telegram.webhook.secret));
  assert.deepEqual((await ownerRequest(stack, "POST", `/v1/channels/${channel.id}/test`)).json, { ok: true, account: "acme_leads_bot" });

  const start = await telegram.say("/start");
  assert.equal(start.chat_id, 4242);
  assert.equal(start.text, "Hi! I'm Acme's assistant.", "Telegram's Start button gets the greeting");
  const first = await telegram.say("Hello, what do you do?");
  assert.match(first.text, /^Thanks for your message!/);
  assert.deepEqual(first.reply_markup, { remove_keyboard: true });

  const asked = await telegram.say("Can someone contact me?");
  assert.match(asked.text, /Talk to us: I'll ask a few questions/);
  assert.match(asked.text, /Name: is it Jane Doe\? Reply yes, or type it\.$/, "the profile name is offered");
  assert.deepEqual(asked.reply_markup.keyboard, [[{ text: "Yes" }]]);
  assert.match((await telegram.say("yes")).text, /^Email\?/);
  const reasked = await telegram.say("jane at example");
  assert.match(reasked.text, /Email must be an email address like name@example\.com\.\n\nEmail\?/);
  const optional = await telegram.say("jane@doe.example");
  assert.match(optional.text, /^Message \(optional: reply skip\)\?/);
  assert.deepEqual(optional.reply_markup.keyboard, [[{ text: "Skip" }]]);
  const done = await telegram.say("skip");
  assert.equal(done.text, "Thanks — we'll be in touch!");
  assert.deepEqual(done.reply_markup, { remove_keyboard: true });

  // The lead: stored with its channel, delivered to the form's webhook, counted.
  await receiver.waitFor(1);
  const hook = receiver.requests.find((r) => r.url === "/tg-hook");
  assert.deepEqual(hook.json.formData, { name: "Jane Doe", email: "jane@doe.example" });
  const submissionOf = async (id) => {
    const body = (await ownerRequest(stack, "GET", `/v1/submissions/${id}`)).json;
    return body.submission ?? body;
  };
  const row = await waitUntil(async () => {
    const now = await submissionOf(hook.json.submissionId);
    return now.status === "webhook_success" && now;
  }, { message: "the webhook's success recorded" });
  assert.equal(row.source, "telegram");
  assert.equal(row.channelUserId, "4242");
  const lead = (await ownerRequest(stack, "GET", `/v1/leads/${row.leadId}`)).json.lead;
  assert.equal(lead.source, "telegram");
  assert.equal(lead.email, "jane@doe.example");
  const analytics = (await ownerRequest(stack, "GET", "/form-submissions/analytics?agentId=agent_tg")).json.analytics.find((a) => a.toolId === tool.id);
  assert.deepEqual(
    [analytics.impressions, analytics.started, analytics.submitted, analytics.dropOff],
    [1, 1, 1, 0],
    "asked = impression, first answer = start, and the form sent: no drop-off",
  );

  // The transcript holds every turn, as the widget's do.
  const kinds = (await turnsOf(hook.json.conversationId)).map((t) => `${t.role}:${t.kind}:${t.text}`);
  assert.ok(kinds.includes("visitor:message:jane at example"));
  assert.ok(kinds.includes("agent:form_shown:contact_form"));
  assert.ok(kinds.includes("visitor:form_submitted:contact_form"));
  assert.ok(kinds.some((k) => k.startsWith("agent:message:Email must be")));
});

test("Telegram: a redelivered update is handled once, a forged one is refused with nothing stored, cancel leaves the form, a send outage is retried", async () => {
  await agentWithForm("agent_tg2", contactForm(receiver.url + "/tg2-hook", { id: "tool_tg2", dismissMessage: "No problem!" }));
  // A second bot server is not needed: the same token serves the second agent's channel.
  const connected = await ownerRequest(stack, "POST", "/v1/agents/agent_tg2/channels", { body: { kind: "telegram", botToken: TOKEN } });
  assert.equal(connected.status, 201, connected.text);
  const person = { id: 5151, is_bot: false, first_name: "Sam" };

  const update = telegram.message("hello there", { from: person });
  const before = telegram.sent.length;
  assert.equal((await telegram.post(update)).status, 200);
  await waitUntil(() => telegram.sent.length > before, { message: "the first answer" });
  assert.equal((await telegram.post(update)).status, 200, "a redelivery is acknowledged");

  // A redelivery while an earlier delivery is still being handled (a slow LLM, or an isolate
  // that died on it) is not acknowledged: a 503, so Telegram delivers it again. Once the
  // handler's lease has lapsed, the next delivery is handled.
  const inFlight = telegram.message("are you open on sundays?", { from: person });
  const channelId = connected.json.id;
  await stack.sql(`INSERT INTO channel_updates (channel_id, update_id, at, done) VALUES ('${channelId}', '${inFlight.update_id}', ${Date.now()}, 0)`);
  const busy = await telegram.post(inFlight);
  assert.equal(busy.status, 503, busy.text);
  await stack.sql(`UPDATE channel_updates SET at = ${Date.now() - 121_000} WHERE channel_id = '${channelId}' AND update_id = '${inFlight.update_id}'`);
  const sentBeforeRetry = telegram.sent.length;
  assert.equal((await telegram.post(inFlight)).status, 200);
  await waitUntil(() => telegram.sent.length > sentBeforeRetry, { message: "the redelivered message answered" });
  const conversations = (await ownerRequest(stack, "GET", "/v1/agents/agent_tg2/conversations")).json.conversations;
  assert.equal(conversations.length, 1);
  const visitorTurns = (await turnsOf(conversations[0].id)).filter((t) => t.role === "visitor");
  assert.equal(visitorTurns.length, 2, "each handled once");

  const forged = await telegram.post(telegram.message("I am not Telegram", { from: { id: 6161, is_bot: false } }), "wrong-secret");
  assert.equal(forged.status, 401);
  assert.equal(JSON.parse(forged.text).error.code, "bad_signature");
  const missing = await telegram.post(telegram.message("no header", { from: { id: 6161, is_bot: false } }), null);
  assert.equal(missing.status, 401);
  assert.equal((await ownerRequest(stack, "GET", "/v1/agents/agent_tg2/conversations")).json.conversations.length, 1, "nothing stored");

  assert.match((await telegram.say("please call me", { from: person })).text, /Name: is it Sam\?/);
  assert.equal((await telegram.say("cancel", { from: person })).text, "No problem!");
  const turns = await turnsOf(conversations[0].id);
  assert.ok(turns.some((t) => t.kind === "form_dismissed"));

  // Telegram is down for two sends: the answer is retried from the outbox and arrives once.
  telegram.failSends = 2;
  const toSam = () => telegram.sent.filter((m) => m.chat_id === 5151).length;
  const sentBefore = toSam();
  const answer = await telegram.say("do you have an office in Berlin?", { from: person });
  assert.ok(answer.text.length > 0);
  assert.equal(telegram.failSends, 0, "both failed sends were tried");
  assert.equal(toSam(), sentBefore + 1, "the answer arrived once");

  // The conversation is purged (retention, or the lead deleted): the chat goes on in a new one.
  const conversationId = (await ownerRequest(stack, "GET", "/v1/agents/agent_tg2/conversations")).json.conversations[0].id;
  await stack.sql(`DELETE FROM conversation_turns WHERE conversation_id = '${conversationId}'; DELETE FROM conversations WHERE id = '${conversationId}'`);
  const again = await telegram.say("are you still there?", { from: person });
  assert.match(again.text, /^Hi! I'm Acme's assistant\./, "a new conversation, greeted");
  // Connecting the same kind again keeps the channel's id (its chats go on).
  const reconnected = await ownerRequest(stack, "POST", "/v1/agents/agent_tg2/channels", { body: { kind: "telegram", botToken: TOKEN } });
  assert.equal(reconnected.status, 201, reconnected.text);
  assert.equal(reconnected.json.id, connected.json.id);
  assert.equal(reconnected.json.createdAt, connected.json.createdAt);

  // Disconnect: the webhook goes, and updates to the old address find nothing.
  assert.equal((await ownerRequest(stack, "DELETE", `/v1/channels/${channelId}`)).status, 204);
  assert.equal(telegram.webhook, null);
  const gone = await fetch(`${stack.url}/channels/telegram/${channelId}`, { method: "POST", body: "{}" });
  assert.equal(gone.status, 404);
});

test("Telegram: a person whose app is in German is asked in German; the agent's language setting comes first", async () => {
  const made = await ownerRequest(stack, "POST", "/v1/agents", {
    body: { id: "agent_tg_de", name: "Acme", greeting: "Hi! I'm Acme's assistant.", greetings: { de: "Hallo! Ich bin der Assistent von Acme." } },
  });
  assert.equal(made.status, 201, made.text);
  const form = contactForm(receiver.url + "/tg-de-hook", { id: "tool_tg_de" });
  form.fields[0].labels = { de: "Ihr Name" };
  assert.equal((await ownerRequest(stack, "POST", "/v1/agents/agent_tg_de/tools", { body: form })).status, 201);
  const connected = await ownerRequest(stack, "POST", "/v1/agents/agent_tg_de/channels", { body: { kind: "telegram", botToken: TOKEN } });
  assert.equal(connected.status, 201, connected.text);
  // Telegram tells the language the person's app is set to.
  const lena = { id: 7373, is_bot: false, first_name: "Lena", language_code: "de" };
  const say = (text) => telegram.say(text, { from: lena });

  assert.match((await say("hallo")).text, /^Hallo! Ich bin der Assistent von Acme\./, "the owner's German greeting");
  const asked = await say("Can someone contact me?");
  assert.match(asked.text, /Talk to us: Ich stelle Ihnen ein paar Fragen \(antworten Sie „abbrechen“, um aufzuhören\)\./);
  assert.match(asked.text, /Ihr Name: Ist es Lena\? Antworten Sie mit „ja“ oder geben Sie die richtige Angabe ein\.$/, "the owner's German label");
  assert.deepEqual(asked.reply_markup.keyboard, [[{ text: "Ja" }]]);
  assert.equal((await say("Ja")).text, "Email? (Ihre E-Mail-Adresse)");
  assert.equal(
    (await say("lena at example")).text,
    "Email muss eine E-Mail-Adresse wie name@example.com sein.\n\nEmail? (Ihre E-Mail-Adresse)",
    "what is wrong, in the widget's German words, then asked again",
  );
  const optional = await say("lena@example.com");
  assert.equal(optional.text, "Message (optional: antworten Sie „überspringen“)?");
  assert.deepEqual(optional.reply_markup.keyboard, [[{ text: "Überspringen" }]]);
  assert.equal((await say("Überspringen")).text, "Danke – wir melden uns!", "the default success message, in German");
  const leads = await waitUntil(async () => {
    const list = (await ownerRequest(stack, "GET", "/v1/agents/agent_tg_de/leads")).json.leads;
    return list.length === 1 && list;
  }, { message: "Lena's lead" });
  assert.equal(leads[0].name, "Lena");
  assert.equal(leads[0].email, "lena@example.com");

  // The owner sets the agent to French: the agent speaks French, whatever the app says.
  assert.equal((await ownerRequest(stack, "PATCH", "/v1/agents/agent_tg_de", { body: { locale: "fr" } })).status, 200);
  const french = await say("Can someone contact me?");
  // French typography: a narrow no-break space before its marks and inside its quotes.
  assert.match(french.text, /Talk to us\u202f: je vais vous poser quelques questions \(répondez «\u202fannuler\u202f» pour arrêter\)\./);
  assert.match(french.text, /Name\u202f: est-ce Lena\u202f\? Répondez «\u202foui\u202f» ou écrivez-le\.$/);
  assert.deepEqual(french.reply_markup.keyboard, [[{ text: "Oui" }]]);
  assert.equal((await say("annuler")).text, "Pas de souci. Demandez-moi autre chose si vous voulez.");
  assert.equal((await ownerRequest(stack, "GET", "/v1/agents/agent_tg_de/leads")).json.leads.length, 1, "nothing sent");
});

test("WhatsApp: handshake, a signed lead with the known number, buttons for choices, a photo for the file field; forged and repeated notifications", async () => {
  const form = {
    id: "tool_wa",
    name: "quote",
    title: "Get a quote",
    fields: [
      { name: "name", type: "text", required: true },
      { name: "phone", type: "phone", required: true },
      { name: "size", label: "Team size", type: "select", options: ["1-10", "11-50", "51+"], required: true },
      { name: "plan", type: "file", help: "A floor plan helps us quote the right size." },
    ],
    triggers: ["quote"],
    executionMode: "webhook",
    webhookUrl: receiver.url + "/wa-hook",
  };
  await agentWithForm("agent_wa", form);
  const missing = await ownerRequest(stack, "POST", "/v1/agents/agent_wa/channels", { body: { kind: "whatsapp", phoneNumberId: WA.phoneNumberId, accessToken: "wrong", appSecret: "x" } });
  assert.equal(missing.status, 400);
  assert.equal(missing.json.error.field, "accessToken");
  assert.match(missing.json.error.message, /WhatsApp refused it: Invalid OAuth access token/);
  // The platform out of reach, or failing: the token could not be checked, no channel made.
  for (const [down, said] of [["reset", /could not be checked, try again: WhatsApp could not be reached/], ["busy", /could not be checked, try again: WhatsApp answered HTTP 503/]]) {
    whatsapp.down = down;
    const unchecked = await ownerRequest(stack, "POST", "/v1/agents/agent_wa/channels", { body: { kind: "whatsapp", ...WA } });
    whatsapp.down = null;
    assert.equal(unchecked.status, 400, unchecked.text);
    assert.equal(unchecked.json.error.field, "accessToken");
    assert.match(unchecked.json.error.message, said);
  }
  assert.deepEqual((await ownerRequest(stack, "GET", "/v1/agents/agent_wa/channels")).json.channels, []);
  const connected = await ownerRequest(stack, "POST", "/v1/agents/agent_wa/channels", { body: { kind: "whatsapp", ...WA } });
  assert.equal(connected.status, 201, connected.text);
  const { webhookUrl, verifyToken } = connected.json;
  assert.match(verifyToken, /^[0-9a-f]{32}$/);
  assert.ok(!JSON.stringify(connected.json).includes(WA.accessToken) && !JSON.stringify(connected.json).includes(WA.appSecret));
  assert.ok(!JSON.stringify((await ownerRequest(stack, "GET", "/v1/agents/agent_wa/channels")).json).includes(verifyToken), "the verify token is shown once");

  const handshake = await fetch(`${webhookUrl}?hub.mode=subscribe&hub.verify_token=${verifyToken}&hub.challenge=1158201444`);
  assert.equal(handshake.status, 200);
  assert.equal(await handshake.text(), "1158201444");
  assert.equal((await fetch(`${webhookUrl}?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1`)).status, 403);

  const forged = await whatsapp.post(webhookUrl, whatsapp.notification([{ type: "text", text: { body: "I want a quote" } }]), "not-the-app-secret");
  assert.equal(forged.status, 401);
  assert.equal((await ownerRequest(stack, "GET", "/v1/agents/agent_wa/conversations")).json.conversations.length, 0, "nothing stored");

  const asked = await whatsapp.say(webhookUrl, { type: "text", text: { body: "Can I get a quote?" } });
  assert.equal(asked.to, "447700900123");
  assert.equal(asked.type, "interactive");
  assert.match(asked.interactive.body.text, /Name: is it Kai Lee\?/);
  const size = await whatsapp.say(webhookUrl, { type: "interactive", interactive: { type: "button_reply", button_reply: { id: "choice_0", title: "Yes" } } });
  // The phone is WhatsApp's own: not asked. The size comes as three buttons.
  assert.match(size.interactive.body.text, /^Team size\? Choose one:/);
  assert.deepEqual(size.interactive.action.buttons.map((b) => b.reply.title), ["1-10", "11-50", "51+"]);
  const reasked = await whatsapp.say(webhookUrl, { type: "text", text: { body: "about forty" } });
  assert.match(reasked.interactive.body.text, /Please choose one of: 1-10, 11-50, 51\+\./);
  const plan = await whatsapp.say(webhookUrl, { type: "interactive", interactive: { type: "button_reply", button_reply: { id: "choice_1", title: "11-50" } } });
  assert.match(plan.interactive.body.text, /^Plan \(optional: reply skip\)\? Send it as a document or photo/);
  // Why it is asked, on a line after the question (the owner's `help`).
  assert.match(plan.interactive.body.text, /\nA floor plan helps us quote the right size\.$/);

  // The same notification twice (WhatsApp redelivers): handled once.
  const photo = whatsapp.notification([{ id: "wamid.photo1", type: "image", image: { id: "MEDIA1", mime_type: "image/png" } }]);
  const before = whatsapp.sent.length;
  assert.equal((await whatsapp.post(webhookUrl, photo)).status, 200);
  await waitUntil(() => whatsapp.sent.length > before, { message: "the answer to the photo" });
  assert.equal((await whatsapp.post(webhookUrl, photo)).status, 200);
  assert.equal(whatsapp.sent[whatsapp.sent.length - 1].text.body, "Thanks — we'll be in touch!");

  await waitUntil(() => receiver.requests.find((r) => r.url === "/wa-hook"), { message: "the form's webhook" });
  const hook = receiver.requests.find((r) => r.url === "/wa-hook");
  assert.equal(hook.json.formData.name, "Kai Lee");
  assert.equal(hook.json.formData.phone, "+447700900123");
  assert.equal(hook.json.formData.size, "11-50");
  assert.equal(hook.json.formData.plan.contentType, "image/png", "the photo is stored like a widget upload");
  const fileBytes = await (await fetch(hook.json.formData.plan.url)).arrayBuffer();
  assert.ok(Buffer.from(fileBytes).equals(BIG_PNG), "the 3 MB photo arrives whole");
  assert.equal(receiver.requests.filter((r) => r.url === "/wa-hook").length, 1, "one lead for the repeated notification");
  const submission = (await ownerRequest(stack, "GET", `/v1/submissions/${hook.json.submissionId}`)).json;
  const row = submission.submission ?? submission;
  assert.deepEqual([row.source, row.channelUserId], ["whatsapp", "447700900123"]);
  const lead = (await ownerRequest(stack, "GET", `/v1/leads/${row.leadId}`)).json.lead;
  assert.deepEqual([lead.source, lead.phone, lead.name], ["whatsapp", "+447700900123", "Kai Lee"]);
  // The photo waited in R2 while the form went on; sent, the lead has its own copy.
  assert.deepEqual(await stack.r2Keys("parked/"), [], "the parked photo went with the sent form");
});

test("WhatsApp: a German number is asked in German (WhatsApp tells no language); the agent's setting comes first", async () => {
  // The first WhatsApp test's agent and number; a person with a German number writes.
  const channels = (await ownerRequest(stack, "GET", "/v1/agents/agent_wa/channels")).json.channels;
  const { webhookUrl } = channels.find((c) => c.kind === "whatsapp");
  const fromBerlin = { from: "4917612345678", name: "Lena Vogel" };
  const say = (body) => whatsapp.say(webhookUrl, { type: "text", text: { body } }, fromBerlin);
  const asked = await say("Can I get a quote?");
  assert.equal(asked.to, "4917612345678");
  assert.match(asked.interactive.body.text, /Name: Ist es Lena Vogel\? Antworten Sie mit „ja“ oder geben Sie die richtige Angabe ein\.$/);
  assert.deepEqual(asked.interactive.action.buttons.map((b) => b.reply.title), ["Ja"]);
  const size = await say("ja");
  assert.match(size.interactive.body.text, /^Team size\? Wählen Sie eine Option:/);
  assert.equal((await say("abbrechen")).text.body, "Kein Problem. Fragen Sie mich gern etwas anderes.");

  // The owner sets the agent to English: the number's country no longer decides.
  assert.equal((await ownerRequest(stack, "PATCH", "/v1/agents/agent_wa", { body: { locale: "en" } })).status, 200);
  assert.match((await say("Can I get a quote?")).interactive.body.text, /Name: is it Lena Vogel\?/);
  assert.equal((await say("cancel")).text.body, "No problem. Ask me anything else.");
});

test("WhatsApp: a photo sent for a form waits in R2 while the form goes on, and goes when the person cancels", async () => {
  // The quote form asks one more thing after the file.
  const shown = (await ownerRequest(stack, "GET", "/v1/tools/tool_wa")).json;
  const tool = shown.tool ?? shown;
  const fields = [...tool.fields, { name: "notes", type: "text" }];
  const changed = await ownerRequest(stack, "PATCH", "/v1/tools/tool_wa", { body: { fields } });
  assert.equal(changed.status, 200, changed.text);
  const { webhookUrl } = (await ownerRequest(stack, "GET", "/v1/agents/agent_wa/channels")).json.channels.find((c) => c.kind === "whatsapp");
  const who = { from: "447700900456", name: "Ola Berg" };
  const say = (message) => whatsapp.say(webhookUrl, message, who);
  const text = (body) => say({ type: "text", text: { body } });
  await text("Can I get a quote?");
  await text("yes");
  assert.match((await text("11-50")).interactive.body.text, /^Plan \(optional: reply skip\)\?/);
  const notes = await say({ type: "image", image: { id: "MEDIA1", mime_type: "image/png" } });
  assert.match(notes.interactive.body.text, /^Notes \(optional: reply skip\)\?/);
  const parked = await stack.r2Keys("parked/");
  assert.equal(parked.length, 1, "the photo is kept for the form");
  assert.match(parked[0], /^parked\/\d{13}\/chan_/);
  assert.equal((await text("cancel")).text.body, "No problem. Ask me anything else.");
  assert.deepEqual(await stack.r2Keys("parked/"), [], "cancelled: the person's photo is not kept");
});

test("the dashboard's agent settings connect, test and disconnect a channel, with errors at their field", async () => {
  await agentWithForm("agent_dash", contactForm(receiver.url + "/dash-hook", { id: "tool_dash" }));
  const cookie = await signInCookie(stack);
  const page = async () => (await fetch(`${stack.url}/dashboard/settings/agents/agent_dash`, { headers: { Cookie: cookie } })).text();
  const csrf = (await page()).match(/name="_csrf" value="([^"]+)"/)[1];
  const post = (path, fields) =>
    fetch(stack.url + path, {
      method: "POST",
      headers: { Cookie: cookie, "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: csrf, ...fields }).toString(),
      redirect: "manual",
    });

  const refused = await post("/dashboard/settings/agents/agent_dash/channels", { kind: "telegram", botToken: "not a token" });
  assert.equal(refused.status, 400);
  const refusedPage = await refused.text();
  assert.match(refusedPage, /id="tg-botToken" name="botToken" autocomplete="off" aria-invalid="true" aria-describedby="tg-error"/);
  assert.match(refusedPage, /<p class="error" id="tg-error">botToken: must be a bot token/);
  assert.ok(!refusedPage.includes("not a token"), "a refused secret is not echoed back");

  const connected = await post("/dashboard/settings/agents/agent_dash/channels", { kind: "telegram", botToken: TOKEN });
  assert.equal(connected.status, 303);
  const listed = await page();
  assert.match(listed, /Telegram <code>acme_leads_bot<\/code>/);
  assert.ok(!listed.includes(TOKEN), "the token is never on the page");
  const channelId = listed.match(/\/dashboard\/settings\/channels\/(chan_[0-9a-z]+)\/test/)[1];
  const tested = await (await post(`/dashboard/settings/channels/${channelId}/test`, {})).text();
  assert.match(tested, /The telegram channel answers \(acme_leads_bot\)\./);

  const wa = await post("/dashboard/settings/agents/agent_dash/channels", { kind: "whatsapp", ...WA });
  assert.equal(wa.status, 200);
  const setup = await wa.text();
  assert.match(setup, /id="wa-verify" readonly value="[0-9a-f]{32}"/, "the verify token is shown once");
  assert.match(setup, /WhatsApp <code>106540352242922<\/code>/);

  assert.equal((await post(`/dashboard/settings/channels/${channelId}/delete`, {})).status, 303);
  assert.doesNotMatch(await page(), /Telegram <code>/);
});
