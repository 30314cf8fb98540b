-- Insights (issue 18): the figures kept per incident and per page received, so that a query over
-- two years reads one narrow row each instead of recomputing from incidents, pages and their
-- events on every request. Triggers keep them in the transaction of every change that moves them,
-- whichever command (or importer) writes: see docs/decisions/0010-insights-figures-kept-by-triggers.md.

-- Seconds from one instant to a later one; null when either is unknown, 0 when out of order.
-- date_part is float8 (extract() is numeric: slower to subtract and sort).
CREATE FUNCTION insights_seconds(start timestamptz, finish timestamptz) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN finish < start THEN 0 ELSE date_part('epoch', finish) - date_part('epoch', start) END
$$;

-- One row per incident. Its own declaration and whether it counts; the scope of the incident it
-- counts as (root: the primary a duplicate was merged into, else itself — one level, as the
-- queries always read it); its measures in seconds, MTTA from the pages of the incidents it is the
-- root of (itself unless merged, and its duplicates).
CREATE TABLE insights_incidents (
  incident_id bigint PRIMARY KEY REFERENCES incidents (id),
  root_id bigint NOT NULL,
  declared_at timestamptz NOT NULL,
  counted boolean NOT NULL,         -- not merged into another, not declined
  private boolean NOT NULL,         -- the root's visibility
  severity text NOT NULL,           -- the root's
  type text NOT NULL,               -- the root's
  live boolean NOT NULL,            -- the root is neither declined nor merged
  mttd float8,
  mtta float8,
  mttm float8,
  mttr float8,
  paged_at timestamptz,             -- the first page of it or its duplicates
  acked_at timestamptz,             -- the first page-acknowledged event of those pages
  service_ids bigint[] NOT NULL,    -- the services whose alerts opened or joined it or its duplicates
  review_required boolean NOT NULL, -- its own review (REV-1)
  review_due_at timestamptz,
  review_completed_at timestamptz,
  -- Corrective actions (FU-2) of it and its duplicates: how many (cancelled ones too), the due
  -- dates of the open ones (null: none set; overdue depends on when it is asked), how many done.
  corrective_count integer NOT NULL,
  corrective_open_due timestamptz[] NOT NULL,
  corrective_done integer NOT NULL
);
CREATE INDEX insights_incidents_declared ON insights_incidents (declared_at) WHERE counted;
CREATE INDEX insights_incidents_root ON insights_incidents (root_id);
-- The few incidents a viewer may not see are read apart (private ones, then their participants).
CREATE INDEX insights_incidents_private ON insights_incidents (incident_id) WHERE private;

