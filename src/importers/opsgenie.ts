/**
 * The Opsgenie importer (issue 19): an Opsgenie account read through its REST API
 * (opsgenie-api.ts) becomes a configuration document. People by email (Opsgenie's username is
 * one), teams with their members, schedules (opsgenie-schedules.ts, rotations in
 * opsgenie-rotation.ts), escalations as escalation policies, services with their team's
 * escalation, the team's integrations as the service's new keys (Opsgenie integrations belong to
 * teams, not services) and scheduled maintenance on those integrations. What has no place in
 * Firebreak is listed with the reason.
 */
import {
  type ConfigDocument,
  configDocument,
  DOCUMENT_VERSION,
  type EscalationPolicyDoc,
  type ServiceDoc,
  type TargetDoc,
  type TeamDoc,
  type UserDoc,
} from "../config/document.ts";
import {
  type OgEscalation,
  type OgParticipant,
  type OgTeam,
  type OpsgenieAccount,
  readOpsgenie,
} from "./opsgenie-api.ts";
import { mapSchedules, type People } from "./opsgenie-schedules.ts";
import type { CheckWindow, CutOver, Importer, ImportResult, Unmapped } from "./types.ts";

const emailLike = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Opsgenie's account roles: owners and admins administer, users respond, the rest (Stakeholder, Observer, custom roles) watch. */
function roleOf(name: string | undefined): UserDoc["role"] {
  const n = (name ?? "").toLowerCase();
  if (n === "owner" || n === "admin") return "admin";
  if (n === "user") return "responder";
  return "viewer";
}

function uniqueName(used: Set<string>, base: string, max: number, sep = "-") {
  let n = base.slice(0, max);
  for (let i = 2; used.has(n); i++) n = `${base.slice(0, max - 4)}${sep}${i}`;
  used.add(n);
  return n;
}

function usersOf(account: OpsgenieAccount) {
  const users: UserDoc[] = [];
  const refById = new Map<string, string>();
  const refByUsername = new Map<string, string>();
  const usernames = new Set<string>();
  for (const u of account.users) {
    const email = emailLike.test(u.username) ? u.username.toLowerCase() : undefined;
    const local = (email ? email.split("@")[0]! : u.username).toLowerCase();
    const base = local.replace(/[^a-z0-9._-]+/g, "-").replace(/^[^a-z0-9]+/, "") || "user";
    const username = uniqueName(usernames, base, 63);
    users.push({
      username,
      name: (u.fullName || u.username).slice(0, 200),
      ...(email ? { email } : {}),
      role: roleOf(u.role?.name),
    });
    const ref = email ?? username;
    refById.set(u.id, ref);
    refByUsername.set(u.username.toLowerCase(), ref);
  }
  const people: People = {
    person(p: OgParticipant) {
      if (p.type === "user") {
        const ref =
          (p.id ? refById.get(p.id) : undefined) ??
          (p.username ? refByUsername.get(p.username.toLowerCase()) : undefined) ??
          (p.name ? refByUsername.get(p.name.toLowerCase()) : undefined);
        if (ref) return { ref };
        return { reason: `user ${p.username ?? p.name ?? p.id} is not among the account's users` };
      }
      if (p.type === "team") {
        return { reason: `team ${p.name ?? p.id} takes turns as a team; Firebreak rotations take people` };
      }
      if (p.type === "escalation") {
        return { reason: `escalation ${p.name ?? p.id} takes turns; Firebreak rotations take people` };
      }
      return { reason: `participant type ${JSON.stringify(p.type)} is not a person` };
    },
  };
  return { users, people };
}

function teamsOf(account: OpsgenieAccount, people: People, unmapped: Unmapped[]) {
  const slugs = new Set<string>();
  const slugById = new Map<string, string>();
  const teams: TeamDoc[] = [];
  for (const t of account.teams) {
    const base =
      t.name
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "-")
        .replace(/^-+|-+$/g, "") || "team";
    const slug = uniqueName(slugs, base, 63);
    slugById.set(t.id, slug);
    const members: TeamDoc["members"] = [];
    for (const m of t.members) {
      const who = people.person({ type: "user", id: m.user.id, username: m.user.username });
      if ("reason" in who) {
        unmapped.push({
          kind: "team member",
          id: m.user.id ?? "",
          name: `${t.name}: ${m.user.username}`,
          reason: who.reason,
        });
        continue;
      }
      members.push({ user: who.ref, role: m.role.toLowerCase() === "admin" ? "admin" : "responder" });
    }
    teams.push({ slug, name: t.name.slice(0, 200), members });
  }
  return { teams, teamSlug: (id: string | undefined) => (id ? slugById.get(id) : undefined) };
}

