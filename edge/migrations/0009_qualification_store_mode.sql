-- Qualification before a form and seed 003's store-only forms (issue 10).
-- Forms gain questions (`qualification`) and a fourth execution mode, `store`; turns gain
-- the agent's questions and the visitor's answers; submissions and leads keep the score.
-- SQLite cannot change a CHECK constraint in place: `tools` and `conversation_turns` are
-- rebuilt. Foreign keys are checked at commit, when the rebuilt tables hold every row again.
PRAGMA defer_foreign_keys = true;

-- The rows wait in a plain copy while `tools` is made again under its own name: child tables
-- (submissions, form_events) keep naming `tools`, and each row put back resolves the
-- references the drop left open, so the deferred check passes at commit. (Renaming a new
-- table into place instead would leave those references open.)
CREATE TABLE tools_copy AS SELECT * FROM tools;
DROP TABLE tools;
CREATE TABLE tools (
  id                    TEXT PRIMARY KEY,
  agent_id              TEXT NOT NULL REFERENCES agents(id),
  name                  TEXT NOT NULL,
  title                 TEXT NOT NULL,
  description           TEXT NOT NULL DEFAULT '',
  fields                TEXT NOT NULL,
  triggers              TEXT NOT NULL DEFAULT '[]',
  success_message       TEXT NOT NULL,
  dismiss_message       TEXT NOT NULL DEFAULT '',
  execution_mode        TEXT NOT NULL CHECK (execution_mode IN ('webhook', 'client', 'both', 'store')),
  webhook_url           TEXT,
  webhook_secret        TEXT NOT NULL,
  created_at            INTEGER NOT NULL,
  updated_at            INTEGER NOT NULL,
  post_actions          TEXT NOT NULL DEFAULT '[]',
  retry_schedule        TEXT,
  previous_secret       TEXT,
  previous_secret_until INTEGER,
  require_client_token  INTEGER NOT NULL DEFAULT 0,
  spam_threshold        INTEGER,
  rules                 TEXT NOT NULL DEFAULT '{}',
  qualification         TEXT,                     -- JSON core::qualification::Qualification; NULL: none
  UNIQUE (agent_id, name)
);
INSERT INTO tools (id, agent_id, name, title, description, fields, triggers,
  success_message, dismiss_message, execution_mode, webhook_url, webhook_secret, created_at,
  updated_at, post_actions, retry_schedule, previous_secret, previous_secret_until,
  require_client_token, spam_threshold, rules)
SELECT id, agent_id, name, title, description, fields, triggers, success_message,
  dismiss_message, execution_mode, webhook_url, webhook_secret, created_at, updated_at,
  post_actions, retry_schedule, previous_secret, previous_secret_until, require_client_token,
  spam_threshold, rules
FROM tools_copy;
DROP TABLE tools_copy;
CREATE INDEX tools_by_agent ON tools(agent_id);

CREATE TABLE turns_rebuilt (
  conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  at INTEGER NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('visitor', 'agent')),
  kind TEXT NOT NULL CHECK (kind IN ('message', 'form_shown', 'form_dismissed', 'form_submitted',
                                     'question', 'answer')),
  text TEXT NOT NULL DEFAULT '',
  tool_id TEXT,
  reason TEXT,
  submission_id TEXT,
  question TEXT,                             -- the question's key, on 'question' and 'answer'
  points INTEGER,                            -- what the answer scored
  PRIMARY KEY (conversation_id, seq)
);
INSERT INTO turns_rebuilt (conversation_id, seq, at, role, kind, text, tool_id, reason, submission_id)
SELECT conversation_id, seq, at, role, kind, text, tool_id, reason, submission_id FROM conversation_turns;
DROP TABLE conversation_turns;
ALTER TABLE turns_rebuilt RENAME TO conversation_turns;

ALTER TABLE submissions ADD COLUMN qualification TEXT;   -- JSON core::qualification::Outcome
ALTER TABLE leads ADD COLUMN score INTEGER;              -- the last qualification's score
ALTER TABLE leads ADD COLUMN qualification TEXT;         -- JSON core::qualification::Outcome
