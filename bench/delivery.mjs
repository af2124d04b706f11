// Delivery under failure (issue 4, item 7): submits LEADS leads while the receiver answers
// 500, lets it recover, and waits until every lead arrived. Prints leads submitted,
// delivered, lost (must be 0), duplicates seen by the receiver (repeats of one webhook-id
// are allowed; two webhook-ids for one lead are not), and the drain rate against the
// submit rate measured in the same run. Real local runtime, receiver on 127.0.0.1.
import { startStack, startReceiver, contactForm, seedSubmit, postJson } from "../tests/support/stack.mjs";

const LEADS = Number(process.env.LEADS || 1000);
const CONCURRENCY = 10;
const DOWN_AFTER_SUBMIT_MS = 3000;

let down = true;
const receiver = await startReceiver({ respond: () => (down ? 500 : 200) });
const stack = await startStack({
  // Retries every few seconds instead of minutes: the same code, a bench that ends.
  vars: { RETRY_SCHEDULE_SECS: "0,2,4,8,16,32", FIRST_ATTEMPT_WAIT_MS: "0", SWEEP_GRACE_SECS: "5" },
  cronEveryMs: 2000,
});
try {
  await stack.owner("POST", "/v1/agents", { id: "agent_bench", name: "bench" });
  await stack.owner("POST", "/v1/agents/agent_bench/tools", contactForm(receiver.url + "/hook", { id: "tool_bench" }));

  const submitted = new Set();
  const submitStart = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < LEADS) {
        const i = next++;
        const res = await postJson(stack.url + "/form-submissions/submit", seedSubmit({ toolId: "tool_bench", idempotencyKey: `lead_${i}` }));
        if (res.status !== 200) throw new Error(`submit ${i}: ${res.status} ${res.text}`);
        submitted.add(res.json.submissionId);
      }
    }),
  );
  const submitSecs = (performance.now() - submitStart) / 1000;
  await new Promise((r) => setTimeout(r, DOWN_AFTER_SUBMIT_MS));
  const failedWhileDown = receiver.requests.length;
  down = false;
  const recoveredAt = performance.now();

  // Every request from here on is answered 200: the first one per lead is its delivery.
  const okIds = new Set();
  const deadline = Date.now() + 180_000;
  let lastDeliveryAt = recoveredAt;
  while (Date.now() < deadline) {
    for (const r of receiver.requests.slice(failedWhileDown)) {
      if (!okIds.has(r.json?.submissionId)) {
        okIds.add(r.json?.submissionId);
        lastDeliveryAt = performance.now();
      }
    }
    if ([...submitted].every((id) => okIds.has(id))) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const drainSecs = (lastDeliveryAt - recoveredAt) / 1000;

  const idsPerLead = new Map();
  for (const r of receiver.requests) {
    const lead = r.json?.submissionId;
    if (!idsPerLead.has(lead)) idsPerLead.set(lead, new Set());
    idsPerLead.get(lead).add(r.headers["webhook-id"]);
  }
  const twoIds = [...idsPerLead.values()].filter((ids) => ids.size > 1).length;
  const deliveredCount = [...submitted].filter((id) => okIds.has(id)).length;
  const successes = receiver.requests.slice(failedWhileDown);
  const sameIdTwice = successes.length - new Set(successes.map((r) => r.headers["webhook-id"])).size;

  console.log(`delivery under failure: ${LEADS} leads, receiver answering 500 until ${DOWN_AFTER_SUBMIT_MS / 1000} s after the last submit`);
  console.log(`  leads submitted              ${submitted.size}`);
  console.log(`  leads delivered              ${deliveredCount}`);
  console.log(`  leads lost                   ${submitted.size - deliveredCount}`);
  console.log(`  requests refused while down  ${failedWhileDown}`);
  console.log(`  duplicates: one lead, two webhook-ids   ${twoIds}`);
  console.log(`  duplicates: same webhook-id delivered twice (allowed)   ${sameIdTwice}`);
  console.log(`  submit rate                  ${(submitted.size / submitSecs).toFixed(1)} leads/s (${submitSecs.toFixed(1)} s)`);
  console.log(`  drain rate after recovery    ${(deliveredCount / Math.max(drainSecs, 0.001)).toFixed(1)} leads/s (${drainSecs.toFixed(1)} s, includes waiting for each lead's next scheduled retry)`);
  console.log(`  drain / submit               ${(deliveredCount / Math.max(drainSecs, 0.001) / (submitted.size / submitSecs)).toFixed(2)}x`);
  if (submitted.size !== deliveredCount || twoIds > 0) process.exitCode = 1;
} catch (err) {
  console.error(stack.logs().slice(-4000));
  throw err;
} finally {
  await stack.stop();
  await receiver.stop();
}
