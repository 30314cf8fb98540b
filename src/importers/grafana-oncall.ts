/**
 * The Grafana OnCall importer (issue 19): OnCall's public API v1 (or a directory of its JSON, laid
 * out under api/v1/ as the API's paths are) translated into a configuration document.
 *
 * - users by email (else username); OnCall's admin / editor / viewer roles become admin /
 *   responder / viewer; teams by slug of their name, members from each user's `teams`;
 * - web and calendar schedules through grafana-oncall-schedules.ts (iCal ones cannot be);
 * - escalation chains as escalation policies: notify steps become levels, a wait between them the
 *   level's timeout, repeat_escalation OnCall's five repeats;
 * - integrations as services, one per integration, with one integration key of the same name and
 *   the default route's chain as the policy; the cut-over lists each OnCall integration (id, name,
 *   type, link) beside its key; maintenance not yet ended becomes a maintenance window.
 */
import {
  type ConfigDocument,
  type EscalationPolicyDoc,
  emptyDocument,
  type ServiceDoc,
  type TargetDoc,
  type TeamDoc,
  type UserDoc,
} from "../config/document.ts";
import {
  type OnCallChain,
  type OnCallFinalShift,
  type OnCallSetUp,
  type OnCallStep,
  readSetUp,
} from "./grafana-oncall-api.ts";
import { type MappedSchedule, mapSchedule } from "./grafana-oncall-schedules.ts";
import type { CheckWindow, CutOver, Importer, ImportResult, SourceOnCall, Unmapped } from "./types.ts";

/** OnCall repeats an escalation "from the beginning, 5 times max". */
export const ONCALL_REPEATS = 5;

const ROLES: Record<string, UserDoc["role"]> = { admin: "admin", editor: "responder", viewer: "viewer" };

/** A team's slug from its name: lowercase letters, digits and dashes. */
export function slugOf(name: string, fallback: string): string {
  const slug = name
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "") // accents off: "équipe" → "equipe"
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63)
    .replace(/-+$/, "");
  return (
    slug ||
    fallback
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .slice(0, 63) ||
    "team"
  );
}

function unique(name: string, taken: Set<string>, max = 100): string {
  let candidate = name.slice(0, max);
  for (let n = 2; taken.has(candidate); n++) candidate = `${name.slice(0, max - 4)} #${n}`;
  taken.add(candidate);
  return candidate;
}

const clip = (text: string, max: number) => (text.length > max ? text.slice(0, max) : text);

