/**
 * COMM-5 briefings: the policy's templates (the executive notice, the internal executive summary)
 * filled from an incident, shown to whoever may see it and sent by a person on the incident to the
 * template's audience — the holders of the policy's `templateAudiences` roles on it, or whoever is
 * on call in a vacant role's rotation — through their contact methods, recorded on the timeline.
 */
import { visibleIncident } from "../incidents/access.ts";
import * as incidents from "../incidents/store.ts";
import type { Actor } from "../platform/auth.ts";
import type { Clock } from "../platform/clock.ts";
import { forbidden, notFound } from "../platform/errors.ts";
import type { Policy } from "../policy/model.ts";
import type { PolicySource } from "../policy/source.ts";
import { fillTemplate, type TemplateValues } from "../policy/templates.ts";
import { asCustomerDb, type CustomerDb } from "./store.ts";

export type BriefingDeps = {
  db: unknown;
  clock: Clock;
  policy: PolicySource;
  publicUrl: string;
  /** The values templates are filled with (the incident service's, as the rules use them). */
  templateValues: (tx: CustomerDb, incidentId: number) => Promise<TemplateValues>;
  /** Notices through people's contact methods (the paging capability's). */
  notify: (
    tx: CustomerDb,
    input: { key: string; userIds: number[]; incidentId: number; subject: string; body: string },
  ) => Promise<{ userId: number; methods: number }[]>;
  onCallIn: (tx: CustomerDb, rotation: string, at: Date) => Promise<number[]>;
};

/** The roles a template goes to (none: it is only shown, not sent). */
export const audienceOf = (policy: Policy, template: string): string[] =>
  policy.templateAudiences?.[template]?.roles ?? [];

/** Who may send a briefing: admins, and people holding a role on the incident. Null when allowed. */
export function refusalToBrief(actor: Actor, roles: Record<string, number>): string | null {
  if (actor.role === "admin") return null;
  if (actor.role !== "viewer" && Object.values(roles).includes(actor.id)) return null;
  return "only admins and people holding a role on the incident may send its briefings";
}

export function createBriefings(deps: BriefingDeps) {
  const db = asCustomerDb(deps.db);
  const asIncidentDb = (tx: CustomerDb) => tx as unknown as incidents.IncidentDb;

  function templateOf(policy: Policy, name: string): string {
    const text = policy.templates?.[name];
    if (text === undefined)
      throw notFound(
        `template (the policy has ${Object.keys(policy.templates ?? {}).join(", ") || "none"})`,
        name,
      );
    return text;
  }

  async function fill(tx: CustomerDb, incidentId: number, text: string): Promise<string> {
    const values = await deps.templateValues(tx, incidentId);
    return fillTemplate(text, { ...values, url: `${deps.publicUrl}/incidents/${incidentId}` });
  }

  return {
    /** The template filled from the incident as it is now, and who it would go to. */
    async preview(actor: Actor, incidentId: number, name: string) {
      const policy = deps.policy.current();
      const text = templateOf(policy, name);
      await visibleIncident(asIncidentDb(db), actor, incidentId, false);
      return { template: name, text: await fill(db, incidentId, text), audience: audienceOf(policy, name) };
    },

    /** Fills and sends it to its audience, once per call, recorded on the timeline. */
    async send(actor: Actor, incidentId: number, name: string) {
      const policy = deps.policy.current();
      const text = templateOf(policy, name);
      const roles = audienceOf(policy, name);
      if (roles.length === 0)
        throw forbidden(`the policy gives ${name} no audience; add it under templateAudiences to send it`);
      return db.transaction().execute(async (tx) => {
        const i = await visibleIncident(asIncidentDb(tx), actor, incidentId, true);
        const refusal = refusalToBrief(actor, i.roles);
        if (refusal) throw forbidden(refusal);
        const now = deps.clock.now();
        const filled = await fill(tx, incidentId, text);
        const userIds: number[] = [];
        for (const role of roles) {
          const holder = i.roles[role];
          if (holder !== undefined) userIds.push(holder);
          else {
            const rotation = policy.roles.find((r) => r.name === role)?.rotation;
            if (rotation) userIds.push(...(await deps.onCallIn(tx, rotation, now)));
          }
        }
        const people = [...new Set(userIds)];
        const sent = await deps.notify(tx, {
          key: `briefing:${incidentId}:${name}:${now.getTime()}`,
          userIds: people,
          incidentId,
          subject: `[Firebreak] ${name === "executiveSummary" ? "Executive summary" : name === "executiveNotice" ? "Executive notice" : name}: ${i.severity} incident #${i.id} ${i.title || "(untitled)"}`,
          body: filled,
        });
        const names = await incidents.findUsers(asIncidentDb(tx), people);
        const who = people.map((id) => names.get(id)?.username ?? `user ${id}`);
        await incidents.appendEvents(asIncidentDb(tx), incidentId, actor.id, now, [
          {
            kind: "notice-briefing-sent",
            internal: true,
            body: `${name} sent to ${who.length ? who.join(", ") : "nobody (no holder of and nobody on call for " + roles.join(", ") + ")"}:\n\n${filled}`,
            data: { template: name, roles, userIds: people },
          },
        ]);
        return {
          template: name,
          text: filled,
          audience: roles,
          sentTo: who,
          reached: sent.filter((s) => s.methods > 0).length,
        };
      });
    },
  };
}

export type Briefings = ReturnType<typeof createBriefings>;
