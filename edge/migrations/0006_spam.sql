-- Spam is quarantined, not dropped. A submission whose spam score reaches its tool's
-- threshold is stored with status 'spam' and its verdict: no lead, no delivery, not counted
-- in the analytics, until the owner releases it (then it is delivered, made a lead and
-- counted as if just submitted). Display tokens from the widget config are counted per
-- widget load, so one reused beyond its display is a signal.

ALTER TABLE submissions ADD COLUMN spam TEXT;          -- JSON {score, threshold, reasons, geo} when quarantined
ALTER TABLE submissions ADD COLUMN released_at INTEGER; -- ms; set when the owner released it
ALTER TABLE tools ADD COLUMN spam_threshold INTEGER;   -- NULL: core::spam::DEFAULT_THRESHOLD

-- Submissions one display token made (keyed by the token's nonce); rows whose token can no
-- longer be valid are purged by the cron sweep.
CREATE TABLE display_token_uses (
  nonce   TEXT PRIMARY KEY,
  uses    INTEGER NOT NULL,
  last_at INTEGER NOT NULL
);
CREATE INDEX display_token_uses_by_time ON display_token_uses(last_at);

-- A quarantined submission is not counted when it is stored; the form's row for its day is
-- made all the same, so counting it at release only ever updates.
DROP TRIGGER submissions_count;
CREATE TRIGGER submissions_count AFTER INSERT ON submissions BEGIN
  INSERT OR IGNORE INTO form_stats (tool_id, day) VALUES (NEW.tool_id, date(NEW.submitted_at / 1000, 'unixepoch'));
  UPDATE form_stats SET
    submitted = submitted + 1,
    completion_ms_total = completion_ms_total + CASE
      WHEN NEW.started_at IS NOT NULL AND NEW.submitted_at - NEW.started_at BETWEEN 0 AND 86400000
      THEN NEW.submitted_at - NEW.started_at ELSE 0 END,
    completion_count = completion_count + (NEW.started_at IS NOT NULL AND NEW.submitted_at - NEW.started_at BETWEEN 0 AND 86400000)
  WHERE tool_id = NEW.tool_id AND day = date(NEW.submitted_at / 1000, 'unixepoch') AND NEW.status <> 'spam';
  INSERT OR IGNORE INTO form_field_stats (tool_id, day, field)
    SELECT DISTINCT NEW.tool_id, date(NEW.submitted_at / 1000, 'unixepoch'), value FROM json_each(NEW.fields_completed)
    WHERE NEW.status <> 'spam';
  UPDATE form_field_stats SET completed = completed + 1
  WHERE tool_id = NEW.tool_id AND day = date(NEW.submitted_at / 1000, 'unixepoch') AND NEW.status <> 'spam'
    AND field IN (SELECT value FROM json_each(NEW.fields_completed));
END;

-- A released submission counts as submitted then, on the day it was submitted (as its
-- outcome will, see submissions_result_count).
CREATE TRIGGER submissions_release_count AFTER UPDATE OF status ON submissions
WHEN OLD.status = 'spam' AND NEW.status <> 'spam' BEGIN
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

-- The owner's spam folder: an agent's quarantined submissions by time.
CREATE INDEX submissions_spam_by_agent ON submissions(agent_id, submitted_at) WHERE status = 'spam';
