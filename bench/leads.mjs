// The owner's Leads API at 1,000 and at 100,000 leads in local D1 (docs/leads-api.md).
// Leads are generated inside SQLite by a recursive CTE through `wrangler d1 execute` (the
// counting and custom-key triggers of 0004_leads.sql run for every row): submitting 100,000
// forms over HTTP one by one would take far longer than the measurement. Then, on a freshly
// started edge at each size, prints the latency (median and p95 over REQUESTS sequential
// calls) of the first page of the list, of a page deep in the cursor (DEEP_PAGES pages
// followed, the next one timed), of a filtered search (q + stage), and the time of a CSV
// export of every lead, with the workerd processes' memory while exporting; then the
// 100k / 1k ratio of each figure. Keyset paging and counters should keep the list flat;
// the export streams page by page, so its memory should stay flat while its time grows.
import { readFile, rm, writeFile } from "node:fs/promises";
import { freshState, processTable, withEdge } from "./lib.mjs";

const SIZES = [1_000, 100_000];
const REQUESTS = 100; // per list figure
const WARM_UP = 10;
const CSV_RUNS = 5; // per size: a 100k export takes seconds
const DEEP_PAGES = 20; // pages followed before the deep page is timed
const PAGE_LIMIT = 25; // the API's default page size
const SEARCH = "q=lovelace&stage=qualified"; // ~1.4% of the leads match (see leadInsertSql)
const SAMPLE_MS = 10; // how often workerd's RSS is read while exporting
const AGENT = "agent_bench";
const TOOL = "tool_bench";
const BASE_MS = 1_700_000_000_000;
const STEP_MS = 7_919; // one lead every ~8 s: 100k leads span ~9 days
const { dir, persistTo, apiKey, envFile, sql } = await freshState("leadform-bench-leads-");

/**
 * THE INSERT TO ADJUST if the `leads` table of edge/migrations/0004_leads.sql changes: leads
 * `from`..`to` (exclusive) of AGENT, one per i. Ids are `lead_` + 12 hex digits of the
 * creation ms + 12 random hex digits, as the edge mints them. Stages cycle new x5,
 * contacted x2, qualified, converted, lost (with a reason); a third come from the widget
 * (with attribution); every 7th is a Lovelace (what SEARCH looks for); `search` is the
 * lower-case name, email and company the `q` filter reads; two custom fields each.
 */
function leadInsertSql(from, to) {
  return `WITH RECURSIVE n(i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ${to}),
  v AS (
    SELECT i,
      ${BASE_MS} + i * ${STEP_MS} AS at,
      CASE i % 8 WHEN 0 THEN 'Ada' WHEN 1 THEN 'Grace' WHEN 2 THEN 'Alan' WHEN 3 THEN 'Katherine'
        WHEN 4 THEN 'Edsger' WHEN 5 THEN 'Barbara' WHEN 6 THEN 'Donald' ELSE 'Frances' END AS first,
      CASE WHEN i % 7 = 0 THEN 'Lovelace' ELSE CASE i % 5 WHEN 0 THEN 'Hopper' WHEN 1 THEN 'Turing'
        WHEN 2 THEN 'Johnson' WHEN 3 THEN 'Liskov' ELSE 'Knuth' END END AS last,
      'lead' || i || '@example.com' AS email,
      '+1415' || printf('%07d', i) AS phone,
      'Company ' || (i % 500) AS company,
      CASE i % 10 WHEN 5 THEN 'contacted' WHEN 6 THEN 'contacted' WHEN 7 THEN 'qualified'
        WHEN 8 THEN 'converted' WHEN 9 THEN 'lost' ELSE 'new' END AS stage,
      CASE WHEN i % 3 = 0 THEN 'widget' ELSE 'api' END AS source
    FROM n
  )
  INSERT INTO leads (id, agent_id, stage, lost_reason, email_key, phone_key, name, first_name, last_name,
    email, phone, company, website, custom_fields, source, attribution, geo, search, tool_id,
    submission_count, last_submission_at, created_at, updated_at)
  SELECT 'lead_' || printf('%012x', at) || lower(hex(randomblob(6))), '${AGENT}', stage,
    CASE stage WHEN 'lost' THEN 'No budget' END,
    email, phone, first || ' ' || last, first, last, email, phone, company,
    'https://c' || (i % 500) || '.example',
    json_object('budget', CASE i % 3 WHEN 0 THEN '<5k' WHEN 1 THEN '10k' ELSE '50k+' END,
      'message', 'Hello from lead ' || i || ', "quoted", on two' || char(10) || 'lines'),
    source,
    CASE source WHEN 'widget' THEN json_object('pageUrl', 'https://shop.example/pricing',
        'referrer', 'https://news.example/', 'landingPage', 'https://shop.example/?utm_source=news',
        'utm', json_object('source', 'news', 'medium', 'email', 'campaign', 'fall', 'term', NULL, 'content', NULL))
      ELSE json_object('pageUrl', NULL, 'referrer', NULL, 'landingPage', NULL,
        'utm', json_object('source', NULL, 'medium', NULL, 'campaign', NULL, 'term', NULL, 'content', NULL)) END,
    json_object('country', 'DE', 'region', 'Berlin', 'city', 'Berlin', 'timezone', 'Europe/Berlin'),
    lower(first || ' ' || last || ' ' || email || ' ' || company),
    '${TOOL}', 1, at, at, at
  FROM v`;
}

