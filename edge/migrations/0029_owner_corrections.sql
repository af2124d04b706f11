-- The contact attributes an owner corrected to a value (core's `LeadState::corrected`), as
-- ",phone,company,": a later submission leaves their values as the owner put them (one left
-- empty takes the next submission's). The submit's write (storage/leads.rs `absorb`) keeps
-- them in SQL and names the column as it read it, so a correction committed between a
-- submission's read and its write makes the capture plan again on the lead as it is.
ALTER TABLE leads ADD COLUMN corrected TEXT NOT NULL DEFAULT '';

-- Corrections made before (the trail's `contact_edited` entries name what changed:
-- "Changed: phone, company"), so they stand too. An attribute the owner cleared is named as
-- well; being empty, it takes the next submission's value all the same.
UPDATE leads SET corrected = ',' || (
  SELECT group_concat(replace(substr(note, 10), ', ', ','), ',')
  FROM lead_activity WHERE lead_id = leads.id AND type = 'contact_edited' AND note LIKE 'Changed: %'
) || ','
WHERE EXISTS (SELECT 1 FROM lead_activity WHERE lead_id = leads.id AND type = 'contact_edited' AND note LIKE 'Changed: %');
