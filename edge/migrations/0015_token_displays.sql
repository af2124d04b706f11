-- The form displays each display token has counted (POST /form-submissions/events): one
-- widget load shows a few forms at most, so a token counts at most
-- core::spam::MAX_DISPLAYS_PER_TOKEN of them, and a script holding one token cannot fill a
-- form's analytics with made-up display ids. Forgotten with the token's uses (sweep).
CREATE TABLE display_token_displays (
  nonce      TEXT NOT NULL,
  tool_id    TEXT NOT NULL,
  display_id TEXT NOT NULL,
  at         INTEGER NOT NULL,
  PRIMARY KEY (nonce, tool_id, display_id)
);
CREATE INDEX display_token_displays_by_time ON display_token_displays(at);
