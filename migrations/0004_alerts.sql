-- Alert intake: services, their integration keys, alerts (deduplicated), alert groups (many alerts,
-- one incident), change events, heartbeats and maintenance windows.

CREATE TABLE services (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE,
  description text NOT NULL DEFAULT '',
  escalation_policy_id bigint NOT NULL REFERENCES escalation_policies (id),
  incident_type text,                 -- null: the policy's first incident type
  incident_severity text,             -- null: the policy's least severe severity
  grouping_window_minutes integer NOT NULL CHECK (grouping_window_minutes BETWEEN 1 AND 10080),
  flap_changes integer NOT NULL CHECK (flap_changes >= 2),
  flap_window_minutes integer NOT NULL CHECK (flap_window_minutes >= 1),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

-- A secret key in a sender's URL or routing_key; only its hash is kept.
CREATE TABLE integration_keys (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  service_id bigint NOT NULL REFERENCES services (id) ON DELETE CASCADE,
  name text NOT NULL,
  key_hash text NOT NULL UNIQUE,
  key_hint text NOT NULL,             -- the last 4 characters, to tell keys apart
  mapping jsonb,                      -- the generic webhook's field mapping
  created_at timestamptz NOT NULL
);
CREATE INDEX integration_keys_service ON integration_keys (service_id);

-- The unit of grouping: the open incident (and its page) a service's alerts attach to.
CREATE TABLE alert_groups (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  service_id bigint NOT NULL REFERENCES services (id) ON DELETE CASCADE,
  incident_id bigint NOT NULL REFERENCES incidents (id),
  page_id bigint REFERENCES pages (id),
  opened_at timestamptz NOT NULL,
  last_alert_at timestamptz NOT NULL
);
CREATE INDEX alert_groups_service ON alert_groups (service_id, id DESC);
CREATE INDEX alert_groups_incident ON alert_groups (incident_id);

CREATE TABLE alerts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  service_id bigint NOT NULL REFERENCES services (id) ON DELETE CASCADE,
  dedup_key text NOT NULL,            -- Alertmanager fingerprint, Events v2 dedup_key, ...
  source text NOT NULL,               -- alertmanager | events | generic | heartbeat
  status text NOT NULL CHECK (status IN ('firing', 'acknowledged', 'resolved')),
  previous_status text,               -- the status before the last intake (set by the upsert)
  summary text NOT NULL,
  severity text NOT NULL,             -- the sender's severity; never the incident's (SEV-6)
  details jsonb NOT NULL,
  group_id bigint REFERENCES alert_groups (id),
  occurrences bigint NOT NULL DEFAULT 1,
  changes timestamptz[] NOT NULL DEFAULT '{}', -- recent firing/resolved changes, for flapping
  flapping boolean NOT NULL DEFAULT false,
  suppressed boolean NOT NULL DEFAULT false,   -- arrived during a maintenance window
  first_seen_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  resolved_at timestamptz,
  UNIQUE (service_id, dedup_key)
);
CREATE INDEX alerts_group ON alerts (group_id) WHERE group_id IS NOT NULL;
CREATE INDEX alerts_open ON alerts (service_id, last_seen_at DESC) WHERE status <> 'resolved';

CREATE TABLE change_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  service_id bigint NOT NULL REFERENCES services (id) ON DELETE CASCADE,
  summary text NOT NULL,
  source text NOT NULL DEFAULT '',
  kind text NOT NULL DEFAULT 'change',  -- change | deploy | feature-flag
  happened_at timestamptz NOT NULL,
  links jsonb NOT NULL DEFAULT '[]',
  details jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL
);
CREATE INDEX change_events_service ON change_events (service_id, happened_at DESC);

CREATE TABLE heartbeats (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  service_id bigint NOT NULL REFERENCES services (id) ON DELETE CASCADE,
  name text NOT NULL,
  interval_minutes integer NOT NULL CHECK (interval_minutes BETWEEN 1 AND 10080),
  last_ping_at timestamptz,
  created_at timestamptz NOT NULL,
  UNIQUE (service_id, name)
);

CREATE TABLE maintenance_windows (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  service_id bigint NOT NULL REFERENCES services (id) ON DELETE CASCADE,
  start_at timestamptz NOT NULL,
  end_at timestamptz NOT NULL CHECK (end_at > start_at),
  reason text NOT NULL DEFAULT '',
  created_by bigint NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL
);
CREATE INDEX maintenance_windows_service ON maintenance_windows (service_id, end_at);

CREATE INDEX alerts_group_open ON alerts (group_id) WHERE group_id IS NOT NULL AND status <> 'resolved';

-- The last n elements of an array: alerts keep only their recent status changes.
CREATE FUNCTION firebreak_last_n(a timestamptz[], n integer) RETURNS timestamptz[]
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT a[greatest(cardinality(a) - n + 1, 1):] $$;
