/**
 * Configuration as code, the pure core: the server's set-up as a document, the per-object
 * difference between two documents, and drift. No I/O, no clock. The stable (normalised) form of a
 * document is in stable.ts.
 *
 * Plan and apply compare documents, not rows: the server's state is turned into a document whose
 * user references are `#<id>`, and the file's references are resolved to the same identities
 * (check.ts), so one comparison serves plan, apply, drift and the property test.
 */
import { createHash } from "node:crypto";
import type { Level } from "../paging/model.ts";
import { canonicalJson } from "../platform/idempotency-key.ts";
import { type ConfigDocument, DOCUMENT_VERSION } from "./document.ts";
import { compact, normalise } from "./stable.ts";

export { DEFAULT_ACK_TIMEOUT, normalise, SERVICE_DEFAULTS } from "./stable.ts";

export type Role = "viewer" | "responder" | "admin";

/** The configuration as stored, read in a handful of queries (store.ts). */
export type ServerState = {
  users: { id: number; username: string; name: string; email: string | null; role: Role; active: boolean }[];
  teams: {
    id: number;
    slug: string;
    name: string;
    isDefault: boolean;
    members: { userId: number; role: Role }[];
  }[];
  schedules: {
    id: number;
    name: string;
    teamId: number;
    timeZone: string;
    layers: StoredRotation[];
    /** Overrides that have not ended. */
    overrides: { id: number; userId: number; start: Date; end: Date; reason: string }[];
  }[];
  policies: {
    id: number;
    name: string;
    teamId: number;
    description: string;
    levels: Level[];
    repeat: number;
    ackTimeoutMinutes: number;
    businessHours: { timeZone: string; days: number[]; start: string; end: string };
    managed: boolean;
  }[];
  services: {
    id: number;
    name: string;
    teamId: number;
    description: string;
    escalationPolicyId: number;
    incidentType: string | null;
    incidentSeverity: string | null;
    groupingWindowMinutes: number;
    flapChanges: number;
    flapWindowMinutes: number;
    keys: {
      id: number;
      name: string;
      mapping: Record<string, unknown> | null;
      silenceMinutes: number | null;
    }[];
    /** Maintenance windows that have not ended. */
    maintenance: { id: number; start: Date; end: Date; reason: string }[];
  }[];
  statusPages: {
    id: number;
    slug: string;
    name: string;
    teamId: number;
    timeZone: string;
    /** In display order. */
    components: {
      id: number;
      name: string;
      description: string | null;
      groupId: number | null;
      isGroup: boolean;
      showcase: boolean;
      onlyShowIfDegraded: boolean;
      startDate: string | null;
    }[];
  }[];
};

export type StoredRotation = {
  name: string;
  timeZone: string;
  participants: number[];
  shiftLength: { unit: "hours" | "days" | "weeks"; count: number };
  start: string;
  restrictions?: { days: number[]; start: string; end: string }[] | null;
};

export type Kind =
  | "user"
  | "team"
  | "schedule"
  | "escalationPolicy"
  | "service"
  | "integration"
  | "statusPage"
  | "component"
  | "policy";

export type Change = {
  action: "create" | "update" | "delete";
  kind: Kind;
  name: string;
  /** For updates: what differs. */
  fields?: string[];
  /** Changed on the server since the last apply: applying overwrites that change. */
  drifted?: boolean;
};

export type ObjectRef = { kind: Kind; name: string };

