/**
 * What a rule's actions do, inside the transaction of the command or clock that fired the rule.
 * Each action says on the incident's timeline what it did and why (the rule), so nobody has to
 * guess why they were paged or reminded.
 */
import { DateTime } from "luxon";
import type { EventDraft, Incident } from "../incidents/model.ts";
import { openStates } from "../incidents/states.ts";
import type { Urgency } from "../paging/model.ts";
import { AppError } from "../platform/errors.ts";
import { isWeekend } from "./conditions.ts";
import { type Policy, severityRank } from "./model.ts";
import type { CausePort, IncidentPort, NoticePort, OncallPort, PagingPort, RunContext, Tx } from "./ports.ts";
import type { Rule, RuleAction } from "./rules-schema.ts";
import { fillTemplate } from "./templates.ts";

export type ActionDeps = {
  incidents: IncidentPort;
  paging: PagingPort;
  oncall: OncallPort;
  notices: NoticePort;
  causes?: CausePort;
  publicUrl: string;
};

/** SEV-5: pages of these severities are low urgency on weekends, where business hours are reckoned. */
export function urgencyFor(policy: Policy, severity: string, at: Date): Urgency {
  const low = policy.paging?.weekendLowUrgency ?? [];
  return low.includes(severity) && isWeekend(policy, at) ? "low" : "high";
}

const listWords = (items: string[]) =>
  items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;

export type Firing = {
  policy: Policy;
  rule: Rule;
  /** Unique per firing: notices and pages built from it are sent once. */
  key: string;
  now: Date;
  run: RunContext;
};

/**
 * Runs a rule's actions on an incident, in order; each sees the incident as the last left it (read
 * again only after an action changed it).
 */
export async function runActions(
  deps: ActionDeps,
  tx: Tx,
  incident: Incident | number,
  f: Firing,
): Promise<void> {
  const id = typeof incident === "number" ? incident : incident.id;
  let current = typeof incident === "number" ? undefined : incident;
  for (const [n, action] of f.rule.do.entries()) {
    if (!current || f.run.touched.has(id)) current = await deps.incidents.get(tx, id);
    if (!current) return;
    await runAction(deps, tx, current, action, { ...f, key: `${f.key}:a${n}` });
  }
}

function ruleTag(rule: Rule) {
  return rule.rule && rule.rule !== rule.id ? `${rule.id} (${rule.rule})` : rule.id;
}