/** Opsgenie delays count from the alert's creation, in minutes unless said otherwise. */
function delayMinutes(d: OgEscalation["rules"][number]["delay"]) {
  const unit = (d.timeUnit ?? "minutes").toLowerCase();
  return d.timeAmount * (unit === "hours" ? 60 : unit === "days" ? 1440 : 1);
}

/** A team's own escalation: Opsgenie names the one it creates with the team "<team>_escalation". */
function teamEscalation(account: OpsgenieAccount, team: OgTeam): OgEscalation | undefined {
  const owned = account.escalations.filter(
    (e) => e.ownerTeam?.id === team.id || e.ownerTeam?.name === team.name,
  );
  return (
    owned.find((e) => e.name === `${team.name}_escalation`) ?? (owned.length === 1 ? owned[0] : undefined)
  );
}

/** Used when nothing follows the last level: Firebreak still wants a timeout there, and nothing waits on it. */
const LAST_LEVEL_MINUTES = 30;

function escalationsOf(
  account: OpsgenieAccount,
  people: People,
  teamSlug: (id: string | undefined) => string | undefined,
  scheduleNames: Map<string, string[]>,
  unmapped: Unmapped[],
): EscalationPolicyDoc[] {
  const policies: EscalationPolicyDoc[] = [];
  const teamsById = new Map(account.teams.map((t) => [t.id, t]));
  const teamsByName = new Map(account.teams.map((t) => [t.name, t]));

  const targetsOf = (
    e: OgEscalation,
    rule: OgEscalation["rules"][number],
    nested: boolean,
  ): TargetDoc[] | { reason: string } => {
    const r = rule.recipient;
    const notify = rule.notifyType.toLowerCase();
    if (r.type === "user") {
      if (notify !== "default")
        return { reason: `notify type ${notify} applies to teams and schedules, not a user` };
      const who = people.person(r);
      return "ref" in who ? [{ user: who.ref }] : who;
    }
    if (r.type === "schedule") {
      if (notify !== "default") {
        return {
          reason: `notifies the ${notify} person on call in schedule ${r.name ?? r.id}; Firebreak notifies whoever is on call now`,
        };
      }
      const id = r.id ?? account.schedules.find((s) => s.name === r.name)?.id ?? "";
      const names = scheduleNames.get(id) ?? [];
      if (names.length === 0) return { reason: `schedule ${r.name ?? r.id} was not imported` };
      return names.map((schedule) => ({ schedule }));
    }
    if (r.type === "team") {
      const team = (r.id ? teamsById.get(r.id) : undefined) ?? (r.name ? teamsByName.get(r.name) : undefined);
      if (!team) return { reason: `team ${r.name ?? r.id} is not among the account's teams` };
      if (notify === "all" || notify === "admins" || notify === "users") {
        const members = team.members.filter(
          (m) => notify === "all" || (m.role.toLowerCase() === "admin") === (notify === "admins"),
        );
        const refs = members.flatMap((m) => {
          const who = people.person({ type: "user", id: m.user.id, username: m.user.username });
          return "ref" in who ? [{ user: who.ref }] : [];
        });
        return refs.length > 0
          ? refs
          : { reason: `team ${team.name} has no ${notify === "all" ? "" : `${notify} `}members to notify` };
      }
      // "default": the team's routing, which is its escalation; Firebreak levels cannot hold a
      // policy, so only a team escalation that notifies everyone at once can stand in for it.
      const own = teamEscalation(account, team);
      const clear =
        !nested &&
        own &&
        own.id !== e.id &&
        own.rules.length > 0 &&
        own.rules.every((x) => delayMinutes(x.delay) === 0);
      if (!clear || !own) {
        return {
          reason: `notifies team ${team.name} through its routing; Firebreak levels notify people and schedules, and the team's escalation ${own ? `(${own.name}) escalates over time` : "is not clear (none or several)"}: point this level at the team's schedules`,
        };
      }
      const inner = own.rules.map((x) => targetsOf(own, x, true));
      const bad = inner.find((x): x is { reason: string } => !Array.isArray(x));
      if (bad) return { reason: `team ${team.name}'s escalation ${own.name}: ${bad.reason}` };
      return (inner as TargetDoc[][]).flat();
    }
    return { reason: `recipient type ${JSON.stringify(r.type)} is not a user, schedule or team` };
  };

  for (const e of account.escalations) {
    const label = (rule?: number) => ({
      kind: rule === undefined ? "escalation" : "escalation rule",
      id: e.id,
      name: rule === undefined ? e.name : `${e.name} rule ${rule + 1}`,
    });
    const groups = new Map<number, TargetDoc[]>();
    e.rules.forEach((rule, i) => {
      if (rule.condition !== "if-not-acked") {
        unmapped.push({
          ...label(i),
          reason: `condition ${rule.condition}: Firebreak escalates until someone acknowledges, so this rule is imported as if-not-acked`,
        });
      }
      const targets = targetsOf(e, rule, false);
      if (!Array.isArray(targets)) {
        unmapped.push({ ...label(i), reason: targets.reason });
        return;
      }
      const at = delayMinutes(rule.delay);
      const list = groups.get(at) ?? [];
      for (const t of targets) if (!list.some((x) => JSON.stringify(x) === JSON.stringify(t))) list.push(t);
      groups.set(at, list);
    });
    const delays = [...groups.keys()].sort((a, b) => a - b);
    if (delays.length === 0) {
      unmapped.push({
        ...label(),
        reason: "none of its rules could be imported; services using it are left out",
      });
      continue;
    }
    if (delays[0]! > 0) {
      unmapped.push({
        ...label(),
        reason: `its first rule waits ${delays[0]} minutes after the alert; Firebreak notifies the first level at once`,
      });
    }
    const repeatCount = e.repeat?.count ?? 0;
    if (repeatCount > 9) {
      unmapped.push({
        ...label(),
        reason: `repeats ${repeatCount} times; Firebreak repeats a policy at most 9 times`,
      });
    }
    const levels = delays.map((d, i) => ({
      // Opsgenie counts each rule's delay from the alert; a Firebreak level waits its own time.
      timeoutMinutes:
        i + 1 < delays.length
          ? delays[i + 1]! - d
          : repeatCount > 0
            ? Math.max(1, Math.round(e.repeat?.waitInterval ?? 1))
            : LAST_LEVEL_MINUTES,
      targets: groups.get(d)!,
    }));
    const team = teamSlug(e.ownerTeam?.id ?? account.teams.find((t) => t.name === e.ownerTeam?.name)?.id);
    policies.push({
      name: e.name.slice(0, 100),
      ...(team ? { team } : {}),
      ...(e.description ? { description: e.description.slice(0, 2000) } : {}),
      levels,
      repeat: Math.min(9, repeatCount),
    });
  }
  return policies;
}

