-- On-call schedules, escalation policies, contact methods and pages.

CREATE TABLE schedules (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE,
  time_zone text NOT NULL,
  layers jsonb NOT NULL,          -- rotations, validated by src/oncall (participants are user ids)
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE TABLE schedule_overrides (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  schedule_id bigint NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
  user_id bigint NOT NULL REFERENCES users (id),
  start_at timestamptz NOT NULL,
  end_at timestamptz NOT NULL CHECK (end_at > start_at),
  reason text NOT NULL DEFAULT '',
  created_by bigint NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL
);
CREATE INDEX schedule_overrides_window ON schedule_overrides (schedule_id, end_at);

-- Secret calendar feed URLs: only the hash of the secret is kept.
CREATE TABLE calendar_feeds (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  token_hash text NOT NULL UNIQUE,
  schedule_id bigint REFERENCES schedules (id) ON DELETE CASCADE,
  user_id bigint REFERENCES users (id),
  created_at timestamptz NOT NULL,
  CHECK ((schedule_id IS NULL) <> (user_id IS NULL))
);

CREATE TABLE escalation_policies (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE,
  description text NOT NULL DEFAULT '',
  levels jsonb NOT NULL,          -- [{ timeoutMinutes, targets: [{ kind: "user"|"schedule", id }] }]
  repeat integer NOT NULL CHECK (repeat BETWEEN 0 AND 9),
  ack_timeout_minutes integer NOT NULL CHECK (ack_timeout_minutes >= 1),
  business_hours jsonb NOT NULL,   -- { timeZone, days, start, end }: low urgency waits for these
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE TABLE contact_methods (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id),
  kind text NOT NULL CHECK (kind IN ('email', 'webhook', 'chat')),
  label text NOT NULL,
  address text NOT NULL,          -- email address or URL
  secret text,                    -- webhook signing secret (shown to its owner, used to sign)
  created_at timestamptz NOT NULL
);
CREATE INDEX contact_methods_user ON contact_methods (user_id);

CREATE TABLE notification_rules (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id),
  contact_method_id bigint NOT NULL REFERENCES contact_methods (id) ON DELETE CASCADE,
  urgency text NOT NULL CHECK (urgency IN ('high', 'low')),
  delay_minutes integer NOT NULL CHECK (delay_minutes BETWEEN 0 AND 1440),
  created_at timestamptz NOT NULL
);
CREATE INDEX notification_rules_user ON notification_rules (user_id);

CREATE TABLE pages (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  policy_id bigint NOT NULL REFERENCES escalation_policies (id),
  incident_id bigint REFERENCES incidents (id),
  title text NOT NULL,
  urgency text NOT NULL CHECK (urgency IN ('high', 'low')),
  state text NOT NULL CHECK (state IN ('triggered', 'acknowledged', 'resolved')),
  level integer NOT NULL,         -- the escalation level notified last
  round integer NOT NULL,         -- how many times the policy has repeated
  step integer NOT NULL,          -- bumped by every change; timers carrying an older step are stale
  assigned_to bigint[] NOT NULL,  -- users notified at the current level
  acknowledged_by bigint REFERENCES users (id),
  acknowledged_at timestamptz,
  resolved_by bigint REFERENCES users (id),
  resolved_at timestamptz,
  created_by bigint REFERENCES users (id),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX pages_open ON pages (state) WHERE state <> 'resolved';
CREATE INDEX pages_incident ON pages (incident_id) WHERE incident_id IS NOT NULL;

CREATE TABLE page_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  page_id bigint NOT NULL REFERENCES pages (id),
  kind text NOT NULL,
  actor_id bigint REFERENCES users (id),
  at timestamptz NOT NULL,
  data jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX page_events_page ON page_events (page_id, id);

-- A message owed to one contact method because of one page (by a notification rule, at a level).
CREATE TABLE notifications (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  key text NOT NULL UNIQUE,       -- page, level, round and rule: a re-run escalation owes nothing twice
  page_id bigint NOT NULL REFERENCES pages (id),
  user_id bigint NOT NULL REFERENCES users (id),
  contact_method_id bigint NOT NULL REFERENCES contact_methods (id) ON DELETE CASCADE,
  due_at timestamptz NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'batched', 'cancelled')),
  delivery_id bigint,
  created_at timestamptz NOT NULL
);
CREATE INDEX notifications_due ON notifications (contact_method_id, due_at) WHERE state = 'pending';
CREATE INDEX notifications_page ON notifications (page_id);

-- One message actually sent to a contact method; it may carry several pages (the throttle).
CREATE TABLE deliveries (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  idempotency_key text NOT NULL UNIQUE,
  contact_method_id bigint NOT NULL REFERENCES contact_methods (id) ON DELETE CASCADE,
  user_id bigint NOT NULL REFERENCES users (id),
  page_ids bigint[] NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'sending', 'delivered', 'failed-retryable', 'failed-permanent', 'cancelled')),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  attempt_started_at timestamptz,
  sent_at timestamptz,
  created_at timestamptz NOT NULL
);
CREATE INDEX deliveries_contact ON deliveries (contact_method_id, sent_at DESC);
CREATE INDEX deliveries_stuck ON deliveries (attempt_started_at) WHERE status = 'sending';

-- One-click acknowledge links: single-use, expiring; only the hash of the secret is kept.
CREATE TABLE ack_links (
  token_hash text PRIMARY KEY,
  page_id bigint NOT NULL REFERENCES pages (id),
  user_id bigint NOT NULL REFERENCES users (id),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL
);

-- Replicas running jobs, with a heartbeat: the jobs of one that stops beating (kill -9, a lost
-- machine) are unlocked for the others at once instead of after graphile-worker's 4-hour expiry.
CREATE TABLE firebreak_replicas (
  id text PRIMARY KEY,
  worker_ids text[] NOT NULL,
  heartbeat_at timestamptz NOT NULL
);
