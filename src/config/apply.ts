/**
 * Configuration as code: the writes of one apply, inside its transaction, through the owning
 * capabilities' store functions (people, teams, schedules, escalation policies, services and
 * their keys, status pages). The plan (model.ts) says what changes; this carries it out in order.
 */
import { randomBytes } from "node:crypto";
import { renameSync, writeFileSync } from "node:fs";
import type { GenericMapping } from "../alerts/model.ts";
import { silenceTimerKey } from "../alerts/source-silence.ts";
import type { AlertDb } from "../alerts/store.ts";
import * as alertStore from "../alerts/store.ts";
import type { OncallDb } from "../oncall/store.ts";
import * as oncallStore from "../oncall/store.ts";
import type { Level } from "../paging/model.ts";
import { defaultBusinessHours } from "../paging/model.ts";
import type { PagingDb } from "../paging/store.ts";
import * as pagingStore from "../paging/store.ts";
import { type Actor, hashToken } from "../platform/auth.ts";
import type { Db } from "../platform/db.ts";
import type { Jobs } from "../platform/jobs.ts";
import type { StatusDb } from "../statuspage/store.ts";
import * as statusStore from "../statuspage/store.ts";
import * as userStore from "../users/store.ts";
import * as teamStore from "../users/teams-store.ts";
import type { DocumentProblem } from "./check.ts";
import type { ConfigDocument, ScheduleDoc, ServiceDoc } from "./document.ts";
import { type Change, DEFAULT_ACK_TIMEOUT, refId, SERVICE_DEFAULTS, type ServerState } from "./model.ts";
import type { ConfigDb } from "./store.ts";

/** An integration key issued by an apply: its secret is shown this once. */
export type IssuedKey = { service: string; integration: string; keyId: number; key: string; hint: string };

/** A new key's secret, as the integration-keys API makes one (src/alerts/service.ts). */
const newKeySecret = () => randomBytes(16).toString("hex");

