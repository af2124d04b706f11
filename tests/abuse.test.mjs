// What one script on the internet could do to an owner through the public endpoints, and
// what receivers can do to the outbox: each case is refused or bounded (issue: open to the
// internet). More cases join as the limits land.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { startStack, startReceiver, contactForm, seedSubmit, postJson, waitUntil } from "./support/stack.mjs";

let stack;
let receiver;

before(async () => {
  stack = await startStack({ vars: { RETRY_SCHEDULE_SECS: "0,60" } });
  receiver = await startReceiver({ respond: () => 429 });
  receiver.retryAfter = "4294967295";
  await stack.owner("POST", "/v1/agents", { id: "agent_abuse", name: "Abuse" });
  const tool = await stack.owner("POST", "/v1/agents/agent_abuse/tools", contactForm(receiver.url + "/hook"));
  assert.equal(tool.status, 201, JSON.stringify(tool.body));
});

after(async () => {
  await receiver?.stop();
  await stack?.stop();
});

test("fieldsCompleted holding one field 120,000 times is refused, and nothing is stored", async () => {
  const before = (await stack.owner("GET", "/v1/agents/agent_abuse/submissions")).body.submissions.length;
  const flood = seedSubmit({ fieldsCompleted: Array(120_000).fill("name") });
  const res = await postJson(stack.url + "/form-submissions/submit", flood);
  assert.equal(res.status, 400, res.text);
  assert.equal(res.json.error.field, "fieldsCompleted");
  assert.match(res.json.error.message, /twice/);
  const twice = await postJson(stack.url + "/form-submissions/submit", seedSubmit({ fieldsCompleted: ["name", "email", "name"] }));
  assert.equal(twice.status, 400, twice.text);
  // The widget's hidden field is taken out of the list before it is checked, but only the
  // once the widget can send it: named twice, the list is refused as sent.
  const trapTwice = seedSubmit({ fieldsCompleted: ["name", "email", "fax_number", "fax_number"] });
  trapTwice.formData.fax_number = "";
  const trap = await postJson(stack.url + "/form-submissions/submit", trapTwice);
  assert.equal(trap.status, 400, trap.text);
  assert.equal(trap.json.error.field, "fieldsCompleted");
  assert.match(trap.json.error.message, /fax_number/);
  const after = (await stack.owner("GET", "/v1/agents/agent_abuse/submissions")).body.submissions.length;
  assert.equal(after, before);
});

test("a receiver's Retry-After of a century parks the delivery for a day at most", async () => {
  // The largest u32, and a number past it (still digits: seconds, not a date).
  for (const retryAfter of ["4294967295", "99999999999"]) {
    receiver.retryAfter = retryAfter;
    const res = await postJson(stack.url + "/form-submissions/submit", seedSubmit());
    assert.equal(res.status, 200, res.text);
    const submitted = Date.now();
    const body = await stack.waitForStatus(res.json.submissionId, ["pending"]);
    let delivery = body.deliveries[0].delivery;
    for (const deadline = Date.now() + 15_000; delivery.status !== "retrying" && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 100));
      delivery = (await stack.owner("GET", `/v1/submissions/${res.json.submissionId}`)).body.deliveries[0].delivery;
    }
    assert.equal(delivery.status, "retrying", retryAfter);
    const waitMs = delivery.nextAttemptAt - submitted;
    assert.ok(waitMs <= 24 * 3600 * 1000 + 60_000, `Retry-After ${retryAfter}: parked for ${waitMs} ms`);
    // Receivers that ask past the cap are spread over its last tenth, not parked on it.
    assert.ok(waitMs >= 0.9 * 24 * 3600 * 1000 - 60_000, `Retry-After ${retryAfter}: honoured up to the cap, not ${waitMs} ms`);
  }
  receiver.retryAfter = "4294967295";
});

