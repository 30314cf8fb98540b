/**
 * The PagerDuty importer (issue 19): an account read through REST API v2 (pagerduty-api.ts) as a
 * configuration document. People by email; teams by a slug made from their name; schedules with
 * their layers (pagerduty-layers.ts) and overrides that have not ended; escalation policies;
 * services with one integration key per PagerDuty integration; maintenance windows that have not
 * ended. What has no Firebreak equivalent is listed in `unmapped` with the reason.
 */
import {
  type ConfigDocument,
  type EscalationPolicyDoc,
  emptyDocument,
  type ScheduleDoc,
  type ServiceDoc,
  type TargetDoc,
  type TeamDoc,
  type UserDoc,
} from "../config/document.ts";
import { coversAny } from "../oncall/rotation.ts";
import { type PdAccount, readAccount } from "./pagerduty-api.ts";
import { translateLayer } from "./pagerduty-layers.ts";
import { scheduleOf } from "./run-oncall.ts";
import type { CheckWindow, CutOver, Importer, ImportResult, SourceOnCall, Unmapped } from "./types.ts";

/** PagerDuty's account roles → Firebreak's. */
const roles: Record<string, UserDoc["role"]> = {
  owner: "admin",
  admin: "admin",
  user: "responder",
  limited_user: "responder",
  restricted_access: "responder",
  observer: "viewer",
  read_only_user: "viewer",
  read_only_limited_user: "viewer",
};
/** Team member roles (manager, responder, observer) → Firebreak's team roles. */
const teamRoles: Record<string, UserDoc["role"]> = {
  manager: "admin",
  responder: "responder",
  observer: "viewer",
};

const MAX_REPEAT = 9;

/** A name made unique among `taken` by a numeric suffix, and remembered. */
function unique(base: string, taken: Set<string>, max: number, sep = "-"): string {
  let name = base.slice(0, max);
  for (let n = 2; taken.has(name.toLowerCase()); n++) {
    const suffix = `${sep}${n}`;
    name = base.slice(0, max - suffix.length) + suffix;
  }
  taken.add(name.toLowerCase());
  return name;
}

function slug(text: string, fallback: string): string {
  const s = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return /^[a-z0-9]/.test(s) ? s : fallback;
}

