-- The lead list filtered by where leads came from (`landingPage`, `utmSource`,
-- `utmCampaign`: the links of the leads page's "Where leads come from"), and its count,
-- read one origin's leads in order instead of every lead of the agent. Partial: most leads
-- of an origin kind have none.
CREATE INDEX leads_by_origin_page ON leads(agent_id, origin_page, created_at, id) WHERE origin_page IS NOT NULL;
CREATE INDEX leads_by_utm_source ON leads(agent_id, origin_utm_source, created_at, id) WHERE origin_utm_source IS NOT NULL;
CREATE INDEX leads_by_utm_campaign ON leads(agent_id, origin_utm_campaign, created_at, id) WHERE origin_utm_campaign IS NOT NULL;

-- No query reads lead_origins by size (the origins are read by agent and sorted, a few
-- rows each); the index only cost every trigger a write.
DROP INDEX lead_origins_by_size;