-- Recomputes the rows of these incidents from their incident, their root and the pages. Their
-- rows are locked first and read after, by a second statement (a new snapshot): a command that
-- moved one of them concurrently (a page acknowledged while the incident changes) has committed by
-- then, and its figure is not overwritten with what this one's snapshot saw before. One incident
-- per statement: with a single id as parameter PostgreSQL keeps one generic plan per connection
-- (with an array it re-planned the statement on every call, about 1 ms).
CREATE FUNCTION insights_refresh_incidents(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  sorted bigint[] := ARRAY(SELECT DISTINCT x FROM unnest(ids) x WHERE x IS NOT NULL ORDER BY 1);
  one bigint;
BEGIN
  FOREACH one IN ARRAY sorted LOOP
    PERFORM 1 FROM insights_incidents WHERE incident_id = one FOR UPDATE;
  END LOOP;
  FOREACH one IN ARRAY sorted LOOP
    PERFORM insights_refresh_incident(one);
  END LOOP;
END
$$;

CREATE FUNCTION insights_refresh_incident(one bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO insights_incidents AS f (incident_id, root_id, declared_at, counted, private, severity, type,
      live, mttd, mtta, mttm, mttr, paged_at, acked_at, service_ids, review_required, review_due_at,
      review_completed_at, corrective_count, corrective_open_due, corrective_done)
  SELECT i.id, r.id, i.declared_at,
    i.merged_into IS NULL AND i.state NOT IN ('declined', 'merged'),
    r.visibility = 'private', r.severity, r.type, r.state NOT IN ('declined', 'merged'),
    insights_seconds(i.impact_started_at, coalesce(i.detected_at, i.declared_at)),
    insights_seconds(a.paged_at, a.acked_at),
    insights_seconds(coalesce(i.impact_started_at, i.declared_at), least(i.mitigated_at, i.impact_ended_at)),
    insights_seconds(coalesce(i.impact_started_at, i.declared_at), i.resolved_at),
    a.paged_at, a.acked_at, sv.service_ids, coalesce(rv.required, false), rv.due_at, rv.completed_at,
    ca.n, ca.open_due, ca.done
  FROM incidents i
  JOIN incidents r ON r.id = coalesce(i.merged_into, i.id)
  LEFT JOIN incident_reviews rv ON rv.incident_id = i.id
  -- The incidents it is the root of: itself unless merged, and its duplicates.
  CROSS JOIN LATERAL (SELECT ARRAY(SELECT i.id WHERE i.merged_into IS NULL
    UNION ALL SELECT d.id FROM incidents d WHERE d.merged_into = i.id) AS rooted) k
  CROSS JOIN LATERAL (
    SELECT min(p.created_at) AS paged_at, min(e.at) AS acked_at
    FROM pages p LEFT JOIN page_events e ON e.page_id = p.id AND e.kind = 'page-acknowledged'
    WHERE p.incident_id = ANY (k.rooted)) a
  CROSS JOIN LATERAL (
    SELECT coalesce(array_agg(DISTINCT g.service_id ORDER BY g.service_id), '{}') AS service_ids
    FROM alert_groups g WHERE g.incident_id = ANY (k.rooted)) sv
  CROSS JOIN LATERAL (
    SELECT count(*) AS n,
      coalesce(array_agg(t.due_at ORDER BY t.due_at) FILTER (WHERE t.state = 'open'), '{}') AS open_due,
      count(*) FILTER (WHERE t.state = 'done') AS done
    FROM incident_tasks t WHERE t.corrective AND t.incident_id = ANY (k.rooted)) ca
  WHERE i.id = one
  ON CONFLICT (incident_id) DO UPDATE SET root_id = EXCLUDED.root_id, declared_at = EXCLUDED.declared_at,
    counted = EXCLUDED.counted, private = EXCLUDED.private, severity = EXCLUDED.severity,
    type = EXCLUDED.type, live = EXCLUDED.live, mttd = EXCLUDED.mttd, mtta = EXCLUDED.mtta,
    mttm = EXCLUDED.mttm, mttr = EXCLUDED.mttr, paged_at = EXCLUDED.paged_at, acked_at = EXCLUDED.acked_at,
    service_ids = EXCLUDED.service_ids, review_required = EXCLUDED.review_required,
    review_due_at = EXCLUDED.review_due_at, review_completed_at = EXCLUDED.review_completed_at,
    corrective_count = EXCLUDED.corrective_count, corrective_open_due = EXCLUDED.corrective_open_due,
    corrective_done = EXCLUDED.corrective_done;
END
$$;

-- Refreshes the primaries (else themselves) of these incidents: the rows a page's times move.
-- Their roots are read again after the refresh, which waited for whoever held those rows: a merge
-- that committed meanwhile has moved an incident under another primary, refreshed too.
CREATE FUNCTION insights_refresh_roots(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  one bigint;
  root bigint;
  roots bigint[] := '{}';
  moved bigint[] := '{}';
BEGIN
  FOREACH one IN ARRAY ids LOOP
    SELECT coalesce(i.merged_into, i.id) INTO root FROM incidents i WHERE i.id = one;
    roots := roots || root;
  END LOOP;
  PERFORM insights_refresh_incidents(roots);
  FOREACH one IN ARRAY ids LOOP
    SELECT coalesce(i.merged_into, i.id) INTO root FROM incidents i WHERE i.id = one;
    IF NOT root = ANY (roots) THEN
      moved := moved || root;
    END IF;
  END LOOP;
  IF cardinality(moved) > 0 THEN
    PERFORM insights_refresh_incidents(moved);
  END IF;
END
$$;

CREATE FUNCTION insights_incident_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM insights_refresh_incidents(ARRAY[NEW.id, NEW.merged_into]);
  ELSE
    -- Itself; the primaries it left or joined (their MTTA reads its pages); its duplicates (they
    -- carry its scope).
    PERFORM insights_refresh_incidents(ARRAY[NEW.id, OLD.merged_into, NEW.merged_into]
      || ARRAY(SELECT f.incident_id FROM insights_incidents f WHERE f.root_id = NEW.id AND f.incident_id <> NEW.id));
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER insights_incident_inserted AFTER INSERT ON incidents
  FOR EACH ROW EXECUTE FUNCTION insights_incident_changed();
-- Only the columns a figure reads: most commands touch none of them (notes, roles, summaries).
CREATE TRIGGER insights_incident_updated AFTER UPDATE ON incidents
  FOR EACH ROW WHEN (
    OLD.severity IS DISTINCT FROM NEW.severity OR OLD.type IS DISTINCT FROM NEW.type
    OR OLD.state IS DISTINCT FROM NEW.state OR OLD.visibility IS DISTINCT FROM NEW.visibility
    OR OLD.merged_into IS DISTINCT FROM NEW.merged_into OR OLD.declared_at IS DISTINCT FROM NEW.declared_at
    OR OLD.impact_started_at IS DISTINCT FROM NEW.impact_started_at
    OR OLD.impact_ended_at IS DISTINCT FROM NEW.impact_ended_at
    OR OLD.detected_at IS DISTINCT FROM NEW.detected_at OR OLD.mitigated_at IS DISTINCT FROM NEW.mitigated_at
    OR OLD.resolved_at IS DISTINCT FROM NEW.resolved_at)
  EXECUTE FUNCTION insights_incident_changed();

-- One row per page and person it reached: the first page-escalated event naming them. Night and
-- weekend by the clock of the page's escalation policy (its business-hours time zone).
CREATE TABLE insights_pages (
  page_id bigint NOT NULL REFERENCES pages (id),
  user_id bigint NOT NULL,
  incident_id bigint,               -- the page's incident; its scope is read from insights_incidents
  at timestamptz NOT NULL,
  night boolean NOT NULL,           -- 22:00–07:00
  weekend boolean NOT NULL,         -- Saturday, Sunday
  PRIMARY KEY (page_id, user_id)
);
CREATE INDEX insights_pages_at ON insights_pages (at);

CREATE FUNCTION insights_local_at(at timestamptz, business_hours jsonb) RETURNS timestamp
LANGUAGE sql STABLE AS $$
  SELECT at AT TIME ZONE coalesce(business_hours ->> 'timeZone', 'UTC')
$$;

CREATE FUNCTION insights_page_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.kind = 'page-acknowledged' THEN
    PERFORM insights_refresh_roots(ARRAY(SELECT p.incident_id FROM pages p WHERE p.id = NEW.page_id));
  ELSE
    INSERT INTO insights_pages AS ip (page_id, user_id, incident_id, at, night, weekend)
    SELECT p.id, u.value::bigint, p.incident_id, NEW.at,
      extract(hour FROM l.local) >= 22 OR extract(hour FROM l.local) < 7, extract(isodow FROM l.local) >= 6
    FROM pages p JOIN escalation_policies ep ON ep.id = p.policy_id
      CROSS JOIN LATERAL (SELECT insights_local_at(NEW.at, ep.business_hours) AS local) l
      CROSS JOIN LATERAL jsonb_array_elements_text(NEW.data -> 'users') u
    WHERE p.id = NEW.page_id
    ON CONFLICT (page_id, user_id) DO UPDATE SET at = EXCLUDED.at, night = EXCLUDED.night,
      weekend = EXCLUDED.weekend
      WHERE EXCLUDED.at < ip.at;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER insights_page_event AFTER INSERT ON page_events
  FOR EACH ROW WHEN (NEW.kind IN ('page-acknowledged', 'page-escalated'))
  EXECUTE FUNCTION insights_page_event();

CREATE FUNCTION insights_page_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    UPDATE insights_pages SET incident_id = NEW.incident_id WHERE page_id = NEW.id;
  END IF;
  PERFORM insights_refresh_roots(ARRAY[NEW.incident_id, CASE WHEN TG_OP = 'UPDATE' THEN OLD.incident_id END]);
  RETURN NULL;
END
$$;
CREATE TRIGGER insights_page_inserted AFTER INSERT ON pages
  FOR EACH ROW WHEN (NEW.incident_id IS NOT NULL) EXECUTE FUNCTION insights_page_changed();
CREATE TRIGGER insights_page_updated AFTER UPDATE ON pages
  FOR EACH ROW WHEN (OLD.incident_id IS DISTINCT FROM NEW.incident_id OR OLD.created_at IS DISTINCT FROM NEW.created_at)
  EXECUTE FUNCTION insights_page_changed();

-- A row of an incident moved the figures of its primary (else itself): an alert group (a service
-- deleted takes its groups), a corrective action.
CREATE FUNCTION insights_roots_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM insights_refresh_roots(ARRAY[CASE WHEN TG_OP <> 'DELETE' THEN NEW.incident_id END,
    CASE WHEN TG_OP <> 'INSERT' THEN OLD.incident_id END]);
  RETURN NULL;
END
$$;
CREATE TRIGGER insights_alert_group_inserted AFTER INSERT OR DELETE ON alert_groups
  FOR EACH ROW EXECUTE FUNCTION insights_roots_changed();
CREATE TRIGGER insights_alert_group_updated AFTER UPDATE ON alert_groups
  FOR EACH ROW WHEN (OLD.incident_id IS DISTINCT FROM NEW.incident_id OR OLD.service_id IS DISTINCT FROM NEW.service_id)
  EXECUTE FUNCTION insights_roots_changed();

-- A review (its own incident's row) and a corrective action (its incident's primary's).
CREATE FUNCTION insights_review_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM insights_refresh_incidents(ARRAY[CASE WHEN TG_OP <> 'DELETE' THEN NEW.incident_id END,
    CASE WHEN TG_OP <> 'INSERT' THEN OLD.incident_id END]);
  RETURN NULL;
END
$$;
CREATE TRIGGER insights_review_inserted AFTER INSERT OR DELETE ON incident_reviews
  FOR EACH ROW EXECUTE FUNCTION insights_review_changed();
CREATE TRIGGER insights_review_updated AFTER UPDATE ON incident_reviews
  FOR EACH ROW WHEN (OLD.incident_id IS DISTINCT FROM NEW.incident_id OR OLD.required IS DISTINCT FROM NEW.required
    OR OLD.due_at IS DISTINCT FROM NEW.due_at OR OLD.completed_at IS DISTINCT FROM NEW.completed_at)
  EXECUTE FUNCTION insights_review_changed();

CREATE TRIGGER insights_task_inserted AFTER INSERT OR DELETE ON incident_tasks
  FOR EACH ROW EXECUTE FUNCTION insights_roots_changed();
CREATE TRIGGER insights_task_updated AFTER UPDATE ON incident_tasks
  FOR EACH ROW WHEN (OLD.incident_id IS DISTINCT FROM NEW.incident_id OR OLD.corrective IS DISTINCT FROM NEW.corrective
    OR OLD.state IS DISTINCT FROM NEW.state OR OLD.due_at IS DISTINCT FROM NEW.due_at)
  EXECUTE FUNCTION insights_roots_changed();

-- A policy's time zone moves the night and weekend of every page it sent.
CREATE FUNCTION insights_policy_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE insights_pages ip
  SET night = extract(hour FROM insights_local_at(ip.at, NEW.business_hours)) >= 22
      OR extract(hour FROM insights_local_at(ip.at, NEW.business_hours)) < 7,
    weekend = extract(isodow FROM insights_local_at(ip.at, NEW.business_hours)) >= 6
  FROM pages p
  WHERE p.id = ip.page_id AND p.policy_id = NEW.id;
  RETURN NULL;
END
$$;
CREATE TRIGGER insights_policy_updated AFTER UPDATE ON escalation_policies
  FOR EACH ROW WHEN (OLD.business_hours IS DISTINCT FROM NEW.business_hours)
  EXECUTE FUNCTION insights_policy_changed();

-- Writes every row again from the incidents, pages and events (set-based, the same definitions
-- as the functions above): the migration's backfill, and a bulk load's (bench/insights.ts) after
-- it inserted with the triggers off.
CREATE FUNCTION insights_backfill() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
DELETE FROM insights_pages;
DELETE FROM insights_incidents;
INSERT INTO insights_incidents (incident_id, root_id, declared_at, counted, private, severity, type, live,
    mttd, mtta, mttm, mttr, paged_at, acked_at, service_ids, review_required, review_due_at, review_completed_at,
    corrective_count, corrective_open_due, corrective_done)
WITH corrective AS (
  SELECT coalesce(d.merged_into, d.id) AS root, count(*) AS n,
    array_agg(t.due_at ORDER BY t.due_at) FILTER (WHERE t.state = 'open') AS open_due,
    count(*) FILTER (WHERE t.state = 'done') AS done
  FROM incident_tasks t JOIN incidents d ON d.id = t.incident_id
  WHERE t.corrective
  GROUP BY 1),
services AS (
  SELECT coalesce(d.merged_into, d.id) AS root, array_agg(DISTINCT g.service_id ORDER BY g.service_id) AS ids
  FROM alert_groups g JOIN incidents d ON d.id = g.incident_id
  GROUP BY 1),
acks AS (
  SELECT coalesce(d.merged_into, d.id) AS root, min(p.created_at) AS paged_at, min(e.at) AS acked_at
  FROM pages p JOIN incidents d ON d.id = p.incident_id
  LEFT JOIN (SELECT page_id, min(at) AS at FROM page_events WHERE kind = 'page-acknowledged' GROUP BY page_id) e
    ON e.page_id = p.id
  GROUP BY 1)
SELECT i.id, r.id, i.declared_at,
  i.merged_into IS NULL AND i.state NOT IN ('declined', 'merged'),
  r.visibility = 'private', r.severity, r.type, r.state NOT IN ('declined', 'merged'),
  insights_seconds(i.impact_started_at, coalesce(i.detected_at, i.declared_at)),
  insights_seconds(a.paged_at, a.acked_at),
  insights_seconds(coalesce(i.impact_started_at, i.declared_at), least(i.mitigated_at, i.impact_ended_at)),
  insights_seconds(coalesce(i.impact_started_at, i.declared_at), i.resolved_at),
  a.paged_at, a.acked_at, coalesce(sv.ids, '{}'), coalesce(rv.required, false), rv.due_at, rv.completed_at,
  coalesce(ca.n, 0), coalesce(ca.open_due, '{}'), coalesce(ca.done, 0)
FROM incidents i
JOIN incidents r ON r.id = coalesce(i.merged_into, i.id)
LEFT JOIN incident_reviews rv ON rv.incident_id = i.id
LEFT JOIN acks a ON a.root = i.id
LEFT JOIN services sv ON sv.root = i.id
LEFT JOIN corrective ca ON ca.root = i.id;

INSERT INTO insights_pages (page_id, user_id, incident_id, at, night, weekend)
SELECT x.page_id, x.user_id, p.incident_id, x.at,
  extract(hour FROM l.local) >= 22 OR extract(hour FROM l.local) < 7, extract(isodow FROM l.local) >= 6
FROM (
  SELECT e.page_id, u.value::bigint AS user_id, min(e.at) AS at
  FROM page_events e CROSS JOIN LATERAL jsonb_array_elements_text(e.data -> 'users') u
  WHERE e.kind = 'page-escalated'
  GROUP BY 1, 2) x
JOIN pages p ON p.id = x.page_id
JOIN escalation_policies ep ON ep.id = p.policy_id
CROSS JOIN LATERAL (SELECT insights_local_at(x.at, ep.business_hours) AS local) l;
END
$$;

SELECT insights_backfill();