/** The reference a document uses for a user id in the server's form. */
export const idRef = (id: number) => `#${id}`;
export const refId = (ref: string): number | null => (/^#\d+$/.test(ref) ? Number(ref.slice(1)) : null);

// -- the server as a document ---------------------------------------------------------------------

/**
 * The server's configuration as a (stable) document. `refOf` writes a user reference: `#id` for
 * comparing, the email (or username) for export. Managed escalation policies are left out: the
 * policy file owns them. Users are the active people (automation actors start with "@").
 */
export function documentOf(state: ServerState, refOf: (userId: number) => string): ConfigDocument {
  const teamSlug = new Map(state.teams.map((t) => [t.id, t.slug]));
  const defaultTeam = state.teams.find((t) => t.isDefault)?.slug ?? "default";
  const team = (id: number) => teamSlug.get(id);
  const scheduleName = new Map(state.schedules.map((s) => [s.id, s.name]));
  const policyName = new Map(state.policies.map((p) => [p.id, p.name]));
  // A deactivated person stays in their teams' rows, but is no member a file could name.
  const active = new Set(state.users.filter((u) => u.active).map((u) => u.id));
  const doc: ConfigDocument = {
    version: DOCUMENT_VERSION,
    users: state.users
      .filter((u) => u.active && !u.username.startsWith("@"))
      .map((u) => compact({ username: u.username, name: u.name, email: u.email ?? undefined, role: u.role })),
    teams: state.teams.map((t) => ({
      slug: t.slug,
      name: t.name,
      members: t.members
        .filter((m) => active.has(m.userId))
        .map((m) => ({ user: refOf(m.userId), role: m.role })),
    })),
    schedules: state.schedules.map((s) => ({
      name: s.name,
      team: team(s.teamId),
      timeZone: s.timeZone,
      layers: s.layers.map((l) => ({
        name: l.name,
        timeZone: l.timeZone,
        participants: l.participants.map(refOf),
        shiftLength: l.shiftLength,
        start: l.start,
        restrictions: l.restrictions ?? undefined,
      })),
      overrides: s.overrides.length
        ? s.overrides.map((o) => ({
            user: refOf(o.userId),
            start: o.start.toISOString(),
            end: o.end.toISOString(),
            reason: o.reason,
          }))
        : undefined,
    })),
    escalationPolicies: state.policies
      .filter((p) => !p.managed)
      .map((p) => ({
        name: p.name,
        team: team(p.teamId),
        description: p.description,
        levels: p.levels.map((l) => ({
          timeoutMinutes: l.timeoutMinutes,
          targets: l.targets.map((t) =>
            t.kind === "user" ? { user: refOf(t.id) } : { schedule: scheduleName.get(t.id) ?? `#${t.id}` },
          ),
        })),
        repeat: p.repeat,
        ackTimeoutMinutes: p.ackTimeoutMinutes,
        businessHours: p.businessHours,
      })),
    services: state.services.map((s) => ({
      name: s.name,
      team: team(s.teamId),
      description: s.description,
      escalationPolicy: policyName.get(s.escalationPolicyId) ?? `#${s.escalationPolicyId}`,
      incidentType: s.incidentType ?? undefined,
      incidentSeverity: s.incidentSeverity ?? undefined,
      groupingWindowMinutes: s.groupingWindowMinutes,
      flapChanges: s.flapChanges,
      flapWindowMinutes: s.flapWindowMinutes,
      integrations: s.keys.map((k) =>
        compact({
          name: k.name,
          mapping: k.mapping ?? undefined,
          silenceMinutes: k.silenceMinutes ?? undefined,
        }),
      ),
      maintenance: s.maintenance.length
        ? s.maintenance.map((m) => ({
            start: m.start.toISOString(),
            end: m.end.toISOString(),
            reason: m.reason,
          }))
        : undefined,
    })),
    statusPages: state.statusPages.map((p) => {
      const componentName = new Map(p.components.map((c) => [c.id, c.name]));
      return {
        slug: p.slug,
        name: p.name,
        team: team(p.teamId),
        timeZone: p.timeZone,
        components: p.components.map((c) => ({
          name: c.name,
          description: c.description ?? undefined,
          group: c.groupId === null ? undefined : componentName.get(c.groupId),
          isGroup: c.isGroup,
          showcase: c.showcase,
          onlyShowIfDegraded: c.onlyShowIfDegraded,
          startDate: c.startDate ?? undefined,
        })),
      };
    }),
  };
  return normalise(doc, defaultTeam);
}

/** The export: references by email (or username when a person has none). */
export function exportDocument(
  state: ServerState,
  policy: Record<string, unknown> | undefined,
): ConfigDocument {
  const users = new Map(state.users.map((u) => [u.id, u]));
  const refOf = (id: number) => {
    const u = users.get(id);
    return u ? (u.email ?? u.username) : idRef(id);
  };
  const doc = documentOf(state, refOf);
  return policy === undefined ? doc : { ...doc, policy };
}

// -- objects and their differences ----------------------------------------------------------------

/** One object of a document: its kind, name, and the fields compared (in the document's form). */
export type DocObject = ObjectRef & { fields: Record<string, unknown> };

const omit = <T extends Record<string, unknown>>(o: T, keys: string[]) =>
  Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));

