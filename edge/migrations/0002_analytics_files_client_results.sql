-- Form analytics kept at write time, the client handler's report, and how a submission
-- ended. Counters live per tool and UTC day, so an analytics answer reads a few rows per
-- form and day whatever the number of submissions; the triggers below keep them in the
-- same transaction as the write they count, so they cannot drift from the rows.

ALTER TABLE submissions ADD COLUMN result TEXT;           -- NULL while open; 'successful' | 'failed' (core::status::settled)
ALTER TABLE submissions ADD COLUMN client_message TEXT;   -- what the page's handler said
ALTER TABLE submissions ADD COLUMN client_data TEXT;      -- JSON object the handler returned

CREATE TABLE form_stats (
  tool_id             TEXT NOT NULL,
  day                 TEXT NOT NULL,                  -- YYYY-MM-DD, UTC
  impressions         INTEGER NOT NULL DEFAULT 0,
  started             INTEGER NOT NULL DEFAULT 0,
  dismissed           INTEGER NOT NULL DEFAULT 0,
  submitted           INTEGER NOT NULL DEFAULT 0,
  successful          INTEGER NOT NULL DEFAULT 0,
  failed              INTEGER NOT NULL DEFAULT 0,
  completion_ms_total INTEGER NOT NULL DEFAULT 0,     -- sum of submitted_at - started_at
  completion_count    INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tool_id, day)
);

CREATE TABLE form_field_stats (
  tool_id   TEXT NOT NULL,
  day       TEXT NOT NULL,
  field     TEXT NOT NULL,
  completed INTEGER NOT NULL DEFAULT 0,               -- submissions listing it in fieldsCompleted
  PRIMARY KEY (tool_id, day, field)
);

-- A widget event counts once per form display: form_events' key drops repeats, and an
-- ignored insert fires no trigger.
CREATE TRIGGER form_events_count AFTER INSERT ON form_events BEGIN
  INSERT OR IGNORE INTO form_stats (tool_id, day) VALUES (NEW.tool_id, date(NEW.at / 1000, 'unixepoch'));
  UPDATE form_stats SET
    impressions = impressions + (NEW.kind = 'impression'),
    started     = started + (NEW.kind = 'start'),
    dismissed   = dismissed + (NEW.kind = 'dismiss')
  WHERE tool_id = NEW.tool_id AND day = date(NEW.at / 1000, 'unixepoch');
END;

-- Completion time counts only plausible spans (0 to 24 h): startedAt is the visitor's clock.
CREATE TRIGGER submissions_count AFTER INSERT ON submissions BEGIN
  INSERT OR IGNORE INTO form_stats (tool_id, day) VALUES (NEW.tool_id, date(NEW.submitted_at / 1000, 'unixepoch'));
  UPDATE form_stats SET
    submitted = submitted + 1,
    completion_ms_total = completion_ms_total + CASE
      WHEN NEW.started_at IS NOT NULL AND NEW.submitted_at - NEW.started_at BETWEEN 0 AND 86400000
      THEN NEW.submitted_at - NEW.started_at ELSE 0 END,
    completion_count = completion_count + (NEW.started_at IS NOT NULL AND NEW.submitted_at - NEW.started_at BETWEEN 0 AND 86400000)
  WHERE tool_id = NEW.tool_id AND day = date(NEW.submitted_at / 1000, 'unixepoch');
  INSERT OR IGNORE INTO form_field_stats (tool_id, day, field)
    SELECT DISTINCT NEW.tool_id, date(NEW.submitted_at / 1000, 'unixepoch'), value FROM json_each(NEW.fields_completed);
  UPDATE form_field_stats SET completed = completed + 1
  WHERE tool_id = NEW.tool_id AND day = date(NEW.submitted_at / 1000, 'unixepoch')
    AND field IN (SELECT value FROM json_each(NEW.fields_completed));
END;

-- A submission ends once (result goes from NULL to a value) and counts on its own day.
CREATE TRIGGER submissions_result_count AFTER UPDATE OF result ON submissions
WHEN OLD.result IS NULL AND NEW.result IS NOT NULL BEGIN
  UPDATE form_stats SET
    successful = successful + (NEW.result = 'successful'),
    failed     = failed + (NEW.result = 'failed')
  WHERE tool_id = NEW.tool_id AND day = date(NEW.submitted_at / 1000, 'unixepoch');
END;

-- Owner views: a submission's deliveries, an agent's leads by time.
CREATE INDEX submissions_by_agent_time ON submissions(agent_id, submitted_at);
