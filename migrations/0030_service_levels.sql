-- Status from service levels (STAT-4): objectives per status page component, judged against
-- Prometheus on a durable schedule; alert services mapped to components; and the breaches those
-- open, one open breach per component and source so drafts are never doubled while it lasts.

CREATE TABLE service_level_objectives (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  component_id bigint NOT NULL REFERENCES status_components (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('apdex', 'error_ratio', 'outage')),
  query text NOT NULL CHECK (length(query) BETWEEN 1 AND 4000),
  threshold double precision NOT NULL,
  -- The latest judgement, for people to see what Firebreak saw.
  last_state text CHECK (last_state IN ('breached', 'met', 'unknown')),
  last_value double precision,
  last_reason text,
  last_evaluated_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  UNIQUE (component_id, kind)
);

CREATE TABLE service_level_alert_services (
  component_id bigint NOT NULL REFERENCES status_components (id) ON DELETE CASCADE,
  service_id bigint NOT NULL REFERENCES services (id) ON DELETE CASCADE,
  -- The component status the service's open alerts propose.
  status text NOT NULL CHECK (status IN ('degraded_performance', 'partial_outage', 'major_outage')),
  created_at timestamptz NOT NULL,
  PRIMARY KEY (component_id, service_id)
);
CREATE INDEX service_level_alert_services_service ON service_level_alert_services (service_id);

CREATE TABLE service_level_breaches (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  component_id bigint NOT NULL REFERENCES status_components (id) ON DELETE CASCADE,
  source text NOT NULL CHECK (source IN ('objectives', 'alerts')),
  -- The worst component status proposed while it lasted.
  status text NOT NULL CHECK (status IN ('degraded_performance', 'partial_outage', 'major_outage')),
  reasons jsonb NOT NULL DEFAULT '[]',
  incident_id bigint REFERENCES incidents (id) ON DELETE SET NULL,
  status_incident_id bigint REFERENCES status_incidents (id) ON DELETE SET NULL,
  -- The drafts it made: the first post, a worsening, the all-clear.
  draft_update_ids bigint[] NOT NULL DEFAULT '{}',
  started_at timestamptz NOT NULL,
  ended_at timestamptz
);
CREATE UNIQUE INDEX service_level_breaches_open ON service_level_breaches (component_id, source)
  WHERE ended_at IS NULL;
CREATE INDEX service_level_breaches_component ON service_level_breaches (component_id, started_at DESC);
