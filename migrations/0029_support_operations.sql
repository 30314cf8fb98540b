-- Customer support operations (issue 20, PAGE-8, REV-2): a catalogue of systems with their
-- criticality, the systems an incident touches, and each such incident's escalation clock.

-- Criticality ids are stable (the names may be re-worded in the docs and the UI, never the ids).
CREATE TABLE support_systems (
  id bigserial PRIMARY KEY,
  name text NOT NULL,
  criticality text NOT NULL
    CHECK (criticality IN ('mission-critical', 'business-critical', 'business-operational', 'administrative')),
  created_by bigint REFERENCES users (id),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
-- "Zendesk" and "zendesk" are one system.
CREATE UNIQUE INDEX support_systems_name ON support_systems (lower(name));

CREATE TABLE support_incident_systems (
  incident_id bigint NOT NULL REFERENCES incidents (id),
  system_id bigint NOT NULL REFERENCES support_systems (id),
  linked_by bigint REFERENCES users (id),
  linked_at timestamptz NOT NULL,
  PRIMARY KEY (incident_id, system_id)
);
CREATE INDEX support_incident_systems_system ON support_incident_systems (system_id);

-- One row per incident that touches a system: its criticality (the highest of its systems), the
-- escalation level reached, and the one clock that is next due. The row IS the durable clock: a
-- replica claims it (locking the incident as its commands do) and acts in the same transaction.
CREATE TABLE support_incidents (
  incident_id bigint PRIMARY KEY REFERENCES incidents (id),
  criticality text NOT NULL
    CHECK (criticality IN ('mission-critical', 'business-critical', 'business-operational', 'administrative')),
  -- When the incident first touched a system: the escalation timetable counts from here.
  criticality_at timestamptz NOT NULL,
  level integer NOT NULL DEFAULT 0 CHECK (level BETWEEN 0 AND 4),
  -- The last level reached (or criticality_at): the next level is an interval after it.
  level_at timestamptz NOT NULL,
  -- The time to resolve: counted from the incident's declaration, to the range's upper end.
  resolve_by timestamptz NOT NULL,
  resolve_outcome text CHECK (resolve_outcome IN ('met', 'missed')),
  -- Since when the incident has a resolution path (fixing or later); null while it has none.
  path_at timestamptz,
  review_required boolean NOT NULL DEFAULT false,
  -- When something is next due (a level, the time to resolve); null: nothing is.
  due_at timestamptz,
  -- An escalation that failed is retried with back-off; it stays due, so nothing is lost.
  attempts integer NOT NULL DEFAULT 0,
  retry_at timestamptz,
  last_error text,
  updated_at timestamptz NOT NULL
);
CREATE INDEX support_incidents_due ON support_incidents (due_at) WHERE due_at IS NOT NULL;

-- Every level reached: when, why, and whom it reached.
CREATE TABLE support_escalations (
  id bigserial PRIMARY KEY,
  incident_id bigint NOT NULL REFERENCES incidents (id),
  level integer NOT NULL CHECK (level BETWEEN 1 AND 4),
  reason text NOT NULL CHECK (reason IN ('no-resolution-path', 'past-time-to-resolve')),
  target text NOT NULL,           -- the team channel, or the role paged
  outcome text NOT NULL,          -- what happened, in words
  at timestamptz NOT NULL
);
CREATE INDEX support_escalations_incident ON support_escalations (incident_id, level);

-- Where level 1 posts and which roles levels 2 and 3 page (one row; the senior manager of level 4
-- is the policy's reviews.seniorManagerRole).
CREATE TABLE support_settings (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  team_channel text,
  specialist_role text NOT NULL,
  engineer_role text NOT NULL,
  updated_by bigint REFERENCES users (id),
  updated_at timestamptz NOT NULL
);
INSERT INTO support_settings (team_channel, specialist_role, engineer_role, updated_at)
VALUES ('support-operations', 'Support Operations Specialist', 'Support Fullstack Engineer', now());

-- Claims the earliest incident due at `at` whose incident row nobody holds, locking it as incident
-- commands do, so the claim and the escalation share one transaction.
CREATE FUNCTION firebreak_claim_support(at timestamptz) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  claimed bigint;
BEGIN
  SELECT s.incident_id INTO claimed FROM support_incidents s JOIN incidents i ON i.id = s.incident_id
   WHERE s.due_at <= at AND (s.retry_at IS NULL OR s.retry_at <= at)
   ORDER BY s.due_at LIMIT 1
   FOR NO KEY UPDATE OF i SKIP LOCKED;
  RETURN claimed;
END
$$;