test("after an outage, retries spread out instead of firing at once", async () => {
  const down = await startReceiver({ respond: () => 500 });
  try {
    const made = await stack.owner("POST", "/v1/agents/agent_abuse/tools", contactForm(down.url + "/hook", { id: "tool_down", name: "down" }));
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const ids = [];
    for (let i = 0; i < 12; i++) {
      const res = await postJson(stack.url + "/form-submissions/submit", seedSubmit({ toolId: "tool_down", formData: { name: `N${i}`, email: `n${i}@example.com` }, fieldsCompleted: [] }));
      assert.equal(res.status, 200, res.text);
      ids.push(res.json.submissionId);
    }
    const waits = [];
    for (const id of ids) {
      let delivery;
      for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
        delivery = (await stack.owner("GET", `/v1/submissions/${id}`)).body.deliveries[0].delivery;
        if (delivery.status === "retrying") break;
      }
      assert.equal(delivery.status, "retrying", JSON.stringify(delivery));
      // Scheduled 60 s after the failed attempt, moved by up to 6 s either way.
      const wait = delivery.nextAttemptAt - delivery.updatedAt;
      assert.ok(wait >= 54_000 && wait <= 66_000, `retry in ${wait} ms`);
      waits.push(Math.round(wait / 1000));
    }
    assert.ok(new Set(waits).size >= 4, `retries spread over ${JSON.stringify(waits)}`);
  } finally {
    await down.stop();
  }
});

