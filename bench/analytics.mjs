// Analytics latency at 1,000 and at 1,000,000 submissions in local D1 (issue 3, item 6).
// Rows are generated inside SQLite by a recursive CTE through `wrangler d1 execute`, so the
// same triggers that keep the counters in production run for every row. Prints the
// latency of GET /form-submissions/analytics (median and p95 over REQUESTS calls) at each
// size and the ratio 1M / 1k: flat means the answer does not grow with submissions.
import { rm } from "node:fs/promises";
import { freshState, withEdge } from "./lib.mjs";

const REQUESTS = 200;
const DAYS = 365; // the rows spread over a year of days, so a whole-range answer sums 365 rows per form
const { dir, persistTo, apiKey, envFile, sql } = await freshState("leadform-bench-");

/** Inserts submissions `from`..`to` (exclusive) for tool_bench, spread over DAYS days. */
async function load(from, to) {
  const started = Date.now();
  const span = DAYS * 86_400_000;
  await sql(`WITH RECURSIVE n(i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ${to})
    INSERT INTO submissions (id, agent_id, tool_id, form_data, fields_completed, started_at, submitted_at,
      execution_mode, status, webhook_outcome, result)
    SELECT 'sub_bench_' || i, 'agent_bench', 'tool_bench', '{"email":"x@example.com"}',
      CASE WHEN i % 3 = 0 THEN '["email","name"]' ELSE '["email"]' END,
      1700000000000 + (i * 7919) % ${span} - 30000, 1700000000000 + (i * 7919) % ${span},
      'webhook', 'webhook_success', 'succeeded', 'successful'
    FROM n`);
  return Date.now() - started;
}

async function measure(url) {
  const headers = { Authorization: `Bearer ${apiKey}` };
  for (let i = 0; i < 20; i++) await (await fetch(url, { headers })).arrayBuffer(); // warm up
  const times = [];
  let body;
  for (let i = 0; i < REQUESTS; i++) {
    const t = performance.now();
    const res = await fetch(url, { headers });
    body = await res.json();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], p95: times[Math.floor(times.length * 0.95)], body };
}


try {
  await withEdge({ persistTo, envFile }, async (url) => {
    const owner = (route, body) =>
      fetch(url + route, { method: "POST", headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json" }, body: JSON.stringify(body) });
    await owner("/v1/agents", { id: "agent_bench", name: "bench" });
    await owner("/v1/agents/agent_bench/tools", {
      id: "tool_bench",
      name: "bench_form",
      title: "Bench",
      fields: [{ name: "email", type: "email", required: true }, { name: "name", type: "text" }],
      executionMode: "client",
    });
  });
  const rows = [];
  for (const [from, to] of [[0, 1_000], [1_000, 1_000_000]]) {
    const loadMs = await load(from, to);
    const result = await withEdge({ persistTo, envFile }, (url) => measure(`${url}/form-submissions/analytics?agentId=agent_bench`));
    const form = result.body.analytics[0];
    if (form.submitted !== to) throw new Error(`expected ${to} submissions counted, got ${form.submitted}`);
    rows.push({ submissions: to, loadMs, ...result, form });
  }
  console.log(`analytics latency, ${REQUESTS} sequential requests each (local D1, wrangler dev)`);
  console.log(`${"submissions".padStart(12)} ${"load s".padStart(8)} ${"median ms".padStart(10)} ${"p95 ms".padStart(8)}  counted`);
  for (const r of rows) {
    console.log(
      `${String(r.submissions).padStart(12)} ${(r.loadMs / 1000).toFixed(1).padStart(8)} ${r.median.toFixed(2).padStart(10)} ${r.p95.toFixed(2).padStart(8)}  submitted=${r.form.submitted} name=${r.form.fieldCompletionRates.name}%`,
    );
  }
  const [small, large] = rows;
  console.log(`ratio 1M / 1k: median ${(large.median / small.median).toFixed(2)}x, p95 ${(large.p95 / small.p95).toFixed(2)}x (baseline: the 1k run above)`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
