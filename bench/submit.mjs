// Submit throughput and latency (issue "Open to the internet", item 10): POST
// /form-submissions/submit at 1, 8 and 32 concurrent clients against the leadform edge and,
// in the same run on the same runtime (workerd through `wrangler dev`, local D1 and a local
// queue), against bench/baseline/worker.js: a minimal JS worker that checks the body, inserts
// one row into the same `submissions` table (same migrations, indexes and triggers), sends
// one queue message with its id and answers JSON. Prints requests per second, p50 and p99
// latency of each, and leadform / baseline at every concurrency. Goal: leadform at least
// 0.9x the baseline's throughput at every concurrency.
//
// Requests are what the widget sends for a client-mode form (`executionMode: "client"`: the
// answer does not wait for a webhook attempt): a display id as idempotency key, a
// conversation id, attribution, the page's Origin (an allowed one) and the display token of
// its widget load (GET /widget/config, fetched untimed a few seconds before use, as a page
// loads before its visitor fills a form; one token per three submissions, as one page view
// shows a few forms at most, so none is quarantined as spam). Every submission
// names its own person (a new email) except one in RETURNING_EVERY, which comes back with
// the email of an earlier, answered submission (leadform then updates that lead). Both
// workers run at once, each on a fresh local D1; at each concurrency they take turns
// (leadform, baseline, baseline, leadform) so a change in the machine's load falls on both.
// A third worker, bench/rust-floor, does exactly the baseline's work in Rust on the same
// `worker` crate as the edge: what that costs is the floor a Rust worker starts from, so the
// run also prints the floor against the baseline and leadform against the floor.
// Also prints the CPU time each worker's processes spend per submission (on a shared machine
// it moves much less than latency does): workerd (the worker, D1, the queue, wrangler's proxy
// workers) apart from wrangler's node process, which relays the runtime's inspector events,
// a few for every subrequest (each D1 call, each queue send): a cost of `wrangler dev` only.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { ROOT, applyMigrations, startEdge } from "../scripts/lib/edge.mjs";
import { SUBMIT_AGENT, SUBMIT_FORM, SUBMIT_ORIGIN, processesOf, seedSubmitRows } from "./lib.mjs";

// BENCH_CONCURRENCIES="8,32" runs only those (a quicker look at one change).
const CONCURRENCIES = (process.env.BENCH_CONCURRENCIES ?? "1,8,32").split(",").map(Number);
/** Per turn: at most this many timed requests, and at most TURN_SECONDS; two turns per worker. */
const TURN_REQUESTS = { 1: 250, 8: 800, 32: 1600 };
const TURN_SECONDS = 15;
/** Untimed requests before the first turn at each concurrency, per worker. */
const WARM_UP = 40;
const RETURNING_EVERY = 10;
const GOAL = 0.9;
const ORIGIN = SUBMIT_ORIGIN;
const AGENT = SUBMIT_AGENT;
const TOOL = SUBMIT_FORM.id;
const BASELINE_CONFIG = path.join(ROOT, "bench/baseline/wrangler.toml");
const FLOOR_CONFIG = path.join(ROOT, "bench/rust-floor/wrangler.toml");
// Crons off for the length of the run (the edge also sweeps on its own once a minute).
const NO_CRON_MS = 3_600_000;

const dir = await mkdtemp(path.join(tmpdir(), "leadform-bench-submit-"));
const apiKey = randomBytes(16).toString("hex");
const envFile = path.join(dir, "bench.vars");
// RATE_LIMITS=off: the edge's per-client limits would refuse a load test from one address.
await writeFile(envFile, `LEADFORM_API_KEY=${apiKey}\nRATE_LIMITS=off\n`);

const TOOL_SPEC = SUBMIT_FORM;

