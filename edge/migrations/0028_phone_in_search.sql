-- A lead's search text holds its phone's digits too (core's `Contact::search_text`; `q`
-- looks for a phone number by its digits, however it was typed). Leads stored before get
-- them here; every later write of a lead writes the whole text from Rust again. A phone a
-- phone field took is digits and " +-()." (core's `is_phone`), so removing those five leaves
-- its digits; any other (a text field named "phone" takes "n/a") waits for its lead's next
-- write, as removing characters SQL cannot list would not give Rust's text.
UPDATE leads
SET search = trim(search || ' ' || replace(replace(replace(replace(replace(replace(
  phone, ' ', ''), '+', ''), '-', ''), '(', ''), ')', ''), '.', ''))
WHERE phone IS NOT NULL AND phone GLOB '*[0-9]*' AND phone NOT GLOB '*[^0-9 +().-]*';