test("rate limits: submissions per client and form, public calls per client, failed owner keys and sign-ins", async () => {
  const limited = await startStack({ vars: { RATE_LIMITS: "on" } });
  try {
    const owner = (method, route, body) => limited.owner(method, route, body);
    await owner("POST", "/v1/agents", { id: "agent_rl", name: "Limited" });
    for (const id of ["tool_rl_a", "tool_rl_b"]) {
      const made = await owner("POST", "/v1/agents/agent_rl/tools", contactForm(undefined, { id, name: id, executionMode: "client" }));
      assert.equal(made.status, 201, JSON.stringify(made.body));
    }
    const submit = (toolId, i) =>
      postJson(limited.url + "/form-submissions/submit", seedSubmit({ toolId, formData: { name: `R${i}`, email: `r${i}@example.com` }, fieldsCompleted: [] }));
    // The limiter counts in fixed one-minute windows: a run that spans a window's end gets
    // a fresh allowance, so each check sends until the first refusal (bounded by two
    // windows' worth) and asserts the allowance was given in full before it.
    const untilRefused = async (limit, call) => {
      const statuses = [];
      while (statuses.at(-1) !== 429 && statuses.length < 2 * limit + 1) statuses.push(await call(statuses.length));
      return statuses;
    };

    // SUBMIT_LIMIT (wrangler.toml): 20 a minute per client and form.
    const refusedAt = [];
    const submits = await untilRefused(20, async (i) => {
      const res = await submit("tool_rl_a", i);
      if (res.status === 429) refusedAt.push(res);
      return res.status;
    });
    assert.equal(submits.at(-1), 429, `never refused: ${submits.length} submits`);
    assert.ok(submits.length >= 21, `refused after ${submits.length - 1}`);
    assert.ok(submits.slice(0, -1).every((s) => s === 200));
    const [refused] = refusedAt;
    assert.equal(refused.headers.get("retry-after"), "60");
    assert.equal(refused.json.error.code, "rate_limited");
    // Another form of the owner still takes this client's lead.
    assert.equal((await submit("tool_rl_b", 1000)).status, 200);
    const leads = (await owner("GET", "/v1/agents/agent_rl/leads/counters")).body;
    assert.equal(leads.total, submits.length - 1 + 1, "what was refused was not stored");

    // A body over 1 MB (files, or a flood) counts for its client before it is read: 20 a
    // minute, then 429 unread, whichever form each names (each here names another, unknown).
    const big = "x".repeat(1024 * 1024 + 10);
    const bigs = await untilRefused(20, async (i) =>
      (await postJson(limited.url + "/form-submissions/submit", { toolId: `tool_rl_nope_${i}`, formData: { note: big }, fieldsCompleted: [] })).status);
    assert.equal(bigs.at(-1), 429);
    assert.ok(bigs.length >= 21 && bigs.slice(0, -1).every((s) => s === 404), JSON.stringify(bigs));
    // The client's usual (small) submissions are counted apart.
    assert.equal((await submit("tool_rl_b", 2000)).status, 200);

    // Failed owner-key checks: 10 a minute per client, then 429 instead of 401.
    const wrong = await untilRefused(10, async (i) => {
      const res = await fetch(limited.url + "/v1/agents/agent_rl/leads", { headers: { Authorization: `Bearer wrong-${i}` } });
      return res.status;
    });
    assert.equal(wrong.at(-1), 429);
    assert.ok(wrong.length >= 11 && wrong.slice(0, -1).every((s) => s === 401), JSON.stringify(wrong));
    // An IPv6 client is its /64: a new address of it for every guess buys no fresh allowance.
    const guessFrom = async (address, i) =>
      (await fetch(limited.url + "/v1/agents/agent_rl/leads", { headers: { Authorization: `Bearer wrong-v6-${i}`, "CF-Connecting-IP": address } })).status;
    const rotating = await untilRefused(10, (i) => guessFrom(`2001:db8:7:7::${(i + 1).toString(16)}`, i));
    assert.equal(rotating.at(-1), 429);
    assert.ok(rotating.length >= 11 && rotating.slice(0, -1).every((s) => s === 401), JSON.stringify(rotating));
    assert.equal(await guessFrom("2001:db8:7:7:ffff:ffff:ffff:ffff", 99), 429, "the same /64");
    assert.equal(await guessFrom("2001:db8:7:8::1", 100), 401, "the next /64 is another client");

    // A made-up session cookie or invitation link on the dashboard is a failed key check too,
    // from the same allowance (guessing in both places buys none more): each costs a
    // database read. Sent to sign-in (or told the link does not work), then 429.
    const cookieGuess = async (i) => (await fetch(limited.url + "/dashboard/leads", {
      headers: { Cookie: `lf_session=${(i + 1).toString(16).padStart(64, "0")}`, "CF-Connecting-IP": "192.0.2.44" },
      redirect: "manual",
    })).status;
    const cookies = await untilRefused(10, cookieGuess);
    assert.equal(cookies.at(-1), 429);
    assert.ok(cookies.length >= 11 && cookies.slice(0, -1).every((s) => s === 303), JSON.stringify(cookies));
    const inviteGuess = async (address) => (await fetch(`${limited.url}/dashboard/invite/${"ab".repeat(32)}`, { headers: { "CF-Connecting-IP": address } })).status;
    assert.equal(await inviteGuess("192.0.2.44"), 429, "one allowance for both");
    const invites = await untilRefused(10, () => inviteGuess("192.0.2.45"));
    assert.equal(invites.at(-1), 429);
    assert.ok(invites.length >= 11 && invites.slice(0, -1).every((s) => s === 404), JSON.stringify(invites));

    // Failed dashboard sign-ins count the same way (each guess a different email, so no
    // account lock-out is involved): 10 a minute per client, then 429 with Retry-After.
    let lastSignIn;
    const guesses = await untilRefused(10, async (i) => {
      lastSignIn = await fetch(limited.url + "/dashboard/sign-in", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ email: `guess-${i}@example.com`, password: "password123" }),
        redirect: "manual",
      });
      return lastSignIn.status;
    });
    assert.equal(guesses.at(-1), 429);
    assert.ok(guesses.length >= 11 && guesses.slice(0, -1).every((s) => s === 401), JSON.stringify(guesses));
    assert.ok(Number(lastSignIn.headers.get("retry-after")) > 0);
    // The address waits for every sign-in, the right password too: else a guesser would
    // just go on past the 429s, and their one right guess would get in.
    const right = await fetch(limited.url + "/dashboard/sign-in", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(limited.admin),
      redirect: "manual",
    });
    assert.equal(right.status, 429);
    assert.equal(right.headers.get("set-cookie"), null, "no session for a locked address");
    // Another address signs in as usual.
    const elsewhere = await fetch(limited.url + "/dashboard/sign-in", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "CF-Connecting-IP": "203.0.113.9" },
      body: new URLSearchParams(limited.admin),
      redirect: "manual",
    });
    assert.equal(elsewhere.status, 303);

    // WIDGET_LIMIT: 120 public calls a minute per client, from an address of their own here
    // (the submits above counted too). Whatever agent a call names: a made-up one for every
    // call buys no fresh allowance.
    const widgetCall = (agentId) => fetch(`${limited.url}/widget/config?agentId=${agentId}`, { headers: { "CF-Connecting-IP": "198.51.100.7" } });
    const configs = await untilRefused(120, async () => (await widgetCall("agent_rl")).status);
    assert.equal(configs.at(-1), 429);
    assert.ok(configs.length >= 121 && configs.slice(0, -1).every((s) => s === 200), `refused after ${configs.length - 1}`);
    const madeUp = await untilRefused(120, async (i) => (await fetch(`${limited.url}/widget/config?agentId=agent_made_up_${i}`, { headers: { "CF-Connecting-IP": "198.51.100.8" } })).status);
    assert.equal(madeUp.at(-1), 429, `never refused: ${madeUp.length} calls`);
    assert.ok(madeUp.length >= 121 && madeUp.slice(0, -1).every((s) => s === 404), `refused after ${madeUp.length - 1}`);

    // Preflights count too, on their own: each asks D1 whether any agent allows its origin,
    // and a made-up origin for every one buys no fresh allowance. A refused one reads nothing
    // and fails in the browser as any non-2xx preflight does.
    const preflight = (i) =>
      fetch(`${limited.url}/form-submissions/submit`, {
        method: "OPTIONS",
        headers: { Origin: `https://made-up-${i}.example`, "Access-Control-Request-Method": "POST", "CF-Connecting-IP": "198.51.100.10" },
      });
    const preflights = await untilRefused(120, async (i) => (await preflight(i)).status);
    assert.equal(preflights.at(-1), 429, `never refused: ${preflights.length} preflights`);
    assert.ok(preflights.length >= 121 && preflights.slice(0, -1).every((s) => s === 204), `refused after ${preflights.length - 1}`);
    // That address's own calls are counted apart: its config calls still pass.
    assert.equal((await fetch(`${limited.url}/widget/config?agentId=agent_rl`, { headers: { "CF-Connecting-IP": "198.51.100.10" } })).status, 200);

    // MESSAGE_LIMIT: 20 visitor messages a minute per client and agent, however many
    // conversations they are spread over (a new one is one call away).
    const chatter = { "Content-Type": "application/json", "CF-Connecting-IP": "198.51.100.9" };
    const messages = await untilRefused(20, async (i) => {
      const started = await postJson(limited.url + "/conversations", { agentId: "agent_rl" }, chatter);
      assert.equal(started.status, 201, started.text);
      const said = await postJson(`${limited.url}/conversations/${started.json.conversationId}/messages`, { text: `hello ${i}` }, { ...chatter, "X-Leadform-Conversation-Token": started.json.conversationToken });
      return said.status;
    });
    assert.equal(messages.at(-1), 429, `never refused: ${messages.length} messages`);
    assert.ok(messages.length >= 21 && messages.slice(0, -1).every((s) => s === 200), JSON.stringify(messages));
    // File links are public (whoever holds one) and count the same way, on their own.
    let lastFile;
    const files = await untilRefused(120, async () => {
      lastFile = await fetch(limited.url + "/files/sub_x/doc?expires=1&signature=x");
      return lastFile.status;
    });
    assert.equal(files.at(-1), 429);
    assert.ok(files.length >= 121 && files.slice(0, -1).every((s) => s === 403), `refused after ${files.length - 1}`);
    assert.equal((await lastFile.json()).error.code, "rate_limited");

    // Channel webhooks answer Telegram and Meta, whose calls name a connected channel and
    // carry its secret. Guesses (made-up channels, a wrong verify token) count like failed
    // owner keys: 10 a minute per client, then 429, across both platforms.
    const guesser = { "CF-Connecting-IP": "198.51.100.11" };
    const channelGuesses = await untilRefused(10, async (i) => {
      const res =
        i % 2
          ? await fetch(`${limited.url}/channels/whatsapp/chan_made_up_${i}?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1`, { headers: guesser })
          : await postJson(`${limited.url}/channels/telegram/chan_made_up_${i}`, { update_id: i }, { ...guesser, "X-Telegram-Bot-Api-Secret-Token": "guess" });
      return res.status;
    });
    assert.equal(channelGuesses.at(-1), 429, `never refused: ${channelGuesses.length} guesses`);
    assert.ok(channelGuesses.length >= 11 && channelGuesses.slice(0, -1).every((s) => s === 404), JSON.stringify(channelGuesses));
    // Another address is not held up by that one's guesses.
    assert.equal((await postJson(`${limited.url}/channels/telegram/chan_made_up_x`, {}, { "CF-Connecting-IP": "198.51.100.12" })).status, 404);
  } finally {
    await limited.stop();
  }
});

