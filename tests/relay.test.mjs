// The tests' relay (scripts/lib/relay.mjs) against a stand-in for wrangler dev: it sends a
// request again only on the dev proxy's own "restarted mid-request" answer, once, with the
// same body; every other answer, and every body, passes through as it was.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { gzipSync } from "node:zlib";
import { freePort } from "../scripts/lib/edge.mjs";
import { startRelay } from "../scripts/lib/relay.mjs";

const DEV_PROXY_LOST = "Your worker restarted mid-request. Please try sending the request again. Only GET or HEAD requests are retried automatically.";
let upstream, relay, url, seen, answers, relayed;
const held = [];
let nudges = 0;

before(async () => {
  seen = [];
  upstream = createServer((req, res) => {
    // As the dev proxy does with a GET that met the race: held until its next request.
    const waiting = held.splice(0);
    waiting.forEach((answer) => answer());
    if (req.method === "GET" && req.url === "/") {
      nudges += 1; // the relay's own request (its answer is not the stand-in's to give)
      return res.end("nudged");
    }
    if (req.headers["x-held"] && !waiting.length) {
      seen.push({ held: true });
      held.push(() => res.end("held, then sent"));
      return;
    }
    if (req.headers["x-answer-early"] && !seen.some((r) => r.early)) {
      // As the dev proxy may: answer before the body has arrived (and drain the rest).
      seen.push({ early: true });
      res.writeHead(503, { "Content-Type": "text/plain" });
      res.end(DEV_PROXY_LOST);
      return req.resume();
    }
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      const [status, text, type, encoding] = answers.shift() ?? [200, "ok", "text/plain"];
      res.writeHead(status, { "Content-Type": type, "X-Upstream": "yes", ...(encoding ? { "Content-Encoding": encoding } : {}) });
      res.end(encoding === "gzip" ? gzipSync(text) : text);
    });
  });
  const target = await new Promise((resolve) => upstream.listen(0, "127.0.0.1", () => resolve(upstream.address().port)));
  const port = await freePort();
  relayed = [];
  relay = await startRelay({ port, target, log: (line) => relayed.push(line) });
  url = `http://127.0.0.1:${port}`;
});

after(async () => {
  await relay.close();
  await new Promise((resolve) => upstream.close(resolve));
});

test("the dev proxy's lost request is sent once more, with its body; the client sees the edge's answer", async () => {
  seen.length = 0;
  answers = [[503, DEV_PROXY_LOST, "text/plain;charset=UTF-8"], [201, '{"id":"a"}', "application/json"]];
  const res = await fetch(url + "/v1/agents?x=1", { method: "POST", headers: { "Content-Type": "application/json", "X-Test": "1" }, body: '{"id":"a"}' });
  assert.equal(res.status, 201);
  assert.deepEqual(await res.json(), { id: "a" });
  assert.equal(res.headers.get("x-upstream"), "yes");
  assert.equal(seen.length, 2);
  for (const request of seen) {
    assert.equal(request.url, "/v1/agents?x=1");
    assert.equal(request.body, '{"id":"a"}');
    assert.equal(request.headers["x-test"], "1");
  }
  assert.equal(relayed.length, 1, "the re-send is logged");
});

test("a second lost answer in a row, and every other 503, reach the client as they are", async () => {
  seen.length = 0;
  // The dev proxy compresses its answer for a client that accepts gzip.
  answers = [[503, DEV_PROXY_LOST, "text/plain", "gzip"], [503, DEV_PROXY_LOST, "text/plain", "gzip"]];
  const twice = await fetch(url + "/x", { method: "POST", body: "b" });
  assert.equal(twice.status, 503);
  assert.match(await twice.text(), /restarted mid-request/);
  assert.equal(seen.length, 2);
  seen.length = 0;
  answers = [[503, '{"error":{"code":"misconfigured"}}', "application/json"]];
  const ours = await fetch(url + "/x", { method: "POST", body: "b" });
  assert.equal(ours.status, 503);
  assert.equal((await ours.json()).error.code, "misconfigured");
  answers = [[503, "Service Unavailable", "text/plain", "gzip"]];
  const other = await fetch(url + "/x", { method: "POST", body: "b" });
  assert.equal(await other.text(), "Service Unavailable", "passed on as it was compressed");
  assert.equal(seen.length, 2, "neither is sent again");
});

test("a chunked body reaches the edge chunked, whole", async () => {
  seen.length = 0;
  answers = [];
  const parts = ["{", '"a":', '"', "x".repeat(100_000), '"}'];
  const body = new ReadableStream({
    pull(controller) {
      const part = parts.shift();
      if (part === undefined) controller.close();
      else controller.enqueue(new TextEncoder().encode(part));
    },
  });
  const res = await fetch(url + "/y", { method: "POST", body, duplex: "half" });
  assert.equal(res.status, 200);
  assert.equal(seen[0].headers["transfer-encoding"], "chunked");
  assert.equal(seen[0].headers["content-length"], undefined);
  assert.equal(JSON.parse(seen[0].body).a.length, 100_000);
});

test("a lost answer that comes before the body has arrived: the whole body goes again", async () => {
  seen.length = 0;
  answers = [];
  let sent = 0;
  const body = new ReadableStream({
    async pull(controller) {
      if (sent === 40) return controller.close();
      sent += 1;
      await new Promise((r) => setTimeout(r, 5)); // still arriving after the answer
      controller.enqueue(new TextEncoder().encode("y".repeat(64 * 1024)));
    },
  });
  const res = await fetch(url + "/z", { method: "POST", body, duplex: "half", headers: { "X-Answer-Early": "1" } });
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(seen.length, 2);
  assert.equal(seen[1].body.length, 40 * 64 * 1024);
});

test("a GET the dev proxy holds until its next request is answered: the relay sends it one", async () => {
  seen.length = 0;
  const started = Date.now();
  const res = await fetch(url + "/widget/leadform_widget_bg.wasm", { headers: { "X-Held": "1" }, signal: AbortSignal.timeout(10_000) });
  assert.equal(await res.text(), "held, then sent");
  assert.ok(Date.now() - started < 5_000, `${Date.now() - started} ms`);
  assert.equal(seen[0].held, true);
  assert.ok(nudges >= 1, "the nudge: a request of the relay's own");
});

test("a body over the relay's hold limit streams through whole, and is not sent again", async () => {
  seen.length = 0;
  answers = [[503, DEV_PROXY_LOST, "text/plain"]];
  const chunk = "z".repeat(1024 * 1024);
  let sent = 0;
  const body = new ReadableStream({
    async pull(controller) {
      if (sent === 10) return controller.close();
      sent += 1;
      controller.enqueue(new TextEncoder().encode(chunk));
    },
  });
  const res = await fetch(url + "/big", { method: "POST", body, duplex: "half" });
  assert.equal(res.status, 503, "the relay holds no copy to send again");
  assert.match(await res.text(), /restarted mid-request/);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].body.length, 10 * chunk.length, "every byte reached the edge");
});