async function runAction(deps: ActionDeps, tx: Tx, i: Incident, a: RuleAction, f: Firing): Promise<void> {
  const { policy, rule, now } = f;
  const tag = ruleTag(rule);
  const note = (kind: `rule-${string}`, body: string, data: Record<string, unknown> = {}, internal = false) =>
    deps.incidents.record(tx, i.id, [{ kind, body, internal, data: { rule: rule.id, ...data } }], now);
  const roleDef = (name: string) => policy.roles.find((r) => r.name === name);

  if (a.page !== undefined) {
    const role = a.page;
    const def = roleDef(role);
    const holder = i.roles[role];
    if (holder !== undefined) {
      // The role is held: tell its holder rather than page whoever else is on call.
      const sent = await deps.notices.send(tx, {
        key: f.key,
        userIds: [holder],
        incidentId: i.id,
        subject: `[Firebreak] ${i.severity} incident #${i.id}: ${i.title || "(untitled)"}`,
        body: `${tag}: ${rule.description}`,
      });
      await note(
        "rule-notified",
        `${tag}: the ${role} holds the role already and was told instead of paged`,
        {
          role,
          users: [holder],
          reached: sent.map((s) => s.methods),
        },
      );
      return;
    }
    // Whoever caused this and is on call for the role engages in it, rather than being paged.
    if (f.run.actorId !== null && def?.rotation) {
      const onCall = await deps.oncall.onCallIn(tx, def.rotation, now);
      if (
        onCall.includes(f.run.actorId) &&
        (await deps.incidents.engage(
          tx,
          i.id,
          role,
          f.run.actorId,
          `${tag}: on call for the role and here already`,
          next(f.run),
        ))
      )
        return;
    }
    if (!def?.escalationPolicy) {
      await note("rule-not-paged", `${tag}: the ${role} role has no escalation policy; nobody was paged`, {
        role,
      });
      return;
    }
    await deps.paging.pageRole(tx, {
      policyName: def.escalationPolicy,
      title: `${i.severity} incident #${i.id} (${rule.rule ?? rule.id}): ${i.title || "(untitled)"}`,
      urgency: urgencyFor(policy, i.severity, now),
      incidentId: i.id,
      actorId: f.run.actorId,
      engage: { role },
      rule: rule.id,
    });
    return;
  }

  if (a.notify !== undefined || a.remind !== undefined) {
    const roles = [a.notify ?? a.remind ?? []].flat();
    const reminding = a.remind !== undefined;
    const people: { role: string; userIds: number[]; as: string }[] = [];
    for (const role of roles) people.push(await recipients(deps, tx, policy, i, role, now, reminding));
    const userIds = [...new Set(people.flatMap((p) => p.userIds))];
    const message = a.message ?? rule.description;
    const sent = await deps.notices.send(tx, {
      key: f.key,
      userIds,
      incidentId: i.id,
      subject: `[Firebreak] ${reminding ? "Reminder" : "Notice"}: ${i.severity} incident #${i.id} ${i.title || "(untitled)"}`,
      body: `${message}\n\n${tag}: ${rule.description}\n${deps.publicUrl}/incidents/${i.id}`,
    });
    const who = people.map((p) => `${p.role}: ${p.userIds.length ? p.as : "nobody"}`);
    await note(reminding ? "rule-reminder" : "rule-notified", `${tag}: ${message} (${listWords(who)})`, {
      roles,
      users: userIds,
      reached: sent,
    });
    return;
  }

  if (a.ask !== undefined) {
    const role = a.ask;
    const rotation = roleDef(role)?.rotation;
    const members = rotation ? await deps.oncall.membersOf(tx, rotation) : [];
    const busy = new Set(await deps.incidents.busyInRole(tx, role, members, i.id));
    const free = members.filter((m) => !busy.has(m));
    const message = a.message ?? rule.description;
    await deps.notices.send(tx, {
      key: f.key,
      userIds: free,
      incidentId: i.id,
      subject: `[Firebreak] Another ${role} is needed: ${i.severity} incident #${i.id} ${i.title || "(untitled)"}`,
      body: `${message}\n\nTake the ${role} role on the incident: ${deps.publicUrl}/incidents/${i.id}`,
    });
    await note(
      "rule-asked",
      free.length
        ? `${tag}: asked ${free.length} people of the ${role} rotation for another ${role}`
        : `${tag}: everyone in the ${role} rotation runs another incident; nobody could be asked`,
      { role, users: free },
    );
    return;
  }

  if (a.own !== undefined) {
    if (i.roles[a.own] !== undefined) await deps.incidents.ownByRule(tx, i.id, a.own, rule.id, next(f.run));
    return;
  }

  if (a.handOver !== undefined) {
    const role = a.handOver;
    const outgoing = i.roles[role];
    const def = roleDef(role);
    if (outgoing === undefined || !def?.rotation) return;
    const incoming = (await deps.oncall.onCallIn(tx, def.rotation, now)).find((u) => u !== outgoing);
    const outName = await deps.incidents.userName(tx, outgoing);
    if (incoming === undefined) {
      await note(
        "rule-hand-over",
        `${tag}: ${outName}'s ${role} shift ended, but nobody else is on call: ${outName} stays ${role}`,
        {
          role,
          from: outgoing,
        },
      );
      return;
    }
    const inName = await deps.incidents.userName(tx, incoming);
    await deps.notices.send(tx, {
      key: f.key,
      userIds: [outgoing],
      incidentId: i.id,
      subject: `[Firebreak] Hand over incident #${i.id} to ${inName}`,
      body: `Your ${role} shift ended while incident #${i.id} (${i.title || "untitled"}) is open. ${inName} is on call now and is being paged; brief them, and they take the ${role} role when they acknowledge.\n${deps.publicUrl}/incidents/${i.id}`,
    });
    await note(
      "rule-hand-over",
      `${tag}: ${outName}'s ${role} shift ended; ${inName} is paged to take over`,
      {
        role,
        from: outgoing,
        to: incoming,
      },
    );
    if (def.escalationPolicy)
      await deps.paging.pageRole(tx, {
        policyName: def.escalationPolicy,
        title: `Take over as ${role}: ${i.severity} incident #${i.id} ${i.title || "(untitled)"}`,
        urgency: urgencyFor(policy, i.severity, now),
        incidentId: i.id,
        actorId: null,
        engage: { role, handOverFrom: outgoing },
        rule: rule.id,
        once: false, // a page for the outgoing holder may still be open; this one is for the incoming
      });
    return;
  }

  if (a.label !== undefined) {
    if (!i.labels.includes(a.label)) await deps.incidents.label(tx, i.id, a.label, rule.id, next(f.run));
    return;
  }

  if (a.task !== undefined) {
    await deps.incidents.addTask(tx, i.id, a.task, now);
    return;
  }

  if (a.draft !== undefined) {
    const text = policy.templates?.[a.draft];
    if (text === undefined) return;
    const values = await deps.incidents.templateValues(tx, i.id);
    const filled = fillTemplate(text, { ...values, url: `${deps.publicUrl}/incidents/${i.id}` });
    // Internal: a draft for the people who send it, not yet a statement.
    await note("rule-draft", filled, { template: a.draft }, true);
    return;
  }

  if (a.note !== undefined) {
    await note("rule-note", `${tag}: ${a.note}`);
    return;
  }

  if (a.raise !== undefined) {
    if (!openStates.includes(i.state) || severityRank(policy, a.raise) >= severityRank(policy, i.severity))
      return;
    await deps.incidents.raise(tx, i.id, a.raise, `${tag}: ${rule.description}`, rule.id, next(f.run));
    return;
  }

  if (a.combine !== undefined) {
    await combine(deps, tx, i, a.combine.into, f);
  }
}

