-- A tool's revision, moved on by every change to its row (the owner's edits, a secret's
-- rotation): a submit planned on this isolate's copy of a tool checks the copy is current
-- by its revision alone (edge/src/storage/tools.rs, `unchanged_condition`) instead of
-- sending every column back to be compared. Triggers do not fire themselves again here
-- (SQLite's recursive_triggers is off), and the WHEN leaves a row alone that moved it.
ALTER TABLE tools ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER tools_revision AFTER UPDATE ON tools WHEN NEW.revision = OLD.revision BEGIN
  UPDATE tools SET revision = OLD.revision + 1 WHERE id = NEW.id;
END;