test("bodies are capped while they are read, chunked ones too", async () => {
  // A chunked body (no Content-Length) is read piece by piece and dropped at the limit.
  const chunk = new TextEncoder().encode("x".repeat(16 * 1024));
  let sent = 0;
  const body = new ReadableStream({
    pull(controller) {
      if (sent === 0) controller.enqueue(new TextEncoder().encode('{"toolId":"tool_contact_form","pad":"'));
      if (sent >= 64) return controller.close();
      sent += 1;
      controller.enqueue(chunk);
    },
  });
  const res = await fetch(stack.url + "/form-submissions/events", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body,
    duplex: "half",
  });
  assert.equal(res.status, 413);
  const answer = await res.json();
  assert.equal(answer.error.code, "payload_too_large");
  assert.equal(answer.error.field, "body");
  // The small widget calls take far less: an event is a few hundred bytes.
  const big = await postJson(stack.url + "/form-submissions/events", { toolId: "tool_contact_form", displayId: "d1", type: "impression", pad: "x".repeat(70_000) });
  assert.equal(big.status, 413, big.text);
  // An owner body over 1 MB is refused before it is parsed.
  const huge = await stack.owner("PATCH", "/v1/agents/agent_abuse", { greeting: "x".repeat(1_100_000) });
  assert.equal(huge.status, 413);
  // Within the body limit, every free-text setting has its own cap, named in the error.
  const long = await stack.owner("PATCH", "/v1/agents/agent_abuse", { greeting: "x".repeat(5_000) });
  assert.equal(long.status, 400);
  assert.equal(long.body.error.field, "greeting");
});

