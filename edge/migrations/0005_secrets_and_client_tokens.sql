-- Secret rotation, and client tokens.
-- A tool's signing secret can be rotated with an overlap: until previous_secret_until the
-- old secret signs beside the new one (both signatures in one header), so receivers can
-- switch without missing a lead.
ALTER TABLE tools ADD COLUMN previous_secret TEXT;
ALTER TABLE tools ADD COLUMN previous_secret_until INTEGER;  -- ms

-- A tool may refuse client results that do not carry the submission's client token (the
-- submit answer hands it to the widget); off by default, so seed 002's call works as written.
ALTER TABLE tools ADD COLUMN require_client_token INTEGER NOT NULL DEFAULT 0;
CREATE INDEX submissions_open_client_parts ON submissions(client_outcome, submitted_at)
  WHERE client_outcome = 'pending' AND execution_mode IN ('client', 'both');
