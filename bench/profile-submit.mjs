// Where a submit's time goes inside the edge's worker: records a V8 CPU profile of the
// worker (through `wrangler dev`'s DevTools inspector) while CLIENTS clients submit, as in
// bench/submit.mjs (client-mode form, a display token per three submissions, widget-shaped
// bodies), and prints the functions with the most self time, wasm and JavaScript alike,
// then the same summed by kind. What it measures is the worker's isolate only: D1, the
// queue and wrangler's proxies run elsewhere (bench/submit.mjs prints their CPU).
//
// node --experimental-websocket bench/profile-submit.mjs   (bench/profile-submit.sh builds first)
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { ROOT, applyMigrations, startEdge } from "../scripts/lib/edge.mjs";
import { SUBMIT_AGENT, SUBMIT_FORM, SUBMIT_ORIGIN, processTable, processesOf, seedSubmitRows } from "./lib.mjs";

const CLIENTS = Number(process.env.CLIENTS ?? 32);
const SUBMISSIONS = Number(process.env.SUBMISSIONS ?? 3000);
const TOP = Number(process.env.TOP ?? 40);
const ORIGIN = SUBMIT_ORIGIN;
const AGENT = SUBMIT_AGENT;
const TOOL = SUBMIT_FORM.id;

const dir = await mkdtemp(path.join(tmpdir(), "leadform-profile-"));
const apiKey = randomBytes(16).toString("hex");
const envFile = path.join(dir, "profile.vars");
await writeFile(envFile, `LEADFORM_API_KEY=${apiKey}\nRATE_LIMITS=off\n`);
// TARGET=floor profiles bench/rust-floor instead (the baseline's one insert and queue send
// in Rust, on the same `worker` crate): what a Rust worker pays before leadform's own work.
const FLOOR = process.env.TARGET === "floor";
const config = FLOOR ? path.join(ROOT, "bench/rust-floor/wrangler.toml") : undefined;
await applyMigrations(path.join(dir, "d1"), config);
if (FLOOR) await seedSubmitRows(path.join(dir, "d1"), config);
const edge = await startEdge({ persistTo: path.join(dir, "d1"), envFile, config, cronEveryMs: 3_600_000 });