/** Translates what was read; pure, so the unit tests run it on recorded responses directly. */
export function mapSetUp(setUp: OnCallSetUp, window: CheckWindow): ImportResult {
  const document: ConfigDocument = emptyDocument();
  const unmapped: Unmapped[] = [];
  const cutOver: CutOver[] = [];
  const onCall: SourceOnCall[] = [];

  // Users.
  const refs = new Map<string, string>();
  const roles = new Map<string, UserDoc["role"]>();
  const usernames = new Set<string>();
  for (const u of setUp.users) {
    let role = ROLES[(u.role ?? "").toLowerCase()];
    if (!role) {
      role = "viewer";
      unmapped.push({
        kind: "user role",
        id: u.id,
        name: u.username,
        reason: `OnCall role ${JSON.stringify(u.role ?? null)} has no Firebreak equivalent; imported as viewer`,
      });
    }
    const email = u.email && /^[^@\s]+@[^@\s]+$/.test(u.email) ? u.email : undefined;
    const username = unique(u.username, usernames);
    const doc: UserDoc = {
      username,
      name: clip(u.name || u.username, 200),
      role,
      ...(email ? { email } : {}),
    };
    document.users.push(doc);
    refs.set(u.id, email ?? username);
    roles.set(u.id, role);
  }
  const userRef = (id: string) => refs.get(id);

  // Teams; members come from the users' side.
  const slugs = new Map<string, string>();
  const takenSlugs = new Set<string>();
  for (const t of setUp.teams) {
    let slug = slugOf(t.name, t.id);
    for (let n = 2; takenSlugs.has(slug); n++) slug = `${slugOf(t.name, t.id).slice(0, 59)}-${n}`;
    takenSlugs.add(slug);
    slugs.set(t.id, slug);
    const members: TeamDoc["members"] = setUp.users
      .filter((u) => u.teams?.includes(t.id))
      .map((u) => ({ user: refs.get(u.id)!, role: roles.get(u.id)! }));
    document.teams.push({ slug, name: clip(t.name, 200), members });
  }
  const teamSlug = (id: string | null | undefined) => (id ? slugs.get(id) : undefined);

  // Schedules, and what OnCall has on call in each over the window.
  const scheduleNames = new Map<string, string[]>();
  const shifts = new Map(setUp.shifts.map((s) => [s.id, s]));
  for (const schedule of setUp.schedules) {
    const mapped = mapSchedule(schedule, { shifts, userRef, teamSlug, window, unmapped });
    if (!mapped) continue;
    document.schedules.push(...mapped.docs);
    scheduleNames.set(
      schedule.id,
      mapped.docs.map((d) => d.name),
    );
    onCall.push(sourceOnCall(mapped, setUp.finalShifts.get(schedule.id) ?? [], userRef, window));
  }

  // Escalation chains.
  const policies = new Map<string, string>();
  const policyNames = new Set<string>();
  for (const chain of setUp.chains) {
    const steps = setUp.steps
      .filter((s) => s.escalation_chain_id === chain.id)
      .sort((a, b) => a.position - b.position);
    const policy = mapChain(chain, steps, { userRef, setUp, scheduleNames, teamSlug, unmapped });
    if (!policy) continue;
    policy.name = unique(policy.name, policyNames);
    document.escalationPolicies.push(policy);
    policies.set(chain.id, policy.name);
  }

  // Integrations become services.
  const chainName = (chainId: string | null | undefined) => {
    const chain = setUp.chains.find((c) => c.id === chainId);
    return chain ? `escalation chain ${JSON.stringify(chain.name)}` : "no escalation chain";
  };
  const serviceNames = new Set<string>();
  for (const integration of setUp.integrations) {
    const skip = (reason: string) =>
      unmapped.push({ kind: "integration", id: integration.id, name: integration.name, reason });
    const chainId = integration.default_route?.escalation_chain_id;
    if (!chainId) {
      skip(
        "its default route has no escalation chain, so its alerts page nobody; give it one, or leave it out",
      );
      continue;
    }
    const policy = policies.get(chainId);
    if (!policy) {
      skip(`its escalation chain ${chainId} was not imported (listed with its reason)`);
      continue;
    }
    for (const route of setUp.routes) {
      if (route.integration_id !== integration.id || route.is_the_last_route) continue;
      if (route.id === integration.default_route?.id) continue;
      unmapped.push({
        kind: "route",
        id: route.id,
        name: `${integration.name}: ${route.routing_regex ?? "route"}`,
        reason: `sends alerts matching ${route.routing_regex ?? "(no expression)"} to ${chainName(route.escalation_chain_id)}; a Firebreak service has one escalation policy — send those alerts to a service of their own`,
      });
    }
    const name = unique(integration.name, serviceNames);
    const team = teamSlug(integration.team_id);
    const service: ServiceDoc = {
      name,
      ...(team ? { team } : {}),
      description: clip(
        `Imported from Grafana OnCall integration ${integration.id} (${integration.type})`,
        2000,
      ),
      escalationPolicy: policy,
      integrations: [{ name: clip(integration.name, 100) }],
    };
    const mode = (integration.maintenance_mode ?? "").toLowerCase();
    const end = integration.maintenance_end_at ? new Date(integration.maintenance_end_at) : null;
    if (mode && end && !Number.isNaN(end.getTime()) && end > window.from) {
      if (mode === "maintenance") {
        const started = integration.maintenance_started_at
          ? new Date(integration.maintenance_started_at)
          : null;
        const start = started && !Number.isNaN(started.getTime()) ? started : window.from;
        service.maintenance = [
          { start: start.toISOString(), end: end.toISOString(), reason: "OnCall maintenance mode" },
        ];
      } else {
        unmapped.push({
          kind: "maintenance",
          id: integration.id,
          name: integration.name,
          reason: `OnCall ${mode} mode until ${end.toISOString()} (alerts recorded but nobody notified) has no Firebreak equivalent; a maintenance window silences them instead`,
        });
      }
    }
    document.services.push(service);
    // The link is the URL senders post to now: kept for the cut-over beside the new key.
    const entry = {
      service: name,
      integration: service.integrations![0]!.name,
      source: {
        id: integration.id,
        name: integration.name,
        type: integration.type,
        link: integration.link ?? undefined,
      },
    };
    cutOver.push(entry);
  }
  return { document, unmapped, cutOver, onCall };
}

/** OnCall's rendered shifts for a schedule, clipped to the window, people as document references. */
function sourceOnCall(
  mapped: MappedSchedule,
  finals: OnCallFinalShift[],
  userRef: (id: string) => string | undefined,
  window: CheckWindow,
): SourceOnCall {
  const shifts: SourceOnCall["shifts"] = [];
  for (const f of finals) {
    const start = new Date(Math.max(new Date(f.shift_start).getTime(), window.from.getTime()));
    const end = new Date(Math.min(new Date(f.shift_end).getTime(), window.until.getTime()));
    if (!(start < end)) continue;
    const user = userRef(f.user_pk) ?? f.user_email ?? f.user_username ?? f.user_pk;
    shifts.push({ user, start, end });
  }
  return {
    source: { id: mapped.source.id, name: mapped.source.name },
    schedules: mapped.docs.map((d) => d.name),
    shifts,
  };
}

type ChainContext = {
  userRef: (id: string) => string | undefined;
  setUp: OnCallSetUp;
  scheduleNames: Map<string, string[]>;
  teamSlug: (id: string | null | undefined) => string | undefined;
  unmapped: Unmapped[];
};

