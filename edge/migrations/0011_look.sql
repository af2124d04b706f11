-- How an agent's widget looks (issue 12): brand color, corner, launcher label.
ALTER TABLE agents ADD COLUMN look TEXT;  -- JSON core::look::Look; NULL: the widget's defaults
