/**
 * Cross-field checks of a policy file: every name a key refers to must exist. Each issue points at
 * the key that is wrong, so the loader can name its line and column.
 */
import { IANAZone } from "luxon";
import { states } from "../incidents/states.ts";
import type { BasePolicy } from "./model.ts";
import { fixedAnchors, type Rule } from "./rules-schema.ts";
import { templatePlaceholders } from "./templates.ts";

type Path = (string | number)[];
type Issue = { path: Path; message: string };

/** Issues for names that appear more than once in `items` (the first occurrence is fine). */
function duplicates<T>(items: T[], key: (item: T) => string, listPath: Path, field: string, what: string) {
  const seen = new Map<string, number>();
  const issues: Issue[] = [];
  items.forEach((item, i) => {
    const value = key(item);
    const first = seen.get(value);
    if (first === undefined) seen.set(value, i);
    else
      issues.push({
        path: [...listPath, i, field],
        message: `duplicate ${what} ${JSON.stringify(value)} (already used by ${listPath.join(".")}[${first}])`,
      });
  });
  return issues;
}

function mustBeOneOf(value: string, known: readonly string[], path: Path, what: string): Issue[] {
  // An empty list is reported on its own; checking references against it would only add noise.
  if (known.length === 0 || known.includes(value)) return [];
  return [{ path, message: `unknown ${what} ${JSON.stringify(value)}; expected one of ${known.join(", ")}` }];
}

const each = (values: readonly string[] | undefined, known: readonly string[], path: Path, what: string) =>
  (values ?? []).flatMap((v, i) => mustBeOneOf(v, known, [...path, i], what));

const asList = (v: string | string[] | undefined): string[] => (v === undefined ? [] : [v].flat());

export function crossChecks(policy: BasePolicy): Issue[] {
  const severityIds = policy.severities.map((s) => s.id);
  const roleNames = policy.roles.map((r) => r.name);
  const typeNames = policy.incidentTypes.map((t) => t.name);
  const { recurrence } = policy;
  const issues: Issue[] = [
    ...duplicates(policy.incidentTypes, (t) => t.name, ["incidentTypes"], "name", "incident type"),
    ...duplicates(policy.severities, (s) => s.id, ["severities"], "id", "severity id"),
    ...duplicates(policy.roles, (r) => r.name, ["roles"], "name", "role"),
    ...mustBeOneOf(policy.defaultSeverityWhenUnsure, severityIds, ["defaultSeverityWhenUnsure"], "severity"),
    ...mustBeOneOf(policy.incidentManagerRole, roleNames, ["incidentManagerRole"], "role"),
    ...(policy.ownerRole === undefined
      ? []
      : mustBeOneOf(policy.ownerRole, roleNames, ["ownerRole"], "role")),
    ...each(recurrence.severities, severityIds, ["recurrence", "severities"], "severity"),
    ...mustBeOneOf(recurrence.upgradeTo, severityIds, ["recurrence", "upgradeTo"], "severity"),
    ...each(policy.paging?.weekendLowUrgency, severityIds, ["paging", "weekendLowUrgency"], "severity"),
    ...policy.incidentTypes.flatMap((t, i) =>
      each(t.severities, severityIds, ["incidentTypes", i, "severities"], "severity"),
    ),
    ...each(policy.customerUpdates?.senderRoles, roleNames, ["customerUpdates", "senderRoles"], "role"),
    ...each(
      Object.keys(policy.customerUpdates?.maxIntervalMinutes ?? {}),
      severityIds,
      ["customerUpdates", "maxIntervalMinutes"],
      "severity",
    ),
  ];

  const hours = policy.businessHours;
  if (hours && !IANAZone.isValidZone(hours.timeZone))
    issues.push({
      path: ["businessHours", "timeZone"],
      message: `unknown time zone ${JSON.stringify(hours.timeZone)}; expected an IANA name such as "Europe/Berlin"`,
    });
  if (hours && hours.start >= hours.end)
    issues.push({ path: ["businessHours", "end"], message: `expected a time after start (${hours.start})` });

  const policies = policy.escalationPolicies;
  if (policies) {
    issues.push(...duplicates(policies, (p) => p.name, ["escalationPolicies"], "name", "escalation policy"));
    const policyNames = policies.map((p) => p.name);
    policy.roles.forEach((r, i) => {
      if (r.escalationPolicy !== undefined)
        issues.push(
          ...mustBeOneOf(
            r.escalationPolicy,
            policyNames,
            ["roles", i, "escalationPolicy"],
            "escalation policy",
          ),
        );
    });
  }

  (policy.roleConflicts ?? []).forEach((c, i) => {
    issues.push(...each(c.roles, roleNames, ["roleConflicts", i, "roles"], "role"));
  });
  (policy.duties ?? []).forEach((d, i) => {
    issues.push(
      ...mustBeOneOf(d.role, roleNames, ["duties", i, "role"], "role"),
      ...mustBeOneOf(d.coveredBy, roleNames, ["duties", i, "coveredBy"], "role"),
      ...each(d.severities, severityIds, ["duties", i, "severities"], "severity"),
    );
  });
  if (policy.statusPage) {
    issues.push(
      ...each(policy.statusPage.approverRoles, roleNames, ["statusPage", "approverRoles"], "role"),
      ...each(policy.statusPage.confirmImpactWith, roleNames, ["statusPage", "confirmImpactWith"], "role"),
    );
  }
  for (const [name, text] of Object.entries(policy.templates ?? {})) {
    for (const unknown of templatePlaceholders(text).unknown)
      issues.push({
        path: ["templates", name],
        message: `unknown placeholder {${unknown}}; expected one of ${templatePlaceholders("")
          .known.map((k) => `{${k}}`)
          .join(", ")}`,
      });
  }

  for (const [name, audience] of Object.entries(policy.templateAudiences ?? {})) {
    issues.push(
      ...mustBeOneOf(name, Object.keys(policy.templates ?? {}), ["templateAudiences", name], "template"),
      ...each(audience.roles, roleNames, ["templateAudiences", name, "roles"], "role"),
    );
  }

  const rules = policy.rules ?? [];
  issues.push(...duplicates(rules, (r) => r.id, ["rules"], "id", "rule id"));
  const ctx: RuleContext = {
    severityIds,
    roleNames,
    typeNames,
    ruleIds: rules.map((r) => r.id),
    templates: Object.keys(policy.templates ?? {}),
    rotationOf: (role) => policy.roles.find((r) => r.name === role)?.rotation,
    policyOf: (role) => policy.roles.find((r) => r.name === role)?.escalationPolicy,
  };
  rules.forEach((r, i) => {
    issues.push(...ruleChecks(r, ["rules", i], ctx));
  });
  return issues;
}