async function startLeadform() {
  const persistTo = path.join(dir, "leadform");
  await applyMigrations(persistTo);
  const edge = await startEdge({ persistTo, envFile, cronEveryMs: NO_CRON_MS });
  const owner = async (route, body, expected = 201) => {
    const res = await fetch(edge.url + route, {
      method: body === undefined ? "GET" : "POST",
      headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status !== expected) throw new Error(`${route}: ${res.status} ${text}`);
    return JSON.parse(text);
  };
  await owner("/v1/agents", { id: AGENT, name: "bench", allowedOrigins: [ORIGIN] });
  await owner(`/v1/agents/${AGENT}/tools`, TOOL_SPEC);
  return { name: "leadform", edge, owner };
}

/** The JS baseline (`baseline`) or its Rust twin (`floor`): the same tables, rows and answer. */
async function startBaseline(name = "baseline", config = BASELINE_CONFIG) {
  const persistTo = path.join(dir, name);
  await applyMigrations(persistTo, config);
  // The same agent and tool rows (the insert reads the tool's agent and mode).
  await seedSubmitRows(persistTo, config);
  const edge = await startEdge({ persistTo, config, cronEveryMs: NO_CRON_MS });
  return { name, edge };
}

// ---- CPU time of a worker: its `wrangler dev` process (found by its --port) and everything below it.

const TICKS_PER_SECOND = Number((await promisify(execFile)("getconf", ["CLK_TCK"]).catch(() => ({ stdout: "100" }))).stdout.trim()) || 100;


/** CPU time (user + system, ms) the processes `pids` have used so far: workerd's, and the rest's (node). */
async function cpuMs(pids) {
  const ticks = { workerd: 0, wrangler: 0 };
  for (const pid of pids) {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      ticks[name === "workerd" ? "workerd" : "wrangler"] += Number(fields[11]) + Number(fields[12]);
    } catch {}
  }
  return { workerd: (ticks.workerd * 1000) / TICKS_PER_SECOND, wrangler: (ticks.wrangler * 1000) / TICKS_PER_SECOND };
}

/** The people who submitted to `target` and got an answer (returning visitors reuse them). */
const answered = new Map();
let sequence = 0;

function body(target) {
  const token = displayToken(target);
  const n = sequence++;
  const known = answered.get(target.name) ?? [];
  const returning = n % RETURNING_EVERY === RETURNING_EVERY - 1 && known.length > 0;
  const email = returning ? known[Math.floor(Math.random() * known.length)] : `visitor${n}@bench.example`;
  const now = Date.now();
  return {
    email,
    returning,
    json: JSON.stringify({
      toolId: TOOL,
      conversationId: `conv_${n}`,
      formData: { name: `Visitor ${n}`, email, company: `Company ${n % 97}`, message: "Could someone call me about pricing?" },
      fieldsCompleted: ["name", "email", "company", "message"],
      impressionAt: now - 40_000,
      startedAt: now - 25_000,
      idempotencyKey: `display_${n}_${randomBytes(4).toString("hex")}`,
      displayToken: token,
      attribution: {
        pageUrl: "https://shop.example/pricing",
        referrer: "https://news.example/",
        landingPage: "https://shop.example/?utm_source=news&utm_campaign=fall",
        utm: { source: "news", medium: "email", campaign: "fall" },
      },
    }),
  };
}

/** Display tokens from the leadform edge's widget config, each for three submissions. */
const tokens = [];
let tokenUses = 0;
const BASELINE_TOKEN = "1764000000000.0123456789abcdef.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/** Fetches `count` more display tokens, 8 at a time, then waits 3 s (a person's fill time). */
async function fetchTokens(count) {
  let left = count;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (left > 0) {
        left -= 1;
        const res = await fetch(`${leadform.edge.url}/widget/config?agentId=${AGENT}`, { headers: { Origin: ORIGIN } });
        if (res.status !== 200) throw new Error(`widget config answered ${res.status}`);
        tokens.push((await res.json()).displayToken);
      }
    }),
  );
  await new Promise((r) => setTimeout(r, 3_000));
}

function displayToken(target) {
  if (target.name !== "leadform") return BASELINE_TOKEN;
  const token = tokens[Math.floor(tokenUses / 3)];
  tokenUses += 1;
  if (!token) throw new Error("ran out of display tokens");
  return token;
}

const NAMES = ["leadform", "floor", "baseline"];
const stats = Object.fromEntries(NAMES.map((name) => [name, { sent: 0, returning: 0, emails: new Set() }]));

