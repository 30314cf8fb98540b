-- Insights figures refreshed after the commit (issue 21): a command no longer recomputes an
-- incident's figures row in its own transaction (a declare's INSERT spent 6 of its 8 ms there under
-- load). Its triggers note which incidents went stale; the stale rows are recomputed by
-- insights_drain(), which every insights read calls first (so a reader sees every change committed
-- before it asked) and every replica calls about once a second. The definitions do not change:
-- the same insights_refresh_incidents/insights_refresh_roots (0027) recompute the rows from the
-- sources. See docs/decisions/0013-insights-figures-refreshed-after-commit.md.

-- Incidents whose figures row is stale. `roots`: refresh the primary it counts as (a page, an alert
-- group or a corrective action moved), else the row itself. No key: concurrent writers of the same
-- incident only append, and never wait for one another here.
CREATE TABLE insights_stale (
  incident_id bigint NOT NULL,
  roots boolean NOT NULL
);

CREATE FUNCTION insights_mark(ids bigint[], roots boolean) RETURNS void LANGUAGE sql AS $$
  INSERT INTO insights_stale (incident_id, roots)
  SELECT DISTINCT x, roots FROM unnest(ids) x WHERE x IS NOT NULL
$$;

-- Recomputes the stale rows of up to `max` markers, one drain at a time (a transaction-scoped
-- advisory lock): a reader whose drain waited for another one's reads that one's rows once it has
-- committed. The markers are taken by a statement that runs after the lock is held, so it sees
-- every marker committed before; a marker committed later is left for the next drain. Returns how
-- many markers it took: the caller drains again, in a new transaction, until fewer than `max` were
-- left, so a backlog is worked off in bounded transactions.
--
-- The alert counts of every incident refreshed (and of its duplicates) are then brought to the
-- primary and `live` its figures row now has, whether or not the row changed: an incident declined
-- and back in triage between two drains leaves its row as it was, while alerts counted in between
-- copied `live` = false from the incidents; an intake transaction that was still open when an
-- earlier drain moved the row marked its incident (below), so it is reconciled here.
CREATE FUNCTION insights_drain(max integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  own bigint[];
  rooted bigint[];
  touched bigint[];
  taken integer;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('insights_drain'));
  WITH gone AS (
    DELETE FROM insights_stale s USING (SELECT ctid FROM insights_stale LIMIT max) x
    WHERE s.ctid = x.ctid RETURNING s.incident_id, s.roots)
  SELECT count(*),
    coalesce(array_agg(DISTINCT incident_id) FILTER (WHERE NOT roots), '{}'),
    coalesce(array_agg(DISTINCT incident_id) FILTER (WHERE roots), '{}')
  INTO taken, own, rooted FROM gone;
  IF cardinality(own) > 0 THEN
    PERFORM insights_refresh_incidents(own);
  END IF;
  IF cardinality(rooted) > 0 THEN
    PERFORM insights_refresh_roots(rooted);
  END IF;
  touched := own || rooted || ARRAY(SELECT f.root_id FROM insights_incidents f WHERE f.incident_id = ANY (rooted));
  IF cardinality(touched) > 0 THEN
    UPDATE insights_alert_counts c SET root_id = f.root_id, live = f.live
    FROM insights_incidents f
    WHERE c.incident_id = f.incident_id AND (f.incident_id = ANY (touched) OR f.root_id = ANY (touched))
      AND (c.root_id IS DISTINCT FROM f.root_id OR c.live IS DISTINCT FROM f.live);
  END IF;
  RETURN taken;
END
$$;

-- The row triggers of 0027 now mark instead of refreshing; what they mark is unchanged.
CREATE OR REPLACE FUNCTION insights_incident_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM insights_mark(ARRAY[NEW.id, NEW.merged_into], false);
  ELSE
    -- Itself; the primaries it left or joined (their MTTA reads its pages); its duplicates (they
    -- carry its scope). Duplicates merged since the last drain are found by the incidents.
    PERFORM insights_mark(ARRAY[NEW.id, OLD.merged_into, NEW.merged_into]
      || ARRAY(SELECT f.incident_id FROM insights_incidents f WHERE f.root_id = NEW.id AND f.incident_id <> NEW.id)
      || ARRAY(SELECT d.id FROM incidents d WHERE d.merged_into = NEW.id), false);
  END IF;
  RETURN NULL;