async function load(from, to) {
  const started = Date.now();
  await sql(leadInsertSql(from, to));
  return Date.now() - started;
}

const headers = { Authorization: `Bearer ${apiKey}` };

async function getJson(url) {
  const res = await fetch(url, { headers });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}: ${JSON.stringify(body)}`);
  return body;
}

/** Median and p95 (ms) of `fn` over `runs` sequential calls, after `warmUp` untimed ones. */
async function timed(fn, runs = REQUESTS, warmUp = WARM_UP) {
  for (let i = 0; i < warmUp; i++) await fn();
  const times = [];
  let last;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    last = await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.min(times.length - 1, Math.floor(times.length * q))];
  return { median: at(0.5), p95: at(0.95), last };
}

// ---- workerd's memory: the workerd processes below this one (node -> wrangler -> workerd).

/** Pids of the workerd processes descending from this process (the edge we started). */
async function workerdPids() {
  const table = await processTable();
  const mine = new Set([process.pid]);
  for (let grew = true, rounds = 0; grew && rounds < 20; rounds++) {
    grew = false;
    for (const [pid, { ppid }] of table) {
      if (!mine.has(pid) && mine.has(ppid)) {
        mine.add(pid);
        grew = true;
      }
    }
  }
  return [...mine].filter((pid) => table.get(pid)?.comm === "workerd");
}

/** VmRSS and VmHWM of `pid` in kB (null when it is gone). */
async function memoryOf(pid) {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const kb = (name) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, "m"))?.[1] ?? NaN);
    return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
  } catch {
    return null;
  }
}

async function rssSum(pids) {
  let sum = 0;
  for (const pid of pids) sum += (await memoryOf(pid))?.rss ?? 0;
  return sum;
}

/** Resets the peak RSS (VmHWM) of `pids` ("5" to clear_refs); whether every reset worked. */
async function resetPeaks(pids) {
  let ok = true;
  for (const pid of pids) {
    try {
      await writeFile(`/proc/${pid}/clear_refs`, "5");
    } catch {
      ok = false;
    }
  }
  return ok;
}

/** Runs `fn` while sampling the summed RSS of `pids` every SAMPLE_MS; the peak seen, in kB. */
async function sampling(pids, fn) {
  let peak = await rssSum(pids);
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    peak = Math.max(peak, await rssSum(pids));
    busy = false;
  }, SAMPLE_MS);
  try {
    const result = await fn();
    peak = Math.max(peak, await rssSum(pids));
    return { result, peakKb: peak };
  } finally {
    clearInterval(timer);
  }
}

// ---- the measurements at one size.

async function exportCsv(url) {
  const res = await fetch(`${url}/v1/agents/${AGENT}/leads.csv?profile=excel`, { headers });
  if (res.status !== 200) throw new Error(`CSV answered ${res.status}: ${await res.text()}`);
  let bytes = 0;
  let lines = 0;
  let previous = 0;
  const started = performance.now();
  let firstRowsMs = null; // when bytes past the header arrived: the export streams
  for await (const chunk of res.body) {
    if (firstRowsMs === null && bytes + chunk.length > 200) firstRowsMs = performance.now() - started;
    bytes += chunk.length;
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] === 0x0a && (i > 0 ? chunk[i - 1] : previous) === 0x0d) lines += 1;
    }
    previous = chunk[chunk.length - 1];
  }
  return { bytes, lines, firstRowsMs };
}

async function measure(url, size) {
  const list = `${url}/v1/agents/${AGENT}/leads`;
  const counters = await getJson(`${list}/counters`);
  if (counters.total !== size) throw new Error(`counters say ${counters.total} leads, ${size} were loaded`);

  const firstPage = await timed(() => getJson(`${list}?limit=${PAGE_LIMIT}`));
  if (firstPage.last.total !== size || firstPage.last.leads.length !== PAGE_LIMIT) {
    throw new Error(`first page: total ${firstPage.last.total}, ${firstPage.last.leads.length} leads`);
  }

  let cursor = firstPage.last.nextCursor;
  for (let page = 1; page < DEEP_PAGES && cursor; page++) {
    cursor = (await getJson(`${list}?limit=${PAGE_LIMIT}&cursor=${encodeURIComponent(cursor)}`)).nextCursor;
  }
  if (!cursor) throw new Error(`fewer than ${DEEP_PAGES + 1} pages of ${PAGE_LIMIT}`);
  const deepPage = await timed(() => getJson(`${list}?limit=${PAGE_LIMIT}&cursor=${encodeURIComponent(cursor)}`));
  if (deepPage.last.leads.length !== PAGE_LIMIT) throw new Error(`deep page had ${deepPage.last.leads.length} leads`);

  const search = await timed(() => getJson(`${list}?${SEARCH}&limit=${PAGE_LIMIT}`));
  const found = search.last.leads;
  if (found.length === 0 || !found.every((l) => l.stage === "qualified" && l.lastName === "Lovelace")) {
    throw new Error(`search found ${found.length} leads, not all qualified Lovelaces`);
  }

  const pids = await workerdPids();
  if (pids.length === 0) throw new Error("no workerd process found below this one");
  const idleKb = await rssSum(pids);
  // The baseline for memory: the same leads read as JSON pages of 100 through the list. The
  // local D1 lives in these workerd processes too, so reading every row grows their RSS
  // whatever the worker does with it; the export should cost no more than this.
  const { peakKb: jsonPeakKb } = await sampling(pids, async () => {
    let cursor = null;
    for (let page = 0; page < size / 100 + 1; page++) {
      const body = await getJson(`${list}?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      cursor = body.nextCursor;
      if (!cursor) break;
    }
  });
  const beforeCsvKb = await rssSum(pids);
  const peaksReset = await resetPeaks(pids);
  const { result: csv, peakKb } = await sampling(pids, () => timed(() => exportCsv(url), CSV_RUNS, 1));
  if (csv.last.lines !== size + 1) throw new Error(`CSV had ${csv.last.lines} lines for ${size} leads`);
  let hwmKb = 0;
  for (const pid of pids) hwmKb += (await memoryOf(pid))?.hwm ?? 0;

  return {
    size,
    firstPage,
    deepPage,
    search: { ...search, total: search.last.total },
    csv: { ...csv, bytes: csv.last.bytes },
    memory: { pids: pids.length, idleKb, peakKb, hwmKb, peaksReset, jsonPeakKb, beforeCsvKb },
    firstRowsMs: csv.last.firstRowsMs,
  };
}


