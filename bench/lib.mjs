// What the benches share: a fresh local D1 with its own owner key, SQL run against it
// through `wrangler d1 execute`, and the process table read from /proc.
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { ROOT, OFFLINE_ENV, applyMigrations, startEdge } from "../scripts/lib/edge.mjs";

const WRANGLER = path.join(ROOT, "node_modules/.bin/wrangler");

/** A new, migrated local D1 under a temporary directory, and an env file with its key. */
export async function freshState(prefix, extraVars = "") {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  const persistTo = path.join(dir, "state");
  const apiKey = randomBytes(16).toString("hex");
  const envFile = path.join(dir, "bench.vars");
  await writeFile(envFile, `LEADFORM_API_KEY=${apiKey}\n${extraVars}`);
  await applyMigrations(persistTo);
  /** Runs SQL against that D1 (triggers fire as they do in production). */
  const sql = async (command) => {
    await promisify(execFile)(WRANGLER, ["d1", "execute", "DB", "--local", "--persist-to", persistTo, "--command", command], {
      cwd: ROOT,
      env: OFFLINE_ENV,
      maxBuffer: 64 * 1024 * 1024,
    });
  };
  return { dir, persistTo, apiKey, envFile, sql };
}

/** The submit benches' agent, its allowed origin and its form (client mode: the answer
 * waits for no webhook). */
export const SUBMIT_AGENT = "agent_bench";
export const SUBMIT_ORIGIN = "https://shop.example";
export const SUBMIT_FORM = {
  id: "tool_bench",
  name: "contact_form",
  title: "Talk to sales",
  fields: [
    { name: "name", type: "text", required: true },
    { name: "email", type: "email", required: true },
    { name: "company", type: "text" },
    { name: "message", type: "textarea" },
  ],
  executionMode: "client",
};

/** The agent's and form's rows, as leadform would store them, in the D1 at `persistTo` of
 * a minimal worker (`config`: bench/baseline's or bench/rust-floor's), whose insert reads
 * the form's agent and mode. */
export async function seedSubmitRows(persistTo, config) {
  const now = Date.now();
  const fields = JSON.stringify(SUBMIT_FORM.fields).replaceAll("'", "''");
  await promisify(execFile)(
    WRANGLER,
    ["d1", "execute", "DB", "--local", "--persist-to", persistTo, "--config", config, "--command",
      `INSERT INTO agents (id, name, allowed_origins, created_at, updated_at) VALUES ('${SUBMIT_AGENT}', 'bench', '["${SUBMIT_ORIGIN}"]', ${now}, ${now});
       INSERT INTO tools (id, agent_id, name, title, fields, success_message, execution_mode, webhook_secret, created_at, updated_at)
       VALUES ('${SUBMIT_FORM.id}', '${SUBMIT_AGENT}', '${SUBMIT_FORM.name}', '${SUBMIT_FORM.title}', '${fields}', 'Thanks!', 'client', 'whsec_bench', ${now}, ${now});`],
    { cwd: ROOT, env: OFFLINE_ENV },
  );
}

/** Every process: pid -> {ppid, comm, args, ticks (user + system CPU)}. */
export async function processTable() {
  const table = new Map();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const comm = (await readFile(`/proc/${entry}/comm`, "utf8")).trim();
      const args = (await readFile(`/proc/${entry}/cmdline`, "utf8")).split("\0");
      table.set(Number(entry), { ppid: Number(fields[1]), comm, args, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {} // gone meanwhile
  }
  return table;
}

/** Runs `fn(url)` against an edge started on `persistTo` with `envFile`, then stops it. */
export async function withEdge({ persistTo, envFile }, fn) {
  const edge = await startEdge({ persistTo, envFile });
  try {
    return await fn(edge.url);
  } finally {
    await edge.stop();
  }
}

/** Pids of the wrangler dev serving `port` and of its descendants (workerd). */
export async function processesOf(port) {
  const table = await processTable();
  const mine = new Set();
  for (const [pid, { args }] of table) {
    const at = args.indexOf("--port");
    if (args.includes("dev") && at >= 0 && args[at + 1] === String(port)) mine.add(pid);
  }
  for (let grew = mine.size > 0; grew; ) {
    grew = false;
    for (const [pid, { ppid }] of table) {
      if (!mine.has(pid) && mine.has(ppid)) {
        mine.add(pid);
        grew = true;
      }
    }
  }
  return [...mine];
}
