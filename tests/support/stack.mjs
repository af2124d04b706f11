// What the tests run against: the edge on the real local runtime with its own fresh D1,
// receivers on 127.0.0.1 that record what they get, and headless Chromium.
import { createServer } from "node:http";
import { mkdtemp, writeFile, rm, readdir } from "node:fs/promises";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { applyMigrations, executeSql, freePort, startEdge } from "../../scripts/lib/edge.mjs";

/** A fresh edge: new local D1 (migrated), its own API key, loopback webhooks allowed. */
export async function startStack({ vars = {}, cronEveryMs } = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), "leadform-test-"));
  const persistTo = path.join(dir, "state");
  const apiKey = randomBytes(16).toString("hex");
  // The dashboard's first admin, created on their first sign-in.
  const admin = { email: "owner@example.com", password: `pw-${randomBytes(9).toString("base64url")}` };
  const envFile = path.join(dir, "test.vars");
  const port = await freePort();
  const settings = {
    LEADFORM_API_KEY: apiKey,
    ALLOW_LOOPBACK_WEBHOOKS: "true",
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    // Most tests make hundreds of calls from one address; the limits have tests of their
    // own (tests/abuse.test.mjs), which turn them on.
    RATE_LIMITS: "off",
    LEADFORM_ADMIN_EMAIL: admin.email,
    LEADFORM_ADMIN_PASSWORD: admin.password,
    ...vars,
  };
  await writeFile(envFile, Object.entries(settings).map(([k, v]) => `${k}=${v}`).join("\n") + "\n");
  await applyMigrations(persistTo);
  let edge = await startEdge({ port, persistTo, envFile, cronEveryMs, relay: true });
  const owner = async (method, route, body) => {
    const res = await fetch(edge.url + route, {
      method,
      headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    // A 204 (a delete) has no body.
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  return {
    url: edge.url,
    apiKey,
    admin,
    owner,
    logs: () => edge.output(),
    /** Runs SQL on the stack's local D1 beside the running edge (to age rows, say). */
    sql: (command) => executeSql(persistTo, command),
    /** The keys in the stack's local R2 bucket that begin with `prefix`. */
    r2Keys: (prefix) => r2Keys(persistTo, prefix),
    /** Waits until the owner API shows the submission in one of `statuses`. */
    async waitForStatus(submissionId, statuses, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { body } = await owner("GET", `/v1/submissions/${submissionId}`);
        if (statuses.includes(body.submission?.status)) return body;
        if (Date.now() > deadline) throw new Error(`status stayed ${body.submission?.status}: ${JSON.stringify(body)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    /** Stops the runtime and starts it again on the same D1/R2 state (queues are lost). */
    async restart() {
      await edge.stop();
      edge = await startEdge({ port, persistTo, envFile, cronEveryMs, relay: true });
    },
    async stop() {
      await edge.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * An HTTP receiver on 127.0.0.1 recording every request. `respond(request, index)`
 * returns the status to answer with (200 by default), or `{ status, json }`.
 */
export async function startReceiver({ respond = () => 200 } = {}) {
  const requests = [];
  const waiters = [];
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const entry = { method: req.method, url: req.url, headers: req.headers, body, at: Date.now() };
      try {
        entry.json = JSON.parse(body);
      } catch {}
      requests.push(entry);
      // A status, or a status and the JSON to answer with.
      const answer = respond(entry, requests.length - 1);
      const { status, json = { ok: status < 300 } } = typeof answer === "number" ? { status: answer } : answer;
      const headers = { "Content-Type": "application/json" };
      if (receiver.retryAfter && status === 429) headers["Retry-After"] = receiver.retryAfter;
      if (receiver.location && status >= 300 && status < 400) headers.Location = receiver.location;
      res.writeHead(status, headers);
      res.end(JSON.stringify(json));
      waiters.filter((w) => requests.length >= w.count).forEach((w) => w.resolve());
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  const receiver = {
    url,
    requests,
    /** Set to answer 429s with this Retry-After, 3xx with this Location. */
    retryAfter: null,
    location: null,
    /** Resolves once `count` requests have arrived. */
    waitFor(count, timeoutMs = 15_000) {
      if (requests.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`receiver got ${requests.length} of ${count} requests`)), timeoutMs);
        waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
    // Connections a client keeps alive would hold `close` (and the test file) open for good.
    stop: () => new Promise((resolve) => (server.close(resolve), server.closeAllConnections())),
  };
  return receiver;
}

/** Seed 002's contact form, with its webhook pointing at `webhookUrl`. */
export function contactForm(webhookUrl, overrides = {}) {
  return {
    id: "tool_contact_form",
    name: "contact_form",
    title: "Talk to us",
    fields: [
      { name: "name", type: "text", required: true },
      { name: "email", type: "email", required: true },
      { name: "message", type: "textarea" },
    ],
    executionMode: "webhook",
    webhookUrl,
    ...overrides,
  };
}

/** The curl example of seed 002, as a body. */
export function seedSubmit(overrides = {}) {
  return {
    toolId: "tool_contact_form",
    formData: { name: "Jane Smith", email: "jane@example.com", message: "I would like to schedule a demo" },
    fieldsCompleted: ["name", "email", "message"],
    impressionAt: 1703347200000,
    startedAt: 1703347205000,
    ...overrides,
  };
}

/**
 * Headers of a submit the owner's own server makes, with the stack's admin key: its answer
 * names the lead (`leadId`), which a visitor's never does.
 */
export function asOwner(stack, headers = {}) {
  return { Authorization: `Bearer ${stack.apiKey}`, ...headers };
}

export async function postJson(url, body, headers = {}) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, headers: res.headers, json, text };
}

/**
 * An owner-API call that reads any answer (JSON, an empty 204, a CSV download), with the
 * stack's admin key unless `key` says otherwise (`null`: no Authorization header).
 * Returns `{status, headers, bytes, text, json}`; `json` is undefined when the body is not JSON.
 */
export async function ownerRequest(stack, method, route, { body, key = stack.apiKey, headers = {} } = {}) {
  const res = await fetch(stack.url + route, {
    method,
    headers: {
      ...(key ? { Authorization: `Bearer ${key}` } : {}),
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  const text = bytes.toString("utf8");
  let json;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, headers: res.headers, bytes, text, json };
}

/**
 * Polls `check` (sync or async) until it returns a truthy value, which it resolves to;
 * fails with `message` and the last value seen once `timeoutMs` has passed.
 */
export async function waitUntil(check, { timeoutMs = 15_000, intervalMs = 100, message = "condition" } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await check();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`${message}: not met within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Every lead of `agentId` matching `query` (a query string without limit/cursor), following
 * nextCursor page by page (at most `maxPages`). Returns `{leads, pages, total}`.
 */
export async function allLeads(stack, agentId, query = "", { limit = 100, maxPages = 50, key = stack.apiKey } = {}) {
  const leads = [];
  const pages = [];
  let cursor = null;
  let total;
  for (let i = 0; i < maxPages; i++) {
    const params = new URLSearchParams(query);
    params.set("limit", String(limit));
    if (cursor) params.set("cursor", cursor);
    const res = await ownerRequest(stack, "GET", `/v1/agents/${agentId}/leads?${params}`, { key });
    if (res.status !== 200) throw new Error(`GET leads?${params} answered ${res.status}: ${res.text}`);
    pages.push(res.json);
    leads.push(...res.json.leads);
    total ??= res.json.total;
    cursor = res.json.nextCursor;
    if (cursor === null) return { leads, pages, total };
  }
  throw new Error(`more than ${maxPages} pages of leads for ${agentId}?${query}`);
}

/** A 1×1 PNG (a real one: signature, IHDR, IDAT, IEND with their CRCs). */
export const PNG_1X1 = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);

/** A base64 data URL as the widget sends a file field: `data:<type>;name=<name>;base64,<bytes>`. */
export function fileDataUrl(type, bytes, name) {
  return `data:${type}${name ? `;name=${encodeURIComponent(name)}` : ""};base64,${bytes.toString("base64")}`;
}

/**
 * Playwright fills a form faster than anyone could, and a fill under a second from the
 * form's display is quarantined as spam; a quick person takes a second or more (a fill
 * under 3 s scores 3 points of the 5 that make spam, see core/src/spam.rs). Browser tests
 * that stand for a person wait this long before submitting.
 */
export const quickPerson = () => new Promise((r) => setTimeout(r, 1_100));

/**
 * A person who only presses Send on a form the page filled in (`leadform.identify`) needs
 * a moment to see it and click, not a second of typing; quicker than 0.3 s is no person
 * (core/src/spam.rs, `INSTANT_SEND_MS`).
 */
export const quickClick = () => new Promise((r) => setTimeout(r, 500));

/** Signs the stack's first admin in to the dashboard; the session cookie (`name=value`). */
export async function signInCookie(stack) {
  const signedIn = await fetch(`${stack.url}/dashboard/sign-in`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(stack.admin).toString(),
    redirect: "manual",
  });
  return signedIn.headers.get("set-cookie").split(";")[0];
}

/**
 * The keys in a local R2 bucket under `persistTo` that begin with `prefix`, read from the
 * local runtime's own store (miniflare keeps each bucket's objects in a SQLite file, table
 * `_mf_objects`): neither wrangler nor the binding lists a local bucket from outside the
 * worker. Read-only, with Python's sqlite3 (Node 20 has none).
 */
async function r2Keys(persistTo, prefix) {
  const dir = path.join(persistTo, "v3", "r2", "miniflare-R2BucketObject");
  // A missing store is an error, not "no keys": an assertion of none must be able to fail.
  const files = (await readdir(dir)).filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite");
  if (files.length === 0) throw new Error(`no local R2 bucket under ${dir}`);
  const script = `
import json, sqlite3, sys
keys = []
for f in sys.argv[2:]:
    db = sqlite3.connect("file:" + f + "?mode=ro", uri=True)
    keys += [k for (k,) in db.execute("SELECT key FROM _mf_objects WHERE substr(key, 1, length(?)) = ?", (sys.argv[1], sys.argv[1]))]
print(json.dumps(sorted(keys)))
`;
  const { stdout } = await promisify(execFile)("python3", ["-c", script, prefix, ...files.map((f) => path.join(dir, f))]);
  return JSON.parse(stdout);
}

/** Conversation tokens by id, as the widget keeps them (`rememberConversation` fills it). */
const conversationTokens = new Map();

/** Keeps the token a `POST /conversations` answer `res` carries; returns `res`. */
export function rememberConversation(res) {
  if (res.json?.conversationToken) conversationTokens.set(res.json.conversationId, res.json.conversationToken);
  return res;
}

/** `headers` with conversation `id`'s token, as the widget sends it to read or go on with it. */
export function conversationHeaders(id, headers = {}) {
  const token = conversationTokens.get(id);
  return token ? { ...headers, "X-Leadform-Conversation-Token": token } : headers;
}