const mb = (kb) => (kb / 1024).toFixed(1);
const ms = (x) => x.toFixed(2);

try {
  await withEdge({ persistTo, envFile }, async (url) => {
    const post = async (route, body) => {
      const res = await fetch(url + route, {
        method: "POST",
        headers: { ...headers, "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      if (res.status !== 201) throw new Error(`POST ${route}: ${res.status} ${await res.text()}`);
    };
    await post("/v1/agents", { id: AGENT, name: "bench" });
    await post(`/v1/agents/${AGENT}/tools`, {
      id: TOOL,
      name: "bench_form",
      title: "Bench",
      fields: [
        { name: "name", type: "text" },
        { name: "email", type: "email", required: true },
        { name: "phone", type: "phone" },
        { name: "company", type: "text" },
        { name: "website", type: "url" },
        { name: "budget", type: "select", options: ["<5k", "10k", "50k+"] },
        { name: "message", type: "textarea" },
      ],
      executionMode: "client",
    });
  });

  const rows = [];
  let loaded = 0;
  for (const size of SIZES) {
    const loadMs = await load(loaded, size);
    loaded = size;
    const result = await withEdge({ persistTo, envFile }, (url) => measure(url, size));
    rows.push({ ...result, loadMs });
    console.error(`measured ${size} leads`);
  }

  console.log(`Leads API, local D1 on wrangler dev: ${REQUESTS} sequential requests per list figure, ${CSV_RUNS} CSV exports (excel) per size`);
  console.log(`deep page: page ${DEEP_PAGES + 1} of ${PAGE_LIMIT}; search: ${SEARCH}`);
  console.log(
    `${"leads".padStart(8)} ${"load s".padStart(7)} | ${"first page ms".padStart(15)} | ${"deep page ms".padStart(15)} | ${"search ms".padStart(15)} | ${"CSV export ms".padStart(19)} ${"MB".padStart(6)} | workerd RSS MB idle/peak/HWM`,
  );
  console.log(`${"".padStart(8)} ${"".padStart(7)} | ${"median   p95".padStart(15)} | ${"median   p95".padStart(15)} | ${"median   p95".padStart(15)} | ${"median      p95".padStart(19)} ${"".padStart(6)} |`);
  for (const r of rows) {
    const pair = (t, w = 7) => `${ms(t.median).padStart(w)} ${ms(t.p95).padStart(w)}`;
    console.log(
      `${String(r.size).padStart(8)} ${(r.loadMs / 1000).toFixed(1).padStart(7)} | ${pair(r.firstPage)} | ${pair(r.deepPage)} | ${pair(r.search)} | ${pair(r.csv, 9)} ${(r.csv.bytes / 1048576).toFixed(1).padStart(6)} | ${mb(r.memory.idleKb)}/${mb(r.memory.peakKb)}/${mb(r.memory.hwmKb)} (${r.memory.pids} process${r.memory.pids === 1 ? "" : "es"})`,
    );
    console.log(`${"".padStart(8)} search matched ${r.search.total} leads in all`);
  }
  if (!rows.every((r) => r.memory.peaksReset)) {
    console.log("note: VmHWM could not be reset before exporting, so HWM is the workerd lifetime peak; 'peak' is sampled every " + SAMPLE_MS + " ms");
  } else {
    console.log(`note: HWM is the kernel's peak RSS since just before the exports; 'peak' is sampled every ${SAMPLE_MS} ms`);
  }
  const [small, large] = rows;
  const ratio = (a, b) => `${(b / a).toFixed(2)}x`;
  console.log(`ratio ${large.size / 1000}k / ${small.size / 1000}k (baseline: the ${small.size} run above):`);
  console.log(`  first page   median ${ratio(small.firstPage.median, large.firstPage.median)}, p95 ${ratio(small.firstPage.p95, large.firstPage.p95)}`);
  console.log(`  deep page    median ${ratio(small.deepPage.median, large.deepPage.median)}, p95 ${ratio(small.deepPage.p95, large.deepPage.p95)}`);
  console.log(`  search       median ${ratio(small.search.median, large.search.median)}, p95 ${ratio(small.search.p95, large.search.p95)}`);
  console.log(`  CSV export   median ${ratio(small.csv.median, large.csv.median)}, p95 ${ratio(small.csv.p95, large.csv.p95)} (leads ${ratio(small.size, large.size)}, bytes ${ratio(small.csv.bytes, large.csv.bytes)})`);
  console.log(`  workerd RSS  peak ${ratio(small.memory.peakKb, large.memory.peakKb)}, HWM ${ratio(small.memory.hwmKb, large.memory.hwmKb)}, peak over idle ${mb(small.memory.peakKb - small.memory.idleKb)} MB -> ${mb(large.memory.peakKb - large.memory.idleKb)} MB`);
  console.log(`  CSV first rows after ${ms(small.firstRowsMs)} ms -> ${ms(large.firstRowsMs)} ms (${ratio(small.firstRowsMs, large.firstRowsMs)}): rows leave as pages are read`);
  // The exports read every lead CSV_RUNS + 1 times (one warm-up), the baseline once.
  const reads = CSV_RUNS + 1;
  for (const r of [small, large]) {
    const json = r.memory.jsonPeakKb - r.memory.idleKb;
    const csv = (r.memory.peakKb - r.memory.beforeCsvKb) / reads;
    console.log(`  at ${r.size}: RSS growth per full read of the leads: as JSON pages ${mb(json)} MB (baseline), as a CSV export ${mb(csv)} MB (${(csv / Math.max(json, 1)).toFixed(2)}x)`);
  }
  console.log("  (the local D1 runs inside these workerd processes: its reads grow their RSS in both cases)");
} finally {
  await rm(dir, { recursive: true, force: true });
}
