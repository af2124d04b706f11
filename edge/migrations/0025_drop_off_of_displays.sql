-- Drop-off is "started but not completed" (seed 000): started displays that were not
-- submitted. Until now it was started − submitted, and `submitted` also counts submissions
-- made through the API alone (no display, so no start): 5 displays started, 3 of them sent,
-- and 2 API submissions showed a drop-off of 0, not 2. `submitted_started` counts the
-- submissions of a display whose start is recorded (the widget's, whose idempotency key is
-- its display id, and a messaging channel's); drop-off is started − submitted_started.
-- The submit writes the display's impression and start before its submission (same
-- transaction), so a widget submission whose events were lost still counts as started and
-- sent. Kept in step with `submitted`: insert (submissions_count) and release from spam
-- (submissions_release_count), otherwise as in 0018.
ALTER TABLE form_stats ADD COLUMN submitted_started INTEGER NOT NULL DEFAULT 0;

-- Days counted before this migration keep, each on its own, the figure they showed
-- (started − submitted, not below 0); a range of several of them now adds those figures
-- up, where before the sums were subtracted (a day of API submissions no longer hides
-- another day's unsent displays).
UPDATE form_stats SET submitted_started = MIN(submitted, started);

DROP TRIGGER submissions_count;
CREATE TRIGGER submissions_count AFTER INSERT ON submissions BEGIN
  INSERT OR IGNORE INTO form_stats (tool_id, day) VALUES (NEW.tool_id, date(NEW.submitted_at / 1000, 'unixepoch'));
  UPDATE form_stats SET
    submitted = submitted + 1,
    submitted_started = submitted_started + EXISTS (SELECT 1 FROM form_events
      WHERE tool_id = NEW.tool_id AND display_id = NEW.idempotency_key AND kind = 'start'),
    completion_ms_total = completion_ms_total + CASE
      WHEN NEW.started_at IS NOT NULL AND NEW.submitted_at - NEW.started_at BETWEEN 0 AND 3600000
      THEN NEW.submitted_at - NEW.started_at ELSE 0 END,
    completion_count = completion_count + (NEW.started_at IS NOT NULL AND NEW.submitted_at - NEW.started_at BETWEEN 0 AND 3600000)
  WHERE tool_id = NEW.tool_id AND day = date(NEW.submitted_at / 1000, 'unixepoch') AND NEW.status <> 'spam';
  INSERT OR IGNORE INTO form_field_stats (tool_id, day, field)
    SELECT DISTINCT NEW.tool_id, date(NEW.submitted_at / 1000, 'unixepoch'), value FROM json_each(NEW.fields_completed)
    WHERE NEW.status <> 'spam';
  UPDATE form_field_stats SET completed = completed + 1
  WHERE tool_id = NEW.tool_id AND day = date(NEW.submitted_at / 1000, 'unixepoch') AND NEW.status <> 'spam'
    AND field IN (SELECT value FROM json_each(NEW.fields_completed));
END;

DROP TRIGGER submissions_release_count;
CREATE TRIGGER submissions_release_count AFTER UPDATE OF status ON submissions
WHEN OLD.status = 'spam' AND NEW.status <> 'spam' BEGIN
  INSERT OR IGNORE INTO form_stats (tool_id, day) VALUES (NEW.tool_id, date(NEW.submitted_at / 1000, 'unixepoch'));
  UPDATE form_stats SET
    submitted = submitted + 1,
    submitted_started = submitted_started + EXISTS (SELECT 1 FROM form_events
      WHERE tool_id = NEW.tool_id AND display_id = NEW.idempotency_key AND kind = 'start'),
    completion_ms_total = completion_ms_total + CASE
      WHEN NEW.started_at IS NOT NULL AND NEW.submitted_at - NEW.started_at BETWEEN 0 AND 3600000
      THEN NEW.submitted_at - NEW.started_at ELSE 0 END,
    completion_count = completion_count + (NEW.started_at IS NOT NULL AND NEW.submitted_at - NEW.started_at BETWEEN 0 AND 3600000)
  WHERE tool_id = NEW.tool_id AND day = date(NEW.submitted_at / 1000, 'unixepoch');
  INSERT OR IGNORE INTO form_field_stats (tool_id, day, field)
    SELECT DISTINCT NEW.tool_id, date(NEW.submitted_at / 1000, 'unixepoch'), value FROM json_each(NEW.fields_completed);
  UPDATE form_field_stats SET completed = completed + 1
  WHERE tool_id = NEW.tool_id AND day = date(NEW.submitted_at / 1000, 'unixepoch')
    AND field IN (SELECT value FROM json_each(NEW.fields_completed));
END;
