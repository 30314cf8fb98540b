/**
 * SQL for configuration as code: the whole configuration read in a fixed handful of queries
 * (plan on a large organisation must not ask once per object), and the fingerprints of the last
 * apply. Writes go through the owning capabilities' own store functions (service.ts).
 */
import type { Kysely } from "kysely";
import type { AlertTables } from "../alerts/store.ts";
import type { OncallTables } from "../oncall/store.ts";
import type { PagingTables } from "../paging/store.ts";
import type { PlatformTables } from "../platform/db.ts";
import type { StatusTables } from "../statuspage/store.ts";
import type { TeamTables } from "../users/teams-store.ts";
import type { AppliedRecord, Kind, ServerState, StoredRotation } from "./model.ts";

export interface ConfigTables {
  config_applies: {
    kind: string;
    name: string;
    fingerprint: string;
    applied_at: Date;
    applied_by: number | null;
  };
}

export type ConfigDb = Kysely<
  PlatformTables & TeamTables & OncallTables & PagingTables & AlertTables & StatusTables & ConfigTables
>;

/** The configuration as stored: overrides and maintenance windows that end after `now`. */
export async function readState(db: ConfigDb, now: Date): Promise<ServerState> {
  const [users, teams, members, schedules, overrides, policies, services, keys, windows, pages, components] =
    await Promise.all([
      db.selectFrom("users").select(["id", "username", "name", "email", "role", "deactivated_at"]).execute(),
      db.selectFrom("teams").select(["id", "slug", "name", "is_default"]).execute(),
      db.selectFrom("team_members").select(["team_id", "user_id", "role"]).execute(),
      db.selectFrom("schedules").select(["id", "name", "team_id", "time_zone", "layers"]).execute(),
      db
        .selectFrom("schedule_overrides")
        .select(["id", "schedule_id", "user_id", "start_at", "end_at", "reason"])
        .where("end_at", ">", now)
        .orderBy("start_at")
        .orderBy("id")
        .execute(),
      db
        .selectFrom("escalation_policies")
        .select([
          "id",
          "name",
          "team_id",
          "description",
          "levels",
          "repeat",
          "ack_timeout_minutes",
          "business_hours",
          "managed",
        ])
        .execute(),
      db.selectFrom("services").selectAll().execute(),
      db
        .selectFrom("integration_keys")
        .select(["id", "service_id", "name", "mapping", "silence_minutes"])
        .orderBy("id")
        .execute(),
      db
        .selectFrom("maintenance_windows")
        .select(["id", "service_id", "start_at", "end_at", "reason"])
        .where("end_at", ">", now)
        .orderBy("start_at")
        .orderBy("id")
        .execute(),
      db.selectFrom("status_pages").select(["id", "slug", "name", "team_id", "time_zone"]).execute(),
      db
        .selectFrom("status_components")
        .select([
          "id",
          "page_id",
          "name",
          "description",
          "group_id",
          "is_group",
          "showcase",
          "only_show_if_degraded",
          "start_date",
        ])
        .orderBy("position")
        .orderBy("id")
        .execute(),
    ]);
  const groupBy = <T, K>(rows: T[], key: (r: T) => K) => {
    const m = new Map<K, T[]>();
    for (const r of rows) m.set(key(r), [...(m.get(key(r)) ?? []), r]);
    return m;
  };
  const membersOf = groupBy(members, (m) => m.team_id);
  const overridesOf = groupBy(overrides, (o) => o.schedule_id);
  const keysOf = groupBy(keys, (k) => k.service_id);
  const windowsOf = groupBy(windows, (w) => w.service_id);
  const componentsOf = groupBy(components, (c) => c.page_id);
  return {
    users: users.map((u) => ({
      id: u.id,
      username: u.username,
      name: u.name,
      email: u.email,
      role: u.role,
      active: u.deactivated_at === null,
    })),
    teams: teams.map((t) => ({
      id: t.id,
      slug: t.slug,
      name: t.name,
      isDefault: t.is_default,
      members: (membersOf.get(t.id) ?? []).map((m) => ({ userId: m.user_id, role: m.role })),
    })),
    schedules: schedules.map((s) => ({
      id: s.id,
      name: s.name,
      teamId: s.team_id,
      timeZone: s.time_zone,
      layers: s.layers as StoredRotation[],
      overrides: (overridesOf.get(s.id) ?? []).map((o) => ({
        id: o.id,
        userId: o.user_id,
        start: o.start_at,
        end: o.end_at,
        reason: o.reason,
      })),
    })),
    policies: policies.map((p) => ({
      id: p.id,
      name: p.name,
      teamId: p.team_id,
      description: p.description,
      levels: p.levels,
      repeat: p.repeat,
      ackTimeoutMinutes: p.ack_timeout_minutes,
      businessHours: p.business_hours,
      managed: p.managed,
    })),
    services: services.map((s) => ({
      id: s.id,
      name: s.name,
      teamId: s.team_id,
      description: s.description,
      escalationPolicyId: s.escalation_policy_id,
      incidentType: s.incident_type,
      incidentSeverity: s.incident_severity,
      groupingWindowMinutes: s.grouping_window_minutes,
      flapChanges: s.flap_changes,
      flapWindowMinutes: s.flap_window_minutes,
      keys: (keysOf.get(s.id) ?? []).map((k) => ({
        id: k.id,
        name: k.name,
        mapping: k.mapping as Record<string, unknown> | null,
        silenceMinutes: k.silence_minutes,
      })),
      maintenance: (windowsOf.get(s.id) ?? []).map((w) => ({
        id: w.id,
        start: w.start_at,
        end: w.end_at,
        reason: w.reason,
      })),
    })),
    statusPages: pages.map((p) => ({
      id: p.id,
      slug: p.slug,
      name: p.name,
      teamId: p.team_id,
      timeZone: p.time_zone,
      components: (componentsOf.get(p.id) ?? []).map((c) => ({
        id: c.id,
        name: c.name,
        description: c.description,
        groupId: c.group_id,
        isGroup: c.is_group,
        showcase: c.showcase,
        onlyShowIfDegraded: c.only_show_if_degraded,
        startDate: dateText(c.start_date),
      })),
    })),
  };
}