/**
 * A normalised document as objects, in apply order. Integrations and components are objects of
 * their own (`checkout/prometheus`, `public/API`); a component's `order` is its place among the
 * page's components that the file names. Users are named by their username.
 */
export function objectsOf(doc: ConfigDocument): DocObject[] {
  const objects: DocObject[] = [];
  for (const u of doc.users) objects.push({ kind: "user", name: u.username, fields: omit(u, ["username"]) });
  for (const t of doc.teams) objects.push({ kind: "team", name: t.slug, fields: omit(t, ["slug"]) });
  for (const s of doc.schedules) objects.push({ kind: "schedule", name: s.name, fields: omit(s, ["name"]) });
  for (const p of doc.escalationPolicies)
    objects.push({ kind: "escalationPolicy", name: p.name, fields: omit(p, ["name"]) });
  for (const s of doc.services) {
    objects.push({ kind: "service", name: s.name, fields: omit(s, ["name", "integrations"]) });
    for (const i of s.integrations ?? [])
      objects.push({ kind: "integration", name: `${s.name}/${i.name}`, fields: omit(i, ["name"]) });
  }
  for (const p of doc.statusPages) {
    objects.push({ kind: "statusPage", name: p.slug, fields: omit(p, ["slug", "components"]) });
    (p.components ?? []).forEach((c, order) => {
      objects.push({
        kind: "component",
        name: `${p.slug}/${c.name}`,
        fields: { ...omit(c, ["name"]), order },
      });
    });
  }
  if (doc.policy !== undefined)
    objects.push({ kind: "policy", name: "policy", fields: { policy: doc.policy } });
  return objects;
}

const objectKey = (o: ObjectRef) => `${o.kind}\u0000${o.name}`;
export const keyOf = objectKey;

/** Fields where "absent in the file" means "leave as it is" rather than "none". */
const leftAloneWhenAbsent = new Set(["overrides", "maintenance"]);

/** The fields of `want` that differ from `have` (absent = the default, already left out). */
export function differingFields(want: DocObject, have: DocObject): string[] {
  const names = [...new Set([...Object.keys(want.fields), ...Object.keys(have.fields)])];
  return names.filter((f) => {
    if (leftAloneWhenAbsent.has(f) && want.fields[f] === undefined) return false;
    const w = want.fields[f] ?? (leftAloneWhenAbsent.has(f) ? [] : undefined);
    const h = have.fields[f] ?? (leftAloneWhenAbsent.has(f) ? [] : undefined);
    return canonicalJson(w) !== canonicalJson(h);
  });
}

/** Deletion order: dependants before what they depend on. */
const deleteOrder: Kind[] = [
  "component",
  "statusPage",
  "integration",
  "service",
  "escalationPolicy",
  "schedule",
  "team",
];

/**
 * What applying `want` to a server whose configuration is `have` changes, per object: creates and
 * updates in apply order, then (with `prune`) deletions of what the file does not name, dependants
 * first. Users are never deleted; `kept` lists what stays without `prune`.
 */
