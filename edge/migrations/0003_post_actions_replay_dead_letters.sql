-- Post-actions and per-tool retry schedules on tools; deliveries keep a snapshot of what
-- they send (so editing a tool does not change a delivery in flight) and where their
-- current round of attempts began (a replay starts a new round); dead letters record
-- deliveries whose attempts ran out, for the owner to replay.

ALTER TABLE tools ADD COLUMN post_actions TEXT NOT NULL DEFAULT '[]';   -- JSON array of PostAction
ALTER TABLE tools ADD COLUMN retry_schedule TEXT;                       -- JSON array of seconds; NULL: RETRY_SCHEDULE_SECS

ALTER TABLE deliveries ADD COLUMN action TEXT;                          -- JSON PostAction; NULL for the primary webhook
ALTER TABLE deliveries ADD COLUMN schedule TEXT NOT NULL DEFAULT '[0,60,300]';
ALTER TABLE deliveries ADD COLUMN round_start INTEGER NOT NULL DEFAULT 0; -- attempts made before the current round

CREATE TABLE dead_letters (
  delivery_id   TEXT PRIMARY KEY REFERENCES deliveries(id),
  submission_id TEXT NOT NULL,
  agent_id      TEXT NOT NULL,
  kind          TEXT NOT NULL,
  attempts      INTEGER NOT NULL,
  last_error    TEXT,
  recorded_at   INTEGER NOT NULL,
  replayed_at   INTEGER                                             -- set when the owner replays it
);
CREATE INDEX dead_letters_by_agent ON dead_letters(agent_id, recorded_at);

CREATE INDEX deliveries_failed_by_time ON deliveries(status, created_at);

-- A replay reopens a submission's webhook part: its result goes back to NULL and is set
-- again by the new round, so analytics count each submission by its latest outcome.
CREATE TRIGGER submissions_result_uncount AFTER UPDATE OF result ON submissions
WHEN OLD.result IS NOT NULL AND NEW.result IS NULL BEGIN
  UPDATE form_stats SET
    successful = successful - (OLD.result = 'successful'),
    failed     = failed - (OLD.result = 'failed')
  WHERE tool_id = NEW.tool_id AND day = date(NEW.submitted_at / 1000, 'unixepoch');
END;
