-- Linking a chat account by hand (issue 17): a person asks Firebreak for a one-time code on their
-- profile (signed in), then types `/inc link CODE` in Slack or Mattermost, which says who they are
-- there. The code is kept hashed, lives 10 minutes and is used once; asking again replaces it.
CREATE TABLE chat_link_codes (
  user_id bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  code_hash text NOT NULL UNIQUE,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL
);
