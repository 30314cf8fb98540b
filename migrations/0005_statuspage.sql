-- Public status pages: components (optionally grouped), their status history, public incidents
-- and scheduled maintenance with updates that are drafted and then approved (COMM-3).

CREATE TABLE status_pages (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name text NOT NULL,
  time_zone text NOT NULL DEFAULT 'UTC',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- `/status/default` answers from the first start.
INSERT INTO status_pages (slug, name) VALUES ('default', 'Status');

CREATE TABLE status_components (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  page_id bigint NOT NULL REFERENCES status_pages (id) ON DELETE CASCADE,
  name text NOT NULL,
  description text,
  status text NOT NULL CHECK (status IN ('operational', 'degraded_performance', 'partial_outage',
                                          'major_outage', 'under_maintenance')),
  group_id bigint REFERENCES status_components (id) ON DELETE SET NULL,
  is_group boolean NOT NULL DEFAULT false,
  position integer NOT NULL DEFAULT 0,
  showcase boolean NOT NULL DEFAULT true,
  only_show_if_degraded boolean NOT NULL DEFAULT false,
  start_date date,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  UNIQUE (page_id, name)
);

-- Every status a component had, and from when: the 90-day uptime bars are computed from it.
CREATE TABLE status_component_changes (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  component_id bigint NOT NULL REFERENCES status_components (id) ON DELETE CASCADE,
  status text NOT NULL,
  at timestamptz NOT NULL
);
CREATE INDEX status_component_changes_component ON status_component_changes (component_id, at);

CREATE TABLE status_incidents (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  page_id bigint NOT NULL REFERENCES status_pages (id) ON DELETE CASCADE,
  incident_id bigint REFERENCES incidents (id),   -- the internal incident, when there is one
  kind text NOT NULL CHECK (kind IN ('incident', 'maintenance')),
  name text NOT NULL,
  status text NOT NULL,
  impact text NOT NULL DEFAULT 'none',
  security boolean NOT NULL DEFAULT false,        -- COMM-4: published only on purpose
  published boolean NOT NULL DEFAULT false,       -- false until its first update is approved
  scheduled_for timestamptz,
  scheduled_until timestamptz,
  started_at timestamptz NOT NULL,
  monitoring_at timestamptz,
  resolved_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CHECK ((kind = 'maintenance') = (scheduled_for IS NOT NULL AND scheduled_until IS NOT NULL))
);
CREATE INDEX status_incidents_page ON status_incidents (page_id, created_at DESC);

CREATE TABLE status_updates (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  status_incident_id bigint NOT NULL REFERENCES status_incidents (id) ON DELETE CASCADE,
  status text NOT NULL,
  body text NOT NULL,
  affected jsonb NOT NULL DEFAULT '[]',  -- [{ componentId, newStatus }]; oldStatus filled when published
  state text NOT NULL CHECK (state IN ('draft', 'published', 'discarded')),
  drafted_by bigint NOT NULL REFERENCES users (id),
  approved_by bigint REFERENCES users (id),
  created_at timestamptz NOT NULL,
  published_at timestamptz
);
CREATE INDEX status_updates_incident ON status_updates (status_incident_id, id);
CREATE INDEX status_updates_drafts ON status_updates (state) WHERE state = 'draft';
