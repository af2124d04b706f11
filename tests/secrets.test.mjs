// A tool's signing secret: never in a tool as the API shows it, rotated with an overlap in
// which both secrets sign; and replays aimed at the tool as it is now (an owner fixes the
// URL or a header, then replays).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { startStack, startReceiver, contactForm, seedSubmit, postJson, ownerRequest, waitUntil } from "./support/stack.mjs";

let stack;

before(async () => {
  stack = await startStack({ vars: { RETRY_SCHEDULE_SECS: "0" } });
  await stack.owner("POST", "/v1/agents", { id: "agent_sec", name: "Secrets" });
});

after(async () => {
  await stack?.stop();
});

const submit = (toolId, email) =>
  postJson(stack.url + "/form-submissions/submit", seedSubmit({ toolId, formData: { name: "S", email }, fieldsCompleted: [] }));

test("a rotated secret keeps signing beside the new one until the overlap ends", async () => {
  const receiver = await startReceiver();
  try {
    const made = await stack.owner("POST", "/v1/agents/agent_sec/tools", contactForm(receiver.url + "/hook", { id: "tool_rot", name: "rot" }));
    assert.equal(made.status, 201);
    const first = made.body.webhookSecret;
    assert.match(first, /^whsec_/, "shown once, when the tool is made");
    assert.equal((await stack.owner("GET", "/v1/tools/tool_rot")).body.webhookSecret, undefined);
    assert.ok(!(await stack.owner("GET", "/v1/agents/agent_sec/tools")).body.some((t) => "webhookSecret" in t));

    const rotated = await stack.owner("POST", "/v1/tools/tool_rot/secret/rotate", { overlapSecs: 3600 });
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    const second = rotated.body.webhookSecret;
    assert.notEqual(second, first);
    assert.equal(rotated.body.previousSecret, first);
    assert.ok(Math.abs(rotated.body.previousSecretExpiresAt - (Date.now() + 3_600_000)) < 60_000);

    assert.equal((await submit("tool_rot", "a@example.com")).status, 200);
    await receiver.waitFor(1);
    const during = receiver.requests[0];
    assert.equal(during.headers["webhook-signature"].split(" ").length, 2, "both secrets sign");
    // A receiver still on the old secret and one already on the new one both accept it.
    new Webhook(first).verify(during.body, during.headers);
    new Webhook(second).verify(during.body, during.headers);

    // A second rotation during the overlap would drop `first` before its announced end.
    const early = await stack.owner("POST", "/v1/tools/tool_rot/secret/rotate", { overlapSecs: 3600 });
    assert.equal(early.status, 409, JSON.stringify(early.body));
    assert.equal(early.body.error.code, "rotation_in_progress");
    const kept = (await stack.owner("GET", "/v1/tools/tool_rot/secret")).body;
    assert.deepEqual([kept.webhookSecret, kept.previousSecret], [second, first], "nothing changed");

    // Ending the overlap: only the newest secret signs; the one before no longer verifies.
    // (Written as a float, as Python's json writes one: JSON has one number type.)
    const again = await ownerRequest(stack, "POST", "/v1/tools/tool_rot/secret/rotate", { body: '{"overlapSecs": 0.0}' });
    assert.equal(again.status, 200, again.text);
    const third = again.json.webhookSecret;
    assert.equal(again.json.previousSecret, null);
    assert.equal((await submit("tool_rot", "b@example.com")).status, 200);
    await receiver.waitFor(2);
    const after = receiver.requests[1];
    assert.equal(after.headers["webhook-signature"].split(" ").length, 1);
    new Webhook(third).verify(after.body, after.headers);
    assert.throws(() => new Webhook(second).verify(after.body, after.headers));

    for (const bad of [{ overlapSecs: -1 }, { overlapSecs: 8 * 86400 }, { overlap: 5 }, { overlapSecs: 1.5 }]) {
      const res = await stack.owner("POST", "/v1/tools/tool_rot/secret/rotate", bad);
      assert.equal(res.status, 400, JSON.stringify(bad));
    }
  } finally {
    await receiver.stop();
  }
});

