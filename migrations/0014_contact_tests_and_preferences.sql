-- Test notifications a person sends themselves through a contact method ("Send me a test
-- notification"): the outcome the profile shows, the first-run guide's proof that a test arrived,
-- and the rate limit's count. Never part of an incident's timeline.
CREATE TABLE contact_method_tests (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  contact_method_id bigint NOT NULL REFERENCES contact_methods (id) ON DELETE CASCADE,
  user_id bigint NOT NULL REFERENCES users (id),
  status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  error text,
  created_at timestamptz NOT NULL,
  finished_at timestamptz
);
CREATE INDEX contact_method_tests_user ON contact_method_tests (user_id, created_at DESC);
CREATE INDEX contact_method_tests_method ON contact_method_tests (contact_method_id, id DESC);

-- A person's choices about the web app that follow them between browsers.
CREATE TABLE user_preferences (
  user_id bigint PRIMARY KEY REFERENCES users (id),
  setup_guide_dismissed_at timestamptz,
  updated_at timestamptz NOT NULL
);
