// `bash scripts/demo.sh` ends here: starts the edge and the demo site, seeds the demo
// agent, prints the URLs, and keeps running until Ctrl-C.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { ROOT, startEdge } from "../scripts/lib/edge.mjs";
import { startDemoSite } from "./server.mjs";
import { DEMO_AGENT_ID, seedDemo } from "./seed.mjs";

const EDGE_PORT = Number(process.env.EDGE_PORT || 8787);
const DEMO_PORT = Number(process.env.DEMO_PORT || 8080);

const devVars = await readFile(path.join(ROOT, ".dev.vars"), "utf8");
const apiKey = /^LEADFORM_API_KEY=(.*)$/m.exec(devVars)?.[1]?.trim();
if (!apiKey) throw new Error(".dev.vars has no LEADFORM_API_KEY");
const adminEmail = /^LEADFORM_ADMIN_EMAIL=(.*)$/m.exec(devVars)?.[1]?.trim();
const adminPassword = /^LEADFORM_ADMIN_PASSWORD=(.*)$/m.exec(devVars)?.[1]?.trim();

const edge = await startEdge({
  port: EDGE_PORT,
  envFile: path.join(ROOT, ".dev.vars"),
  vars: { PUBLIC_URL: `http://127.0.0.1:${EDGE_PORT}` }, // file links in webhooks point here
  log: (line) => process.stdout.write(line),
  relay: true, // a request that meets wrangler dev's own 5 s race is sent again (README, Quick start)
});
let site;
try {
  site = await startDemoSite({ port: DEMO_PORT, edgeUrl: edge.url, agentId: DEMO_AGENT_ID });
  // The demo agent takes any page's origin, so a page of one's own (another port, a file
  // opened in the browser) can embed it as it is; an owner's agent lists its sites.
  await seedDemo({ edgeUrl: edge.url, apiKey, webhookUrl: site.inboxUrl, allowedOrigins: ["*"] });
} catch (e) {
  // Nothing left running when the start fails half way (a wrangler dev would outlive us).
  await Promise.allSettled([site?.stop(), edge.stop()]);
  throw e;
}

console.log(`
  leadform demo is running
    demo page (widget + webhook inbox)  ${site.url}/
    edge API                            ${edge.url}
    dashboard                           ${edge.url}/dashboard
      sign in as                        ${adminEmail}  /  ${adminPassword}   (from .dev.vars)
    owner API key                       in .dev.vars (LEADFORM_API_KEY)

  Embed it on a page of your own (any origin: the demo agent allows every one):
        <script src="${edge.url}/leadform.js" data-agent-id="${DEMO_AGENT_ID}" async></script>
  Try:  curl -s -X POST ${edge.url}/form-submissions/submit -H 'Content-Type: application/json' \\
          -d '{"toolId":"tool_contact_form","formData":{"name":"Jane Smith","email":"jane@example.com","message":"I would like to schedule a demo"},"fieldsCompleted":["name","email","message"]}'
  Leads: curl -s -H "Authorization: Bearer $(grep LEADFORM_API_KEY .dev.vars | cut -d= -f2)" ${edge.url}/v1/agents/${DEMO_AGENT_ID}/leads
  CSV:   curl -s -H "Authorization: Bearer $(grep LEADFORM_API_KEY .dev.vars | cut -d= -f2)" -o leads.csv "${edge.url}/v1/agents/${DEMO_AGENT_ID}/leads.csv?profile=excel"
  Ctrl-C stops everything.
`);

const stop = async () => {
  await Promise.allSettled([site.stop(), edge.stop()]);
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
