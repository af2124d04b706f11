// Probe: does a delivery hit a receiver's keep-alive close (Node: 5 s idle) and fail?
import { startStack, startReceiver, contactForm, seedSubmit, postJson } from "./support/stack.mjs";
const stack = await startStack();
const receiver = await startReceiver();
await stack.owner("POST", "/v1/agents", { id: "agent_api", name: "API", allowedOrigins: ["http://127.0.0.1:5555"] });
await stack.owner("POST", "/v1/agents/agent_api/tools", contactForm(receiver.url + "/hook"));
const gaps = process.argv.slice(2).map(Number);
let failed = 0, n = 0;
for (let round = 0; round < 24; round++) {
  const gap = 4800 + (round % 8) * 60;
  const res = await postJson(stack.url + "/form-submissions/submit", seedSubmit({ idempotencyKey: undefined }));
  const id = res.json.submissionId;
  const start = Date.now();
  let body;
  for (;;) {
    body = (await stack.owner("GET", `/v1/submissions/${id}`)).body;
    const d = body.deliveries?.[0]?.delivery;
    if (d && d.status !== "pending" && d.attempts >= 1) break;
    if (Date.now() - start > 8000) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const d = body.deliveries?.[0];
  n++;
  if (d?.delivery.status !== "delivered") { failed++; console.log("round", round, "gap", gap, JSON.stringify(d)); }
  await new Promise((r) => setTimeout(r, gap));
}
console.log(`failed ${failed} of ${n}`);
await receiver.stop(); await stack.stop();
