-- Conversations the edge keeps (issue 10): every visitor and agent turn, every form shown,
-- dismissed or submitted, in order. Agents gain instructions for their LLM and a retention
-- period; forms gain rules for when they appear.
ALTER TABLE agents ADD COLUMN instructions TEXT NOT NULL DEFAULT '';
ALTER TABLE agents ADD COLUMN retention_days INTEGER;  -- NULL: conversations are kept
ALTER TABLE tools ADD COLUMN rules TEXT NOT NULL DEFAULT '{}';

CREATE TABLE conversations (
  id TEXT PRIMARY KEY,
  agent_id TEXT NOT NULL,
  page_url TEXT,
  visitor_messages INTEGER NOT NULL DEFAULT 0,
  turns INTEGER NOT NULL DEFAULT 0,          -- the last turn's seq
  summary TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX conversations_agent ON conversations (agent_id, created_at DESC, id DESC);
CREATE INDEX conversations_updated ON conversations (updated_at);

CREATE TABLE conversation_turns (
  conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  at INTEGER NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('visitor', 'agent')),
  kind TEXT NOT NULL CHECK (kind IN ('message', 'form_shown', 'form_dismissed', 'form_submitted')),
  text TEXT NOT NULL DEFAULT '',
  tool_id TEXT,
  reason TEXT,                               -- why a form was shown (core::conversation::Reason)
  submission_id TEXT,
  PRIMARY KEY (conversation_id, seq)
);