test("large submission bodies held at once are bounded: past 32 MB in flight the next large one is busy (503, Retry-After), usual submits go on, and a body that stops arriving gives its room back", async (t) => {
  // A client declares a 31 MB body and sends all of it but its last byte, then stalls: the
  // edge holds 31 MB of a large body. (Bytes count as they arrive: declaring 31 MB and
  // sending little holds little.)
  const url = new URL(stack.url + "/form-submissions/submit");
  const stalled = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: { "Content-Type": "application/json", "Content-Length": String(31 * 1024 * 1024), "CF-Connecting-IP": "198.18.9.1" } });
  stalled.on("error", () => {});
  const stalledAnswer = new Promise((resolve) => stalled.on("response", async (res) => resolve({ status: res.statusCode, json: JSON.parse(Buffer.concat(await res.toArray()).toString()) })));
  t.after(() => stalled.destroy());
  stalled.write('{"toolId":"tool_contact_form","formData":{"name":"');
  stalled.write(Buffer.alloc(31 * 1024 * 1024 - 1 - '{"toolId":"tool_contact_form","formData":{"name":"'.length, "a"));

  // Another large body (2 MB, an unknown form: it would be a 404 once read) from another
  // address: refused before it is read while the first is held.
  let n = 0;
  const large = () => postJson(url.href, { toolId: "tool_missing", formData: { name: "x".repeat(2 * 1024 * 1024) }, fieldsCompleted: [] }, { "CF-Connecting-IP": `198.18.9.${10 + (n++ % 200)}` });
  const busy = await waitUntil(async () => {
    const res = await large();
    return res.status === 503 && res;
  }, { message: "a large body refused while another is held" });
  assert.equal(busy.json.error.code, "busy");
  assert.match(busy.json.error.message, /other large submissions are being received; try again/);
  assert.equal(busy.headers.get("retry-after"), "1");
  // A usual submit never counts against it.
  const usual = await postJson(url.href, seedSubmit({ formData: { name: "Small", email: "small@example.com" } }), { "CF-Connecting-IP": "198.18.9.2" });
  assert.equal(usual.status, 200, usual.text);

  // The stalled client sends nothing more: after 30 s the edge gives up on it (408) and its
  // room comes back, and the next large body is read.
  const gaveUp = await stalledAnswer;
  assert.deepEqual([gaveUp.status, gaveUp.json.error.code, gaveUp.json.error.field], [408, "body_stalled", "body"]);
  const read = await waitUntil(async () => {
    const res = await large();
    return res.status !== 503 && res;
  }, { message: "a large body read once the stalled one is given up" });
  assert.equal(read.status, 404, read.text);
});