test("a replay goes to the URL and headers the owner fixed, signed with the current secret", async () => {
  const broken = await startReceiver({ respond: () => 404 });
  const fixed = await startReceiver();
  try {
    const made = await stack.owner("POST", "/v1/agents/agent_sec/tools", contactForm(broken.url + "/old", {
      id: "tool_fix",
      name: "fix",
      postActions: [{ type: "webhook", url: broken.url + "/crm", headers: { "X-Api-Key": "old" } }],
    }));
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const res = await submit("tool_fix", "fix@example.com");
    assert.equal(res.status, 200);
    const failed = await stack.waitForStatus(res.json.submissionId, ["webhook_failed"]);
    assert.ok(failed.deliveries.every((d) => d.delivery.status === "failed"), JSON.stringify(failed.deliveries));

    const patched = await stack.owner("PATCH", "/v1/tools/tool_fix", {
      webhookUrl: fixed.url + "/new",
      postActions: [{ type: "webhook", url: fixed.url + "/crm", headers: { "X-Api-Key": "new" } }],
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const replay = await stack.owner("POST", "/v1/agents/agent_sec/deliveries/replay", { since: 0 });
    assert.equal(replay.status, 202);
    assert.equal(replay.body.replayed, 2);
    await fixed.waitFor(2);
    const primary = fixed.requests.find((r) => r.url === "/new");
    const crm = fixed.requests.find((r) => r.url === "/crm");
    assert.equal(crm.headers["x-api-key"], "new");
    const { body: secrets } = await stack.owner("GET", "/v1/tools/tool_fix/secret");
    new Webhook(secrets.webhookSecret).verify(primary.body, primary.headers);
    new Webhook(secrets.postActionSecrets[0].secret).verify(crm.body, crm.headers);
    const done = await stack.waitForStatus(res.json.submissionId, ["webhook_success"]);
    assert.deepEqual(done.deliveries.map((d) => d.delivery.targetUrl).sort(), [fixed.url + "/crm", fixed.url + "/new"]);
  } finally {
    await broken.stop();
    await fixed.stop();
  }
});

test("a replay never takes a lead to a post-action the owner's rules now keep it from", async () => {
  const teamA = await startReceiver({ respond: () => 404 });
  const teamB = await startReceiver();
  try {
    const made = await stack.owner("POST", "/v1/agents/agent_sec/tools", contactForm(undefined, {
      id: "tool_routed",
      name: "routed",
      executionMode: "store",
      postActions: [{ type: "webhook", url: teamA.url + "/all-leads" }],
    }));
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const res = await submit("tool_routed", "unscored@example.com");
    assert.equal(res.status, 200, res.text);
    await teamA.waitFor(1);
    const delivery = await waitUntil(async () => {
      const { body } = await stack.owner("GET", `/v1/submissions/${res.json.submissionId}`);
      return body.deliveries[0]?.delivery.status === "failed" && body.deliveries[0].delivery;
    }, { message: "the post-action failed" });
    // The owner now sends only qualified leads, to team B; this lead was never qualified.
    const patched = await stack.owner("PATCH", "/v1/tools/tool_routed", {
      postActions: [{ type: "webhook", url: teamB.url + "/qualified-only", when: { qualified: true } }],
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal((await stack.owner("POST", `/v1/deliveries/${delivery.id}/replay`)).status, 202);
    await teamA.waitFor(2);
    assert.equal(teamA.requests[1].url, "/all-leads", "sent again where it was meant to go");
    assert.equal(teamB.requests.length, 0, "never to the qualified-only team");
  } finally {
    await teamA.stop();
    await teamB.stop();
  }
});

test("a receiver URL with a user and password gets them as Basic auth; the owner's own Authorization header wins", async () => {
  const receiver = await startReceiver();
  try {
    const withCredentials = receiver.url.replace("http://", "http://zapier:s%40cret@");
    const made = await stack.owner("POST", "/v1/agents/agent_sec/tools", contactForm(withCredentials + "/hook", {
      id: "tool_basic",
      name: "basic",
      postActions: [{ type: "webhook", url: withCredentials + "/crm", headers: { Authorization: "Bearer crm-token" } }],
    }));
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const res = await submit("tool_basic", "basic@example.com");
    assert.equal(res.status, 200, res.text);
    await receiver.waitFor(2);
    const hook = receiver.requests.find((r) => r.url === "/hook");
    assert.equal(hook.headers.authorization, "Basic " + Buffer.from("zapier:s@cret").toString("base64"));
    assert.equal(receiver.requests.find((r) => r.url === "/crm").headers.authorization, "Bearer crm-token");
    const done = await stack.waitForStatus(res.json.submissionId, ["webhook_success"]);
    assert.equal(done.deliveries.length, 2);
  } finally {
    await receiver.stop();
  }
});

test("a file field of any name has a link that works", async () => {
  const made = await stack.owner("POST", "/v1/agents/agent_sec/tools", contactForm(undefined, {
    id: "tool_files",
    name: "files",
    executionMode: "client",
    fields: [{ name: "email", type: "email" }, { name: "CV / résumé #1?", type: "file" }],
  }));
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const pdf = Buffer.from("%PDF-1.4\n%âãÏÓ\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n");
  const res = await postJson(stack.url + "/form-submissions/submit", {
    toolId: "tool_files",
    formData: { email: "cv@example.com", "CV / résumé #1?": `data:application/pdf;name=cv.pdf;base64,${pdf.toString("base64")}` },
    fieldsCompleted: ["email", "CV / résumé #1?"],
  });
  assert.equal(res.status, 200, res.text);
  const { body } = await stack.owner("GET", `/v1/submissions/${res.json.submissionId}`);
  const file = body.submission.formData["CV / résumé #1?"];
  const download = await fetch(file.url);
  assert.equal(download.status, 200, file.url);
  assert.deepEqual(Buffer.from(await download.arrayBuffer()), pdf);
});

test("client results: the token from the submit answer, required when the form says so", async () => {
  for (const [id, required] of [["tool_open", false], ["tool_strict", true]]) {
    const made = await stack.owner("POST", "/v1/agents/agent_sec/tools", contactForm(undefined, { id, name: id, executionMode: "client", requireClientToken: required }));
    assert.equal(made.status, 201, JSON.stringify(made.body));
  }
  const submitTo = async (toolId, email) => {
    const res = await submit(toolId, email);
    assert.equal(res.status, 200, res.text);
    assert.match(res.json.clientToken, /^[A-Za-z0-9_-]{43}$/);
    return res.json;
  };
  const report = (submissionId, token) =>
    postJson(stack.url + "/form-submissions/client-result", { submissionId, success: true }, token === undefined ? {} : { "X-Leadform-Client-Token": token });

  // Off by default: seed 002's documented call, without a token, works as written...
  const open = await submitTo("tool_open", "open@example.com");
  assert.equal((await report(open.submissionId)).status, 200);
  // ...but a wrong token is refused even there.
  const other = await submitTo("tool_open", "other@example.com");
  const forged = await report(other.submissionId, open.clientToken);
  assert.equal(forged.status, 401);
  assert.equal(forged.json.error.code, "invalid_client_token");

  // Required: no token, no report; the answer's token works; the id alone is not enough.
  const strict = await submitTo("tool_strict", "strict@example.com");
  const bare = await report(strict.submissionId);
  assert.equal(bare.status, 401);
  assert.equal(bare.json.error.code, "client_token_required");
  const { body: pending } = await stack.owner("GET", `/v1/submissions/${strict.submissionId}`);
  assert.equal(pending.submission.status, "submitted", "a refused report changes nothing");
  const proven = await report(strict.submissionId, strict.clientToken);
  assert.equal(proven.status, 200, proven.text);
  assert.equal(proven.json.status, "client_success");
});

test("a handler that never reports settles as client_failed, 'no report', after the timeout", async () => {
  const quick = await startStack({ vars: { CLIENT_REPORT_TIMEOUT_SECS: "1" }, cronEveryMs: 500 });
  try {
    await quick.owner("POST", "/v1/agents", { id: "agent_quiet", name: "Quiet" });
    await quick.owner("POST", "/v1/agents/agent_quiet/tools", contactForm(undefined, { id: "tool_quiet", name: "quiet", executionMode: "client" }));
    const res = await postJson(quick.url + "/form-submissions/submit", seedSubmit({ toolId: "tool_quiet", formData: { name: "Q", email: "q@example.com" }, fieldsCompleted: [] }));
    assert.equal(res.status, 200, res.text);
    const { submission } = await quick.waitForStatus(res.json.submissionId, ["client_failed"], 15_000);
    assert.equal(submission.result, "failed");
    assert.match(submission.clientMessage, /no report/);
    const late = await postJson(quick.url + "/form-submissions/client-result", { submissionId: res.json.submissionId, success: true });
    assert.equal(late.status, 409, "a report after the timeout changes nothing");
  } finally {
    await quick.stop();
  }
});