/** The account as a document; `window.from` is "now" for what has ended or not started. */
export function mapAccount(account: PdAccount, window: CheckWindow): ImportResult {
  const now = window.from;
  const document: ConfigDocument = emptyDocument();
  const unmapped: Unmapped[] = [];
  const cutOver: CutOver[] = [];
  const onCall: SourceOnCall[] = [];

  // People: by email, username the local part made unique.
  const userRefs = new Map<string, string>();
  const usernames = new Set<string>();
  for (const u of account.users) {
    if (!u.email) {
      unmapped.push({
        kind: "user",
        id: u.id,
        name: u.name,
        reason: "has no email address to match people by",
      });
      continue;
    }
    const role = roles[u.role];
    if (!role)
      unmapped.push({
        kind: "user role",
        id: u.id,
        name: `${u.name}: ${u.role}`,
        reason: `role ${JSON.stringify(u.role)} is unknown; imported as a responder`,
      });
    const local = slug(u.email.split("@")[0] ?? "", "user").replace(/^-+/, "");
    const username = unique(local.replace(/[^a-z0-9._-]/g, "-") || "user", usernames, 63);
    document.users.push({
      username,
      name: u.name.slice(0, 200) || username,
      email: u.email,
      role: role ?? "responder",
    });
    userRefs.set(u.id, u.email);
  }
  const userRef = (id: string) => userRefs.get(id);

  // Teams.
  const teamSlugs = new Map<string, string>();
  const slugs = new Set<string>();
  for (const { team, members } of account.teams) {
    const doc: TeamDoc = {
      slug: unique(slug(team.name, "team"), slugs, 63),
      name: team.name.slice(0, 200),
      members: [],
    };
    for (const m of members) {
      const ref = userRef(m.user.id);
      if (!ref) {
        unmapped.push({
          kind: "team member",
          id: m.user.id,
          name: `${team.name} / ${m.user.summary ?? m.user.id}`,
          reason: "not among the account's users",
        });
        continue;
      }
      doc.members.push({ user: ref, role: teamRoles[m.role] ?? "responder" });
    }
    document.teams.push(doc);
    teamSlugs.set(team.id, doc.slug);
  }
  const teamOf = (what: Omit<Unmapped, "reason">, teams: { id: string; summary?: string }[] | undefined) => {
    const [first, ...rest] = teams ?? [];
    if (rest.length)
      unmapped.push({
        ...what,
        reason: `belongs to ${teams?.length} teams; Firebreak gives it one, the first (${first?.summary ?? first?.id}), others: ${rest.map((t) => t.summary ?? t.id).join(", ")}`,
      });
    return first ? teamSlugs.get(first.id) : undefined;
  };

  // Schedules.
  const scheduleNames = new Map<string, string>();
  const names = new Set<string>();
  for (const { schedule: s, overrides } of account.schedules) {
    const name = unique(s.name, names, 100, " ");
    const what = { kind: "schedule", id: s.id, name: s.name };
    const doc: ScheduleDoc = { name, timeZone: s.time_zone, layers: [] };
    const team = teamOf(what, s.teams);
    if (team) doc.team = team;
    // The API lists the top layer first; Firebreak's later layers win, so the order is reversed.
    for (const layer of [...s.schedule_layers].reverse()) {
      const r = translateLayer(layer, { id: s.id, name: s.name, timeZone: s.time_zone }, userRef, now);
      unmapped.push(...r.unmapped);
      if (r.rotation) doc.layers.push(r.rotation);
    }
    if (doc.layers.length === 0) {
      unmapped.push({
        ...what,
        reason: "none of its layers could be imported; Firebreak schedules need one",
      });
      continue;
    }
    const numbered = scheduleOf(doc, () => 1);
    for (const o of overrides) {
      if (new Date(o.end).getTime() <= now.getTime()) continue; // ended: history, not set-up
      const ref = userRef(o.user.id);
      const label = {
        kind: "schedule override",
        id: o.id,
        name: `${s.name}: ${o.user.summary ?? o.user.id} ${o.start} – ${o.end}`,
      };
      if (!ref) {
        unmapped.push({ ...label, reason: "the person is not among the account's users" });
        continue;
      }
      const [lo, hi] = [new Date(o.start).getTime(), new Date(o.end).getTime()];
      if (!numbered.layers.some((l) => coversAny(l, lo, hi))) {
        unmapped.push({
          ...label,
          reason:
            "falls where no imported layer has anyone on call; Firebreak overrides cover someone's shift",
        });
        continue;
      }
      doc.overrides = [
        ...(doc.overrides ?? []),
        { user: ref, start: new Date(o.start).toISOString(), end: new Date(o.end).toISOString() },
      ];
    }
    document.schedules.push(doc);
    scheduleNames.set(s.id, name);
    onCall.push({
      source: { id: s.id, name: s.name },
      schedules: [name],
      shifts: (s.final_schedule?.rendered_schedule_entries ?? []).map((e) => ({
        user:
          (e.user && userRef(e.user.id)) ?? `${e.user?.summary ?? "unknown"} (${e.user?.id ?? "no user"})`,
        start: new Date(e.start),
        end: new Date(e.end),
      })),
    });
  }

  // Escalation policies.
  const policyNames = new Map<string, string>();
  const policies = new Set<string>();
  for (const p of account.escalationPolicies) {
    const what = { kind: "escalation policy", id: p.id, name: p.name };
    const levels: EscalationPolicyDoc["levels"] = [];
    for (const [i, rule] of p.escalation_rules.entries()) {
      const targets: TargetDoc[] = [];
      for (const t of rule.targets) {
        const user = t.type === "user_reference" || t.type === "user" ? userRef(t.id) : undefined;
        const schedule =
          t.type === "schedule_reference" || t.type === "schedule" ? scheduleNames.get(t.id) : undefined;
        if (user) targets.push({ user });
        else if (schedule) targets.push({ schedule });
        else
          unmapped.push({
            kind: "escalation target",
            id: t.id,
            name: `${p.name}, rule ${i + 1}: ${t.summary ?? t.id}`,
            reason:
              t.type === "user_reference" || t.type === "schedule_reference"
                ? `the ${t.type === "user_reference" ? "person" : "schedule"} was not imported (see above)`
                : `target type ${t.type} has no Firebreak equivalent; levels page people and schedules`,
          });
      }
      if (targets.length === 0) {
        unmapped.push({
          kind: "escalation rule",
          id: rule.id,
          name: `${p.name}, rule ${i + 1}`,
          reason: "none of its targets could be imported",
        });
        continue;
      }
      levels.push({ timeoutMinutes: Math.max(1, rule.escalation_delay_in_minutes), targets });
    }
    if (levels.length === 0) {
      unmapped.push({ ...what, reason: "none of its rules could be imported; a policy needs a level" });
      continue;
    }
    const loops = p.num_loops ?? 0;
    if (loops > MAX_REPEAT)
      unmapped.push({
        ...what,
        reason: `repeats ${loops} times; Firebreak repeats at most ${MAX_REPEAT}, imported as ${MAX_REPEAT}`,
      });
    const doc: EscalationPolicyDoc = {
      name: unique(p.name, policies, 100, " "),
      levels,
      repeat: Math.min(Math.max(0, loops), MAX_REPEAT),
    };
    if (p.description) doc.description = p.description.slice(0, 2000);
    const team = teamOf(what, p.teams);
    if (team) doc.team = team;
    document.escalationPolicies.push(doc);
    policyNames.set(p.id, doc.name);
  }

  // Services and their integrations; maintenance windows that have not ended.
  const maintenance = new Map<string, NonNullable<ServiceDoc["maintenance"]>>();
  for (const w of account.maintenanceWindows) {
    if (new Date(w.end_time).getTime() <= now.getTime()) continue; // ended: history, not set-up
    for (const s of w.services) {
      const list = maintenance.get(s.id) ?? [];
      list.push({
        start: new Date(w.start_time).toISOString(),
        end: new Date(w.end_time).toISOString(),
        ...(w.description ? { reason: w.description.slice(0, 500) } : {}),
      });
      maintenance.set(s.id, list);
    }
  }
  const services = new Set<string>();
  for (const s of account.services) {
    const what = { kind: "service", id: s.id, name: s.name };
    const policy = policyNames.get(s.escalation_policy.id);
    if (!policy) {
      unmapped.push({
        ...what,
        reason: `its escalation policy ${s.escalation_policy.summary ?? s.escalation_policy.id} was not imported (see above)`,
      });
      continue;
    }
    const doc: ServiceDoc = { name: unique(s.name, services, 100, " "), escalationPolicy: policy };
    if (s.description) doc.description = s.description.slice(0, 2000);
    const team = teamOf(what, s.teams);
    if (team) doc.team = team;
    if (s.status === "disabled")
      unmapped.push({ ...what, reason: "disabled in PagerDuty; imported as a working service" });
    if (s.acknowledgement_timeout)
      unmapped.push({
        ...what,
        reason: `acknowledgement timeout ${s.acknowledgement_timeout} s: set ackTimeoutMinutes on its escalation policy if wanted`,
      });
    if (s.auto_resolve_timeout)
      unmapped.push({
        ...what,
        reason: `auto-resolve after ${s.auto_resolve_timeout} s has no Firebreak equivalent`,
      });
    const keys = new Set<string>();
    for (const i of s.integrations ?? []) {
      if (i.type.startsWith("generic_email_inbound_integration")) {
        unmapped.push({
          kind: "integration",
          id: i.id,
          name: `${s.name} / ${i.name ?? i.summary ?? i.id}`,
          reason: "an email integration: Firebreak takes alerts over HTTP, not by email",
        });
        continue;
      }
      const name = unique(i.name ?? i.summary ?? i.type, keys, 100, " ");
      doc.integrations = [...(doc.integrations ?? []), { name }];
      cutOver.push({
        service: doc.name,
        integration: name,
        source: { id: i.id, name: i.name ?? i.summary ?? i.id, type: i.type },
      });
    }
    const windows = maintenance.get(s.id);
    if (windows) doc.maintenance = windows;
    maintenance.delete(s.id);
    document.services.push(doc);
  }
  for (const w of account.maintenanceWindows) {
    for (const s of w.services) {
      if (maintenance.has(s.id))
        unmapped.push({
          kind: "maintenance window",
          id: w.id,
          name: `${s.summary ?? s.id} ${w.start_time} – ${w.end_time}`,
          reason: "its service was not imported (see above)",
        });
    }
  }
  return { document, unmapped, cutOver, onCall };
}

export const pagerdutyImporter: Importer = {
  vendor: "pagerduty",
  defaultBaseUrl: "https://api.pagerduty.com",
  authHeaders: (token) => ({
    authorization: `Token token=${token}`,
    accept: "application/vnd.pagerduty+json;version=2",
  }),
  async read(source, window) {
    return mapAccount(await readAccount(source, window), window);
  },
};