test("a body of millions of tiny JSON values is refused before it is parsed", async () => {
  const before = (await stack.owner("GET", "/v1/agents/agent_abuse/submissions")).body.submissions.length;
  // 30 MB of `0,`: within the submission's 32 MB, but 15 million values to build.
  const bomb = JSON.stringify(seedSubmit()).replace(/}$/, `,"junk":[${"0,".repeat(15_000_000)}0]}`);
  const started = Date.now();
  const res = await postJson(stack.url + "/form-submissions/submit", bomb);
  assert.equal(res.status, 413, res.text.slice(0, 300));
  assert.equal(res.json.error.code, "payload_too_large");
  assert.equal(res.json.error.field, "body");
  assert.match(res.json.error.message, /200000 JSON values/);
  assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
  // fieldsCompleted as a long list of numbers, and an owner body of one: the same.
  const list = await postJson(stack.url + "/form-submissions/submit", seedSubmit({ fieldsCompleted: Array(250_000).fill(0) }));
  assert.equal(list.status, 413, list.text.slice(0, 300));
  const owner = await stack.owner("PATCH", "/v1/agents/agent_abuse", { quickReplies: Array(250_000).fill(0) });
  assert.equal(owner.status, 413);
  const after = (await stack.owner("GET", "/v1/agents/agent_abuse/submissions")).body.submissions.length;
  assert.equal(after, before);
});

