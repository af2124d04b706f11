-- Which channels and pages bring the best leads (seed 004: "Which channels or pages
-- generate the best leads?"): for each agent, its leads by stage per channel (`source`),
-- landing page, utm_source and utm_campaign, kept at write time as lead_counters is, so
-- the leads page reads a few rows however many leads there are.

-- A lead's first-touch attribution, as the values it is counted under. The landing page
-- without its query or fragment (utm_* parameters would make every visit a page of its
-- own); empty values count as missing. Attribution is the caller's JSON (checked when
-- taken), so each read is guarded: a row that is not JSON has no origin, and no error.
ALTER TABLE leads ADD COLUMN origin_page TEXT GENERATED ALWAYS AS (
  CASE WHEN json_valid(attribution) AND json_type(attribution, '$.landingPage') = 'text'
        AND json_extract(attribution, '$.landingPage') <> ''
  THEN substr(json_extract(attribution, '$.landingPage'), 1, min(
    instr(json_extract(attribution, '$.landingPage') || '?', '?'),
    instr(json_extract(attribution, '$.landingPage') || '#', '#')) - 1)
  END) VIRTUAL;
ALTER TABLE leads ADD COLUMN origin_utm_source TEXT GENERATED ALWAYS AS (
  CASE WHEN json_valid(attribution) AND json_type(attribution, '$.utm.source') = 'text'
  THEN nullif(json_extract(attribution, '$.utm.source'), '') END) VIRTUAL;
ALTER TABLE leads ADD COLUMN origin_utm_campaign TEXT GENERATED ALWAYS AS (
  CASE WHEN json_valid(attribution) AND json_type(attribution, '$.utm.campaign') = 'text'
  THEN nullif(json_extract(attribution, '$.utm.campaign'), '') END) VIRTUAL;

CREATE TABLE lead_origins (
  agent_id  TEXT NOT NULL,
  kind      TEXT NOT NULL CHECK (kind IN ('source', 'page', 'utm_source', 'utm_campaign')),
  value     TEXT NOT NULL,
  total     INTEGER NOT NULL DEFAULT 0,
  new       INTEGER NOT NULL DEFAULT 0,
  contacted INTEGER NOT NULL DEFAULT 0,
  qualified INTEGER NOT NULL DEFAULT 0,
  converted INTEGER NOT NULL DEFAULT 0,
  lost      INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (agent_id, kind, value)
) WITHOUT ROWID;
CREATE INDEX lead_origins_by_size ON lead_origins(agent_id, kind, total);

-- The leads there are already.
INSERT INTO lead_origins (agent_id, kind, value, total, new, contacted, qualified, converted, lost)
  SELECT agent_id, kind, value, count(*), sum(stage = 'new'), sum(stage = 'contacted'),
         sum(stage = 'qualified'), sum(stage = 'converted'), sum(stage = 'lost')
  FROM (SELECT agent_id, stage, 'source' AS kind, source AS value FROM leads
        UNION ALL SELECT agent_id, stage, 'page', origin_page FROM leads
        UNION ALL SELECT agent_id, stage, 'utm_source', origin_utm_source FROM leads
        UNION ALL SELECT agent_id, stage, 'utm_campaign', origin_utm_campaign FROM leads)
  WHERE value IS NOT NULL AND value <> ''
  GROUP BY agent_id, kind, value;

CREATE TRIGGER lead_origins_count AFTER INSERT ON leads BEGIN
  INSERT INTO lead_origins (agent_id, kind, value, total, new, contacted, qualified, converted, lost)
    SELECT NEW.agent_id, kind, value, 1, NEW.stage = 'new', NEW.stage = 'contacted',
           NEW.stage = 'qualified', NEW.stage = 'converted', NEW.stage = 'lost'
    FROM (SELECT 'source' AS kind, NEW.source AS value
          UNION ALL SELECT 'page', NEW.origin_page
          UNION ALL SELECT 'utm_source', NEW.origin_utm_source
          UNION ALL SELECT 'utm_campaign', NEW.origin_utm_campaign)
    WHERE value IS NOT NULL AND value <> ''
  ON CONFLICT (agent_id, kind, value) DO UPDATE SET total = total + 1, new = new + excluded.new,
    contacted = contacted + excluded.contacted, qualified = qualified + excluded.qualified,
    converted = converted + excluded.converted, lost = lost + excluded.lost;
