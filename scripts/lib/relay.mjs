// A transparent loopback relay in front of `wrangler dev`, for the tests and the demo.
//
// Why: wrangler dev runs a proxy worker in front of the edge, in another workerd process.
// Both ends of their pooled connection drop it after 5 s idle; a request written into that
// race is lost before the edge sees it, and the proxy answers a non-GET with its own 503
// "Your worker restarted mid-request" (cloudflare/workers-sdk#14641, #15252; the edge never
// restarted), or holds a GET until its next request. Production has no such proxy. A test
// suite of a few thousand requests meets the race now and then, so the relay sends exactly
// that answer's request once more, and nudges the proxy while an answer is late. Every
// other answer, our own 503s included, passes through untouched, and so does the body (a
// chunked one stays chunked, so the edge still caps it while reading).
import http from "node:http";
import zlib from "node:zlib";

const DEV_PROXY_LOST = "Your worker restarted mid-request";
const NUDGE_EVERY_MS = 1_000;
// Bodies up to this size are held so that they can go again (a submit with a 5 MB file fits);
// a larger one streams through as it comes and cannot: a flood of large bodies must not
// pile up in the relay's memory. The edge judges every size itself (413 past its limits).
const HOLD_BYTES = 8 * 1024 * 1024;

/**
 * Listens on 127.0.0.1:`port` and forwards to 127.0.0.1:`target`. `log` gets a line for
 * every request sent again. Resolves to `{ close() }`.
 */
export async function startRelay({ port, target, log = () => {} }) {
  // A fresh connection for every request: a pooled one would race wrangler's own 5 s idle
  // close, the very race this relay is here to absorb.
  const agent = new http.Agent({ keepAlive: false });
  // A GET or HEAD that meets the race gets no 503: the dev proxy keeps it and sends it again
  // only when its next request comes in, and with none coming it waits for good (a page
  // whose only request is the widget's wasm). So while an answer is late, the relay sends
  // the proxy a request of its own, which the edge answers at once.
  const nudge = () => http.get({ host: "127.0.0.1", port: target, path: "/", agent }, (r) => r.resume()).on("error", () => {});
  // Long URLs and headers are the edge's to judge (it has tests for them), not Node's 16 KB.
  const maxHeaderSize = 1024 * 1024;
  const server = http.createServer({ maxHeaderSize }, async (req, res) => {
    // The whole body first, up to HOLD_BYTES (a chunked one stays chunked: the headers say
    // so), so that it can go again, and so that no answer can arrive while it is still
    // being written.
    let body;
    try {
      body = await held(req, HOLD_BYTES);
    } catch {
      return res.destroy();
    }
    const { connection, "keep-alive": _, ...headers } = req.headers; // hop-by-hop: this hop's own
    let upstream;
    res.on("close", () => {
      // The client went away: so does the request to the edge (a dropped download, say).
      if (!res.writableFinished) upstream?.destroy();
    });
    const send = (again) => {
      const request = http.request({ host: "127.0.0.1", port: target, method: req.method, path: req.url, headers, agent, maxHeaderSize });
      upstream = request;
      let reading503 = false; // from here on this request's own errors no longer matter
      const nudging = setInterval(nudge, NUDGE_EVERY_MS);
      request.on("close", () => clearInterval(nudging));
      request.on("response", async (answer) => {
        clearInterval(nudging);
        if (!again && !body.streams && answer.statusCode === 503 && !String(answer.headers["content-type"] ?? "").includes("json")) {
          reading503 = true;
          let raw;
          try {
            raw = Buffer.concat(await answer.toArray());
          } catch {
            return res.destroy();
          }
          if (decoded(raw, answer.headers["content-encoding"]).toString("utf8").startsWith(DEV_PROXY_LOST)) {
            log(`[relay] ${req.method} ${req.url}: the dev proxy lost it before the edge saw it; sent again\n`);
            return send(true);
          }
          res.writeHead(answer.statusCode, answer.statusMessage, answer.rawHeaders);
          return res.end(raw);
        }
        res.writeHead(answer.statusCode, answer.statusMessage, answer.rawHeaders);
        answer.on("error", () => res.destroy()); // cut off mid-body: so is the client
        answer.pipe(res);
      });
      // The runtime is down or dropped the connection: the client sees a dropped connection.
      request.on("error", () => reading503 || res.destroy());
      if (body.streams) {
        for (const chunk of body.chunks) request.write(chunk);
        req.pipe(request);
        req.on("error", () => request.destroy());
      } else {
        request.end(Buffer.concat(body.chunks));
      }
    };
    send(false);
  });
  // Clients close their idle connections; were the relay to close them after its own 5 s, a
  // request could meet that close on the way in (the same race again, one hop out).
  server.keepAliveTimeout = 0;
  server.requestTimeout = 0;
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return {
    close: () =>
      new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}

/**
 * The request's body, held whole (`streams` false) when it ends within `max` bytes; else the
 * chunks read so far with the rest still to come from `req`, paused (`streams` true).
 */
function held(req, max) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    const onData = (chunk) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > max) {
        req.pause();
        req.off("data", onData).off("end", onEnd).off("error", reject);
        resolve({ chunks, streams: true });
      }
    };
    const onEnd = () => resolve({ chunks, streams: false });
    req.on("data", onData).once("end", onEnd).once("error", reject);
  });
}

/** An answer's body as sent before `encoding` (the dev proxy compresses its own 503 too). */
function decoded(raw, encoding = "identity") {
  try {
    switch (encoding.trim().toLowerCase()) {
      case "gzip":
        return zlib.gunzipSync(raw);
      case "br":
        return zlib.brotliDecompressSync(raw);
      case "deflate":
        return zlib.inflateSync(raw);
      case "identity":
        return raw;
    }
  } catch {}
  return Buffer.alloc(0);
}
