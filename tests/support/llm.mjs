// A chat-completions server on 127.0.0.1 for the agent's LLM (OpenAI's protocol), scripted
// per test, and the answers it gives.
import { createServer } from "node:http";

/** A chat-completions server on 127.0.0.1: `script(body, index)` returns the JSON answer, a status, or "hang". */
export async function startLlm(script) {
  const requests = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const parsed = JSON.parse(body);
      requests.push({ url: req.url, headers: req.headers, body: parsed });
      const answer = script(parsed, requests.length - 1);
      if (answer === "hang") return; // never answers
      if (typeof answer === "number") {
        res.writeHead(answer).end("{}");
        return;
      }
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(answer));
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const stop = () => {
    server.closeAllConnections(); // the "hang" requests are still open
    return new Promise((r) => server.close(r));
  };
  return { url: `http://127.0.0.1:${server.address().port}/v1`, requests, stop };
}

export const completion = (content, toolCalls) => ({
  id: "chatcmpl-1",
  object: "chat.completion",
  choices: [{ index: 0, finish_reason: toolCalls ? "tool_calls" : "stop", message: { role: "assistant", content, ...(toolCalls ? { tool_calls: toolCalls } : {}) } }],
});
export const showForm = (args) => [{ id: "call_1", type: "function", function: { name: "show_form", arguments: typeof args === "string" ? args : JSON.stringify(args) } }];