/** Steps Firebreak has no counterpart for, and what to do instead. */
const UNSUPPORTED: Record<string, string> = {
  notify_person_next_each_time:
    "notifies the next person each time (round robin); Firebreak notifies every target of a level — use a schedule",
  notify_user_group: "notifies a Slack user group; Firebreak targets people and schedules",
  notify_whole_channel: "notifies a whole chat channel; Firebreak's chat announcements are set per service",
  trigger_webhook:
    "triggers an outgoing webhook; Firebreak sends webhooks from its own outgoing webhook settings",
  resolve: "resolves the alert group; Firebreak does not resolve from an escalation",
  notify_if_time_from_to:
    "continues only within a time of day; Firebreak's business hours apply to the whole policy (businessHours)",
  notify_if_num_alerts_in_window: "continues only above an alert count; Firebreak has no such condition",
  declare_incident: "declares an incident; in Firebreak an incident is opened by the service's alerts",
};

function mapChain(chain: OnCallChain, steps: OnCallStep[], ctx: ChainContext): EscalationPolicyDoc | null {
  const levels: { timeoutMinutes: number; targets: TargetDoc[] }[] = [];
  let waited = 0; // minutes since the current level was notified
  let repeat = 0;
  const stepUnmapped = (step: OnCallStep, reason: string) =>
    ctx.unmapped.push({
      kind: "escalation step",
      id: step.id,
      name: `${chain.name}: step ${step.position + 1} (${step.type ?? "none"})`,
      reason,
    });
  const notify = (targets: TargetDoc[]) => {
    const current = levels.at(-1);
    if (current && waited === 0) current.targets.push(...targets);
    else {
      if (current) current.timeoutMinutes = waited;
      levels.push({ timeoutMinutes: 1, targets });
    }
    waited = 0;
  };
  for (const step of steps) {
    if (step.important === true && repeat === 0) {
      stepUnmapped(
        step,
        "marked important: OnCall then follows each person's important notification rules; Firebreak pages with each person's own rules",
      );
    }
    if (repeat > 0) {
      stepUnmapped(step, "comes after repeat_escalation, so OnCall never reaches it");
      continue;
    }
    const type = step.type ?? "";
    switch (type) {
      case "wait": {
        const minutes = Math.max(1, Math.round((step.duration ?? 0) / 60));
        if (levels.length === 0) {
          stepUnmapped(
            step,
            "waits before anyone is notified; Firebreak notifies a policy's first level at once",
          );
        } else waited += minutes;
        break;
      }
      case "notify_persons":
      case "notify_persons_important": {
        const ids = step.persons_to_notify ?? [];
        const known = ids.filter((id) => ctx.userRef(id));
        if (known.length < ids.length) {
          stepUnmapped(
            step,
            `names users absent from OnCall's users list: ${ids.filter((id) => !ctx.userRef(id)).join(", ")}`,
          );
        }
        if (known.length) notify(known.map((id) => ({ user: ctx.userRef(id)! })));
        break;
      }
      case "notify_on_call_from_schedule":
      case "notify_on_call_from_schedule_important": {
        const names = ctx.scheduleNames.get(step.notify_on_call_from_schedule ?? "");
        if (!names) {
          stepUnmapped(
            step,
            `its schedule ${step.notify_on_call_from_schedule ?? "(none)"} was not imported`,
          );
        } else notify(names.map((schedule) => ({ schedule })));
        break;
      }
      case "notify_team_members":
      case "notify_team_members_important": {
        const members = ctx.setUp.users.filter((u) => u.teams?.includes(step.team_to_notify ?? ""));
        if (members.length === 0)
          stepUnmapped(step, `team ${step.team_to_notify ?? "(none)"} has no members`);
        else notify(members.map((u) => ({ user: ctx.userRef(u.id)! })));
        break;
      }
      case "repeat_escalation":
        repeat = ONCALL_REPEATS;
        break;
      default:
        stepUnmapped(
          step,
          UNSUPPORTED[type] ?? `step type ${JSON.stringify(type)} has no Firebreak equivalent`,
        );
    }
  }
  const last = levels.at(-1);
  if (!last) {
    ctx.unmapped.push({
      kind: "escalation chain",
      id: chain.id,
      name: chain.name,
      reason: "none of its steps notifies anyone Firebreak can page (each step is listed with its reason)",
    });
    return null;
  }
  // The wait after the last notification is the pause before a repeat; without one OnCall goes on
  // at once and Firebreak waits its shortest, a minute.
  last.timeoutMinutes = Math.max(1, waited);
  for (const level of levels) {
    const seen = new Set<string>();
    level.targets = level.targets.filter((t) => {
      const key = JSON.stringify(t);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }
  const team = ctx.teamSlug(chain.team_id);
  return { name: clip(chain.name, 100), ...(team ? { team } : {}), levels, repeat };
}

export const grafanaOnCallImporter: Importer = {
  vendor: "grafana-oncall",
  // OnCall is self-hosted (or a Grafana Cloud stack's own URL): the base URL is always given.
  defaultBaseUrl: "http://localhost:8080",
  authHeaders: (token) => ({ authorization: token }),
  async read(source, window) {
    return mapSetUp(await readSetUp(source, window), window);
  },
};
