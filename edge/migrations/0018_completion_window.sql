-- A form's average completion time counts a submission only when it was sent within an
-- hour of its start (0002 and 0006 allowed a day). `startedAt` is the caller's word: one
-- submission claiming a start 23 hours ago moved a thousand real ones' average by 83
-- seconds. A person who takes longer than an hour has left and come back; their time says
-- nothing about the form. Kept in step: insert (submissions_count) and release from spam
-- (submissions_release_count), otherwise as in 0006.
DROP TRIGGER submissions_count;
CREATE TRIGGER submissions_count AFTER INSERT ON submissions BEGIN
  INSERT OR IGNORE INTO form_stats (tool_id, day) VALUES (NEW.tool_id, date(NEW.submitted_at / 1000, 'unixepoch'));
  UPDATE form_stats SET
    submitted = submitted + 1,
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
