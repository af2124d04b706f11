// The demo's own server: a product page with the widget embedded, and a webhook inbox
// that shows what the edge delivered. Node's http module only, no dependencies.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const INBOX_LIMIT = 100;

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

export async function startDemoSite({ port = 0, edgeUrl, agentId }) {
  const template = await readFile(path.join(HERE, "index.html"), "utf8");
  const page = template.replaceAll("{{EDGE_URL}}", escapeHtml(edgeUrl)).replaceAll("{{AGENT_ID}}", escapeHtml(agentId));
  const inbox = []; // newest first

  const server = createServer((req, res) => {
    const send = (status, type, body) => {
      res.writeHead(status, { "Content-Type": type, "Cache-Control": "no-store" });
      res.end(body);
    };
    // Campaign links carry a query (?utm_source=...): the page is served whatever it says.
    const pathname = new URL(req.url, "http://demo.invalid").pathname;
    if (req.method === "GET" && (pathname === "/" || pathname === "/index.html")) return send(200, "text/html; charset=utf-8", page);
    if (req.method === "GET" && req.url === "/inbox.json") return send(200, "application/json", JSON.stringify(inbox));
    if (req.method === "POST" && req.url === "/inbox/webhook") {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        let payload;
        try {
          payload = JSON.parse(body);
        } catch {
          return send(400, "application/json", JSON.stringify({ error: "not JSON" }));
        }
        inbox.unshift({
          receivedAt: new Date().toISOString(),
          webhookId: req.headers["webhook-id"] ?? null,
          signature: req.headers["webhook-signature"] ?? null,
          payload,
        });
        inbox.length = Math.min(inbox.length, INBOX_LIMIT);
        send(200, "application/json", JSON.stringify({ received: true }));
      });
      return;
    }
    send(404, "text/plain", "not found");
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    inboxUrl: `${url}/inbox/webhook`,
    inbox,
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}
