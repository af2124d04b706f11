// The edge against its own description, edge/openapi.json: schemathesis (scripts/setup.sh
// installs it into .venv/) sends every operation valid and hostile inputs and fails on any
// 5xx, any status the document does not list for the operation, any answer whose body
// or content type does not match it, and any method the document does not give a path that
// is answered otherwise than 405 with Allow.
//
// Fuzzed bodies make the edge send webhooks, post-actions and lead events to whatever URL
// they name; so the whole run (edge, receiver, schemathesis) happens in a network namespace
// of its own whose only interface is loopback: nothing can leave 127.0.0.1. This file runs
// itself again inside one (`unshare --net`); the inner run does the work.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startStack, startReceiver, fileDataUrl, PNG_1X1 } from "./support/stack.mjs";

const THIS_FILE = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(THIS_FILE), "..");
const SCHEMATHESIS = path.join(ROOT, ".venv/bin/schemathesis");
const INSIDE = process.env.LEADFORM_CONTRACT_NETNS === "1";

/** Runs a command, collecting stdout and stderr together; resolves with its exit code. */
function run(command, args, { env = process.env, cwd = ROOT, timeoutMs } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c) => (output += c));
    child.stderr.on("data", (c) => (output += c));
    const timer = timeoutMs && setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal, output });
    });
  });
}

