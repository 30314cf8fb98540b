-- Chat (issue 17): who is who in Slack or Mattermost, each incident's Slack channel, and the
-- Events API deliveries already taken (Slack retries a delivery with the same event_id).

-- A chat account linked to a Firebreak person: by email (users.lookupByEmail, kept as a cache) or
-- by hand on the profile page. One chat account is one person; a person may have one per provider.
CREATE TABLE chat_identities (
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  provider text NOT NULL CHECK (provider IN ('slack', 'mattermost')),
  external_id text NOT NULL,
  team_id text,
  linked_by text NOT NULL CHECK (linked_by IN ('email', 'manual')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, external_id)
);
CREATE INDEX chat_identities_user ON chat_identities (user_id, provider);

-- An incident's Slack channel and what has been done for it, step by step, so a retried job
-- carries on where the last attempt stopped and never creates, announces or pins twice.
CREATE TABLE slack_rooms (
  incident_id bigint PRIMARY KEY REFERENCES incidents (id) ON DELETE CASCADE,
  channel_id text UNIQUE,            -- null until conversations.create answered
  channel_name text,
  is_private boolean NOT NULL DEFAULT false,
  header_ts text,                    -- the pinned header message
  header_pinned boolean NOT NULL DEFAULT false,
  header_text text,                  -- what the header says now (chat.update only when it changes)
  invited text[] NOT NULL DEFAULT '{}',       -- Slack users invited (or found in the channel)
  announced text[] NOT NULL DEFAULT '{}',     -- announcement channels posted to
  failing_since timestamptz,         -- Slack has been failing since; said once on the timeline
  last_error text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

-- Events API deliveries taken, by event_id: a retry (X-Slack-Retry-Num) is answered 200 and
-- ignored. Rows older than a day are deleted as new ones arrive (Slack retries within an hour).
CREATE TABLE slack_events (
  event_id text PRIMARY KEY,
  received_at timestamptz NOT NULL
);
CREATE INDEX slack_events_received ON slack_events (received_at);
