-- Why leads were lost, counted at write time as lead_origins is (migration 0019): the
-- leads page reads a few rows per agent however many leads are lost, instead of a walk of
-- 0022's index on every visit. 0022's index stays for the list of one reason's leads.
CREATE TABLE lead_lost_reasons (
  agent_id TEXT NOT NULL,
  reason   TEXT NOT NULL,
  leads    INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (agent_id, reason)
) WITHOUT ROWID;

-- The leads lost already.
INSERT INTO lead_lost_reasons (agent_id, reason, leads)
  SELECT agent_id, lost_reason, count(*) FROM leads
  WHERE stage = 'lost' AND lost_reason IS NOT NULL
  GROUP BY agent_id, lost_reason;

CREATE TRIGGER lead_lost_reasons_count AFTER INSERT ON leads
WHEN NEW.stage = 'lost' AND NEW.lost_reason IS NOT NULL BEGIN
  INSERT INTO lead_lost_reasons (agent_id, reason, leads) VALUES (NEW.agent_id, NEW.lost_reason, 1)
  ON CONFLICT (agent_id, reason) DO UPDATE SET leads = leads + 1;
END;

-- A move out of lost, into it, or from one reason to another. Only writes that name the
-- stage or the reason fire it: a later submission's (which keeps both) does not.
CREATE TRIGGER lead_lost_reasons_move AFTER UPDATE OF stage, lost_reason ON leads
WHEN (OLD.stage = 'lost' AND OLD.lost_reason IS NOT NULL) OR (NEW.stage = 'lost' AND NEW.lost_reason IS NOT NULL) BEGIN
  UPDATE lead_lost_reasons SET leads = leads - 1
  WHERE OLD.stage = 'lost' AND agent_id = OLD.agent_id AND reason = OLD.lost_reason;
  INSERT INTO lead_lost_reasons (agent_id, reason, leads)
    SELECT NEW.agent_id, NEW.lost_reason, 1 WHERE NEW.stage = 'lost' AND NEW.lost_reason IS NOT NULL
  ON CONFLICT (agent_id, reason) DO UPDATE SET leads = leads + 1;
END;

CREATE TRIGGER lead_lost_reasons_uncount AFTER DELETE ON leads
WHEN OLD.stage = 'lost' AND OLD.lost_reason IS NOT NULL BEGIN
  UPDATE lead_lost_reasons SET leads = leads - 1 WHERE agent_id = OLD.agent_id AND reason = OLD.lost_reason;
END;