export async function applyChanges(
  tx: ConfigDb,
  ctx: {
    actor: Actor;
    now: Date;
    state: ServerState;
    want: ConfigDocument;
    changes: Change[];
    jobs: Jobs;
    /** The error for problems found while writing (they roll the whole apply back). */
    problem: (problems: DocumentProblem[]) => Error;
  },
): Promise<{ issuedKeys: IssuedKey[]; statusPages: number[] }> {
  const { actor, now, state, want, jobs } = ctx;
  const asDb = tx as unknown as Db;
  const asOncall = tx as unknown as OncallDb;
  const asPaging = tx as unknown as PagingDb;
  const asAlert = tx as unknown as AlertDb;
  const asStatus = tx as unknown as StatusDb;
  const changed = (kind: Change["kind"], name: string) =>
    ctx.changes.find((c) => c.kind === kind && c.name === name && c.action !== "delete");

  // -- identities: people, teams, schedules, policies by their document names ---------------------
  const userIds = new Map<string, number>();
  const userByName = new Map(state.users.map((u) => [u.username, u]));
  const person = (ref: string): number => {
    const id = refId(ref) ?? userIds.get(ref);
    if (id === undefined) throw new Error(`unresolved person ${ref}`);
    return id;
  };
  const teamIds = new Map(state.teams.map((t) => [t.slug, t.id]));
  const defaultTeamId = state.teams.find((t) => t.isDefault)?.id;
  const teamOf = (slug: string | undefined) => (slug === undefined ? defaultTeamId : teamIds.get(slug));
  const scheduleIds = new Map(state.schedules.map((s) => [s.name, s.id]));
  const policyIds = new Map(state.policies.map((p) => [p.name, p.id]));
  const serviceIds = new Map(state.services.map((s) => [s.name, s.id]));
  const pageIds = new Map(state.statusPages.map((p) => [p.slug, p.id]));
  const touchedPages = new Set<number>();
  const issuedKeys: IssuedKey[] = [];

  // -- people ---------------------------------------------------------------------------------------
  for (const u of want.users) {
    const c = changed("user", u.username);
    const existing = userByName.get(u.username);
    if (!existing) {
      // No password: they sign in with single sign-on, or an admin sets one.
      const made = await userStore.insertUser(asDb, {
        username: u.username,
        name: u.name,
        email: u.email ?? null,
        role: u.role,
        createdAt: now,
      });
      userIds.set(`+${u.username}`, made.id);
    } else if (c) {
      await userStore.updateUser(asDb, existing.id, { name: u.name, email: u.email ?? null, role: u.role });
    }
  }
  if (want.users.length && (await userStore.countActiveAdmins(asDb)) === 0)
    throw ctx.problem([
      {
        path: "users",
        message: "this would leave no active admin; keep at least one person with role admin",
      },
    ]);

  // -- teams: their members are exactly the file's ------------------------------------------------------
  for (const t of want.teams) {
    const c = changed("team", t.slug);
    let id = teamIds.get(t.slug);
    if (id === undefined) {
      id = (await teamStore.insertTeam(asDb, { slug: t.slug, name: t.name, at: now })).id;
      teamIds.set(t.slug, id);
    } else if (c?.fields?.includes("name")) await teamStore.renameTeam(asDb, id, t.name);
    // Always: people made above joined the default team on their own (a trigger does that).
    const members = (t.members ?? []).map((m) => ({ userId: person(m.user), role: m.role }));
    await tx
      .deleteFrom("team_members")
      .where("team_id", "=", id)
      .where("user_id", "not in", members.length ? members.map((m) => m.userId) : [0])
      .execute();
    for (const m of members) await teamStore.setMember(asDb, id, m.userId, m.role);
  }

  // -- schedules ------------------------------------------------------------------------------------------
  for (const s of want.schedules) {
    const c = changed("schedule", s.name);
    if (!c) continue;
    const body = {
      name: s.name,
      timeZone: s.timeZone,
      teamId: teamOf(s.team),
      layers: s.layers.map((l) => ({
        name: l.name,
        timeZone: l.timeZone,
        participants: l.participants.map(person),
        shiftLength: l.shiftLength,
        start: l.start,
        ...(l.restrictions?.length ? { restrictions: l.restrictions } : {}),
      })),
    };
    let id = scheduleIds.get(s.name);
    if (id === undefined) {
      id = await oncallStore.insertSchedule(asOncall, body, now);
      scheduleIds.set(s.name, id);
    } else await oncallStore.updateSchedule(asOncall, id, body, now);
    if (s.overrides !== undefined) await syncOverrides(id, s);
  }

  async function syncOverrides(scheduleId: number, s: ScheduleDoc) {
    const have = state.schedules.find((x) => x.id === scheduleId)?.overrides ?? [];
    const keyOf = (o: { userId: number; start: Date; end: Date; reason: string }) =>
      `${o.userId} ${o.start.toISOString()} ${o.end.toISOString()} ${o.reason}`;
    const wanted = (s.overrides ?? []).map((o) => ({
      userId: person(o.user),
      start: new Date(o.start),
      end: new Date(o.end),
      reason: o.reason ?? "",
    }));
    const wantedKeys = new Set(wanted.map(keyOf));
    const haveKeys = new Set(have.map(keyOf));
    for (const o of have)
      if (!wantedKeys.has(keyOf(o))) await oncallStore.deleteOverride(asOncall, scheduleId, o.id);
    for (const o of wanted)
      if (!haveKeys.has(keyOf(o)))
        await oncallStore.insertOverride(asOncall, { scheduleId, ...o, createdBy: actor.id }, now);
  }

  // -- escalation policies -----------------------------------------------------------------------------
  for (const p of want.escalationPolicies) {
    if (!changed("escalationPolicy", p.name)) continue;
    const levels: Level[] = p.levels.map((l) => ({
      timeoutMinutes: l.timeoutMinutes,
      targets: l.targets.map((t) =>
        "user" in t
          ? { kind: "user" as const, id: person(t.user) }
          : { kind: "schedule" as const, id: scheduleIds.get(t.schedule)! },
      ),
    }));
    const body = {
      name: p.name,
      description: p.description ?? "",
      levels,
      repeat: p.repeat ?? 0,
      ackTimeoutMinutes: p.ackTimeoutMinutes ?? DEFAULT_ACK_TIMEOUT,
      businessHours: p.businessHours ?? defaultBusinessHours,
      managed: false,
      teamId: teamOf(p.team),
    };
    const id = policyIds.get(p.name);
    if (id === undefined) policyIds.set(p.name, (await pagingStore.insertPolicy(asPaging, body, now)).id);
    else await pagingStore.updatePolicy(asPaging, { ...body, id }, now);
  }

  // -- services, their integration keys and maintenance windows ------------------------------------------
  for (const s of want.services) {
    const c = changed("service", s.name);
    let id = serviceIds.get(s.name);
    if (c) {
      const row = {
        name: s.name,
        description: s.description ?? "",
        escalation_policy_id: policyIds.get(s.escalationPolicy)!,
        incident_type: s.incidentType ?? null,
        incident_severity: s.incidentSeverity ?? null,
        grouping_window_minutes: s.groupingWindowMinutes ?? SERVICE_DEFAULTS.groupingWindowMinutes,
        flap_changes: s.flapChanges ?? SERVICE_DEFAULTS.flapChanges,
        flap_window_minutes: s.flapWindowMinutes ?? SERVICE_DEFAULTS.flapWindowMinutes,
        team_id: teamOf(s.team),
      };
      if (id === undefined) {
        id = (await alertStore.insertService(asAlert, { ...row, created_at: now, updated_at: now })).id;
        serviceIds.set(s.name, id);
      } else await alertStore.updateService(asAlert, id, { ...row, updated_at: now });
      if (s.maintenance !== undefined) await syncMaintenance(id, s);
    }
    for (const k of s.integrations ?? []) {
      const kc = changed("integration", `${s.name}/${k.name}`);
      if (!kc || id === undefined) continue;
      const serviceId = id;
      const existing = state.services.find((x) => x.id === serviceId)?.keys.find((x) => x.name === k.name);
      let keyId = existing?.id;
      if (keyId === undefined) {
        const secret = newKeySecret();
        const row = await alertStore.insertKey(
          asAlert,
          {
            service_id: serviceId,
            name: k.name,
            key_hash: hashToken(secret),
            key_hint: secret.slice(-4),
            mapping: (k.mapping as GenericMapping | undefined) ?? null,
          },
          now,
        );
        keyId = row.id;
        issuedKeys.push({ service: s.name, integration: k.name, keyId, key: secret, hint: row.key_hint });
      } else if (kc.fields?.includes("mapping")) {
        await tx
          .updateTable("integration_keys")
          .set({ mapping: k.mapping === undefined ? null : JSON.stringify(k.mapping) })
          .where("id", "=", keyId)
          .execute();
      }
      if (existing === undefined ? k.silenceMinutes !== undefined : kc.fields?.includes("silenceMinutes")) {
        // Source silence, as setting it through the API does: the rule and its timer, from now.
        const minutes = k.silenceMinutes ?? null;
        await alertStore.setKeySilence(asAlert, serviceId, keyId, minutes, now);
        if (minutes === null) await jobs.remove(tx, silenceTimerKey(keyId));
        else
          await jobs.add(
            tx,
            "source-silence.check",
            { keyId },
            { runAt: new Date(now.getTime() + minutes * 60_000), key: silenceTimerKey(keyId) },
          );
      }
    }
  }

  async function syncMaintenance(serviceId: number, s: ServiceDoc) {
    const have = state.services.find((x) => x.id === serviceId)?.maintenance ?? [];
    const keyOf = (m: { start: Date; end: Date; reason: string }) =>
      `${m.start.toISOString()} ${m.end.toISOString()} ${m.reason}`;
    const wanted = (s.maintenance ?? []).map((m) => ({
      start: new Date(m.start),
      end: new Date(m.end),
      reason: m.reason ?? "",
    }));
    const wantedKeys = new Set(wanted.map(keyOf));
    const haveKeys = new Set(have.map(keyOf));
    for (const m of have)
      if (!wantedKeys.has(keyOf(m))) await alertStore.deleteMaintenance(asAlert, serviceId, m.id);
    for (const m of wanted)
      if (!haveKeys.has(keyOf(m)))
        await alertStore.insertMaintenance(
          asAlert,
          { service_id: serviceId, start_at: m.start, end_at: m.end, reason: m.reason, created_by: actor.id },
          now,
        );
  }

  // -- status pages and their components ------------------------------------------------------------------
  for (const p of want.statusPages) {
    const c = changed("statusPage", p.slug);
    let id = pageIds.get(p.slug);
    const timeZone = p.timeZone ?? "UTC";
    if (id === undefined) {
      id = (
        await statusStore.insertPage(
          asStatus,
          { slug: p.slug, name: p.name, time_zone: timeZone, team_id: teamOf(p.team) },
          now,
        )
      ).id;
      pageIds.set(p.slug, id);
      touchedPages.add(id);
    } else if (c) {
      await tx
        .updateTable("status_pages")
        .set({ name: p.name, time_zone: timeZone, team_id: teamOf(p.team), updated_at: now })
        .where("id", "=", id)
        .execute();
      touchedPages.add(id);
    }
    const components = p.components ?? [];
    if (!components.some((x) => changed("component", `${p.slug}/${x.name}`))) continue;
    touchedPages.add(id);
    const pageId = id;
    const existing = new Map(
      (state.statusPages.find((x) => x.id === pageId)?.components ?? []).map((x) => [x.name, x.id]),
    );
    // Made first without groups, then every named component gets its group and its place.
    for (const x of components) {
      if (existing.has(x.name)) continue;
      const made = await statusStore.insertComponent(
        asStatus,
        {
          page_id: pageId,
          name: x.name,
          description: null,
          status: "operational",
          group_id: null,
          is_group: false,
          position: 0,
          showcase: true,
          only_show_if_degraded: false,
          start_date: null,
        },
        now,
      );
      await statusStore.recordChange(asStatus, made.id, "operational", now);
      existing.set(x.name, made.id);
    }
    for (const [position, x] of components.entries()) {
      await statusStore.updateComponent(asStatus, existing.get(x.name)!, {
        description: x.description ?? null,
        group_id: x.group === undefined ? null : (existing.get(x.group) ?? null),
        is_group: x.isGroup ?? false,
        position,
        showcase: x.showcase ?? true,
        only_show_if_degraded: x.onlyShowIfDegraded ?? false,
        start_date: x.startDate ?? null,
        updated_at: now,
      });
    }
    await statusStore.touchPage(asStatus, pageId, now);
  }

  // -- deletions (prune), dependants first ------------------------------------------------------------------
  for (const c of ctx.changes) {
    if (c.action !== "delete") continue;
    if (c.kind === "component") {
      const [slug, ...rest] = c.name.split("/");
      const page = state.statusPages.find((p) => p.slug === slug);
      const comp = page?.components.find((x) => x.name === rest.join("/"));
      if (page && comp) {
        await statusStore.deleteComponent(asStatus, page.id, comp.id);
        touchedPages.add(page.id);
      }
    } else if (c.kind === "statusPage") {
      const id = pageIds.get(c.name);
      if (id !== undefined) {
        await tx.deleteFrom("status_pages").where("id", "=", id).execute();
        touchedPages.add(id);
      }
    } else if (c.kind === "integration") {
      const [serviceName, ...rest] = c.name.split("/");
      const s = state.services.find((x) => x.name === serviceName);
      const k = s?.keys.find((x) => x.name === rest.join("/"));
      if (s && k) {
        await alertStore.deleteKey(asAlert, s.id, k.id);
        await jobs.remove(tx, silenceTimerKey(k.id));
      }
    } else if (c.kind === "service") {
      const id = serviceIds.get(c.name);
      if (id !== undefined) await alertStore.deleteService(asAlert, id);
    } else if (c.kind === "escalationPolicy") {
      const id = policyIds.get(c.name);
      if (id === undefined) continue;
      if (await pagingStore.policyHasPages(asPaging, id))
        throw ctx.problem([
          {
            path: "escalationPolicies",
            message: `prune would delete escalation policy ${JSON.stringify(c.name)}, which has pages (kept for their history); keep it in the file`,
          },
        ]);
      const users = await tx
        .selectFrom("services")
        .select("name")
        .where("escalation_policy_id", "=", id)
        .execute();
      if (users.length)
        throw ctx.problem([
          {
            path: "escalationPolicies",
            message: `prune would delete escalation policy ${JSON.stringify(c.name)}, which services ${users.map((u) => u.name).join(", ")} still use; keep it in the file`,
          },
        ]);
      await pagingStore.deletePolicy(asPaging, id);
    } else if (c.kind === "schedule") {
      const id = scheduleIds.get(c.name);
      if (id !== undefined) await oncallStore.deleteSchedule(asOncall, id);
    } else if (c.kind === "team") {
      const id = teamIds.get(c.name);
      if (id === undefined) continue;
      const owned = await teamStore.ownedCounts(asDb, id);
      const left = Object.entries(owned).filter(([, n]) => n > 0);
      if (left.length)
        throw ctx.problem([
          {
            path: "teams",
            message: `prune would delete team ${JSON.stringify(c.name)}, which still owns ${left.map(([k, n]) => `${n} ${k}`).join(", ")} (managed by the policy file, or moved to it meanwhile); keep it in the file`,
          },
        ]);
      await teamStore.deleteTeam(asDb, id);
    }
  }

  return { issuedKeys, statusPages: [...touchedPages] };
}

/** Writes the policy file whole or not at all: a temporary file beside it, renamed over it. */
export function writePolicyFile(path: string, text: string): void {
  const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(temp, text, "utf8");
  renameSync(temp, path);
}