END;

-- A move: the same origins, another stage. (A write that also changes where the lead came
-- from is lead_origins_reattribute's, so no write is counted twice.)
CREATE TRIGGER lead_origins_move AFTER UPDATE OF stage ON leads
WHEN OLD.stage <> NEW.stage AND OLD.attribution IS NEW.attribution AND OLD.source IS NEW.source BEGIN
  UPDATE lead_origins SET
    new = new + (NEW.stage = 'new') - (OLD.stage = 'new'),
    contacted = contacted + (NEW.stage = 'contacted') - (OLD.stage = 'contacted'),
    qualified = qualified + (NEW.stage = 'qualified') - (OLD.stage = 'qualified'),
    converted = converted + (NEW.stage = 'converted') - (OLD.stage = 'converted'),
    lost = lost + (NEW.stage = 'lost') - (OLD.stage = 'lost')
  WHERE agent_id = NEW.agent_id AND (kind, value) IN (
    SELECT 'source', NEW.source UNION ALL SELECT 'page', NEW.origin_page
    UNION ALL SELECT 'utm_source', NEW.origin_utm_source UNION ALL SELECT 'utm_campaign', NEW.origin_utm_campaign);
END;

-- First-touch attribution can arrive later (a lead first made through the API, then from a
-- page): out of the old origins, into the new ones, with the stage before and after.
CREATE TRIGGER lead_origins_reattribute AFTER UPDATE OF attribution, source ON leads
WHEN OLD.attribution IS NOT NEW.attribution OR OLD.source IS NOT NEW.source BEGIN
  UPDATE lead_origins SET total = total - 1,
    new = new - (OLD.stage = 'new'), contacted = contacted - (OLD.stage = 'contacted'),
    qualified = qualified - (OLD.stage = 'qualified'), converted = converted - (OLD.stage = 'converted'),
    lost = lost - (OLD.stage = 'lost')
  WHERE agent_id = OLD.agent_id AND (kind, value) IN (
    SELECT 'source', OLD.source UNION ALL SELECT 'page', OLD.origin_page
    UNION ALL SELECT 'utm_source', OLD.origin_utm_source UNION ALL SELECT 'utm_campaign', OLD.origin_utm_campaign);
  INSERT INTO lead_origins (agent_id, kind, value, total, new, contacted, qualified, converted, lost)
    SELECT NEW.agent_id, kind, value, 1, NEW.stage = 'new', NEW.stage = 'contacted',
           NEW.stage = 'qualified', NEW.stage = 'converted', NEW.stage = 'lost'
    FROM (SELECT 'source' AS kind, NEW.source AS value
          UNION ALL SELECT 'page', NEW.origin_page
          UNION ALL SELECT 'utm_source', NEW.origin_utm_source
          UNION ALL SELECT 'utm_campaign', NEW.origin_utm_campaign)
    WHERE value IS NOT NULL AND value <> ''
  ON CONFLICT (agent_id, kind, value) DO UPDATE SET total = total + 1, new = new + excluded.new,
    contacted = contacted + excluded.contacted, qualified = qualified + excluded.qualified,
    converted = converted + excluded.converted, lost = lost + excluded.lost;
END;

CREATE TRIGGER lead_origins_uncount AFTER DELETE ON leads BEGIN
  UPDATE lead_origins SET total = total - 1,
    new = new - (OLD.stage = 'new'), contacted = contacted - (OLD.stage = 'contacted'),
    qualified = qualified - (OLD.stage = 'qualified'), converted = converted - (OLD.stage = 'converted'),
    lost = lost - (OLD.stage = 'lost')
  WHERE agent_id = OLD.agent_id AND (kind, value) IN (
    SELECT 'source', OLD.source UNION ALL SELECT 'page', OLD.origin_page
    UNION ALL SELECT 'utm_source', OLD.origin_utm_source UNION ALL SELECT 'utm_campaign', OLD.origin_utm_campaign);
END;
