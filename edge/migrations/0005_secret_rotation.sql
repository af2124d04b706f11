-- A tool's signing secret can be rotated with an overlap: until previous_secret_until the
-- old secret signs beside the new one (both signatures in one header), so receivers can
-- switch without missing a lead.
ALTER TABLE tools ADD COLUMN previous_secret TEXT;
ALTER TABLE tools ADD COLUMN previous_secret_until INTEGER;  -- ms
