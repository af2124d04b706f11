-- Field analysis (issue 12): time per field and drop-offs per field, kept at write time.
-- A histogram per form, day and field: the median is read off it (core::field_analysis).
CREATE TABLE form_field_times (
  tool_id TEXT NOT NULL,
  day     TEXT NOT NULL,              -- YYYY-MM-DD of the submission
  field   TEXT NOT NULL,
  bucket  INTEGER NOT NULL,           -- core::field_analysis::bucket
  n       INTEGER NOT NULL,
  PRIMARY KEY (tool_id, day, field, bucket)
);

-- Displays that were started and left unsent, by the last field touched.
CREATE TABLE form_field_drops (
  tool_id TEXT NOT NULL,
  day     TEXT NOT NULL,
  field   TEXT NOT NULL,
  n       INTEGER NOT NULL,
  PRIMARY KEY (tool_id, day, field)
);

-- A display counts as dropped once, whether it is dismissed or the page is left after.
CREATE TABLE form_display_drops (
  tool_id    TEXT NOT NULL,
  display_id TEXT NOT NULL,
  at         INTEGER NOT NULL,
  PRIMARY KEY (tool_id, display_id)
);
CREATE INDEX form_display_drops_by_time ON form_display_drops(at);
