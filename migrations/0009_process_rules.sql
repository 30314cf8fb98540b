-- The process running by itself (issue 13): rules as data fire actions and arm clocks; reminders
-- reach people through their contact methods; pages engage people in incident roles.

-- Incidents: labels people add, when each role was first held (and by its holder since when),
-- whether a person chose the owner,
-- how bad customer impact is, and when it was first communicated publicly.
ALTER TABLE incidents
  ADD COLUMN extra_labels text[] NOT NULL DEFAULT '{}',
  ADD COLUMN engaged_at jsonb NOT NULL DEFAULT '{}',
  ADD COLUMN role_since jsonb NOT NULL DEFAULT '{}', -- since when each current holder holds the role
  -- Incidents from before this migration keep their owner: OWN-3 only moves default owners.
  ADD COLUMN owner_deliberate boolean NOT NULL DEFAULT true,
  ADD COLUMN impact_level text CHECK (impact_level IN ('degraded', 'partial', 'full')),
  ADD COLUMN public_post_at timestamptz;
CREATE INDEX incidents_open_severity ON incidents (severity) WHERE state IN ('investigating', 'fixing', 'monitoring');

-- A page sent for an incident role engages whoever acknowledges it in that role:
-- { "role": "IM", "own": true } (OWN-1 escalation), { "role": "IM", "handOverFrom": 7 } (OWN-8).
ALTER TABLE pages ADD COLUMN engage jsonb;
CREATE INDEX pages_incident_policy ON pages (incident_id, policy_id) WHERE state <> 'resolved';

-- Escalation policies the policy file defines are kept in step with it and not edited by hand.
ALTER TABLE escalation_policies ADD COLUMN managed boolean NOT NULL DEFAULT false;

-- Clocks (and the record of what rules fired). A pending row is the durable timer itself: armed in
-- the transaction that starts it, deleted in the one that makes it unwanted, and fired by whichever
-- replica claims it first once due (docs/decisions/0007-clocks-claimed-from-their-own-table.md).
CREATE TABLE process_clocks (
  key text PRIMARY KEY,
  incident_id bigint REFERENCES incidents (id),
  maintenance_id bigint REFERENCES status_incidents (id) ON DELETE CASCADE,
  rule_id text NOT NULL,          -- the policy rule's id
  rule text,                      -- the handbook rule it implements (RULES.md), e.g. PAGE-3
  kind text NOT NULL CHECK (kind IN ('clock', 'remind', 'deadline', 'event')),
  state text NOT NULL CHECK (state IN ('pending', 'fired')),
  due_at timestamptz NOT NULL,
  fires text NOT NULL,            -- what it does, in words
  why text NOT NULL,              -- why it exists, in words
  deadline text,                  -- for deadlines and their reminders: the deadline's name
  outcome text,                   -- deadlines: met or missed
  fired_at timestamptz,
  created_at timestamptz NOT NULL,
  -- A clock whose actions failed is retried with back-off; it stays pending, so nothing is lost.
  attempts integer NOT NULL DEFAULT 0,
  retry_at timestamptz,
  last_error text,
  CHECK ((incident_id IS NULL) <> (maintenance_id IS NULL))
);
-- Each replica's clock runner claims the earliest due clock (SKIP LOCKED on its subject).
CREATE INDEX process_clocks_due ON process_clocks (due_at) WHERE state = 'pending';

-- Claims the earliest clock due at `at` whose subject nobody holds, locking the subject as its
-- commands do (an incident FOR NO KEY UPDATE, a maintenance FOR UPDATE): the claim and the firing
-- share one transaction. A function so that its plans are made once per connection, not per
-- claim: in a storm of clocks the planning cost more than the claim.
CREATE FUNCTION firebreak_claim_clock(at timestamptz) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  claimed text;
BEGIN
  SELECT c.key INTO claimed FROM process_clocks c JOIN incidents i ON i.id = c.incident_id
   WHERE c.state = 'pending' AND c.due_at <= at AND (c.retry_at IS NULL OR c.retry_at <= at)
   ORDER BY c.due_at LIMIT 1
   FOR NO KEY UPDATE OF i SKIP LOCKED;
  IF claimed IS NULL THEN
    SELECT c.key INTO claimed FROM process_clocks c JOIN status_incidents s ON s.id = c.maintenance_id
     WHERE c.state = 'pending' AND c.due_at <= at AND (c.retry_at IS NULL OR c.retry_at <= at)
     ORDER BY c.due_at LIMIT 1
     FOR UPDATE OF s SKIP LOCKED;
  END IF;
  RETURN claimed;
END
$$;
CREATE INDEX process_clocks_incident ON process_clocks (incident_id, state) WHERE incident_id IS NOT NULL;
CREATE INDEX process_clocks_maintenance ON process_clocks (maintenance_id, state) WHERE maintenance_id IS NOT NULL;

-- Notices: reminders and notifications that are not pages (no acknowledgement, no escalation).
CREATE TABLE notices (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  key text NOT NULL UNIQUE,       -- what it is about and for whom: a re-run owes nothing twice
  user_id bigint NOT NULL REFERENCES users (id),
  incident_id bigint REFERENCES incidents (id),
  subject text NOT NULL,
  body text NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX notices_incident ON notices (incident_id) WHERE incident_id IS NOT NULL;

CREATE TABLE notice_deliveries (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  notice_id bigint NOT NULL REFERENCES notices (id),
  contact_method_id bigint REFERENCES contact_methods (id) ON DELETE SET NULL,
  kind text NOT NULL,             -- the contact method's kind when sent
  status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed-retryable', 'failed-permanent')),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  sent_at timestamptz,
  created_at timestamptz NOT NULL,
  UNIQUE (notice_id, contact_method_id)
);

-- STAT-5: a maintenance's criticality (C1 is treated as an undeclared incident).
ALTER TABLE status_incidents ADD COLUMN criticality text;
-- COMM-3: with whom the approver confirmed customer impact before publishing an outage.
ALTER TABLE status_updates ADD COLUMN impact_confirmed_with bigint REFERENCES users (id);
