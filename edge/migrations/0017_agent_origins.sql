-- Which agents let pages of an origin call the widget. A preflight, or an error, names no
-- agent, and used to be answered by a scan of every agent's allowedOrigins (json_each over
-- all of them, for each request: an error a caller can cause at will); now it is one index
-- read (edge/src/storage/agents.rs, `any_allows_origin`). Triggers keep it: every write of
-- an agent's allowed_origins (create, upsert, update; a delete, should one come) keeps it
-- right without the code's help.
CREATE TABLE agent_origins (
  origin TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  PRIMARY KEY (origin, agent_id)
) WITHOUT ROWID;

INSERT OR IGNORE INTO agent_origins (origin, agent_id)
  SELECT o.value, a.id FROM agents a, json_each(a.allowed_origins) o WHERE o.type = 'text';

CREATE TRIGGER agent_origins_insert AFTER INSERT ON agents BEGIN
  INSERT OR IGNORE INTO agent_origins (origin, agent_id)
    SELECT value, NEW.id FROM json_each(NEW.allowed_origins) WHERE type = 'text';
END;

CREATE TRIGGER agent_origins_update AFTER UPDATE OF allowed_origins ON agents BEGIN
  DELETE FROM agent_origins WHERE agent_id = OLD.id;
  INSERT OR IGNORE INTO agent_origins (origin, agent_id)
    SELECT value, NEW.id FROM json_each(NEW.allowed_origins) WHERE type = 'text';
END;

CREATE TRIGGER agent_origins_delete AFTER DELETE ON agents BEGIN
  DELETE FROM agent_origins WHERE agent_id = OLD.id;
END;
