-- Whether a submission's sender showed the conversation it names was theirs (the widget's
-- conversation token, or an owner key for the agent: `routes::submit`). The id itself is
-- no secret (webhooks, Slack, email and sheets carry it), so a stranger can name someone
-- else's chat in a junk submission. The id stays on the row (seed 002's webhook carries it
-- as sent), but only a proven one ties the lead to the conversation: its transcript shown
-- on the lead, and deleted with it. Before this, deleting the junk lead deleted the
-- visitor's transcript. Rows written before it keep the tie they had (1).
ALTER TABLE submissions ADD COLUMN conversation_proven INTEGER NOT NULL DEFAULT 1;
