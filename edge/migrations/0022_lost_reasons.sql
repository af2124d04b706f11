-- Why leads were lost (seed 004: the reason is recorded "for future analysis"): the
-- leads page counts an agent's lost leads by reason, and lists one reason's leads in order.
-- Partial: only lost leads have a reason.
CREATE INDEX leads_by_lost_reason ON leads(agent_id, lost_reason, created_at, id) WHERE stage = 'lost';