test("a path with a method it does not take is a 405 naming the methods it does; an unknown path or id a short 404", async () => {
  for (const [method, route, allow] of [
    ["GET", "/form-submissions/submit", "POST, OPTIONS"],
    ["DELETE", "/form-submissions/events", "POST, OPTIONS"],
    ["POST", "/widget/config", "GET, HEAD, OPTIONS"],
    ["PUT", "/conversations/conv_x", "GET, HEAD, OPTIONS"],
    ["DELETE", "/v1/agents/agent_abuse", "GET, HEAD, PATCH"],
    // A method the runtime does not know (it would read it as GET) is refused the same way.
    ["QUERY", "/widget/config", "GET, HEAD, OPTIONS"],
    ["PROPFIND", "/v1/agents/agent_abuse", "GET, HEAD, PATCH"],
    // HEAD is GET without a body, so it is refused where GET is.
    ["HEAD", "/form-submissions/submit", "POST, OPTIONS"],
  ]) {
    const res = await fetch(stack.url + route, {
      method,
      headers: { Authorization: `Bearer ${stack.apiKey}`, "Content-Type": "application/json" },
      body: ["GET", "HEAD", "QUERY", "PROPFIND"].includes(method) ? undefined : "{}",
    });
    const answer = method === "HEAD" ? { error: { code: "method_not_allowed" } } : await res.json();
    assert.equal(res.status, 405, `${method} ${route}: ${JSON.stringify(answer)}`);
    assert.equal(res.headers.get("allow"), allow, `${method} ${route}`);
    assert.equal(answer.error.code, "method_not_allowed");
  }
  // HEAD on a GET route answers as GET does (link checkers, monitors); the runtime sends no
  // body for it, whatever the worker answers.
  for (const route of ["/widget/config?agentId=agent_abuse", "/v1/agents/agent_abuse", "/openapi.json", "/dashboard/sign-in"]) {
    const [get, head] = await Promise.all(["GET", "HEAD"].map((method) =>
      fetch(stack.url + route, { method, redirect: "manual", headers: { Authorization: `Bearer ${stack.apiKey}` } })));
    assert.equal(head.status, get.status, route);
    assert.equal(head.headers.get("content-type"), get.headers.get("content-type"), route);
  }
  // A path that is no path of the API stays a 404.
  assert.equal((await fetch(stack.url + "/form-submissions/nope")).status, 404);
  // An unknown id is named in the 404, not echoed back whole.
  const long = await fetch(`${stack.url}/widget/config?agentId=${"a".repeat(20_000)}`);
  const unknown = await long.json();
  assert.equal(long.status, 404);
  assert.equal(unknown.error.code, "agent_not_found");
  assert.ok(unknown.error.message.length < 200, unknown.error.message.length);
  // An agent that is not there is a 404 on every route under it, for the unrestricted key
  // too: a typo must not read as an agent with no leads (or export an empty CSV).
  for (const route of ["leads", "leads/counters", "leads.csv", "submissions", "conversations", "tools", "dead-letters", "channels", "lead-webhooks"]) {
    const res = await stack.owner("GET", `/v1/agents/agent_typo/${route}`);
    assert.equal(res.status, 404, `${route}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error.code, "agent_not_found", route);
  }
  assert.equal((await stack.owner("GET", "/v1/agents/agent_abuse/leads")).status, 200, "the agent that is there answers");
});

test("owner bodies: a list where an object goes is a 400 naming it, at the top and nested", async () => {
  for (const [method, route, body, field] of [
    ["POST", "/v1/agents", ["agent_list", "List"], "body"],
    ["POST", "/v1/members", ["someone@example.com", "admin"], "body"],
    ["POST", "/v1/agents", { id: "agent_looks", name: "Looks", look: [null, null] }, "look"],
    ["PATCH", "/v1/agents/agent_abuse", { look: [null, null] }, "look"],
    ["PATCH", "/v1/tools/tool_contact_form", { fields: [["phone"]] }, "fields[0]"],
  ]) {
    const res = await stack.owner(method, route, body);
    assert.equal(res.status, 400, `${method} ${route} ${JSON.stringify(body)}: ${JSON.stringify(res.body)}`);
    assert.ok(res.body.error.field.startsWith(field), JSON.stringify(res.body));
  }
  assert.equal((await stack.owner("GET", "/v1/agents/agent_looks")).status, 404, "nothing was made");
});

test("an idempotency key repeated with other answers is a 409 naming it, and stores nothing", async () => {
  const first = await postJson(stack.url + "/form-submissions/submit", seedSubmit({ idempotencyKey: "dsp_same_key" }));
  assert.equal(first.status, 200, first.text);
  const again = await postJson(stack.url + "/form-submissions/submit", seedSubmit({ idempotencyKey: "dsp_same_key" }));
  assert.equal(again.status, 200, again.text);
  assert.equal(again.json.submissionId, first.json.submissionId, "the same answers: the first answer");
  const other = await postJson(
    stack.url + "/form-submissions/submit",
    seedSubmit({ idempotencyKey: "dsp_same_key", formData: { name: "Someone Else", email: "else@example.com" } }),
  );
  assert.equal(other.status, 409, other.text);
  assert.equal(other.json.error.code, "idempotency_key_reused");
  assert.equal(other.json.error.field, "idempotencyKey");
  const { body } = await stack.owner("GET", "/v1/agents/agent_abuse/submissions");
  assert.equal(body.submissions.filter((s) => s.formData?.email === "else@example.com").length, 0);
});

test("form text with control characters is refused; invisible text is empty", async () => {
  const nul = await postJson(stack.url + "/form-submissions/submit", seedSubmit({ formData: { name: "Ja\u0000ne", email: "jane@example.com" } }));
  assert.equal(nul.status, 400, nul.text);
  assert.equal(nul.json.error.field, "name");
  const invisible = await postJson(stack.url + "/form-submissions/submit", seedSubmit({ formData: { name: "\u200f\u200b", email: "jane@example.com" } }));
  assert.equal(invisible.status, 400, invisible.text);
  assert.equal(invisible.json.error.field, "name");
  assert.match(invisible.json.error.message, /is required/);
  const lines = await postJson(stack.url + "/form-submissions/submit", seedSubmit({ formData: { name: "Jane", email: "jane@example.com", message: "line one\nline two" } }));
  assert.equal(lines.status, 200, lines.text);
  // The owner's own texts alike: each refused at its field, nothing stored.
  const lead = lines.json.leadId ?? (await stack.owner("GET", `/v1/submissions/${lines.json.submissionId}`)).body.submission.leadId;
  for (const [method, route, body, field] of [
    ["PATCH", "/v1/agents/agent_abuse", { lostReasons: ["Price", "a\u0000b\u001b[31m"] }, "lostReasons[1]"],
    ["POST", "/v1/keys", { name: "ci\u0000key", scopes: ["leads:read"] }, "name"],
    ["PATCH", `/v1/leads/${lead}`, { note: "called\u0000" }, "note"],
    ["POST", "/v1/members", { email: "a\u0000b@example.com", role: "sales" }, "email"],
    ["POST", "/v1/agents/agent_abuse/lead-webhooks", { url: "https://hooks.example.com/a\u0000b" }, "url"],
  ]) {
    const res = await stack.owner(method, route, body);
    assert.equal(res.status, 400, `${method} ${route}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error.field, field, route);
  }
});