function servicesOf(
  account: OpsgenieAccount,
  teamSlug: (id: string | undefined) => string | undefined,
  policies: EscalationPolicyDoc[],
  window: CheckWindow,
  unmapped: Unmapped[],
): { services: ServiceDoc[]; cutOver: CutOver[] } {
  const services: ServiceDoc[] = [];
  const cutOver: CutOver[] = [];
  const used = new Set<string>();
  const imported = new Set(policies.map((p) => p.name));
  const policyOf = (teamId: string | undefined): string | { reason: string } => {
    const team = account.teams.find((t) => t.id === teamId);
    if (!team) return { reason: `its team ${teamId ?? "(none)"} is not among the account's teams` };
    const own = teamEscalation(account, team);
    if (!own)
      return {
        reason: `team ${team.name} has no escalation of its own (or several, none named ${team.name}_escalation)`,
      };
    if (!imported.has(own.name))
      return { reason: `team ${team.name}'s escalation ${own.name} was not imported` };
    return own.name;
  };
  // The service each team's integrations go to: its first service by name, else one named after it.
  const serviceOfTeam = new Map<string, ServiceDoc>();

  for (const s of [...account.services].sort((a, b) => a.name.localeCompare(b.name))) {
    const policy = policyOf(s.teamId);
    if (typeof policy !== "string") {
      unmapped.push({ kind: "service", id: s.id, name: s.name, reason: policy.reason });
      continue;
    }
    const team = teamSlug(s.teamId);
    const doc: ServiceDoc = {
      name: uniqueName(used, s.name, 100, " "),
      ...(team ? { team } : {}),
      ...(s.description ? { description: s.description.slice(0, 2000) } : {}),
      escalationPolicy: policy,
    };
    services.push(doc);
    if (s.teamId && !serviceOfTeam.has(s.teamId)) serviceOfTeam.set(s.teamId, doc);
  }

  const integrationService = new Map<string, ServiceDoc>();
  for (const i of account.integrations) {
    const label = { kind: "integration", id: i.id, name: `${i.name} (${i.type})` };
    if (!i.teamId) {
      unmapped.push({
        ...label,
        reason:
          "belongs to no team, so there is no service to give its key to; create a key on the service its alerts are for",
      });
      continue;
    }
    let service = serviceOfTeam.get(i.teamId);
    if (!service) {
      const team = account.teams.find((t) => t.id === i.teamId);
      const policy = policyOf(i.teamId);
      if (!team || typeof policy !== "string") {
        unmapped.push({
          ...label,
          reason: typeof policy === "string" ? "its team is unknown" : policy.reason,
        });
        continue;
      }
      const slug = teamSlug(team.id);
      service = {
        name: uniqueName(used, team.name, 100, " "),
        ...(slug ? { team: slug } : {}),
        escalationPolicy: policy,
      };
      services.push(service);
      serviceOfTeam.set(i.teamId, service);
    }
    const taken = new Set((service.integrations ?? []).map((x) => x.name));
    const name = uniqueName(taken, i.name, 100, " ");
    service.integrations = [...(service.integrations ?? []), { name }];
    integrationService.set(i.id, service);
    cutOver.push({
      service: service.name,
      integration: name,
      source: { id: i.id, name: i.name, type: i.type },
    });
  }

  for (const m of account.maintenance) {
    const label = { kind: "maintenance", id: m.id, name: m.description || m.id };
    const end = m.time.endDate ? Date.parse(m.time.endDate) : Number.NaN;
    if (m.time.type !== "schedule") {
      unmapped.push({
        ...label,
        reason: `time type ${m.time.type} runs from when it was switched on, not over set dates; Firebreak maintenance windows have a start and an end`,
      });
      continue;
    }
    const start = m.time.startDate ? Date.parse(m.time.startDate) : Number.NaN;
    if (Number.isNaN(start) || Number.isNaN(end) || end <= start) {
      unmapped.push({ ...label, reason: "its start and end dates are not a time span" });
      continue;
    }
    if (end <= window.from.getTime()) continue; // over: history, not set-up
    for (const rule of m.rules ?? []) {
      if (rule.state !== "enabled") continue;
      if (rule.entity.type !== "integration") {
        unmapped.push({
          ...label,
          reason: `applies to ${rule.entity.type} ${rule.entity.id}; Firebreak maintenance silences a service's alerts, not a ${rule.entity.type}`,
        });
        continue;
      }
      const service = integrationService.get(rule.entity.id);
      if (!service) {
        unmapped.push({ ...label, reason: `its integration ${rule.entity.id} was not imported` });
        continue;
      }
      const doc = {
        start: new Date(start).toISOString(),
        end: new Date(end).toISOString(),
        ...(m.description ? { reason: m.description.slice(0, 500) } : {}),
      };
      if ((service.maintenance ?? []).some((x) => x.start === doc.start && x.end === doc.end)) continue;
      service.maintenance = [...(service.maintenance ?? []), doc];
      if ((service.integrations ?? []).length > 1) {
        unmapped.push({
          ...label,
          reason: `covers integration ${rule.entity.id} only; in Firebreak it covers all of service ${service.name}, which has other keys`,
        });
      }
    }
  }
  return { services, cutOver };
}

/** The document and reports for an account already read; pure, so tests give it recorded answers. */
export function mapOpsgenie(account: OpsgenieAccount, window: CheckWindow): ImportResult {
  const unmapped: Unmapped[] = [];
  const { users, people } = usersOf(account);
  const { teams, teamSlug } = teamsOf(account, people, unmapped);
  const sched = mapSchedules(account, people, teamSlug, window);
  unmapped.push(...sched.unmapped);
  const escalationPolicies = escalationsOf(account, people, teamSlug, sched.names, unmapped);
  const { services, cutOver } = servicesOf(account, teamSlug, escalationPolicies, window, unmapped);
  const document: ConfigDocument = configDocument.parse({
    version: DOCUMENT_VERSION,
    users,
    teams,
    schedules: sched.schedules,
    escalationPolicies,
    services,
    statusPages: [],
  });
  return { document, unmapped, cutOver, onCall: sched.onCall };
}

export const opsgenieImporter: Importer = {
  vendor: "opsgenie",
  defaultBaseUrl: "https://api.opsgenie.com",
  authHeaders: (token) => ({ authorization: `GenieKey ${token}` }),
  async read(source, window) {
    return mapOpsgenie(await readOpsgenie(source, window), window);
  },
};
