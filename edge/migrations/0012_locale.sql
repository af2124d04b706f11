-- The widget's languages (issue 12): the agent's locale and its greeting per locale.
ALTER TABLE agents ADD COLUMN locale TEXT;     -- one of core::locale::LOCALES; NULL: the visitor's browser language
ALTER TABLE agents ADD COLUMN greetings TEXT;  -- JSON {"de": "Hallo!"}; NULL: none