export function diff(
  want: ConfigDocument,
  have: ConfigDocument,
  prune: boolean,
): { changes: Change[]; kept: ObjectRef[] } {
  const wanted = objectsOf(want);
  const existing = new Map(objectsOf(have).map((o) => [objectKey(o), o]));
  const changes: Change[] = [];
  for (const o of wanted) {
    const h = existing.get(objectKey(o));
    if (!h) {
      changes.push({ action: "create", kind: o.kind, name: o.name });
      continue;
    }
    const fields = differingFields(o, h);
    if (fields.length) changes.push({ action: "update", kind: o.kind, name: o.name, fields });
  }
  const named = new Set(wanted.map(objectKey));
  // A component's order is among the components a file names: kept ones do not shift it.
  const leftOver = [...existing.values()].filter((o) => !named.has(objectKey(o)) && o.kind !== "policy");
  const kept: ObjectRef[] = [];
  const deletions: Change[] = [];
  for (const o of leftOver) {
    if (prune && o.kind !== "user") deletions.push({ action: "delete", kind: o.kind, name: o.name });
    else kept.push({ kind: o.kind, name: o.name });
  }
  deletions.sort((a, b) => deleteOrder.indexOf(a.kind) - deleteOrder.indexOf(b.kind));
  return { changes: [...changes, ...deletions], kept };
}

/**
 * Component order compared among the components the file names: the server's order of those
 * names, so components kept on the page (not in the file) do not shift the others.
 */
export function alignComponentOrder(want: ConfigDocument, have: ConfigDocument): ConfigDocument {
  const wantedNames = new Map(
    want.statusPages.map((p) => [p.slug, new Set((p.components ?? []).map((c) => c.name))]),
  );
  return {
    ...have,
    statusPages: have.statusPages.map((p) => {
      const names = wantedNames.get(p.slug);
      if (!names) return p;
      const inFile = (p.components ?? []).filter((c) => names.has(c.name));
      const others = (p.components ?? []).filter((c) => !names.has(c.name));
      return { ...p, components: [...inFile, ...others] };
    }),
  };
}

// -- drift --------------------------------------------------------------------------------------

/**
 * Fingerprints of a server document's objects, for drift. Overrides, maintenance windows and a
 * component's order are left out: overrides and windows come and go in daily work (and end by
 * themselves), and a component added in the web app moves the others' order.
 */
export function fingerprints(doc: ConfigDocument): Map<string, { ref: ObjectRef; fingerprint: string }> {
  const out = new Map<string, { ref: ObjectRef; fingerprint: string }>();
  for (const o of objectsOf(doc)) {
    const fields = omit(o.fields, ["overrides", "maintenance", "order"]);
    const fingerprint = createHash("sha256").update(canonicalJson(fields)).digest("hex");
    out.set(objectKey(o), { ref: { kind: o.kind, name: o.name }, fingerprint });
  }
  return out;
}

export type AppliedRecord = ObjectRef & { fingerprint: string; appliedAt: Date; appliedBy: string | null };
export type Drift = ObjectRef & { appliedAt: string; appliedBy: string | null };

/** Objects whose form now differs from the one the last apply left (or that are gone since). */
export function driftOf(
  applied: AppliedRecord[],
  now: Map<string, { ref: ObjectRef; fingerprint: string }>,
): Drift[] {
  return applied
    .filter((a) => now.get(objectKey(a))?.fingerprint !== a.fingerprint)
    .map((a) => ({
      kind: a.kind,
      name: a.name,
      appliedAt: a.appliedAt.toISOString(),
      appliedBy: a.appliedBy,
    }));
}

/** Marks the changes that would overwrite drift. */
export function markDrift(changes: Change[], drift: Drift[]): Change[] {
  const drifted = new Set(drift.map(objectKey));
  return changes.map((c) => (drifted.has(objectKey(c)) ? { ...c, drifted: true } : c));
}
