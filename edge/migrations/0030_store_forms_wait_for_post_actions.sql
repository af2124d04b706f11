-- A store-only form's submission now ends when its post-actions do (core's `status`: they
-- are its webhook part, `success` when all arrived, `failed` when one failed). Those stored
-- before ended as they were stored: their part is marked as succeeded, so what the owner
-- API derives from the parts (`leadStatus`) agrees with the status and result they show.
UPDATE submissions SET webhook_outcome = 'succeeded'
WHERE execution_mode = 'store' AND result = 'successful' AND webhook_outcome = 'pending';
