// A bad configuration fails loudly: every request is refused with the variable named to
// the operator (never its value) and nothing said to a visitor; a deployed edge whose
// PUBLIC_URL is loopback mints no file links and says why.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startStack, startReceiver, contactForm, postJson } from "./support/stack.mjs";

async function refusedWith(vars, variable) {
  const stack = await startStack({ vars });
  try {
    const root = await fetch(stack.url + "/");
    assert.equal(root.status, 503);
    const body = await root.json();
    assert.equal(body.error.code, "misconfigured");
    assert.match(body.error.message, new RegExp(variable));
    const owner = await stack.owner("GET", "/v1/agents/agent_x");
    assert.equal(owner.status, 503);
    const widget = await fetch(stack.url + "/widget/config?agentId=agent_x");
    assert.equal(widget.status, 503);
    const shown = (await widget.json()).error.message;
    assert.ok(!shown.includes(variable), `a visitor reads: ${shown}`);
  } finally {
    await stack.stop();
  }
}

test("an unreadable retry schedule is refused, naming the variable", async () => {
  await refusedWith({ RETRY_SCHEDULE_SECS: "0,1m,5m" }, "RETRY_SCHEDULE_SECS");
});

test("a missing owner key is refused, naming the variable", async () => {
  await refusedWith({ LEADFORM_API_KEY: "" }, "LEADFORM_API_KEY");
});

test("a deployed edge whose PUBLIC_URL is loopback sends no file links and says why", async () => {
  const mail = await startReceiver();
  // Not local development (loopback webhooks off), PUBLIC_URL left at its loopback default.
  const stack = await startStack({ vars: { ALLOW_LOOPBACK_WEBHOOKS: "false", PUBLIC_URL: "http://127.0.0.1:8787", EMAIL_API_URL: mail.url + "/emails", EMAIL_API_KEY: "k", EMAIL_FROM: "leads@acme.test" } });
  try {
    await stack.owner("POST", "/v1/agents", { id: "agent_pub", name: "Pub" });
    const made = await stack.owner("POST", "/v1/agents/agent_pub/tools", contactForm(undefined, {
      id: "tool_pub",
      name: "pub",
      executionMode: "client",
      fields: [{ name: "email", type: "email" }, { name: "deck", type: "file" }],
      postActions: [{ type: "email", recipients: ["sales@example.com"] }],
    }));
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
    const res = await postJson(stack.url + "/form-submissions/submit", {
      toolId: "tool_pub",
      formData: { email: "pub@example.com", deck: `data:image/png;name=a.png;base64,${png}` },
      fieldsCompleted: ["email", "deck"],
    });
    assert.equal(res.status, 200, res.text);
    let log;
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      log = (await stack.owner("GET", `/v1/submissions/${res.json.submissionId}`)).body;
      if (log.deliveries[0].delivery.status === "failed") break;
    }
    assert.equal(log.deliveries[0].delivery.status, "failed");
    assert.match(log.deliveries[0].delivery.lastError, /PUBLIC_URL is a loopback address/);
    assert.equal(mail.requests.length, 0, "nothing sent with a link that cannot work");
    // The owner's own view still links the file, through the address the owner used.
    const link = log.submission.formData.deck.url;
    assert.ok(link.startsWith(stack.url + "/files/"), link);
    assert.equal((await fetch(link)).status, 200);
  } finally {
    await mail.stop();
    await stack.stop();
  }
});