type RuleContext = {
  severityIds: string[];
  roleNames: string[];
  typeNames: string[];
  ruleIds: string[];
  templates: string[];
  rotationOf: (role: string) => string | undefined;
  policyOf: (role: string) => string | undefined;
};

/** Actions that need an incident; a maintenance rule may only notify. */
const incidentOnlyActions = [
  "page",
  "remind",
  "ask",
  "own",
  "handOver",
  "label",
  "task",
  "draft",
  "note",
  "raise",
  "combine",
];
const incidentOnlyConditions = [
  "severity",
  "type",
  "state",
  "visibility",
  "security",
  "externallyFacing",
  "pagesIncidentManager",
  "declaredBy",
  "roleHeld",
  "roleVacant",
  "engagedRole",
  "ownerHoldsNone",
  "label",
  "impact",
  "lastedMinutes",
  "openIncidents",
  "affectedCustomers",
  "onCallBusy",
];

function ruleChecks(r: Rule, at: Path, ctx: RuleContext): Issue[] {
  const issues: Issue[] = [];
  const maintenance = r.on === "maintenance";
  const role = (value: string, path: Path, need?: "rotation" | "escalationPolicy") => {
    const unknown = mustBeOneOf(value, ctx.roleNames, path, "role");
    if (unknown.length) return unknown;
    if (need === "rotation" && !ctx.rotationOf(value))
      return [{ path, message: `role ${JSON.stringify(value)} has no rotation; give it one under roles` }];
    if (need === "escalationPolicy" && !ctx.policyOf(value))
      return [
        { path, message: `role ${JSON.stringify(value)} has no escalationPolicy; give it one under roles` },
      ];
    return [];
  };

  // Anchors
  const anchors: { value: string; path: Path }[] = [];
  if (r.clock) anchors.push({ value: r.clock.from, path: [...at, "clock", "from"] });
  if (r.deadline) anchors.push({ value: r.deadline.from, path: [...at, "deadline", "from"] });
  for (const a of anchors) {
    const [kind, name] = a.value.includes(":")
      ? [a.value.slice(0, a.value.indexOf(":")), a.value.slice(a.value.indexOf(":") + 1)]
      : [a.value, ""];
    if (kind === "engaged") issues.push(...role(name, a.path));
    else if (kind === "shift-end") issues.push(...role(name, a.path, "rotation"));
    else if (kind === "fired") issues.push(...mustBeOneOf(name, ctx.ruleIds, a.path, "rule id"));
    else if ((fixedAnchors as readonly string[]).includes(kind)) {
      if (maintenance !== (kind === "maintenance-start"))
        issues.push({
          path: a.path,
          message: maintenance
            ? "a maintenance rule counts from maintenance-start"
            : "maintenance-start is for rules with `on: maintenance`",
        });
    }
  }
  if (r.clock?.after === "cadence" && maintenance)
    issues.push({ path: [...at, "clock", "after"], message: "a maintenance has no update cadence" });
  if (r.clock && r.clock.after !== "cadence" && r.clock.after < 0 && r.clock.from !== "maintenance-start")
    issues.push({
      path: [...at, "clock", "after"],
      message: "expected minutes >= 0 (only a maintenance start can be counted back from)",
    });
  if (r.deadline?.remindBefore !== undefined && r.deadline.remindBefore >= r.deadline.after)
    issues.push({
      path: [...at, "deadline", "remindBefore"],
      message: `expected fewer minutes than the deadline's ${r.deadline.after}`,
    });
  (r.when ?? []).forEach((e, j) => {
    if (maintenance !== (e === "maintenance-scheduled"))
      issues.push({
        path: [...at, "when", j],
        message: maintenance
          ? "a maintenance rule reacts to maintenance-scheduled"
          : "maintenance-scheduled is for rules with `on: maintenance`",
      });
  });

  // Conditions
  const c = r.if ?? {};
  const cond = [...at, "if"];
  issues.push(
    ...each(c.severity, ctx.severityIds, [...cond, "severity"], "severity"),
    ...each(c.type, ctx.typeNames, [...cond, "type"], "incident type"),
    ...each(c.state, states, [...cond, "state"], "state"),
    ...each(c.roleHeld, ctx.roleNames, [...cond, "roleHeld"], "role"),
    ...each(c.roleVacant, ctx.roleNames, [...cond, "roleVacant"], "role"),
    ...each(c.engagedRole, ctx.roleNames, [...cond, "engagedRole"], "role"),
    ...each(c.ownerHoldsNone, ctx.roleNames, [...cond, "ownerHoldsNone"], "role"),
    ...each(c.openIncidents?.severity, ctx.severityIds, [...cond, "openIncidents", "severity"], "severity"),
    ...(c.onCallBusy === undefined ? [] : role(c.onCallBusy, [...cond, "onCallBusy"], "rotation")),
  );
  if (maintenance) {
    for (const key of incidentOnlyConditions)
      if (key in c)
        issues.push({
          path: [...cond, key],
          message: "a maintenance rule can check criticality and weekend only",
        });
  } else if (c.criticality)
    issues.push({
      path: [...cond, "criticality"],
      message: "criticality is for rules with `on: maintenance`",
    });

  // Actions
  r.do.forEach((a, j) => {
    const path = [...at, "do", j];
    if (a.page !== undefined) issues.push(...role(a.page, [...path, "page"], "escalationPolicy"));
    asList(a.notify).forEach((n, k) => {
      issues.push(...role(n, [...path, "notify", ...(Array.isArray(a.notify) ? [k] : [])]));
    });
    asList(a.remind).forEach((n, k) => {
      issues.push(...role(n, [...path, "remind", ...(Array.isArray(a.remind) ? [k] : [])]));
    });
    if (a.ask !== undefined) issues.push(...role(a.ask, [...path, "ask"], "rotation"));
    if (a.own !== undefined) issues.push(...role(a.own, [...path, "own"]));
    if (a.handOver !== undefined) issues.push(...role(a.handOver, [...path, "handOver"], "rotation"));
    if (a.draft !== undefined)
      issues.push(...mustBeOneOf(a.draft, ctx.templates, [...path, "draft"], "template"));
    if (a.draft !== undefined && ctx.templates.length === 0)
      issues.push({ path: [...path, "draft"], message: "there are no templates; add them under templates" });
    if (a.raise !== undefined)
      issues.push(...mustBeOneOf(a.raise, ctx.severityIds, [...path, "raise"], "severity"));
    if (a.combine !== undefined)
      issues.push(...mustBeOneOf(a.combine.into, ctx.severityIds, [...path, "combine", "into"], "severity"));
    if (maintenance)
      for (const key of incidentOnlyActions)
        if (a[key as keyof typeof a] !== undefined)
          issues.push({ path: [...path, key], message: "a maintenance rule can only notify" });
  });
  return issues;
}
