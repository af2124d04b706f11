-- A lead-event endpoint's secret can be rotated as a form's can (0005): the old secret
-- keeps signing beside the new one until previous_secret_until (ms), so the receiver
-- switches without dropping an event.
ALTER TABLE lead_webhooks ADD COLUMN previous_secret TEXT;
ALTER TABLE lead_webhooks ADD COLUMN previous_secret_until INTEGER;
