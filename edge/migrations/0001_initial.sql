-- Agents own form tools; submissions are leads; deliveries are the outbox (one row per
-- outbound delivery, attempts logged beside it). D1 is the source of truth: the queue only
-- carries ids, so every delivery can be rebuilt from these tables.

CREATE TABLE agents (
  id              TEXT PRIMARY KEY,
  name            TEXT NOT NULL,
  greeting        TEXT NOT NULL DEFAULT '',
  quick_replies   TEXT NOT NULL DEFAULT '[]',  -- JSON array of strings
  allowed_origins TEXT NOT NULL DEFAULT '[]',  -- JSON array; origins the widget may call from
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);

CREATE TABLE tools (
  id              TEXT PRIMARY KEY,
  agent_id        TEXT NOT NULL REFERENCES agents(id),
  name            TEXT NOT NULL,               -- e.g. contact_form; registerFormHandler uses it
  title           TEXT NOT NULL,
  description     TEXT NOT NULL DEFAULT '',
  fields          TEXT NOT NULL,               -- JSON array of FieldSpec
  triggers        TEXT NOT NULL DEFAULT '[]',  -- JSON array of words that make the agent offer the form
  success_message TEXT NOT NULL,
  dismiss_message TEXT NOT NULL DEFAULT '',
  execution_mode  TEXT NOT NULL CHECK (execution_mode IN ('webhook', 'client', 'both')),
  webhook_url     TEXT,
  webhook_secret  TEXT NOT NULL,               -- whsec_..., signs every webhook of this tool
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  UNIQUE (agent_id, name)
);
CREATE INDEX tools_by_agent ON tools(agent_id);

CREATE TABLE submissions (
  id               TEXT PRIMARY KEY,
  agent_id         TEXT NOT NULL,
  tool_id          TEXT NOT NULL REFERENCES tools(id),
  conversation_id  TEXT,
  form_data        TEXT NOT NULL,              -- JSON object, validated
  fields_completed TEXT NOT NULL,              -- JSON array of field names
  impression_at    INTEGER,
  started_at       INTEGER,
  submitted_at     INTEGER NOT NULL,
  execution_mode   TEXT NOT NULL,
  webhook_outcome  TEXT NOT NULL DEFAULT 'pending',  -- pending | succeeded | failed
  client_outcome   TEXT NOT NULL DEFAULT 'pending',
  status           TEXT NOT NULL,              -- derived by core::status from the outcomes
  idempotency_key  TEXT,
  response         TEXT                        -- the first answer, replayed for the same key
);
CREATE INDEX submissions_by_tool_time ON submissions(tool_id, submitted_at);
CREATE UNIQUE INDEX submissions_idempotency ON submissions(tool_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

CREATE TABLE deliveries (
  id              TEXT PRIMARY KEY,            -- also the webhook-id header: stable across retries
  submission_id   TEXT NOT NULL REFERENCES submissions(id),
  kind            TEXT NOT NULL,               -- webhook (later: slack, email, ...)
  target_url      TEXT NOT NULL,
  status          TEXT NOT NULL,               -- pending | retrying | delivered | failed
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,                     -- ms; due deliveries no queue holds are re-enqueued
  lease_until     INTEGER,                     -- ms; an attempt in flight holds the delivery until then
  last_error      TEXT,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE INDEX deliveries_by_submission ON deliveries(submission_id);
CREATE INDEX deliveries_due ON deliveries(status, next_attempt_at);

CREATE TABLE delivery_attempts (
  delivery_id      TEXT NOT NULL REFERENCES deliveries(id),
  attempt          INTEGER NOT NULL,
  started_at       INTEGER NOT NULL,
  status_code      INTEGER,
  latency_ms       INTEGER NOT NULL,
  error            TEXT,
  response_snippet TEXT,
  PRIMARY KEY (delivery_id, attempt)
);

CREATE TABLE form_events (
  tool_id    TEXT NOT NULL REFERENCES tools(id),
  display_id TEXT NOT NULL,                    -- one id per form display, from the widget
  kind       TEXT NOT NULL CHECK (kind IN ('impression', 'start', 'dismiss')),
  at         INTEGER NOT NULL,
  PRIMARY KEY (tool_id, display_id, kind)
);