test("one visible email is one address: invisible characters, lists and names in it are refused at the field", async () => {
  for (const email of ["dup@exam\u200bple.com", "d\u200dup@example.com", "\u2060dup@example.com", "dup@example.com\u202e", "a@x.com,bcc@example.com", '"<b>x</b>"@example.com']) {
    const res = await postJson(stack.url + "/form-submissions/submit", seedSubmit({ formData: { name: "Dup", email } }));
    assert.equal(res.status, 400, `${JSON.stringify(email)}: ${res.text}`);
    assert.equal(res.json.error.field, "email");
  }
  const plain = await postJson(stack.url + "/form-submissions/submit", seedSubmit({ formData: { name: "Dup", email: "dup@example.com" } }));
  assert.equal(plain.status, 200, plain.text);
});

test("a number typed with more digits than a number keeps is refused, not stored changed", async () => {
  await stack.owner("POST", "/v1/agents/agent_abuse/tools", contactForm(receiver.url + "/hook", {
    id: "tool_count", name: "count_form",
    fields: [{ name: "email", type: "email", required: true }, { name: "seats", type: "number" }],
  }));
  const long = await postJson(stack.url + "/form-submissions/submit", { toolId: "tool_count", formData: { email: "n@example.com", seats: "12345678901234567890123" }, fieldsCompleted: ["email", "seats"] });
  assert.equal(long.status, 400, long.text);
  assert.equal(long.json.error.field, "seats");
  const fits = await postJson(stack.url + "/form-submissions/submit", { toolId: "tool_count", formData: { email: "n@example.com", seats: "123456789012345" }, fieldsCompleted: ["email", "seats"] });
  assert.equal(fits.status, 200, fits.text);
  const stored = (await stack.owner("GET", `/v1/submissions/${fits.json.submissionId}`)).body.submission.formData.seats;
  assert.equal(stored, 123456789012345);
  // The same digits as JSON numbers (written by hand: JavaScript would round them first).
  for (const digits of ["9007199254740993", "123456789012345678901234567890"]) {
    const res = await fetch(stack.url + "/form-submissions/submit", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: `{"toolId":"tool_count","formData":{"email":"n@example.com","seats":${digits}},"fieldsCompleted":["email","seats"]}`,
    });
    const body = await res.json();
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal(body.error.field, "seats");
  }
});

test("a chat message of invisible characters only is empty; ids are counted in characters", async () => {
  const started = await postJson(stack.url + "/conversations", { agentId: "agent_abuse" });
  assert.equal(started.status, 201, started.text);
  const { conversationId, conversationToken } = started.json;
  const res = await fetch(`${stack.url}/conversations/${conversationId}/messages`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Leadform-Conversation-Token": conversationToken },
    body: JSON.stringify({ text: " \u200b\u2060 " }),
  });
  assert.equal(res.status, 400);
  const body = await res.json();
  assert.equal(body.error.field, "text");
  // 128 characters of two bytes each are 128 characters, as documented.
  const key = "é".repeat(128);
  const keyed = await postJson(stack.url + "/form-submissions/submit", seedSubmit({ formData: { name: "Key", email: "key@example.com" }, idempotencyKey: key }));
  assert.equal(keyed.status, 200, keyed.text);
  const over = await postJson(stack.url + "/form-submissions/submit", seedSubmit({ idempotencyKey: key + "é" }));
  assert.equal(over.status, 400, over.text);
  assert.equal(over.json.error.field, "idempotencyKey");
});

test("a visitor never reads the edge's configuration in an error; the owner's log does", async () => {
  const made = await stack.owner("POST", "/v1/agents/agent_abuse/tools", contactForm(undefined, {
    id: "tool_mail",
    name: "mail",
    executionMode: "client",
    postActions: [{ type: "email", recipients: ["sales@example.com"] }],
  }));
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const res = await postJson(stack.url + "/form-submissions/submit", seedSubmit({ toolId: "tool_mail", formData: { name: "M", email: "m@example.com" }, fieldsCompleted: [] }));
  assert.equal(res.status, 200, res.text);
  const [mail] = res.json.postActionResults;
  assert.equal(mail.success, false);
  assert.ok(!/EMAIL_API|configured|http/i.test(mail.error ?? ""), mail.error);
  const { body } = await stack.owner("GET", `/v1/submissions/${res.json.submissionId}`);
  assert.match(body.deliveries[0].delivery.lastError, /EMAIL_API_URL/);
});