async function submitOnce(target) {
  const { email, returning, json } = body(target);
  const started = performance.now();
  const res = await fetch(target.edge.url + "/form-submissions/submit", {
    method: "POST",
    headers: { "Content-Type": "application/json", Origin: ORIGIN },
    body: json,
  });
  const text = await res.text();
  const ms = performance.now() - started;
  let answer;
  try {
    answer = JSON.parse(text);
  } catch {}
  // (A visitor's answer names no lead: leadform's `leadId` is for the owner's own key.)
  if (res.status !== 200 || answer?.success !== true || !answer.submissionId) {
    throw new Error(`${target.name} answered ${res.status}: ${text}\n${target.edge.output().slice(-3000)}`);
  }
  if (!answered.has(target.name)) answered.set(target.name, []);
  answered.get(target.name).push(email);
  const s = stats[target.name];
  s.sent += 1;
  s.returning += returning ? 1 : 0;
  s.emails.add(email);
  return ms;
}

/** `clients` loops, each sending one request after the other: at most `count` in all, until `seconds` pass. */
async function load(target, clients, count, seconds) {
  const times = [];
  const cpuBefore = target.pids ? await cpuMs(target.pids) : null;
  const deadline = performance.now() + seconds * 1000;
  let issued = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (issued < count && performance.now() < deadline) {
        issued += 1;
        times.push(await submitOnce(target));
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  const cpuAfter = target.pids ? await cpuMs(target.pids) : null;
  const cpu = cpuBefore ? { workerd: cpuAfter.workerd - cpuBefore.workerd, wrangler: cpuAfter.wrangler - cpuBefore.wrangler } : { workerd: NaN, wrangler: NaN };
  return { times, elapsedMs, cpu };
}

function percentile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * q) - 1))];
}