const next = (run: RunContext): RunContext => ({ ...run, depth: run.depth + 1, actorId: null });

/**
 * Who a notice for `role` goes to: its holder; for a reminder, when the role is vacant, whoever
 * covers its duties at this severity (OWN-6), else the owner; for a notice, who is on call for it.
 */
async function recipients(
  deps: ActionDeps,
  tx: Tx,
  policy: Policy,
  i: Incident,
  role: string,
  now: Date,
  reminding: boolean,
): Promise<{ role: string; userIds: number[]; as: string }> {
  const name = async (ids: number[]) =>
    listWords(await Promise.all(ids.map((id) => deps.incidents.userName(tx, id))));
  const holder = i.roles[role];
  if (holder !== undefined) return { role, userIds: [holder], as: await name([holder]) };
  if (reminding) {
    const duty = (policy.duties ?? []).find((d) => d.role === role && d.severities.includes(i.severity));
    const cover = duty ? i.roles[duty.coveredBy] : undefined;
    if (duty && cover !== undefined)
      return { role, userIds: [cover], as: `${await name([cover])} (the ${duty.coveredBy}, OWN-6)` };
    return { role, userIds: [i.ownerId], as: `${await name([i.ownerId])} (the owner; nobody holds ${role})` };
  }
  const rotation = policy.roles.find((r) => r.name === role)?.rotation;
  const onCall = rotation ? await deps.oncall.onCallIn(tx, rotation, now) : [];
  return { role, userIds: onCall, as: onCall.length ? `${await name(onCall)} (on call)` : "nobody" };
}

/** The start of the weekend `at` falls in (00:00 of its first non-business day), in the hours' zone. */
export function weekendStart(policy: Policy, at: Date): Date {
  const zone = policy.businessHours?.timeZone ?? "UTC";
  let day = DateTime.fromJSDate(at, { zone }).startOf("day");
  for (let n = 0; n < 7 && isWeekend(policy, day.minus({ days: 1 }).toJSDate()); n++)
    day = day.minus({ days: 1 });
  return day.toJSDate();
}

/**
 * SEV-5: S3/S4 incidents of one cause that keep forcing weekend work become one S2: the earlier
 * ones still open are merged into this one, which is raised (and so paged, SEV-3).
 */
async function combine(deps: ActionDeps, tx: Tx, i: Incident, into: string, f: Firing): Promise<void> {
  if (!deps.causes) return;
  const since = weekendStart(f.policy, f.now);
  const severities = f.rule.if?.severity;
  const others: Incident[] = [];
  for (const id of await deps.causes.sameCauseSince(tx, i.id, since)) {
    const o = await deps.incidents.get(tx, id);
    if (
      o &&
      o.id !== i.id &&
      o.state !== "merged" &&
      o.state !== "declined" &&
      (!severities || severities.includes(o.severity))
    )
      others.push(o);
  }
  if (others.length === 0) return;
  const tag = ruleTag(f.rule);
  if (severityRank(f.policy, into) < severityRank(f.policy, i.severity))
    await deps.incidents.raise(
      tx,
      i.id,
      into,
      `${tag}: repeated weekend incidents of one cause (${others.map((o) => `#${o.id}`).join(", ")}) become one ${into}`,
      f.rule.id,
      next(f.run),
    );
  for (const o of others) {
    if (!openStates.includes(o.state)) continue;
    try {
      await deps.incidents.merge(tx, o.id, i.id, `${tag}: combined into #${i.id}`, next(f.run));
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      await deps.incidents.record(
        tx,
        i.id,
        [
          {
            kind: "rule-note",
            body: `${tag}: #${o.id} could not be combined: ${err.message}`,
            data: { rule: f.rule.id, incident: o.id },
          },
        ],
        f.now,
      );
    }
  }
  const ended = others.filter((o) => !openStates.includes(o.state));
  if (ended.length)
    await deps.incidents.record(
      tx,
      i.id,
      [
        {
          kind: "rule-note",
          body: `${tag}: combines the weekend's earlier incidents of the same cause ${ended.map((o) => `#${o.id} (${o.state})`).join(", ")}`,
          data: { rule: f.rule.id, incidents: ended.map((o) => o.id) },
        } satisfies EventDraft,
      ],
      f.now,
    );
}
