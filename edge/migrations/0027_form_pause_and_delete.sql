-- An owner can pause a form (`paused_at`: no longer offered; only displays shown before it
-- are still taken) and delete one (`deleted_at`: gone from every list, config and agent). A deleted form's row
-- stays: its submissions, leads and analytics rows name it, and deliveries already
-- accepted still need its URL and secret. Its name is free again for a new form, so the
-- name is unique among the forms not deleted only: SQLite cannot drop a table's UNIQUE
-- constraint, so `tools` is rebuilt as migration 0009 did (rows in a plain copy, the table
-- made again under its own name, foreign keys checked at commit), with a partial index.
PRAGMA defer_foreign_keys = true;

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
  qualification         TEXT,
  revision              INTEGER NOT NULL DEFAULT 0,
  paused_at             INTEGER,                     -- ms; NULL: offered to visitors
  deleted_at            INTEGER                      -- ms; NULL: not deleted
);
INSERT INTO tools (id, agent_id, name, title, description, fields, triggers,
  success_message, dismiss_message, execution_mode, webhook_url, webhook_secret, created_at,
  updated_at, post_actions, retry_schedule, previous_secret, previous_secret_until,
  require_client_token, spam_threshold, rules, qualification, revision)
SELECT id, agent_id, name, title, description, fields, triggers, success_message,
  dismiss_message, execution_mode, webhook_url, webhook_secret, created_at, updated_at,
  post_actions, retry_schedule, previous_secret, previous_secret_until, require_client_token,
  spam_threshold, rules, qualification, revision
FROM tools_copy;
DROP TABLE tools_copy;
CREATE INDEX tools_by_agent ON tools(agent_id);
CREATE UNIQUE INDEX tools_name_of_agent ON tools(agent_id, name) WHERE deleted_at IS NULL;

-- Dropped with the table: as migration 0014 made it.
CREATE TRIGGER tools_revision AFTER UPDATE ON tools WHEN NEW.revision = OLD.revision BEGIN
  UPDATE tools SET revision = OLD.revision + 1 WHERE id = NEW.id;
END;