/** A `date` column as "YYYY-MM-DD" (pg gives a Date at local midnight, or the text). */
function dateText(d: Date | string | null): string | null {
  if (d === null) return null;
  if (typeof d === "string") return d.slice(0, 10);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export async function readApplied(db: ConfigDb): Promise<AppliedRecord[]> {
  const rows = await db
    .selectFrom("config_applies as a")
    .leftJoin("users as u", "u.id", "a.applied_by")
    .select(["a.kind", "a.name", "a.fingerprint", "a.applied_at", "u.username"])
    .orderBy("a.kind")
    .orderBy("a.name")
    .execute();
  return rows.map((r) => ({
    kind: r.kind as Kind,
    name: r.name,
    fingerprint: r.fingerprint,
    appliedAt: r.applied_at,
    appliedBy: r.username,
  }));
}

/** Records the objects' fingerprints after an apply and forgets the deleted ones. */
export async function writeApplied(
  db: ConfigDb,
  records: { kind: Kind; name: string; fingerprint: string }[],
  gone: { kind: Kind; name: string }[],
  at: Date,
  by: number,
): Promise<void> {
  if (records.length)
    await db
      .insertInto("config_applies")
      .values(records.map((r) => ({ ...r, applied_at: at, applied_by: by })))
      .onConflict((oc) =>
        oc.columns(["kind", "name"]).doUpdateSet((eb) => ({
          fingerprint: eb.ref("excluded.fingerprint"),
          applied_at: eb.ref("excluded.applied_at"),
          applied_by: eb.ref("excluded.applied_by"),
        })),
      )
      .execute();
  if (gone.length)
    await db
      .deleteFrom("config_applies")
      .where((eb) => eb.or(gone.map((g) => eb.and([eb("kind", "=", g.kind), eb("name", "=", g.name)]))))
      .execute();
}
