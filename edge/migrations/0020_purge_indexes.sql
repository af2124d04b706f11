-- What the cron sweep purges besides retention (edge/src/retention.rs), found without
-- walking everything else: conversations nobody wrote in (the chat opened, its greeting,
-- nothing more: anyone can start one, 120 a minute from one address) after a day, and
-- quarantined spam the owner left in the spam folder after 30 days, with its files.
CREATE INDEX conversations_unanswered ON conversations(updated_at) WHERE visitor_messages = 0 AND turns <= 1;
CREATE INDEX submissions_spam_by_time ON submissions(submitted_at) WHERE status = 'spam';
