-- Leads: one person per agent, created or updated by each accepted submission and worked
-- through a pipeline (new, contacted, qualified, converted, lost). Every change to a lead is
-- an activity row written in the same batch. Counters per agent and the agent's custom
-- field keys (the CSV's extra columns) are kept by triggers at write time, so reading them
-- does not grow with the number of leads. Owner keys with scopes, and lead-event endpoints.

CREATE TABLE leads (
  id                 TEXT PRIMARY KEY,            -- lead_<12 hex ms><12 hex random>: sorts by time
  agent_id           TEXT NOT NULL REFERENCES agents(id),
  stage              TEXT NOT NULL CHECK (stage IN ('new', 'contacted', 'qualified', 'converted', 'lost')),
  lost_reason        TEXT,
  email_key          TEXT,                        -- trimmed, lower-case email: the first match
  phone_key          TEXT,                        -- E.164: the second match
  name               TEXT,
  first_name         TEXT,
  last_name          TEXT,
  email              TEXT,
  phone              TEXT,
  company            TEXT,
  website            TEXT,
  custom_fields      TEXT NOT NULL DEFAULT '{}',  -- JSON object: every other form field, latest wins
  source             TEXT NOT NULL,               -- widget | api | whatsapp | telegram | ...
  attribution        TEXT NOT NULL DEFAULT '{}',  -- JSON {pageUrl, referrer, landingPage, utm}
  geo                TEXT NOT NULL DEFAULT '{}',  -- JSON {country, region, city, timezone}
  search             TEXT NOT NULL DEFAULT '',    -- lower-case name, email and company for `q`
  tool_id            TEXT,                        -- the form of the latest submission
  submission_count   INTEGER NOT NULL DEFAULT 0,
  last_submission_at INTEGER,
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL,
  version            INTEGER NOT NULL DEFAULT 0   -- bumped by every write: updates check it (see write_guard)
);
CREATE UNIQUE INDEX leads_by_email ON leads(agent_id, email_key) WHERE email_key IS NOT NULL;
CREATE INDEX leads_by_phone ON leads(agent_id, phone_key) WHERE phone_key IS NOT NULL;
CREATE INDEX leads_by_time ON leads(agent_id, created_at, id);
CREATE INDEX leads_by_stage ON leads(agent_id, stage, created_at, id);
CREATE INDEX leads_by_source ON leads(agent_id, source, created_at, id);

CREATE TABLE lead_activity (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  lead_id       TEXT NOT NULL,
  at            INTEGER NOT NULL,
  type          TEXT NOT NULL,                    -- created | submitted | stage_changed | note | fields_edited
  from_stage    TEXT,
  to_stage      TEXT,
  by            TEXT NOT NULL,                    -- admin | key:<id> | member:<id> | visitor
  reason        TEXT,
  note          TEXT,
  submission_id TEXT
);
CREATE INDEX lead_activity_by_lead ON lead_activity(lead_id, seq);

CREATE TABLE lead_counters (
  agent_id  TEXT PRIMARY KEY,
  total     INTEGER NOT NULL DEFAULT 0,
  new       INTEGER NOT NULL DEFAULT 0,
  contacted INTEGER NOT NULL DEFAULT 0,
  qualified INTEGER NOT NULL DEFAULT 0,
  converted INTEGER NOT NULL DEFAULT 0,
  lost      INTEGER NOT NULL DEFAULT 0
);

CREATE TRIGGER leads_count AFTER INSERT ON leads BEGIN
  INSERT OR IGNORE INTO lead_counters (agent_id) VALUES (NEW.agent_id);
  UPDATE lead_counters SET total = total + 1,
    new = new + (NEW.stage = 'new'), contacted = contacted + (NEW.stage = 'contacted'),
    qualified = qualified + (NEW.stage = 'qualified'), converted = converted + (NEW.stage = 'converted'),
    lost = lost + (NEW.stage = 'lost')
  WHERE agent_id = NEW.agent_id;
END;

CREATE TRIGGER leads_move AFTER UPDATE OF stage ON leads WHEN OLD.stage <> NEW.stage BEGIN
  UPDATE lead_counters SET
    new = new + (NEW.stage = 'new') - (OLD.stage = 'new'),
    contacted = contacted + (NEW.stage = 'contacted') - (OLD.stage = 'contacted'),
    qualified = qualified + (NEW.stage = 'qualified') - (OLD.stage = 'qualified'),
    converted = converted + (NEW.stage = 'converted') - (OLD.stage = 'converted'),
    lost = lost + (NEW.stage = 'lost') - (OLD.stage = 'lost')
  WHERE agent_id = NEW.agent_id;
END;

CREATE TRIGGER leads_uncount AFTER DELETE ON leads BEGIN
  UPDATE lead_counters SET total = total - 1,
    new = new - (OLD.stage = 'new'), contacted = contacted - (OLD.stage = 'contacted'),
    qualified = qualified - (OLD.stage = 'qualified'), converted = converted - (OLD.stage = 'converted'),
    lost = lost - (OLD.stage = 'lost')
  WHERE agent_id = OLD.agent_id;
END;

-- The CSV has one column per custom field key an agent's leads ever had, in the order
-- first seen: kept here so an export knows its header before it reads a single lead.
CREATE TABLE lead_custom_keys (
  seq      INTEGER PRIMARY KEY AUTOINCREMENT,
  agent_id TEXT NOT NULL,
  key      TEXT NOT NULL,
  UNIQUE (agent_id, key)
);
CREATE TRIGGER leads_custom_keys_insert AFTER INSERT ON leads BEGIN
  INSERT OR IGNORE INTO lead_custom_keys (agent_id, key) SELECT NEW.agent_id, key FROM json_each(NEW.custom_fields);
END;
CREATE TRIGGER leads_custom_keys_update AFTER UPDATE OF custom_fields ON leads BEGIN
  INSERT OR IGNORE INTO lead_custom_keys (agent_id, key) SELECT NEW.agent_id, key FROM json_each(NEW.custom_fields);
END;

-- An update of a lead names the version it read; the next statement of its batch inserts
-- changes() here, and the CHECK fails the whole batch when the update matched no row (a
-- concurrent write got there first): the edge reads again and retries.
CREATE TABLE write_guard (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  ok INTEGER NOT NULL CHECK (ok = 1)
);

-- Every submission belongs to a lead and says where it came from.
ALTER TABLE submissions ADD COLUMN lead_id TEXT;
ALTER TABLE submissions ADD COLUMN source TEXT NOT NULL DEFAULT 'api';
ALTER TABLE submissions ADD COLUMN attribution TEXT;   -- JSON, as the widget sent it
CREATE INDEX submissions_by_lead ON submissions(lead_id, tool_id);
CREATE INDEX submissions_by_conversation ON submissions(conversation_id) WHERE conversation_id IS NOT NULL;

-- Each agent may name its own reasons for losing a lead (NULL: the default list).
ALTER TABLE agents ADD COLUMN lost_reasons TEXT;

-- Owner keys: stored as SHA-256 of the key (shown once), with scopes and optional agents.
CREATE TABLE api_keys (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  hash         TEXT NOT NULL UNIQUE,
  prefix       TEXT NOT NULL,                     -- the first characters, to tell keys apart
  scopes       TEXT NOT NULL,                     -- JSON array of scope names
  agents       TEXT,                              -- JSON array of agent ids; NULL: every agent
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at   INTEGER
);

-- Endpoints that follow an agent's pipeline (lead.created, lead.updated, lead.deleted).
CREATE TABLE lead_webhooks (
  id         TEXT PRIMARY KEY,
  agent_id   TEXT NOT NULL REFERENCES agents(id),
  url        TEXT NOT NULL,
  secret     TEXT NOT NULL,                       -- whsec_..., shown once
  events     TEXT NOT NULL,                       -- JSON array of event types
  created_at INTEGER NOT NULL
);
CREATE INDEX lead_webhooks_by_agent ON lead_webhooks(agent_id);

-- The outbox also carries lead events, which belong to an agent and a lead but to no
-- submission (a lead.deleted outlives every submission). SQLite cannot drop NOT NULL, so
-- deliveries is rebuilt; its children are set aside first, since dropping a parent with
-- rows pointing at it fails its foreign keys.
CREATE TABLE attempts_aside AS SELECT * FROM delivery_attempts;
CREATE TABLE dead_letters_aside AS SELECT * FROM dead_letters;
DELETE FROM delivery_attempts;
DELETE FROM dead_letters;

CREATE TABLE deliveries_new (
  id              TEXT PRIMARY KEY,               -- also the webhook-id header: stable across retries
  submission_id   TEXT REFERENCES submissions(id),-- NULL for lead events
  agent_id        TEXT NOT NULL,
  lead_id         TEXT,
  kind            TEXT NOT NULL,                  -- webhook | slack | email | google_sheets | mailchimp | lead_event
  target_url      TEXT NOT NULL,
  status          TEXT NOT NULL,                  -- pending | retrying | delivered | failed
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  lease_until     INTEGER,
  last_error      TEXT,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  action          TEXT,                           -- JSON PostAction, or {"endpointId"} of a lead event
  schedule        TEXT NOT NULL DEFAULT '[0,60,300]',
  round_start     INTEGER NOT NULL DEFAULT 0,
  payload         TEXT                            -- a lead event's body, fixed when it happened
);
INSERT INTO deliveries_new (id, submission_id, agent_id, lead_id, kind, target_url, status, attempts,
    next_attempt_at, lease_until, last_error, created_at, updated_at, action, schedule, round_start)
  SELECT d.id, d.submission_id, s.agent_id, NULL, d.kind, d.target_url, d.status, d.attempts,
    d.next_attempt_at, d.lease_until, d.last_error, d.created_at, d.updated_at, d.action, d.schedule, d.round_start
  FROM deliveries d JOIN submissions s ON s.id = d.submission_id;
DROP TABLE deliveries;
ALTER TABLE deliveries_new RENAME TO deliveries;
CREATE INDEX deliveries_by_submission ON deliveries(submission_id);
CREATE INDEX deliveries_by_lead ON deliveries(lead_id) WHERE lead_id IS NOT NULL;
CREATE INDEX deliveries_due ON deliveries(status, next_attempt_at);
CREATE INDEX deliveries_failed_by_time ON deliveries(status, created_at);

INSERT INTO delivery_attempts SELECT * FROM attempts_aside;
INSERT INTO dead_letters SELECT * FROM dead_letters_aside;
DROP TABLE attempts_aside;
DROP TABLE dead_letters_aside;

-- Submissions stored before leads existed become leads, so no owner starts with an empty
-- pipeline: one lead per submission (history is not deduplicated, so no email_key), source
-- api, the usual field names lifted out of formData.
INSERT INTO leads (id, agent_id, stage, source, name, email, phone, company, custom_fields, search,
    tool_id, submission_count, last_submission_at, created_at, updated_at)
  SELECT 'lead_' || substr(id, 5), agent_id, 'new', 'api',
    json_extract(form_data, '$.name'), json_extract(form_data, '$.email'),
    json_extract(form_data, '$.phone'), json_extract(form_data, '$.company'),
    json_remove(form_data, '$.name', '$.email', '$.phone', '$.company'),
    lower(coalesce(json_extract(form_data, '$.name'), '') || ' ' || coalesce(json_extract(form_data, '$.email'), '')
      || ' ' || coalesce(json_extract(form_data, '$.company'), '')),
    tool_id, 1, submitted_at, submitted_at, submitted_at
  FROM submissions WHERE lead_id IS NULL;
UPDATE submissions SET lead_id = 'lead_' || substr(id, 5) WHERE lead_id IS NULL;