END
$$;

-- A page's person and time (insights_pages) are still written here: one row, no recomputation.
CREATE OR REPLACE FUNCTION insights_page_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.kind = 'page-acknowledged' THEN
    PERFORM insights_mark(ARRAY(SELECT p.incident_id FROM pages p WHERE p.id = NEW.page_id), true);
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

CREATE OR REPLACE FUNCTION insights_page_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    UPDATE insights_pages SET incident_id = NEW.incident_id WHERE page_id = NEW.id;
  END IF;
  PERFORM insights_mark(ARRAY[NEW.incident_id, CASE WHEN TG_OP = 'UPDATE' THEN OLD.incident_id END], true);
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION insights_roots_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM insights_mark(ARRAY[CASE WHEN TG_OP <> 'DELETE' THEN NEW.incident_id END,
    CASE WHEN TG_OP <> 'INSERT' THEN OLD.incident_id END], true);
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION insights_review_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM insights_mark(ARRAY[CASE WHEN TG_OP <> 'DELETE' THEN NEW.incident_id END,
    CASE WHEN TG_OP <> 'INSERT' THEN OLD.incident_id END], false);
  RETURN NULL;
END
$$;

-- The alert counts (0031) copy the primary an alert's incident counts as and whether that counts.
-- They read it from the incidents themselves now, the same definition as the figures row's
-- root_id and live: the figures row of a new incident is written only by the next drain, and an
-- intake statement must not count its alerts as nobody's meanwhile. Each statement also marks the
-- incidents it counted for: a decline or a merge may commit while the intake transaction is open,
-- and the drain that follows it cannot see the intake's rows yet; the mark commits with them, so
-- the next drain brings them to the incident's primary and `live` (insights_drain above).
CREATE FUNCTION insights_alert_scope(incident bigint) RETURNS TABLE (root_id bigint, live boolean)
LANGUAGE sql STABLE AS $$
  SELECT r.id, r.state NOT IN ('declined', 'merged')
  FROM incidents i JOIN incidents r ON r.id = coalesce(i.merged_into, i.id)
  WHERE i.id = incident
$$;