try {
  const owner = async (route, body) => {
    const res = await fetch(edge.url + route, {
      method: "POST",
      headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    if (res.status !== 201) throw new Error(`${route}: ${res.status} ${await res.text()}`);
  };
  if (!FLOOR) {
    await owner("/v1/agents", { id: AGENT, name: "profile", allowedOrigins: [ORIGIN] });
    await owner(`/v1/agents/${AGENT}/tools`, SUBMIT_FORM);
  }

  const token = async () => {
    if (FLOOR) return "1764000000000.0123456789abcdef.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    const res = await fetch(`${edge.url}/widget/config?agentId=${AGENT}`, { headers: { Origin: ORIGIN } });
    return (await res.json()).displayToken;
  };
  // Tokens first (one per three submissions), and a few seconds' wait, so none is too fast.
  const tokens = [];
  for (let i = 0; i < Math.ceil(SUBMISSIONS / 3) + 20; i++) tokens.push(await token());
  await new Promise((r) => setTimeout(r, 3_000));

  let n = 0;
  const submit = async () => {
    const i = n++;
    const now = Date.now();
    const res = await fetch(`${edge.url}/form-submissions/submit`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Origin: ORIGIN },
      body: JSON.stringify({
        toolId: TOOL,
        conversationId: `conv_${i}`,
        formData: { name: `Visitor ${i}`, email: `visitor${i}@profile.example`, company: "Acme", message: "Call me about pricing?" },
        fieldsCompleted: ["name", "email", "company", "message"],
        impressionAt: now - 40_000,
        startedAt: now - 25_000,
        idempotencyKey: `display_${i}_${randomBytes(4).toString("hex")}`,
        displayToken: tokens[Math.floor(i / 3)],
        attribution: { pageUrl: "https://shop.example/pricing", utm: { source: "news" } },
      }),
    });
    if (res.status !== 200) throw new Error(`submit answered ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
  };
  const load = async (count) => {
    const stop = n + count;
    await Promise.all(Array.from({ length: CLIENTS }, async () => { while (n < stop) await submit(); }));
  };
  await load(100); // warm: the isolate compiled, its caches filled

  const started = Date.now();
  if (process.env.PERF) {
    await perfRecord(() => load(SUBMISSIONS));
  } else {
    const inspector = await connect(edge.inspectorPort);
    await inspector.send("Profiler.enable");
    await inspector.send("Profiler.setSamplingInterval", { interval: 100 });
    await inspector.send("Profiler.start");
    await load(SUBMISSIONS);
    const { profile } = await inspector.send("Profiler.stop");
    await report(profile, (Date.now() - started) / 1000, inspector);
    inspector.close();
  }
} finally {
  await edge.stop();
  await rm(dir, { recursive: true, force: true });
}

/** PERF=1: the whole runtime (the worker, D1's object and SQLite, the queue, the proxies)
 * rather than the worker's isolate: `perf record` on every workerd while `run` loads it,
 * then samples per submission by part and the symbols with the most. Comparable between
 * TARGET=floor and leadform runs (same sampling rate). PERF=<path> keeps the perf.data. */
async function perfRecord(run) {
  // This edge's runtime only (its wrangler's workerd processes), not another on the machine.
  const table = await processTable();
  const pids = (await processesOf(edge.port)).filter((pid) => table.get(pid)?.comm === "workerd");
  if (pids.length === 0) throw new Error("no workerd of this edge found in /proc");
  const data = process.env.PERF === "1" ? path.join(dir, "perf.data") : process.env.PERF;
  const perf = spawn("perf", ["record", "-F", "1999", "-o", data, "-p", pids.join(",")], { stdio: "ignore" });
  await new Promise((r) => setTimeout(r, 500)); // attached
  await run();
  perf.kill("SIGINT");
  await new Promise((r) => perf.on("exit", r));
  const { stdout } = await promisify(execFile)("perf", ["report", "-i", data, "--stdio", "--sort", "sym", "-F", "sample,sym"], { maxBuffer: 1 << 28 });
  const symbols = [];
  for (const line of stdout.split("\n")) {
    const m = /^\s*(\d+)\s+\[(.)\]\s+(.*)$/.exec(line);
    if (m) symbols.push({ samples: Number(m[1]), kernel: m[2] === "k", name: m[3].trim() });
  }
  const part = ({ name, kernel }) =>
    kernel ? "kernel" : /^sqlite3|^yy|^pcache|^wal|^btree/i.test(name) ? "SQLite" : /tcmalloc|^TCMalloc/.test(name) ? "malloc"
      : /^0x/.test(name) ? "JIT (JavaScript and wasm)" : /^v8::|^Builtins_/.test(name) ? "V8" : /^kj::|^capnp::/.test(name) ? "kj and capnp"
      : /^workerd::/.test(name) ? "workerd" : "other";
  const parts = new Map();
  for (const s of symbols) parts.set(part(s), (parts.get(part(s)) ?? 0) + s.samples);
  const total = symbols.reduce((sum, s) => sum + s.samples, 0);
  console.log(`perf of ${FLOOR ? "bench/rust-floor's" : "the edge's"} workerd: ${SUBMISSIONS} submissions at ${CLIENTS} clients, 1999 Hz`);
  console.log(`${total} samples, ${(total / SUBMISSIONS).toFixed(2)} per submission\n\nby part (samples per submission):`);
  for (const [name, n] of [...parts].sort((a, b) => b[1] - a[1])) console.log(`  ${(n / SUBMISSIONS).toFixed(3).padStart(7)}  ${name}`);
  console.log(`\ntop ${TOP} symbols (samples per submission):`);
  for (const s of symbols.sort((a, b) => b.samples - a.samples).slice(0, TOP)) {
    console.log(`  ${(s.samples / SUBMISSIONS).toFixed(3).padStart(7)}  ${s.name.slice(0, 110)}`);
  }
}

/** A DevTools protocol session with the worker behind wrangler's inspector proxy. */
async function connect(port) {
  const targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
  // The proxy refuses a socket without a local Origin (undici's sends none by itself).
  const socket = new WebSocket(targets[0].webSocketDebuggerUrl, { headers: { Origin: "http://localhost" } });
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  let id = 0;
  const waiting = new Map();
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    const done = waiting.get(message.id);
    if (!done) return;
    waiting.delete(message.id);
    message.error ? done.reject(new Error(message.error.message)) : done.resolve(message.result);
  };
  return {
    send: (method, params = {}) =>
      new Promise((resolve, reject) => {
        waiting.set(++id, { resolve, reject });
        socket.send(JSON.stringify({ id, method, params }));
      }),
    close: () => socket.close(),
  };
}

/** Self time per function and per kind (wasm, the worker's JS glue, the runtime, idle). */
async function report(profile, seconds, inspector) {
  // The JavaScript the top entries point at (wrangler's bundle lives in a temporary folder):
  // a line of source each, so the report reads without DevTools.
  await inspector.send("Debugger.enable");
  const sources = new Map();
  const sourceOf = async (scriptId) => {
    if (!sources.has(scriptId)) {
      const got = await inspector.send("Debugger.getScriptSource", { scriptId }).catch(() => ({ scriptSource: "" }));
      sources.set(scriptId, got.scriptSource.split("\n"));
    }
    return sources.get(scriptId);
  };
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const deltas = profile.timeDeltas;
  const self = new Map();
  let total = 0;
  const frames = new Map();
  profile.samples.forEach((nodeId, i) => {
    const frame = byNode.get(nodeId).callFrame;
    const us = deltas[i] ?? 0;
    const where = frame.url && !frame.url.includes(".wasm") ? `${path.basename(frame.url)}:${frame.lineNumber + 1}:${frame.columnNumber + 1}` : frame.url ? path.basename(frame.url) : "";
    const key = `${frame.functionName || "(anonymous)"}  ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + us);
    frames.set(key, frame);
    total += us;
  });
  const kinds = new Map();
  for (const [key, us] of self) {
    const kind = key.startsWith("(idle)") ? "idle" : key.startsWith("(") ? key.split(" ")[0] : key.includes("wasm://") || /^\$?[a-z_].*::/.test(key) ? "wasm" : key.endsWith(".js") ? "JavaScript" : "other";
    kinds.set(kind, (kinds.get(kind) ?? 0) + us);
  }
  const busy = total - (kinds.get("idle") ?? 0);
  console.log(`profile of ${FLOOR ? "bench/rust-floor's" : "the edge's"} worker: ${SUBMISSIONS} submissions at ${CLIENTS} clients in ${seconds.toFixed(1)} s`);
  console.log(`busy ${(busy / 1000).toFixed(0)} ms of ${(total / 1000).toFixed(0)} ms sampled: ${(busy / 1000 / SUBMISSIONS).toFixed(3)} ms per submission\n`);
  console.log("by kind (self time, ms per submission):");
  for (const [kind, us] of [...kinds].sort((a, b) => b[1] - a[1])) {
    console.log(`  ${(us / 1000 / SUBMISSIONS).toFixed(3).padStart(7)}  ${kind}`);
  }
  console.log(`\ntop ${TOP} functions (self time, ms per submission, share of busy):`);
  for (const [key, us] of [...self].filter(([k]) => !k.startsWith("(idle)")).sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
    console.log(`  ${(us / 1000 / SUBMISSIONS).toFixed(4).padStart(7)}  ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${key}`);
    const frame = frames.get(key);
    if (frame.url && !frame.url.includes(".wasm") && frame.scriptId !== "0") {
      const line = (await sourceOf(frame.scriptId))[frame.lineNumber] ?? "";
      const code = line.slice(Math.max(0, frame.columnNumber - 20), frame.columnNumber + 100).trim();
      if (code) console.log(`                    ${code}`);
    }
  }
}
