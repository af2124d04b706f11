// How soon the widget shows, in headless Chromium (playwright-core, /usr/bin/chromium) on
// the local stack (the edge on the real local runtime, as the tests start it; loopback only).
//
// Printed: the bytes of each file a visitor downloads (raw, brotli -q 11), and the medians
// over RUNS cold page loads (a new browser context each, so nothing is cached) of
//   bubble:   script start -> the loader's bubble painted (a page that only embeds the widget)
//   form:     script start -> the contact form painted (the page calls
//             leadform.showForm("contact_form") right after the loader's tag)
//   baseline: script start -> the same form painted when it is static HTML in the same page
//   floor:    script start -> the same form painted by the least a script-loaded form can do:
//             a few lines of JS, from the page's own server (a cheaper hop than the edge's),
//             that fetch the agent's forms (GET /widget/config, as any embed must: forms
//             live on the edge) and write the form as HTML. No widget, no wasm; what the
//             two hops cost, so the ratio the widget could reach at best
// each also from navigation start, and the widget's form against the baseline's from
// navigation start (the ratio; the goal is at most 1.3x): the static form needs no script,
// so "from script start" it is painted almost at once, and only the whole load compares.
//
// "Script start" is an inline script just before the loader's tag (or the static form):
// performance.now() there, so the loader's own download counts. "Navigation start" is
// performance.now()'s origin. "Painted": each frame a
// requestAnimationFrame callback looks for the element (in the widget's open shadow root,
// or the page); in the first frame that has it, a setTimeout(0) queued from that callback
// runs after the frame's rendering, and its performance.now() is the time. The same
// measure for the widget and the baseline. (Element Timing does not see into a shadow root.)
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { brotliCompressSync, constants } from "node:zlib";
import path from "node:path";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { startStack, startReceiver } from "../tests/support/stack.mjs";
import { launchChromium } from "../tests/support/chromium.mjs";
import { seedDemo, DEMO_AGENT_ID } from "../demo-site/seed.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const RUNS = Number(process.env.RUNS || 5);
const FILES = [
  ["loader", "leadform.js"],
  ["glue", "widget/leadform_widget.js"],
  ["wasm", "widget/leadform_widget_bg.wasm"],
];

const brotli = (bytes) =>
  brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }).length;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// Watches for `find()` (a function source returning the element or null) and records when
// the frame showing it has been rendered, as window.__painted.
const watch = (find) => `<script>
  window.__start = performance.now();
  (function look() {
    requestAnimationFrame(function () {
      if ((${find})()) setTimeout(function () { window.__painted = performance.now(); });
      else look();
    });
  })();
</script>`;
const inWidget = (selector) => `function () { var h = document.querySelector("#leadform-widget"); return h && h.shadowRoot && h.shadowRoot.querySelector(${JSON.stringify(selector)}); }`;

