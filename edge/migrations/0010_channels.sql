-- Messaging channels (issue 13): an agent's Telegram bot or WhatsApp number, each chat's
-- conversation and the form it is filling in, and the platform deliveries already handled
-- (the platforms deliver again when unsure).
CREATE TABLE channels (
  id         TEXT PRIMARY KEY,
  agent_id   TEXT NOT NULL REFERENCES agents(id),
  kind       TEXT NOT NULL CHECK (kind IN ('telegram', 'whatsapp')),
  account    TEXT NOT NULL DEFAULT '',   -- shown to the owner: the bot's username, the business number's id
  secrets    TEXT NOT NULL,              -- JSON storage::channels::Secrets; never returned by the API
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (agent_id, kind)
);

CREATE TABLE channel_chats (
  channel_id      TEXT NOT NULL,
  chat_id         TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  form            TEXT,                  -- JSON core::chat_form::Session while a form is asked
  version         INTEGER NOT NULL DEFAULT 0,  -- bumped by every write: two messages at once cannot both move the form
  updated_at      INTEGER NOT NULL,
  PRIMARY KEY (channel_id, chat_id)
);

CREATE TABLE channel_updates (
  channel_id TEXT NOT NULL,
  update_id  TEXT NOT NULL,
  at         INTEGER NOT NULL,              -- when handling it began (a lease)
  done       INTEGER NOT NULL DEFAULT 0,    -- set in the batch that answers it
  PRIMARY KEY (channel_id, update_id)
);
CREATE INDEX channel_updates_by_time ON channel_updates(at);

ALTER TABLE submissions ADD COLUMN channel_user_id TEXT;  -- the person's id on the channel
