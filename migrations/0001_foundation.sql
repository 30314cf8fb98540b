-- Users, API tokens and the incident core. Timestamps come from the application's clock so tests
-- can drive time; defaults exist only for rows no command writes.

CREATE TABLE users (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username text NOT NULL UNIQUE,
  name text NOT NULL,
  email text,
  role text NOT NULL CHECK (role IN ('viewer', 'responder', 'admin')),
  password_hash text,
  created_at timestamptz NOT NULL DEFAULT now(),
  deactivated_at timestamptz
);

CREATE TABLE api_tokens (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id),
  name text NOT NULL,
  token_hash text NOT NULL UNIQUE, -- sha256 of the secret; the secret itself is never stored
  prefix text NOT NULL,            -- first characters, so people can tell their tokens apart
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE incidents (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  title text NOT NULL,
  type text NOT NULL,
  severity text NOT NULL,
  max_severity text NOT NULL,
  state text NOT NULL,
  visibility text NOT NULL CHECK (visibility IN ('public', 'private')),
  summary text NOT NULL,
  owner_id bigint NOT NULL REFERENCES users (id),
  declared_by bigint NOT NULL REFERENCES users (id),
  blocks_deployments boolean NOT NULL,
  labels text[] NOT NULL,
  roles jsonb NOT NULL,
  declared_at timestamptz NOT NULL,
  accepted_at timestamptz,
  mitigated_at timestamptz,
  resolved_at timestamptz,
  closed_at timestamptz,
  impact_started_at timestamptz,
  impact_ended_at timestamptz,
  last_status_update_at timestamptz,
  merged_into bigint REFERENCES incidents (id),
  updated_at timestamptz NOT NULL
);
CREATE INDEX incidents_state ON incidents (state);
CREATE INDEX incidents_closed_at ON incidents (closed_at) WHERE closed_at IS NOT NULL;
CREATE INDEX incidents_merged_into ON incidents (merged_into) WHERE merged_into IS NOT NULL;

CREATE TABLE incident_participants (
  incident_id bigint NOT NULL REFERENCES incidents (id),
  user_id bigint NOT NULL REFERENCES users (id),
  added_at timestamptz NOT NULL,
  PRIMARY KEY (incident_id, user_id)
);
CREATE INDEX incident_participants_user ON incident_participants (user_id);

CREATE TABLE timeline_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id bigint NOT NULL REFERENCES incidents (id),
  kind text NOT NULL,
  actor_id bigint REFERENCES users (id), -- null for Firebreak itself
  at timestamptz NOT NULL,
  internal boolean NOT NULL DEFAULT false,
  body text NOT NULL DEFAULT '',
  data jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX timeline_events_incident ON timeline_events (incident_id, id);

-- TL-1: the timeline is append-only; corrections are new events.
CREATE FUNCTION timeline_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'timeline events are append-only (TL-1)';
END $$;
CREATE TRIGGER timeline_events_append_only BEFORE UPDATE OR DELETE ON timeline_events
  FOR EACH ROW EXECUTE FUNCTION timeline_events_append_only();

CREATE TABLE incident_tasks (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id bigint NOT NULL REFERENCES incidents (id),
  kind text NOT NULL CHECK (kind IN ('action', 'follow-up')),
  title text NOT NULL,
  assignee_id bigint REFERENCES users (id),
  state text NOT NULL CHECK (state IN ('open', 'done', 'cancelled')),
  created_by bigint NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX incident_tasks_incident ON incident_tasks (incident_id);