const page = (body) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:40px}form{display:grid;gap:8px;max-width:360px}</style></head>
<body><h1>Acme Analytics</h1><p>Dashboards your whole team understands.</p>${body}</body></html>`;

// The contact form as a site would write it by hand: the fields of the demo's contact_form.
// The floor's script: the config's form written as HTML (all the names it reads are escaped).
const FLOOR_SCRIPT = (edge) => `(async function () {
  var esc = function (s) { return String(s).replace(/[&<>"]/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; }); };
  var config = await (await fetch(${JSON.stringify(edge)} + "/widget/config?agentId=${DEMO_AGENT_ID}")).json();
  var form = config.forms.find(function (f) { return f.name === "contact_form"; });
  var el = document.createElement("form");
  el.className = "contact";
  el.innerHTML = "<strong>" + esc(form.title) + "</strong>" + form.fields.map(function (f) {
    return "<label>" + esc(f.label || f.name) + " <input name=\\"" + esc(f.name) + "\\"></label>";
  }).join("") + "<button type=submit>Send</button>";
  document.body.appendChild(el);
})();`;
const STATIC_FORM = `<form class="contact"><strong>Talk to us</strong>
<label>Name * <input name="name" required></label>
<label>Email * <input name="email" type="email" required></label>
<label>Message <textarea name="message"></textarea></label>
<button type="submit">Send</button></form>`;

async function main() {
  const sizes = [];
  for (const [name, file] of FILES) {
    const bytes = await readFile(path.join(ROOT, "dist/public", file));
    sizes.push({ name, file, raw: bytes.length, brotli: brotli(bytes) });
  }

  const stack = await startStack();
  const receiver = await startReceiver();
  const site = createServer();
  await new Promise((r) => site.listen(0, "127.0.0.1", r));
  const origin = `http://127.0.0.1:${site.address().port}`;
  const tag = `<script src="${stack.url}/leadform.js" data-agent-id="${DEMO_AGENT_ID}" async></script>`;
  const pages = {
    "/bubble": page(watch(inWidget(".lf-bubble")) + tag),
    // The loader is async, so the page asks once window.leadform is there (at once after
    // the loader runs: it defines it first).
    "/form":
      page(watch(inWidget("form.lf-form")) + tag) +
      `<script>(function ask() { window.leadform ? window.leadform.showForm("contact_form") : setTimeout(ask, 1); })();</script>`,
    "/baseline": page(watch(`function () { return document.querySelector("form.contact"); }`) + STATIC_FORM),
    "/floor": page(watch(`function () { return document.querySelector("form.contact"); }`) + `<script src="/floor.js" async></script>`),
  };
  site.on("request", (req, res) => {
    if (req.url === "/floor.js") {
      res.writeHead(200, { "Content-Type": "text/javascript", "Cache-Control": "no-store" });
      return res.end(FLOOR_SCRIPT(stack.url));
    }
    const html = pages[req.url];
    res.writeHead(html ? 200 : 404, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
    res.end(html ?? "not found");
  });
  await seedDemo({ edgeUrl: stack.url, apiKey: stack.apiKey, webhookUrl: receiver.url + "/hook", allowedOrigins: [origin] });
  const browser = await launchChromium();

  const times = { bubble: [], form: [], floor: [], baseline: [] };
  try {
    // Once unmeasured: the edge's isolate and Chromium warm up.
    for (let run = -1; run < RUNS; run++) {
      for (const kind of Object.keys(times)) {
        const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        const tab = await context.newPage();
        const errors = [];
        tab.on("pageerror", (e) => errors.push(String(e)));
        await tab.goto(origin + "/" + kind);
        await tab.waitForFunction(() => window.__painted, null, { timeout: 30_000 });
        const at = await tab.evaluate(() => {
          const entry = (part) => performance.getEntriesByType("resource").find((e) => e.name.includes(part));
          const took = (part) => (entry(part) ? entry(part).responseEnd - entry(part).startTime : NaN);
          return {
            script: window.__painted - window.__start,
            navigation: window.__painted,
            loader: took("/leadform.js"),
            config: took("/widget/config"),
            wasm: took(".wasm"),
          };
        });
        if (errors.length) throw new Error(`${kind}: ${errors.join("; ")}`);
        if (run >= 0) times[kind].push(at);
        await context.close();
      }
    }
  } finally {
    await browser.close();
    await new Promise((r) => site.close(r));
    await receiver.stop();
    await stack.stop();
  }

  console.log(`${"file".padEnd(40)} ${"raw".padStart(8)} ${"brotli".padStart(8)}`);
  for (const s of sizes) console.log(`${`${s.name} (${s.file})`.padEnd(40)} ${String(s.raw).padStart(8)} ${String(s.brotli).padStart(8)}`);
  const total = (k) => sizes.reduce((sum, s) => sum + s[k], 0);
  console.log(`${"total".padEnd(40)} ${String(total("raw")).padStart(8)} ${String(total("brotli")).padStart(8)}`);
  console.log();
  console.log(`median of ${RUNS} cold loads, ms (every run in brackets); load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  const med = (k, from) => median(times[k].map((t) => t[from]));
  const line = (label, k, from) =>
    console.log(`${label.padEnd(44)} ${med(k, from).toFixed(1).padStart(7)}   [${times[k].map((t) => t[from].toFixed(0)).join(", ")}]`);
  line("script start -> bubble painted (loader)", "bubble", "script");
  line("script start -> form painted (widget)", "form", "script");
  line("script start -> form painted (floor: JS, config)", "floor", "script");
  line("script start -> form painted (static HTML)", "baseline", "script");
  line("navigation -> bubble painted (loader)", "bubble", "navigation");
  line("navigation -> form painted (widget)", "form", "navigation");
  line("navigation -> form painted (floor: JS, config)", "floor", "navigation");
  line("navigation -> form painted (static HTML)", "baseline", "navigation");
  line("  of which: loader download", "bubble", "loader");
  line("  of which: config fetch", "bubble", "config");
  line("  (form page) wasm download", "form", "wasm");
  const ratio = med("form", "navigation") / med("baseline", "navigation");
  const floor = med("floor", "navigation") / med("baseline", "navigation");
  console.log(`form painted, widget vs static HTML (from navigation): ${ratio.toFixed(2)}x (goal: at most 1.3x)`);
  console.log(`form painted, floor vs static HTML (from navigation): ${floor.toFixed(2)}x; widget vs floor: ${(ratio / floor).toFixed(2)}x`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
