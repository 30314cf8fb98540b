-- Insights (issue 18): alert counts kept per service, alert group and UTC day, so that noisy
-- services and the headline's alert figures read a few rows per group instead of every alert of
-- the window. See docs/decisions/0010-insights-figures-kept-by-triggers.md (amended).
--
-- Kept by statement-level triggers on alerts with transition tables: one upsert per intake
-- statement (a batch of alerts, src/alerts/batcher.ts), not one write per alert. Each statement
-- adds what it changed (an alert counted under its key, a re-fire's occurrences, an alert moved to
-- a group), so the rows are sums of deltas; the backfill below writes the same sums from the alerts.

-- The UTC day an alert was first seen, as the instant it starts.
CREATE FUNCTION insights_day(at timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT date_trunc('day', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
$$;

-- The alerts of a service first seen on a day, in a group (null: none), summed over the rows of
-- every writer. `writer` is the backend (connection) that wrote the row: concurrent intake
-- transactions never write the same row, so none waits for another's count, and no lock order
-- against the services they lock can deadlock. `incident_id` is the group's incident, `root_id`
-- and `live` that incident's figures row's (the primary it counts as, and whether that counts),
-- copied so that an unfiltered read joins nothing; triggers below keep them when they move.
CREATE TABLE insights_alert_counts (
  service_id bigint NOT NULL,
  group_id bigint,
  day timestamptz NOT NULL,
  writer integer NOT NULL,
  incident_id bigint,
  root_id bigint,
  live boolean NOT NULL,
  alerts bigint NOT NULL,
  occurrences bigint NOT NULL
);
CREATE UNIQUE INDEX insights_alert_counts_key
  ON insights_alert_counts (group_id, service_id, day, writer) NULLS NOT DISTINCT;
CREATE INDEX insights_alert_counts_day ON insights_alert_counts (day);
CREATE INDEX insights_alert_counts_incident ON insights_alert_counts (incident_id);

CREATE FUNCTION insights_alerts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO insights_alert_counts AS c (service_id, group_id, day, writer, incident_id, root_id, live,
      alerts, occurrences)
  SELECT d.service_id, d.group_id, d.day, pg_backend_pid(), g.incident_id, r.root_id, coalesce(r.live, false),
    d.alerts, d.occurrences
  FROM (SELECT n.service_id, n.group_id, insights_day(n.first_seen_at) AS day, count(*) AS alerts,
          sum(n.occurrences)::bigint AS occurrences
        FROM inserted n GROUP BY 1, 2, 3) d
  LEFT JOIN alert_groups g ON g.id = d.group_id
  LEFT JOIN insights_incidents r ON r.incident_id = g.incident_id
  ORDER BY d.group_id NULLS FIRST, d.service_id, d.day
  ON CONFLICT (group_id, service_id, day, writer) DO UPDATE
    SET alerts = c.alerts + excluded.alerts, occurrences = c.occurrences + excluded.occurrences;
  RETURN NULL;
END
$$;

-- An update moves an alert's count when its key changed (attached to a group, mostly) and its
-- occurrences when a re-fire added some; acknowledgements and resolutions change neither.
CREATE FUNCTION insights_alerts_updated() RETURNS trigger LANGUAGE plpgsql AS $$
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
  LEFT JOIN insights_incidents r ON r.incident_id = g.incident_id
  ORDER BY d.group_id NULLS FIRST, d.service_id, d.day
  ON CONFLICT (group_id, service_id, day, writer) DO UPDATE
    SET alerts = c.alerts + excluded.alerts, occurrences = c.occurrences + excluded.occurrences;
  RETURN NULL;
END
$$;

CREATE FUNCTION insights_alerts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO insights_alert_counts AS c (service_id, group_id, day, writer, incident_id, root_id, live,
      alerts, occurrences)
  SELECT d.service_id, d.group_id, d.day, pg_backend_pid(), g.incident_id, r.root_id, coalesce(r.live, false),
    -d.alerts, -d.occurrences
  FROM (SELECT o.service_id, o.group_id, insights_day(o.first_seen_at) AS day, count(*) AS alerts,
          sum(o.occurrences)::bigint AS occurrences
        FROM old_rows o GROUP BY 1, 2, 3) d
  LEFT JOIN alert_groups g ON g.id = d.group_id
  LEFT JOIN insights_incidents r ON r.incident_id = g.incident_id
  ORDER BY d.group_id NULLS FIRST, d.service_id, d.day
  ON CONFLICT (group_id, service_id, day, writer) DO UPDATE
    SET alerts = c.alerts + excluded.alerts, occurrences = c.occurrences + excluded.occurrences;
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

CREATE TRIGGER insights_alerts_inserted AFTER INSERT ON alerts
  REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION insights_alerts_inserted();
CREATE TRIGGER insights_alerts_updated AFTER UPDATE ON alerts
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION insights_alerts_updated();
CREATE TRIGGER insights_alerts_deleted AFTER DELETE ON alerts
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION insights_alerts_deleted();

-- A group moved to another incident (none of today's commands does it; an importer might).
CREATE FUNCTION insights_alert_group_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE insights_alert_counts c SET incident_id = NEW.incident_id, root_id = r.root_id, live = coalesce(r.live, false)
  FROM (SELECT NEW.incident_id AS id) k LEFT JOIN insights_incidents r ON r.incident_id = k.id
  WHERE c.group_id = NEW.id;
  RETURN NULL;
END
$$;
CREATE TRIGGER insights_alert_group_moved AFTER UPDATE ON alert_groups
  FOR EACH ROW WHEN (OLD.incident_id IS DISTINCT FROM NEW.incident_id)
  EXECUTE FUNCTION insights_alert_group_moved();

-- An incident's figures row changed the primary it counts as, or whether that counts (a merge, a
-- decline, a duplicate's primary declined): its groups' counts follow. Most refreshes change neither.
CREATE FUNCTION insights_alert_counts_root() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE insights_alert_counts c SET root_id = NEW.root_id, live = NEW.live
  WHERE c.incident_id = NEW.incident_id AND (c.root_id IS DISTINCT FROM NEW.root_id OR c.live IS DISTINCT FROM NEW.live);
  RETURN NULL;
END
$$;
CREATE TRIGGER insights_alert_counts_root_inserted AFTER INSERT ON insights_incidents
  FOR EACH ROW EXECUTE FUNCTION insights_alert_counts_root();
CREATE TRIGGER insights_alert_counts_root_updated AFTER UPDATE ON insights_incidents
  FOR EACH ROW WHEN (OLD.root_id IS DISTINCT FROM NEW.root_id OR OLD.live IS DISTINCT FROM NEW.live)
  EXECUTE FUNCTION insights_alert_counts_root();

-- Writes every count again from the alerts (one row per key, writer 0): the migration's backfill,
-- and part of insights_backfill() for bulk loads that wrote with the triggers off.
CREATE FUNCTION insights_backfill_alerts() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM insights_alert_counts;
  INSERT INTO insights_alert_counts (service_id, group_id, day, writer, incident_id, root_id, live, alerts, occurrences)
  SELECT d.service_id, d.group_id, d.day, 0, g.incident_id, r.root_id, coalesce(r.live, false), d.alerts, d.occurrences
  FROM (SELECT a.service_id, a.group_id, insights_day(a.first_seen_at) AS day, count(*) AS alerts,
          sum(a.occurrences)::bigint AS occurrences
        FROM alerts a GROUP BY 1, 2, 3) d
  LEFT JOIN alert_groups g ON g.id = d.group_id
  LEFT JOIN insights_incidents r ON r.incident_id = g.incident_id;
END
$$;

-- insights_backfill() (0027) writes the incidents' and pages' rows; it now writes the alert counts too.
ALTER FUNCTION insights_backfill() RENAME TO insights_backfill_incidents;
CREATE FUNCTION insights_backfill() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM insights_backfill_incidents();
  PERFORM insights_backfill_alerts();
END
$$;

SELECT insights_backfill_alerts();
