// One receiver that never answers must not hold up anyone else's leads (core/src/lanes.rs):
// an attempt with no answer within the fast lane's 5 s goes on in the slow lane with the
// full time-out, and its target goes straight there for a while. On the real runtime, with
// its real queues: the local one hands a consumer one batch at a time.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { startStack, startReceiver, contactForm, seedSubmit, postJson, waitUntil } from "./support/stack.mjs";

const FAST_BUDGET_MS = 5_000;
let stack, receiver, hanging, hangingUrl;
/** What the hanging receiver was sent (and never answered): headers and body. */
const held = [];

before(async () => {
  receiver = await startReceiver();
  // A receiver that takes every request and never answers it.
  hanging = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => held.push({ res, headers: req.headers, body }));
  });
  await new Promise((resolve) => hanging.listen(0, "127.0.0.1", resolve));
  hangingUrl = `http://127.0.0.1:${hanging.address().port}/hook`;
  stack = await startStack({ vars: { DELIVERY_TIMEOUT_MS: "12000", RETRY_SCHEDULE_SECS: "0,600" } });
  const agent = await stack.owner("POST", "/v1/agents", { id: "agent_lanes", name: "Lanes" });
  assert.equal(agent.status, 201, JSON.stringify(agent.body));
  for (const [id, name, url] of [["tool_hangs", "hangs_form", hangingUrl], ["tool_fine", "fine_form", receiver.url + "/hook"]]) {
    const made = await stack.owner("POST", "/v1/agents/agent_lanes/tools", contactForm(url, { id, name }));
    assert.equal(made.status, 201, JSON.stringify(made.body));
  }
});

after(async () => {
  await stack?.stop();
  await receiver?.stop();
  hanging?.closeAllConnections();
  hanging?.close();
});

const submit = async (toolId, email) => {
  const res = await postJson(`${stack.url}/form-submissions/submit`, seedSubmit({ toolId, formData: { name: "Lane", email, message: "hi" } }));
  assert.equal(res.status, 200, res.text);
  return res.json.submissionId;
};

/** Milliseconds from now until the fine receiver has the lead of `email`. */
async function deliveredIn(email, started) {
  await waitUntil(() => receiver.requests.some((r) => r.json?.formData?.email === email), { timeoutMs: 30_000, message: `the webhook for ${email}` });
  return Date.now() - started;
}

test("a receiver that never answers costs another agent's lead at most the fast lane's budget, and then nothing", async () => {
  // The hanging receiver's lead goes first; the fine one right behind it.
  const hung = await submit("tool_hangs", "hangs.1@example.com");
  await waitUntil(() => held.length === 1, { message: "the hanging receiver got the first attempt" });
  let started = Date.now();
  await submit("tool_fine", "fine.1@example.com");
  const first = await deliveredIn("fine.1@example.com", started);
  // Without lanes it waited for the hanging attempt's whole time-out (12 s).
  assert.ok(first < FAST_BUDGET_MS + 3_000, `the fine lead waited ${first} ms`);

  // The hanging target is now known as slow: its next lead goes straight to the slow lane,
  // which is busy with the first for its whole time-out, so the fine lead behind it goes
  // before the hanging receiver hears of the second at all (on the fast lane it would
  // have had it first, and the fine lead would have waited out the budget again).
  await submit("tool_hangs", "hangs.2@example.com");
  started = Date.now();
  await submit("tool_fine", "fine.2@example.com");
  const second = await deliveredIn("fine.2@example.com", started);
  assert.equal(held.filter((h) => h.body.includes("hangs.2@example.com")).length, 0, `asked before the fine lead (${second} ms)`);
  assert.ok(second < FAST_BUDGET_MS, `the fine lead waited ${second} ms`);

  // The slow lane made the first lead's attempt with the whole time-out, and logged it once.
  await waitUntil(async () => {
    const log = (await stack.owner("GET", `/v1/submissions/${hung}/deliveries`)).body;
    return log.deliveries[0].attempts.length === 1;
  }, { timeoutMs: 40_000, message: "the slow lane's attempt was logged" });
  const log = (await stack.owner("GET", `/v1/submissions/${hung}/deliveries`)).body;
  const [attempt] = log.deliveries[0].attempts;
  assert.equal(attempt.statusCode, null);
  assert.match(attempt.error, /no answer within 12 s/);
  assert.ok(attempt.latencyMs >= 11_000, String(attempt.latencyMs));
  assert.equal(log.deliveries[0].delivery.status, "retrying");
  // The fast lane's try and the slow lane's: the hanging receiver saw the lead twice, with
  // one webhook-id, for a receiver that drops repeats.
  const tries = held.filter((h) => h.body.includes("hangs.1@example.com"));
  assert.equal(tries.length, 2);
  assert.equal(new Set(tries.map((h) => h.headers["webhook-id"])).size, 1);
});

test("a receiver that answers its status and then stalls its body is slow too: its next lead does not hold the fast lane", async (t) => {
  // Headers and the first bytes at once, then nothing: the status is the answer (the lead
  // is delivered), but reading for the log's snippet took the fast lane's whole budget.
  const stalls = [];
  const stalling = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { "Content-Type": "text/plain" });
    res.write("ok, and then nothing");
    stalls.push(res);
  });
  await new Promise((resolve) => stalling.listen(0, "127.0.0.1", resolve));
  t.after(() => (stalling.closeAllConnections(), stalling.close()));
  const made = await stack.owner("POST", "/v1/agents/agent_lanes/tools", contactForm(`http://127.0.0.1:${stalling.address().port}/hook`, { id: "tool_stalls", name: "stalls_form" }));
  assert.equal(made.status, 201, JSON.stringify(made.body));

  const first = await submit("tool_stalls", "stalls.1@example.com");
  await waitUntil(async () => {
    const log = (await stack.owner("GET", `/v1/submissions/${first}/deliveries`)).body;
    return log.deliveries[0].attempts.length === 1;
  }, { timeoutMs: 20_000, message: "the first attempt was logged" });
  const [attempt] = (await stack.owner("GET", `/v1/submissions/${first}/deliveries`)).body.deliveries[0].attempts;
  assert.equal(attempt.statusCode, 200, "delivered: the status is the answer");
  assert.ok(attempt.latencyMs >= FAST_BUDGET_MS - 100, String(attempt.latencyMs));

  // Its next lead goes to the slow lane: one right behind it is not held.
  await submit("tool_stalls", "stalls.2@example.com");
  const started = Date.now();
  await submit("tool_fine", "fine.3@example.com");
  const waited = await deliveredIn("fine.3@example.com", started);
  // On the fast lane the stalled body would have held it for what is left of 5 s (3 s).
  assert.ok(waited < 1_500, `the fine lead waited ${waited} ms`);
});
