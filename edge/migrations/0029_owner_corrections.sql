-- The contact attributes an owner corrected to a value (core's `LeadState::corrected`), as
-- ",phone,company,": a later submission leaves them as the owner put them. The submit's
-- write (storage/leads.rs `absorb`) checks this column itself, so a correction committed
-- between a submission's read and its write still stands.
ALTER TABLE leads ADD COLUMN corrected TEXT NOT NULL DEFAULT '';