if (!INSIDE) {
  test("the edge answers as edge/openapi.json says (schemathesis, loopback-only network)", { timeout: 12 * 60_000 }, async (t) => {
    assert.ok(existsSync(SCHEMATHESIS), `${SCHEMATHESIS} is missing: run bash scripts/setup.sh`);
    const env = { ...process.env, LEADFORM_CONTRACT_NETNS: "1" };
    delete env.NODE_TEST_CONTEXT; // the inner run reports for itself, not to this runner
    const started = Date.now();
    const { code, output } = await run(
      "unshare",
      ["--net", "--", "sh", "-c", 'PATH="$PATH:/usr/sbin:/sbin"; ip link set lo up && exec "$@"', "sh", process.execPath, "--test-reporter=spec", THIS_FILE],
      { env, timeoutMs: 11 * 60_000 },
    );
    assert.equal(code, 0, `the contract run (in its own network namespace) failed:\n${output}`);
    const summary = output.split("\n").filter((line) => /generated|Seed:|=====/.test(line));
    t.diagnostic(`${Math.round((Date.now() - started) / 1000)} s in all; ${summary.map((l) => l.trim()).join("; ")}`);
  });
} else {
  test("schemathesis finds no server error and no answer off the document", { timeout: 10 * 60_000 }, async (t) => {
    const stack = await startStack({ vars: { RETRY_SCHEDULE_SECS: "0", FIRST_ATTEMPT_WAIT_MS: "300" } });
    const receiver = await startReceiver();
    const dir = await mkdtemp(path.join(tmpdir(), "leadform-contract-"));
    try {
      const ids = await seed(stack, receiver);
      const config = path.join(dir, "schemathesis.toml");
      await writeFile(config, schemathesisConfig(ids));
      const args = [
        "--config-file", config,
        "run", `${stack.url}/openapi.json`,
        "--url", stack.url,
        "--header", `Authorization: Bearer ${stack.apiKey}`,
        "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,unsupported_method",
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", "25",
        "--seed", "20261123",
        // One worker: two threads of hypothesis can race in CPython 3.11's ast.parse
        // ("AST constructor recursion depth mismatch", python/cpython#106905), a runtime
        // error of the tool that failed a CI run, never a finding about the edge.
        "--workers", "1",
        "--generation-database", "none",
        "--request-timeout", "30",
        "--no-color",
      ];
      const started = Date.now();
      const { code, output } = await run(SCHEMATHESIS, args, { cwd: dir, timeoutMs: 8 * 60_000 });
      const took = Math.round((Date.now() - started) / 1000);
      assert.equal(code, 0, `schemathesis ${args.join(" ")} exited ${code} after ${took} s:\n${output}\n--- edge log (tail) ---\n${stack.logs().slice(-20_000)}`);
      t.diagnostic(`schemathesis took ${took} s:\n${output.trim().split("\n").slice(-12).join("\n")}`);
    } finally {
      await receiver.stop();
      await stack.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
}

/**
 * What the fuzzing needs to reach past "not found": an agent with a form (webhook to a local
 * receiver, a file field, a post-action that fails and ends up a dead letter), a lead-event
 * endpoint, two submissions (two leads: one to read and edit, one to delete), a quarantined
 * one (to release), an owner key.
 */
async function seed(stack, receiver) {
  const ok = (res, status) => {
    assert.equal(res.status, status, JSON.stringify(res.body));
    return res.body;
  };
  ok(await stack.owner("POST", "/v1/agents", { id: "agent_demo", name: "Contract", allowedOrigins: ["http://127.0.0.1:8080"] }), 201);
  const endpoint = ok(await stack.owner("POST", "/v1/agents/agent_demo/lead-webhooks", { url: `${receiver.url}/lead-events` }), 201);
  ok(
    await stack.owner("POST", "/v1/agents/agent_demo/tools", {
      id: "tool_contact_form",
      name: "contact_form",
      title: "Talk to us",
      fields: [
        { name: "name", type: "text", required: true },
        { name: "email", type: "email", required: true },
        { name: "message", type: "textarea" },
        { name: "attachment", type: "file" },
      ],
      executionMode: "both",
      webhookUrl: `${receiver.url}/hook`,
      // No EMAIL_API_URL on this edge: the action fails at once, its delivery is a dead letter.
      postActions: [{ type: "email", recipients: ["owner@example.com"] }],
    }),
    201,
  );
  const submit = async (formData) => {
    const res = await fetch(`${stack.url}/form-submissions/submit`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${stack.apiKey}` },
      body: JSON.stringify({ toolId: "tool_contact_form", formData, fieldsCompleted: Object.keys(formData) }),
    });
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    return body;
  };
  const kept = await submit({ name: "Jane Smith", email: "jane@example.com", attachment: fileDataUrl("image/png", PNG_1X1, "logo.png") });
  const doomed = await submit({ name: "Joe Bloggs", email: "joe@example.com" });
  // A bot filled the widget's hidden field: quarantined, for the release operation.
  const quarantined = await submit({ name: "Bot", email: "bot@example.com", fax_number: "+1 555 0100" });
  const key = ok(await stack.owner("POST", "/v1/keys", { name: "contract", scopes: ["leads:read"] }), 201);
  const { displayToken } = await (await fetch(`${stack.url}/widget/config?agentId=agent_demo`)).json();

  // The email delivery fails and its dead letter is recorded by the DLQ consumer.
  const deadline = Date.now() + 30_000;
  let deadLetters = [];
  while (deadLetters.length === 0) {
    assert.ok(Date.now() < deadline, "no dead letter was recorded within 30 s");
    await new Promise((r) => setTimeout(r, 200));
    deadLetters = ok(await stack.owner("GET", "/v1/agents/agent_demo/dead-letters"), 200).deadLetters;
  }
  const detail = ok(await stack.owner("GET", `/v1/submissions/${kept.submissionId}`), 200);
  const link = new URL(detail.submission.formData.attachment.url);
  return {
    submissionId: kept.submissionId,
    leadId: kept.leadId,
    doomedLeadId: doomed.leadId,
    spamSubmissionId: quarantined.submissionId,
    displayToken,
    deliveryId: deadLetters[0].deliveryId,
    keyId: key.id,
    endpointId: endpoint.id,
    fileExpires: link.searchParams.get("expires"),
    fileSignature: link.searchParams.get("signature"),
  };
}

/** Fixes every id the operations name to one that exists, so the inputs reach the handlers. */
function schemathesisConfig(ids) {
  const q = JSON.stringify;
  return `[parameters]
"path.agentId" = ${q("agent_demo")}
"query.agentId" = ${q("agent_demo")}
"path.toolId" = ${q("tool_contact_form")}
"path.submissionId" = ${q(ids.submissionId)}
"path.leadId" = ${q(ids.leadId)}
"path.deliveryId" = ${q(ids.deliveryId)}
"path.keyId" = ${q(ids.keyId)}
"path.endpointId" = ${q(ids.endpointId)}
"path.field" = "attachment"
"query.expires" = ${q(ids.fileExpires)}
"query.signature" = ${q(ids.fileSignature)}

[[operations]]
include-operation-id = "deleteLead"
parameters = { "path.leadId" = ${q(ids.doomedLeadId)} }

[[operations]]
include-operation-id = "releaseSubmission"
parameters = { "path.submissionId" = ${q(ids.spamSubmissionId)} }

[[operations]]
include-operation-id = ["submitForm", "recordFormEvent"]
parameters = { "body.toolId" = ${q("tool_contact_form")}, "body.displayToken" = ${q(ids.displayToken)} }

[[operations]]
include-operation-id = "reportClientResult"
parameters = { "body.submissionId" = ${q(ids.submissionId)} }
`;
}
