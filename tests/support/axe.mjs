// axe-core (npm) run inside a page. Both the dashboard's and the widget's tests use it.
import { createRequire } from "node:module";

const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

/**
 * axe-core's violations on `page`, or only within the elements `include` selects (shadow
 * roots included): each as `{id, impact, help, nodes}` with the first few nodes' targets.
 * A page whose CSP forbids injected scripts needs a context with `bypassCSP`.
 */
export async function axeViolations(page, include) {
  if (!(await page.evaluate(() => typeof window.axe?.run === "function"))) await page.addScriptTag({ path: AXE });
  return page.evaluate(async (include) => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(include ?? document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => `${JSON.stringify(n.target)}: ${n.failureSummary}`),
    }));
  }, include);
}
