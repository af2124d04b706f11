-- Searches that walked whole tables as they grew (EXPLAIN QUERY PLAN on every statement):
--
-- The retention purge (cron, every minute) walked every conversation: it now goes agent by
-- agent, through each one's conversations by last update (storage/conversations.rs,
-- purge_expired). Nothing else read conversations by update time alone.
DROP INDEX conversations_updated;
CREATE INDEX conversations_agent_updated ON conversations(agent_id, updated_at);

-- A conversation's channel chat, forgotten with the conversation (purge, lead deletion),
-- was found by walking every chat.
CREATE INDEX channel_chats_by_conversation ON channel_chats(conversation_id);

-- Replaying an agent's failed deliveries walked every agent's failed deliveries since the
-- date asked for; the only reader of the old index.
DROP INDEX deliveries_failed_by_time;
CREATE INDEX deliveries_failed_by_agent ON deliveries(agent_id, created_at) WHERE status = 'failed';
