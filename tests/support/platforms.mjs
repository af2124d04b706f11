// Messaging platforms on 127.0.0.1 for the channel tests: a Telegram Bot API server and a
// WhatsApp Cloud API (Graph API) server, speaking the documented shapes, recording every
// call, with switches to fail sends.
import { createServer } from "node:http";
import { createHmac } from "node:crypto";
import { waitUntil } from "./stack.mjs";

function listen(handler) {
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      let json = null;
      try {
        json = raw.length ? JSON.parse(raw.toString("utf8")) : null;
      } catch {}
      handler({ method: req.method, url: req.url, headers: req.headers, raw, json }, res);
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const send = (res, status, body, type = "application/json") => {
  res.writeHead(status, { "Content-Type": type });
  res.end(typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body));
};

/**
 * A Bot API server for the bot `token`. `sent` holds every sendMessage body; `failSends`
 * makes that many sendMessage calls answer 502 first (an outage).
 */
export async function startTelegram({ token, username = "acme_leads_bot", files = {} }) {
  // `down`: "reset" drops every Bot API call's connection, "busy" answers it 502.
  const bot = { calls: [], sent: [], webhook: null, failSends: 0, down: null };
  const server = await listen((req, res) => {
    bot.calls.push(req);
    if (bot.down === "reset") return res.socket.destroy();
    if (bot.down === "busy") return send(res, 502, { ok: false, error_code: 502, description: "Bad Gateway" });
    const fileMatch = req.url.match(/^\/file\/bot([^/]+)\/(.+)$/);
    if (req.method === "GET" && fileMatch) {
      if (fileMatch[1] !== token || !files[fileMatch[2]]) return send(res, 404, { ok: false, description: "Not Found" });
      return send(res, 200, files[fileMatch[2]].bytes, files[fileMatch[2]].type);
    }
    const m = req.url.match(/^\/bot([^/]+)\/(\w+)$/);
    if (!m || m[1] !== token) return send(res, 401, { ok: false, error_code: 401, description: "Unauthorized" });
    const method = m[2];
    const body = req.json ?? {};
    switch (method) {
      case "getMe":
        return send(res, 200, { ok: true, result: { id: 777, is_bot: true, first_name: "Acme", username } });
      case "setWebhook":
        bot.webhook = { url: body.url, secret: body.secret_token, allowed: body.allowed_updates };
        return send(res, 200, { ok: true, result: true, description: "Webhook was set" });
      case "deleteWebhook":
        bot.webhook = null;
        return send(res, 200, { ok: true, result: true });
      case "sendMessage":
        if (bot.failSends > 0) {
          bot.failSends -= 1;
          return send(res, 502, { ok: false, error_code: 502, description: "Bad Gateway" });
        }
        bot.sent.push(body);
        return send(res, 200, { ok: true, result: { message_id: bot.sent.length, chat: { id: body.chat_id }, text: body.text } });
      case "getFile": {
        const path = Object.keys(files).find((p) => files[p].id === body.file_id);
        if (!path) return send(res, 400, { ok: false, description: "Bad Request: invalid file_id" });
        return send(res, 200, { ok: true, result: { file_id: body.file_id, file_size: files[path].bytes.length, file_path: path } });
      }
      default:
        return send(res, 404, { ok: false, description: "Not Found: method not found" });
    }
  });
  const url = `http://127.0.0.1:${server.address().port}`;
  let nextUpdate = 1000;
  Object.assign(bot, {
    url,
    /** Sends an update to the edge as Telegram would; `secret` defaults to the one set. */
    async post(update, secret = bot.webhook?.secret) {
      const res = await fetch(bot.webhook.url, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...(secret ? { "X-Telegram-Bot-Api-Secret-Token": secret } : {}) },
        body: JSON.stringify(update),
      });
      return { status: res.status, text: await res.text() };
    },
    /** A text message from the person `from` (update ids count up unless given). */
    message(text, { from = { id: 4242, is_bot: false, first_name: "Jane", last_name: "Doe" }, updateId, extra = {} } = {}) {
      return { update_id: updateId ?? nextUpdate++, message: { message_id: nextUpdate, date: Math.floor(Date.now() / 1000), from, chat: { id: from.id, type: "private" }, ...(text === undefined ? {} : { text }), ...extra } };
    },
    /** Posts `text` and waits for the bot's next answer to that chat. */
    async say(text, options = {}) {
      const before = bot.sent.length;
      const res = await bot.post(bot.message(text, options));
      if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${res.text}`);
      await waitUntil(() => bot.sent.length > before, { message: `an answer to ${JSON.stringify(text)}` });
      return bot.sent[bot.sent.length - 1];
    },
    stop: () => new Promise((r) => server.close(r)),
  });
  return bot;
}

/**
 * A Graph API server for the business number `phoneNumberId`, taking `accessToken`.
 * `sent` holds every message sent; `media` maps media ids to {type, bytes}.
 */
export async function startWhatsApp({ phoneNumberId, accessToken, appSecret, media = {} }) {
  // `down`: "reset" drops every call's connection, "busy" answers it 503.
  const wa = { calls: [], sent: [], failSends: 0, down: null };
  const server = await listen((req, res) => {
    wa.calls.push(req);
    if (wa.down === "reset") return res.socket.destroy();
    if (wa.down === "busy") return send(res, 503, { error: { message: "Service temporarily unavailable", code: 2 } });
    if (req.headers.authorization !== `Bearer ${accessToken}`) {
      return send(res, 401, { error: { message: "Invalid OAuth access token.", type: "OAuthException", code: 190 } });
    }
    const path = req.url.replace(/^\/v\d+\.\d+/, "");
    if (req.method === "GET" && path === `/${phoneNumberId}`) {
      return send(res, 200, { verified_name: "Acme", display_phone_number: "+1 555-000-1111", id: phoneNumberId });
    }
    if (req.method === "POST" && path === `/${phoneNumberId}/messages`) {
      if (wa.failSends > 0) {
        wa.failSends -= 1;
        return send(res, 503, { error: { message: "Service temporarily unavailable", code: 2 } });
      }
      wa.sent.push(req.json);
      return send(res, 200, { messaging_product: "whatsapp", contacts: [{ input: req.json.to, wa_id: req.json.to }], messages: [{ id: `wamid.out${wa.sent.length}` }] });
    }
    const mediaMatch = path.match(/^\/(\w+)$/);
    if (req.method === "GET" && mediaMatch && media[mediaMatch[1]]) {
      const item = media[mediaMatch[1]];
      return send(res, 200, { url: `${wa.url}/download/${mediaMatch[1]}`, mime_type: item.type, file_size: item.bytes.length, id: mediaMatch[1], messaging_product: "whatsapp" });
    }
    const download = path.match(/^\/download\/(\w+)$/);
    if (req.method === "GET" && download && media[download[1]]) {
      return send(res, 200, media[download[1]].bytes, media[download[1]].type);
    }
    return send(res, 404, { error: { message: "Unknown path", code: 100 } });
  });
  wa.url = `http://127.0.0.1:${server.address().port}/v21.0`;
  let nextId = 1;
  Object.assign(wa, {
    /** The notification WhatsApp posts for `messages` from the person `from`. */
    notification(messages, { from = "447700900123", name = "Kai Lee" } = {}) {
      return {
        object: "whatsapp_business_account",
        entry: [{ id: "WABA_ID", changes: [{ field: "messages", value: {
          messaging_product: "whatsapp",
          metadata: { display_phone_number: "15550001111", phone_number_id: phoneNumberId },
          contacts: [{ profile: { name }, wa_id: from }],
          messages: messages.map((m) => ({ from, id: m.id ?? `wamid.in${nextId++}`, timestamp: String(Math.floor(Date.now() / 1000)), ...m })),
        } }] }],
      };
    },
    /** Posts a notification, signed with the app secret (or `secret`). */
    async post(webhookUrl, notification, secret = appSecret) {
      const body = JSON.stringify(notification);
      const signature = "sha256=" + createHmac("sha256", secret).update(body).digest("hex");
      const res = await fetch(webhookUrl, { method: "POST", headers: { "Content-Type": "application/json", "X-Hub-Signature-256": signature }, body });
      return { status: res.status, text: await res.text() };
    },
    /** Posts one message and waits for the next answer. */
    async say(webhookUrl, message, options) {
      const before = wa.sent.length;
      const res = await wa.post(webhookUrl, wa.notification([message], options));
      if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${res.text}`);
      await waitUntil(() => wa.sent.length > before, { message: `an answer to ${JSON.stringify(message)}` });
      return wa.sent[wa.sent.length - 1];
    },
    stop: () => new Promise((r) => server.close(r)),
  });
  return wa;
}

