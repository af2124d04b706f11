// Starts the edge on the real local runtime (workerd through `wrangler dev`, local D1 and
// Queues) from the prebuilt output of scripts/build.sh. Used by the demo and by the tests.
import { spawn, execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { promisify } from "node:util";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startRelay } from "./relay.mjs";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const WRANGLER = path.join(ROOT, "node_modules/.bin/wrangler");

/** The environment that keeps wrangler on loopback (see scripts/env.sh). */
export const OFFLINE_ENV = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  WRANGLER_HIDE_BANNER: "true",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_LOG_PATH: path.join(ROOT, ".wrangler/logs"),
  LEADFORM_PREBUILT: "1",
  NO_COLOR: "1",
};

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Applies edge/migrations to the local D1 kept under `persistTo`. Safe to run twice.
 * `config`: another wrangler.toml (default: the edge's), e.g. bench/baseline's.
 *
 * A `persistTo` that does not exist yet (every test's and benchmark's fresh D1) gets a copy
 * of a state wrangler migrated once for these migrations and this config: applying them all
 * takes wrangler about 15 s, and the test command starts some thirty fresh edges. The copy
 * is what wrangler wrote, kept under .wrangler/migrated/ by a hash of the migrations, the
 * config and wrangler's version, so a changed migration makes a new one. An existing state
 * (the demo's) is migrated in place, as before.
 */
export async function applyMigrations(persistTo, config) {
  if (!persistTo || existsSync(persistTo)) return migrate(persistTo, config);
  const template = path.join(ROOT, ".wrangler/migrated", await migrationsKey(config));
  if (!existsSync(template)) {
    await mkdir(path.dirname(template), { recursive: true });
    const fresh = await mkdtemp(`${template}-making-`);
    try {
      await migrate(fresh, config);
      await rename(fresh, template);
    } catch (err) {
      // Another process made it meanwhile (theirs stays); anything else is this one's error.
      if (!existsSync(template)) throw err;
    } finally {
      await rm(fresh, { recursive: true, force: true });
    }
  }
  await cp(template, persistTo, { recursive: true });
}

async function migrate(persistTo, config) {
  const args = ["d1", "migrations", "apply", "DB", "--local"];
  if (persistTo) args.push("--persist-to", persistTo);
  if (config) args.push("--config", config);
  await promisify(execFile)(WRANGLER, args, { cwd: ROOT, env: OFFLINE_ENV });
}

/** What a migrated state depends on: every migration, the config and wrangler's version. */
async function migrationsKey(config = path.join(ROOT, "wrangler.toml")) {
  const hash = createHash("sha256");
  const dir = path.join(ROOT, "edge/migrations");
  for (const name of (await readdir(dir)).sort()) {
    hash.update(name).update("\0").update(await readFile(path.join(dir, name))).update("\0");
  }
  hash.update(await readFile(path.resolve(ROOT, config))).update("\0");
  hash.update(await readFile(path.join(ROOT, "node_modules/wrangler/package.json")));
  return hash.digest("hex").slice(0, 32);
}

/**
 * Runs one SQL command on the local D1 under `persistTo` (tests that need a row as time
 * would leave it, e.g. a conversation last touched months ago). Returns wrangler's JSON.
 */
export async function executeSql(persistTo, command) {
  const args = ["d1", "execute", "DB", "--local", "--persist-to", persistTo, "--json", "--command", command];
  const { stdout } = await promisify(execFile)(WRANGLER, args, { cwd: ROOT, env: OFFLINE_ENV });
  return JSON.parse(stdout);
}

/**
 * Starts `wrangler dev` and resolves once it answers. Options: port, persistTo, envFile
 * (a .dev.vars-style file), vars (extra --var KEY:VALUE), log (a function for its output),
 * cronEveryMs (how often to fire the cron trigger, as Cloudflare does every minute:
 * `wrangler dev` never fires crons by itself), config (another wrangler.toml to run instead of
 * the edge's, e.g. bench/baseline's), relay (put scripts/lib/relay.mjs in front: the tests and
 * the demo do, for a race inside wrangler dev's own proxy; benchmarks talk to wrangler directly).
 */
export async function startEdge(options = {}) {
  // A port found free can be taken before wrangler binds it (another process's ephemeral
  // port): wrangler then exits with "Address already in use". Its own ports are picked again,
  // up to three times (a port the caller chose stays).
  for (let attempt = 1; ; attempt++) {
    try {
      return await startEdgeOnce(options);
    } catch (err) {
      if (attempt >= 3 || !/Address already in use/.test(err.message)) throw err;
    }
  }
}

async function startEdgeOnce({ port, persistTo, envFile, vars = {}, log = () => {}, cronEveryMs = 60_000, config, relay = false }) {
  port ??= await freePort();
  const wranglerPort = relay ? await freePort() : port;
  const inspectorPort = await freePort();
  const args = ["dev", "--ip", "127.0.0.1", "--port", String(wranglerPort), "--inspector-port", String(inspectorPort), "--test-scheduled"];
  args.push("--show-interactive-dev-session=false", "--log-level", "info");
  if (persistTo) args.push("--persist-to", persistTo);
  if (config) args.push("--config", config);
  if (envFile) args.push("--env-file", envFile);
  for (const [key, value] of Object.entries(vars)) args.push("--var", `${key}:${value}`);
  const child = spawn(WRANGLER, args, { cwd: ROOT, env: OFFLINE_ENV, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const collect = (chunk) => {
    output = (output + chunk).slice(-1_000_000); // the recent log is what a failure needs
    log(String(chunk));
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const url = `http://127.0.0.1:${port}`;
  const front = relay ? await startRelay({ port, target: wranglerPort, log: collect }) : null;
  const exited = new Promise((resolve) => child.on("exit", resolve));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      await front?.close();
      throw new Error(`wrangler dev exited:\n${output}`);
    }
    try {
      const res = await fetch(url + "/");
      if (res.ok) break;
      // A misconfigured edge is up and says so on every request (its tests want it).
      if (res.status === 503 && (await res.json().catch(() => ({}))).error?.code === "misconfigured") break;
    } catch {}
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      await front?.close();
      throw new Error(`wrangler dev did not answer within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  // The delivery sweep (wrangler.toml `crons`) runs on this tick, as it would in production
  // (`--test-scheduled` exposes /__scheduled; the cdn-cgi route fails with [assets] here).
  const cron = setInterval(() => {
    fetch(`${url}/__scheduled?cron=*+*+*+*+*`).then((r) => r.arrayBuffer(), () => {});
  }, cronEveryMs);
  cron.unref();
  return {
    url,
    port,
    /** The worker's DevTools inspector (bench/profile-submit.mjs records a CPU profile there). */
    inspectorPort,
    output: () => output,
    async stop() {
      clearInterval(cron);
      await front?.close();
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
