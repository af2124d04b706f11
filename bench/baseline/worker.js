// The baseline of bench/submit.mjs: the least a submit endpoint can do on the same runtime
// as the leadform edge (workerd through `wrangler dev`, local D1 and a local queue). Checks
// the body minimally, inserts one row into the real `submissions` table (edge/migrations,
// so the same indexes and counting triggers run), sends one queue message with its id and
// answers JSON. One D1 round trip and one queue send per submission.

const json = (body, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

const fail = (status, code, message, field) => json({ success: false, error: { code, message, field } }, status);

const optionalText = (value) => (typeof value === "string" && value !== "" ? value : null);
const optionalInt = (value) => (Number.isInteger(value) ? value : null);

async function submit(request, env) {
  let body;
  try {
    body = await request.json();
  } catch {
    return fail(400, "invalid_json", "the body is not JSON");
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) return fail(400, "invalid_field", "must be a JSON object", "body");
  const { toolId, formData, fieldsCompleted } = body;
  if (typeof toolId !== "string" || toolId === "") return fail(400, "invalid_field", "is required", "toolId");
  if (formData === null || typeof formData !== "object" || Array.isArray(formData)) return fail(400, "invalid_field", "must be an object", "formData");
  if (!Array.isArray(fieldsCompleted) || !fieldsCompleted.every((f) => typeof f === "string")) {
    return fail(400, "invalid_field", "must be a list of field names", "fieldsCompleted");
  }
  if (typeof formData.email !== "string" || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(formData.email)) {
    return fail(400, "invalid_field", "must be an email address", "email");
  }
  const id = "sub_" + crypto.randomUUID().replaceAll("-", "");
  const now = Date.now();
  // The tool's agent and mode come from `tools` in the same statement: still one round trip.
  const inserted = await env.DB.prepare(
    `INSERT INTO submissions (id, agent_id, tool_id, conversation_id, form_data, fields_completed,
       impression_at, started_at, submitted_at, execution_mode, status, idempotency_key, source, attribution)
     SELECT ?1, agent_id, id, ?3, ?4, ?5, ?6, ?7, ?8, execution_mode, 'submitted', ?9, ?10, ?11
     FROM tools WHERE id = ?2`,
  )
    .bind(
      id,
      toolId,
      optionalText(body.conversationId),
      JSON.stringify(formData),
      JSON.stringify(fieldsCompleted),
      optionalInt(body.impressionAt),
      optionalInt(body.startedAt),
      now,
      optionalText(body.idempotencyKey),
      request.headers.get("Origin") ? "widget" : "api",
      body.attribution == null ? null : JSON.stringify(body.attribution),
    )
    .run();
  if (!inserted.meta.changes) return fail(404, "not_found", `tool ${toolId} not found`, "toolId");
  await env.SUBMISSIONS.send({ submissionId: id });
  return json({ success: true, submissionId: id, executionMode: "client" });
}

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (request.method === "POST" && pathname === "/form-submissions/submit") return submit(request, env);
    if (request.method === "GET" && pathname === "/") return new Response("leadform baseline worker");
    return fail(404, "not_found", "no such route");
  },

  async queue(batch) {
    batch.ackAll();
  },
};