let leadform;
let floor;
let baseline;
try {
  const loadBefore = loadavg();
  const started = await Promise.allSettled([startLeadform(), startBaseline("floor", FLOOR_CONFIG), startBaseline()]);
  [leadform, floor, baseline] = started.map((s) => s.value);
  for (const s of started) if (s.status === "rejected") throw s.reason;
  const targets = [leadform, floor, baseline];
  for (const target of targets) {
    target.pids = await processesOf(target.edge.port);
    if (target.pids.length === 0) target.pids = null; // no /proc: CPU is not shown
  }
  const rows = [];
  for (const clients of CONCURRENCIES) {
    await fetchTokens(Math.ceil((WARM_UP + 2 * TURN_REQUESTS[clients]) / 3) + 2);
    for (const target of targets) await load(target, clients, WARM_UP, TURN_SECONDS);
    const turns = Object.fromEntries(NAMES.map((name) => [name, []]));
    for (const target of [...targets, ...[...targets].reverse()]) {
      turns[target.name].push(await load(target, clients, TURN_REQUESTS[clients], TURN_SECONDS));
    }
    const row = { clients };
    for (const [name, list] of Object.entries(turns)) {
      const times = list.flatMap((t) => t.times).sort((a, b) => a - b);
      const elapsedMs = list.reduce((sum, t) => sum + t.elapsedMs, 0);
      const cpu = (part) => list.reduce((sum, t) => sum + t.cpu[part], 0) / times.length;
      row[name] = {
        requests: times.length,
        rps: times.length / (elapsedMs / 1000),
        p50: percentile(times, 0.5),
        p99: percentile(times, 0.99),
        workerdMs: cpu("workerd"),
        wranglerMs: cpu("wrangler"),
      };
    }
    rows.push(row);
    console.error(`measured ${clients} client${clients === 1 ? "" : "s"}`);
  }
  const loadAfter = loadavg();

  // Every new person became one lead; a returning one was matched to theirs; none was
  // quarantined as spam (a spam submission makes no lead).
  const counters = await leadform.owner(`/v1/agents/${AGENT}/leads/counters`, undefined, 200);
  const s = stats.leadform;
  if (counters.total !== s.emails.size) throw new Error(`leadform holds ${counters.total} leads for ${s.emails.size} people`);
  const spam = await leadform.owner(`/v1/agents/${AGENT}/submissions?status=spam&limit=1`, undefined, 200);
  if (spam.submissions.length > 0) throw new Error(`a bench submission was quarantined: ${JSON.stringify(spam.submissions[0].spam)}`);

  const f = (x, digits = 1) => x.toFixed(digits);
  console.log("submit: POST /form-submissions/submit, leadform edge vs bench/baseline/worker.js (one D1 insert + one queue send)");
  console.log("and vs bench/rust-floor (the baseline's work in Rust on the `worker` crate: the floor of a Rust worker)");
  console.log("same runtime for all: workerd through wrangler dev, local D1 and queue, fresh D1 each, loopback; edge rate limits off");
  console.log(
    `client-mode form, widget-shaped requests (idempotency key, attribution, Origin, display token); ${TURN_SECONDS} s or ${Object.entries(TURN_REQUESTS).map(([c, n]) => `${n} @${c}`).join(" / ")} requests per turn, 2 turns each, interleaved`,
  );
  console.log(`leadform: ${s.sent} submissions, ${s.emails.size} people (${s.returning} returning), ${counters.total} leads; floor: ${stats.floor.sent}, baseline: ${stats.baseline.sent} submissions`);
  console.log(`load average (1 min) before ${f(loadBefore[0], 2)}, after ${f(loadAfter[0], 2)} on ${cpus().length} CPUs (shared machine: read ratios, not absolutes)`);
  const ratio = (a, b) => `${(a / b).toFixed(2)}x`;
  const table = (title, head, cells, ratios) => {
    console.log("");
    console.log(title);
    console.log(`${"clients".padStart(7)} | ${NAMES.map((n) => n.padEnd(head.length)).join(" | ")} | leadform/baseline  floor/baseline  leadform/floor`);
    console.log(`${"".padStart(7)} | ${NAMES.map(() => head).join(" | ")} |`);
    for (const r of rows) {
      const [a, b, c] = ratios(r);
      console.log(`${String(r.clients).padStart(7)} | ${NAMES.map((n) => cells(r[n]).padStart(head.length)).join(" | ")} | ${a.padStart(17)} ${b.padStart(15)} ${c.padStart(15)}`);
    }
  };
  table(
    "throughput and latency (ratios: throughput, p50)",
    "   req/s   p50 ms   p99 ms",
    (x) => `${f(x.rps).padStart(8)} ${f(x.p50, 2).padStart(8)} ${f(x.p99, 2).padStart(8)}`,
    (r) => [["leadform", "baseline"], ["floor", "baseline"], ["leadform", "floor"]].map(([a, b]) => `${ratio(r[a].rps, r[b].rps)} ${ratio(r[a].p50, r[b].p50)}`),
  );
  if (targets.every((t) => t.pids)) {
    const all = (x) => x.workerdMs + x.wranglerMs;
    table(
      "CPU per submission, ms (user + system): workerd = the worker, D1, the queue and wrangler's proxy workers; wrangler = its\nnode process, which relays the runtime's inspector events (a few per subrequest: dev only). Ratios: workerd, all",
      " workerd wrangler",
      (x) => `${x.workerdMs.toFixed(2).padStart(8)} ${x.wranglerMs.toFixed(2).padStart(8)}`,
      (r) => [["leadform", "baseline"], ["floor", "baseline"], ["leadform", "floor"]].map(([a, b]) => `${ratio(r[a].workerdMs, r[b].workerdMs)} ${ratio(all(r[a]), all(r[b]))}`),
    );
  }
  const worst = Math.min(...rows.map((r) => r.leadform.rps / r.baseline.rps));
  const floorWorst = Math.min(...rows.map((r) => r.floor.rps / r.baseline.rps));
  console.log("");
  console.log(`requests timed per worker: ${rows.map((r) => `${NAMES.map((n) => r[n].requests).join("/")} @${r.clients}`).join(", ")} (${NAMES.join("/")})`);
  console.log(`goal: leadform >= ${GOAL}x the baseline's throughput at every concurrency: ${worst >= GOAL ? "met" : "not met"} (lowest ${worst.toFixed(2)}x; the Rust floor's lowest: ${floorWorst.toFixed(2)}x)`);
} finally {
  await Promise.all([leadform?.edge.stop(), floor?.edge.stop(), baseline?.edge.stop()]);
  await rm(dir, { recursive: true, force: true });
}