CREATE OR REPLACE FUNCTION insights_alerts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO insights_alert_counts AS c (service_id, group_id, day, writer, incident_id, root_id, live,
      alerts, occurrences)
  SELECT d.service_id, d.group_id, d.day, pg_backend_pid(), g.incident_id, r.root_id, coalesce(r.live, false),
    d.alerts, d.occurrences
  FROM (SELECT n.service_id, n.group_id, insights_day(n.first_seen_at) AS day, count(*) AS alerts,
          sum(n.occurrences)::bigint AS occurrences
        FROM inserted n GROUP BY 1, 2, 3) d
  LEFT JOIN alert_groups g ON g.id = d.group_id
  LEFT JOIN LATERAL insights_alert_scope(g.incident_id) r ON true
  ORDER BY d.group_id NULLS FIRST, d.service_id, d.day
  ON CONFLICT (group_id, service_id, day, writer) DO UPDATE
    SET alerts = c.alerts + excluded.alerts, occurrences = c.occurrences + excluded.occurrences;
  INSERT INTO insights_stale (incident_id, roots)
  SELECT DISTINCT g.incident_id, false FROM alert_groups g
  WHERE g.incident_id IS NOT NULL AND g.id IN (SELECT n.group_id FROM inserted n);
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION insights_alerts_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO insights_alert_counts AS c (service_id, group_id, day, writer, incident_id, root_id, live,
      alerts, occurrences)
  SELECT d.service_id, d.group_id, d.day, pg_backend_pid(), g.incident_id, r.root_id, coalesce(r.live, false),
    d.alerts, d.occurrences
  FROM (
    SELECT x.service_id, x.group_id, x.day, sum(x.alerts)::bigint AS alerts, sum(x.occurrences)::bigint AS occurrences
    FROM old_rows o JOIN new_rows n ON n.id = o.id
    CROSS JOIN LATERAL (VALUES
      (o.service_id, o.group_id, insights_day(o.first_seen_at), -1, -o.occurrences),
      (n.service_id, n.group_id, insights_day(n.first_seen_at), 1, n.occurrences)) x(service_id, group_id, day, alerts, occurrences)
    WHERE o.occurrences IS DISTINCT FROM n.occurrences OR o.group_id IS DISTINCT FROM n.group_id
      OR o.service_id IS DISTINCT FROM n.service_id OR o.first_seen_at IS DISTINCT FROM n.first_seen_at
    GROUP BY 1, 2, 3
    HAVING sum(x.alerts) <> 0 OR sum(x.occurrences) <> 0) d
  LEFT JOIN alert_groups g ON g.id = d.group_id
  LEFT JOIN LATERAL insights_alert_scope(g.incident_id) r ON true
  ORDER BY d.group_id NULLS FIRST, d.service_id, d.day
  ON CONFLICT (group_id, service_id, day, writer) DO UPDATE
    SET alerts = c.alerts + excluded.alerts, occurrences = c.occurrences + excluded.occurrences;
  INSERT INTO insights_stale (incident_id, roots)
  SELECT DISTINCT g.incident_id, false FROM alert_groups g
  WHERE g.incident_id IS NOT NULL AND g.id IN (SELECT x.group_id FROM old_rows o JOIN new_rows n ON n.id = o.id
      CROSS JOIN LATERAL (VALUES (o.group_id), (n.group_id)) x(group_id)
      WHERE o.occurrences IS DISTINCT FROM n.occurrences OR o.group_id IS DISTINCT FROM n.group_id
        OR o.service_id IS DISTINCT FROM n.service_id OR o.first_seen_at IS DISTINCT FROM n.first_seen_at);
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION insights_alerts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO insights_alert_counts AS c (service_id, group_id, day, writer, incident_id, root_id, live,
      alerts, occurrences)
  SELECT d.service_id, d.group_id, d.day, pg_backend_pid(), g.incident_id, r.root_id, coalesce(r.live, false),
    -d.alerts, -d.occurrences
  FROM (SELECT o.service_id, o.group_id, insights_day(o.first_seen_at) AS day, count(*) AS alerts,
          sum(o.occurrences)::bigint AS occurrences
        FROM old_rows o GROUP BY 1, 2, 3) d
  LEFT JOIN alert_groups g ON g.id = d.group_id
  LEFT JOIN LATERAL insights_alert_scope(g.incident_id) r ON true
  ORDER BY d.group_id NULLS FIRST, d.service_id, d.day
  ON CONFLICT (group_id, service_id, day, writer) DO UPDATE
    SET alerts = c.alerts + excluded.alerts, occurrences = c.occurrences + excluded.occurrences;
  INSERT INTO insights_stale (incident_id, roots)
  SELECT DISTINCT g.incident_id, false FROM alert_groups g
  WHERE g.incident_id IS NOT NULL AND g.id IN (SELECT o.group_id FROM old_rows o);
  -- Keys left with nothing to count go, every writer's row of them: a service deleted takes its
  -- groups before this runs, so the rows just added could not name the group's incident.
  DELETE FROM insights_alert_counts c
  USING (SELECT k.group_id, k.service_id, k.day FROM insights_alert_counts k
         WHERE EXISTS (SELECT 1 FROM old_rows o WHERE o.group_id IS NOT DISTINCT FROM k.group_id
           AND o.service_id = k.service_id AND insights_day(o.first_seen_at) = k.day)
         GROUP BY 1, 2, 3 HAVING sum(k.alerts) = 0 AND sum(k.occurrences) = 0) z
  WHERE c.group_id IS NOT DISTINCT FROM z.group_id AND c.service_id = z.service_id AND c.day = z.day;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION insights_alert_group_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE insights_alert_counts c SET incident_id = NEW.incident_id, root_id = r.root_id, live = coalesce(r.live, false)
  FROM (SELECT NEW.incident_id AS id) k LEFT JOIN LATERAL insights_alert_scope(k.id) r ON true
  WHERE c.group_id = NEW.id;
  RETURN NULL;
END
$$;

-- A bulk load's backfill writes every row from the sources: nothing is stale after it.
CREATE OR REPLACE FUNCTION insights_backfill() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM insights_stale;
  PERFORM insights_backfill_incidents();
  PERFORM insights_backfill_alerts();
END
$$;
