/**
 * Paging commands: escalation policies, contact methods, notification rules, and pages (trigger,
 * acknowledge, resolve, escalate now, reassign). Each command is one transaction that also arms or
 * cancels the page's durable timers, so a crash can neither lose a page nor leave a stale timer.
 */
import { randomBytes } from "node:crypto";
import { invalidTokenReason, ntfyTopicProblem } from "../notify/ntfy.ts";
import { isE164 } from "../notify/twilio.ts";
import type { Actor } from "../platform/auth.ts";
import { hashToken } from "../platform/auth.ts";
import { AppError, invalid, notFound } from "../platform/errors.ts";
import { createOutbound, type Outbound } from "../platform/outbound.ts";
import { createContactTests } from "./contact-test.ts";
import { createEngine, type EngineDeps, escalationKey } from "./engine.ts";
import type { EscalationPolicy, Page, PageEngage, Target, Urgency } from "./model.ts";
import * as model from "./model.ts";
import type { PagingDb } from "./store.ts";
import * as store from "./store.ts";
import { createContactVerification } from "./verification.ts";

export type PolicyBody = {
  name: string;
  description?: string;
  levels: { timeoutMinutes: number; targets: Target[] }[];
  repeat?: number;
  ackTimeoutMinutes?: number;
  businessHours?: model.BusinessHours;
  teamId?: number;
};

/** What a policy file says about an escalation policy, comparable as text. */
const definitionOf = (p: Omit<EscalationPolicy, "id" | "managed">) =>
  JSON.stringify([p.name, p.description, p.levels, p.repeat, p.ackTimeoutMinutes, p.businessHours]);

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === "23505";

export function createPagingService(
  deps: EngineDeps & {
    scheduleExists: (db: PagingDb, id: number) => Promise<boolean>;
    /** DATA-3: which of these incidents the actor may see (pages of private incidents are theirs too). */
    visibleIncidents?: (actor: Actor, incidentIds: number[]) => Promise<Set<number>>;
    /**
     * Locks a page's incident before the page, so page changes and incident commands (which lock
     * the incident, then its pages) always take the two locks in the same order.
     */
    lockIncident?: (db: PagingDb, incidentId: number) => Promise<void>;
    /**
     * Someone acknowledged a page sent for an incident role: they engage in it (PAGE-3, OWN-1,
     * OWN-8). True when they now hold the role.
     */
    engaged?: (db: PagingDb, page: Page, userId: number) => Promise<boolean>;
    /** Checks webhook and chat hosts (OUTBOUND_ALLOWED_HOSTS). Default: public internet only. */
    outbound?: Pick<Outbound, "check">;
  },
) {
  const { db, clock, jobs } = deps;
  const engine = createEngine(deps);
  engine.register();
  const outbound = deps.outbound ?? createOutbound();
  const tests = createContactTests({ db, clock, log: deps.log, send: deps.send });
  const verification = createContactVerification({ db, clock, log: deps.log, send: deps.send });

  /** An ntfy topic URL: its server may be on the team's network, but not link-local or metadata. */
  async function checkNtfyTopic(address: string, token: string | undefined) {
    const problem = ntfyTopicProblem(address) ?? (await outbound.check(new URL(address), "private-network"));
    if (problem) throw invalid("address", problem);
    const badToken = token === undefined ? undefined : invalidTokenReason(token);
    if (badToken) throw invalid("accessToken", badToken);
  }

  /**
   * A webhook or chat URL: http(s), and a host on the public internet (or on
   * OUTBOUND_ALLOWED_HOSTS), its name resolved now. Sending checks again, at connect time.
   */
  async function checkHookUrl(address: string) {
    let url: URL | undefined;
    try {
      url = /^https?:\/\/\S+$/.test(address) ? new URL(address) : undefined;
    } catch {
      url = undefined;
    }
    if (!url) throw invalid("address", "expected an http:// or https:// URL");
    const problem = await outbound.check(url);
    if (problem)
      throw invalid(
        "address",
        problem.endsWith("public internet")
          ? `${problem}; only an administrator can allow an internal host (OUTBOUND_ALLOWED_HOSTS)`
          : problem,
      );
  }

  async function checkTargets(tx: PagingDb, levels: PolicyBody["levels"]) {
    for (const [i, level] of levels.entries()) {
      for (const [j, t] of level.targets.entries()) {
        const field = `levels[${i}].targets[${j}]`;
        if (t.kind === "user") {
          const u = await tx
            .selectFrom("users")
            .select("id")
            .where("id", "=", t.id)
            .where("deactivated_at", "is", null)
            .executeTakeFirst();
          if (!u) throw invalid(field, `no active user ${t.id}`);
        } else if (!(await deps.scheduleExists(tx, t.id))) {
          throw invalid(field, `no schedule ${t.id}`);
        }
      }
    }
  }

  function policyFrom(body: PolicyBody): Omit<EscalationPolicy, "id"> {
    const p = {
      name: body.name,
      description: body.description ?? "",
      levels: body.levels,
      repeat: body.repeat ?? 0,
      ackTimeoutMinutes: body.ackTimeoutMinutes ?? 30,
      businessHours: body.businessHours ?? model.defaultBusinessHours,
      ...(body.teamId === undefined ? {} : { teamId: body.teamId }),
    };
    const problems = model.validatePolicy(p);
    if (problems[0]) {
      throw new AppError("invalid-request", problems.map((x) => `${x.field}: ${x.message}`).join("; "), {
        field: problems[0].field,
        errors: problems,
      });
    }
    return p;
  }

  /** Pages of incidents the actor cannot see are not there for them (DATA-3). */
  async function visible(actor: Actor, pages: Page[]): Promise<Page[]> {
    const ids = [...new Set(pages.flatMap((p) => (p.incidentId === null ? [] : [p.incidentId])))];
    if (ids.length === 0 || !deps.visibleIncidents) return pages;
    const seen = await deps.visibleIncidents(actor, ids);
    return pages.filter((p) => p.incidentId === null || seen.has(p.incidentId));
  }

  async function lockVisiblePage(tx: PagingDb, id: number): Promise<Page> {
    const page = await store.lockPage(tx, id);
    if (!page) throw notFound("page", id);
    return page;
  }

  /** Applies a human change to a page: write it, cancel what is owed, re-arm its one timer. */
  async function change(
    actor: Actor | null,
    id: number,
    decide: (page: Page, tx: PagingDb) => Promise<Page> | Page,
    kind: string,
    body: (p: Page) => string,
    outer?: PagingDb,
  ): Promise<Page> {
    const now = clock.now();
    const run = async (tx: PagingDb) => {
      const unlocked = await store.getPage(tx, id);
      if (unlocked?.incidentId != null) await deps.lockIncident?.(tx, unlocked.incidentId);
      const before = await lockVisiblePage(tx, id);
      if (actor && !(await visible(actor, [before])).length) throw notFound("page", id);
      let page = await decide(before, tx);
      await store.updatePage(tx, page);
      await store.cancelPendingNotifications(tx, page.id);
      await jobs.remove(tx, escalationKey(page.id));
      await engine.record(
        tx,
        page,
        kind,
        body(page),
        { state: page.state, level: page.level },
        actor?.id ?? null,
        now,
      );
      // Acknowledging a page sent to you for an incident role engages you in that role; once you
      // hold it the page has done its work and is resolved (no acknowledgement timeout re-pages you).
      const acker = page.acknowledgedBy;
      if (
        before.state === "triggered" &&
        page.state === "acknowledged" &&
        page.engage &&
        acker !== null &&
        before.assignedTo.includes(acker) &&
        (await deps.engaged?.(tx, page, acker))
      ) {
        page = model.resolve(page, acker, now);
        await store.updatePage(tx, page);
        await engine.record(
          tx,
          page,
          "page-resolved",
          `resolved: ${page.engage?.role ?? "the role"} engaged`,
          { state: page.state, level: page.level },
          acker,
          now,
        );
      }
      if (page.state === "acknowledged") {
        const policy = await store.getPolicy(tx, page.policyId);
        const at = new Date(now.getTime() + (policy?.ackTimeoutMinutes ?? 30) * 60_000);
        await jobs.add(
          tx,
          "page.ack-timeout",
          { pageId: page.id, step: page.step },
          { runAt: at, key: escalationKey(page.id) },
        );
      }
      if (page.state === "triggered") await engine.armNow(tx, page, now);
      return page;
    };
    return outer ? run(outer) : db.transaction().execute(run);
  }

  /** A new page on `policy`, its first level notified in the same transaction. */
  async function startPage(
    t: PagingDb,
    actor: Actor | null,
    policy: EscalationPolicy,
    body: { title: string; urgency?: Urgency; incidentId?: number | null; engage?: PageEngage | null },
  ): Promise<Page> {
    const now = clock.now();
    // The first level is notified in the trigger's own transaction: a storm of pages slows its
    // callers instead of building a hidden queue that delays first notifications and timers. The
    // page is stored already assigned to them, and that page is the answer.
    const page = await store.insertPage(t, {
      policyId: policy.id,
      incidentId: body.incidentId ?? null,
      title: body.title,
      urgency: body.urgency ?? "high",
      state: "triggered",
      level: 0,
      round: 0,
      step: 1,
      assignedTo: await engine.whoToNotify(t, policy, 0, now),
      acknowledgedBy: null,
      acknowledgedAt: null,
      resolvedBy: null,
      resolvedAt: null,
      createdBy: actor?.id ?? null,
      createdAt: now,
      updatedAt: now,
      engage: body.engage ?? null,
    });
    const triggered = {
      kind: "page-triggered",
      body: `paged ${policy.name}: ${page.title}`,
      data: { policyId: policy.id, urgency: page.urgency },
      actorId: actor?.id ?? null,
    };
    return engine.notifyLevel(t, page, policy, now, { stored: true, before: [triggered] });
  }

  function refuseManaged(p: EscalationPolicy, verb: string): never {
    throw new AppError(
      "conflict",
      `escalation policy ${p.name} is defined in the policy file (escalationPolicies) and kept in step with it; ${verb} it there and the change applies on the next reload`,
      { managed: true },
    );
  }

  return {
    // -- escalation policies -------------------------------------------------------------------
    async createPolicy(body: PolicyBody): Promise<EscalationPolicy> {
      const p = policyFrom(body);
      return db.transaction().execute(async (tx) => {
        await checkTargets(tx, p.levels);
        try {
          return await store.insertPolicy(tx, p, clock.now());
        } catch (err) {
          if (isUniqueViolation(err))
            throw new AppError("conflict", `an escalation policy named ${p.name} exists`, { field: "name" });
          throw err;
        }
      });
    },
    async updatePolicy(id: number, body: PolicyBody): Promise<EscalationPolicy> {
      const p = policyFrom(body);
      return db.transaction().execute(async (tx) => {
        const current = await store.getPolicy(tx, id);
        if (!current) throw notFound("escalation policy", id);
        if (current.managed) refuseManaged(current, "edit");
        await checkTargets(tx, p.levels);
        const next = { ...p, id, teamId: p.teamId ?? current.teamId };
        try {
          await store.updatePolicy(tx, next, clock.now());
        } catch (err) {
          if (isUniqueViolation(err))
            throw new AppError("conflict", `an escalation policy named ${p.name} exists`, { field: "name" });
          throw err;
        }
        return next;
      });
    },
    async getPolicy(id: number) {
      const p = await store.getPolicy(db, id);
      if (!p) throw notFound("escalation policy", id);
      return p;
    },
    listPolicies: () => store.listPolicies(db),
    async deletePolicy(id: number) {
      await db.transaction().execute(async (tx) => {
        const current = await store.getPolicy(tx, id);
        if (!current) throw notFound("escalation policy", id);
        if (current.managed) refuseManaged(current, "remove");
        if (await store.policyHasPages(tx, id)) {
          throw new AppError("conflict", `escalation policy ${id} has pages; it is kept for their history`);
        }
        await store.deletePolicy(tx, id);
      });
    },
    policiesNamingUser: (userId: number) => store.policiesNamingUser(db, userId),

    /**
     * Makes the escalation policies the policy file defines exist as defined (by name), marked as
     * managed; one transaction. Policies no longer in the file stay, as ordinary policies.
     */
    async syncManaged(
      tx: PagingDb,
      defs: Omit<EscalationPolicy, "id" | "managed">[],
    ): Promise<{ created: string[]; updated: string[] }> {
      const created: string[] = [];
      const updated: string[] = [];
      const now = clock.now();
      const names = new Set(defs.map((d) => d.name));
      for (const def of defs) {
        const problems = model.validatePolicy(def);
        if (problems[0])
          throw new Error(`escalation policy ${def.name}: ${problems[0].field}: ${problems[0].message}`);
        const current = await store.findPolicyByName(tx, def.name);
        if (!current) {
          await store.insertPolicy(tx, { ...def, managed: true }, now);
          created.push(def.name);
        } else if (!current.managed || definitionOf(current) !== definitionOf(def)) {
          await store.updatePolicy(tx, { ...def, id: current.id, managed: true }, now);
          updated.push(def.name);
        }
      }
      for (const p of await store.listPolicies(tx))
        if (p.managed && !names.has(p.name)) await store.updatePolicy(tx, { ...p, managed: false }, now);
      return { created, updated };
    },

    // -- contact methods and notification rules -------------------------------------------------
    async addContactMethod(
      actor: Actor,
      body: {
        kind: "email" | "webhook" | "chat" | "ntfy" | "sms" | "voice";
        label: string;
        address: string;
        accessToken?: string;
      },
    ) {
      if (body.accessToken !== undefined && body.kind !== "ntfy")
        throw invalid("accessToken", "only ntfy contact methods take an access token");
      if (body.kind === "ntfy") await checkNtfyTopic(body.address, body.accessToken);
      if ((body.kind === "sms" || body.kind === "voice") && !isE164(body.address))
        throw invalid(
          "address",
          "expected a phone number in E.164 form: + and country code, e.g. +14155550100",
        );
      if (body.kind === "email" && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(body.address)) {
        throw invalid("address", "expected an email address like oncall@example.com");
      }
      if (body.kind === "webhook" || body.kind === "chat") await checkHookUrl(body.address);
      const now = clock.now();
      const method = await store.insertContactMethod(db, {
        user_id: actor.id,
        kind: body.kind,
        label: body.label,
        address: body.address,
        // Webhook receivers verify Firebreak's signature with this secret (see docs/notifications.md).
        // An ntfy access token is kept here too, and shown back only masked.
        secret:
          body.kind === "webhook"
            ? randomBytes(24).toString("base64url")
            : body.kind === "ntfy"
              ? (body.accessToken ?? null)
              : null,
        created_at: now,
        verified_at: model.needsVerification(body.kind) ? null : now,
      });
      return { method, code: await verification.start(method) };
    },
    resendVerificationCode: verification.resend,
    verifyContactMethod: verification.verify,
    verificationCodes: verification.pending,
    listContactMethods: (actor: Actor) => store.listContactMethods(db, actor.id),
    listContactMethodsWithOutcomes: tests.listWithOutcomes,
    testContactMethod: tests.testContactMethod,
    contactTest: tests.contactTest,
    async deleteContactMethod(actor: Actor, id: number) {
      const cm = await store.getContactMethod(db, id);
      if (!cm || cm.user_id !== actor.id) throw notFound("contact method", id);
      await store.deleteContactMethod(db, id);
    },
    async addRule(actor: Actor, body: { contactMethodId: number; urgency: Urgency; delayMinutes: number }) {
      const cm = await store.getContactMethod(db, body.contactMethodId);
      if (!cm || cm.user_id !== actor.id)
        throw invalid("contactMethodId", `you have no contact method ${body.contactMethodId}`);
      return store.insertRule(db, {
        user_id: actor.id,
        contact_method_id: cm.id,
        urgency: body.urgency,
        delay_minutes: body.delayMinutes,
        created_at: clock.now(),
      });
    },
    listRules: (actor: Actor) => store.listRules(db, [actor.id]),
    async deleteRule(actor: Actor, id: number) {
      if (!(await store.deleteRule(db, id, actor.id))) throw notFound("notification rule", id);
    },

    // -- pages --------------------------------------------------------------------------------
    /** Triggers a page on a policy; `tx` lets another command (declaring an incident) include it. */
    async trigger(
      actor: Actor | null,
      body: {
        policyId: number;
        title: string;
        urgency?: Urgency;
        incidentId?: number | null;
        engage?: PageEngage | null;
      },
      tx: PagingDb = db,
    ): Promise<Page> {
      const run = async (t: PagingDb) => {
        const policy = await store.getPolicy(t, body.policyId);
        if (!policy) throw invalid("policyId", `no escalation policy ${body.policyId}`);
        return startPage(t, actor, policy, body);
      };
      return tx === db ? db.transaction().execute(run) : run(tx);
    },

    /**
     * Pages the escalation policy with this name for an incident (PAGE-1, SEV-3), inside the
     * incident command's transaction. A missing policy is said on the incident's timeline, not
     * hidden; with `once`, a policy that already has an open page for the incident is not paged again.
     */
    async pageForIncident(
      tx: PagingDb,
      input: {
        policyName: string;
        title: string;
        urgency: Urgency;
        incidentId: number;
        actor: Actor | null;
        engage?: PageEngage | null;
        once?: boolean;
        /** Why, for the timeline when nobody could be paged (e.g. the rule that asked). */
        rule?: string;
      },
    ): Promise<{ outcome: "paged" | "already-paged"; page: Page } | { outcome: "no-policy"; page: null }> {
      const found = await store.findPolicyForIncident(tx, input.policyName, input.incidentId);
      if (!found) {
        await deps.incidentTimeline?.(
          tx,
          input.incidentId,
          {
            kind: "page-not-sent",
            body: `${input.rule ? `${input.rule}: ` : ""}no escalation policy named ${input.policyName}; nobody was paged (create it, or change the policy file)`,
            data: { policyName: input.policyName, ...(input.rule ? { rule: input.rule } : {}) },
          },
          input.actor?.id ?? null,
          clock.now(),
        );
        return { outcome: "no-policy", page: null };
      }
      const { policy, openPageId } = found;
      if (input.once && openPageId !== null) {
        const open = await store.getPage(tx, openPageId);
        if (open) return { outcome: "already-paged", page: open };
      }
      const page = await startPage(tx, input.actor, policy, {
        title: input.title,
        urgency: input.urgency,
        incidentId: input.incidentId,
        engage: input.engage ?? null,
      });
      return { outcome: "paged", page };
    },

    /**
     * For another capability's command (alerts): acknowledge or resolve a page inside its
     * transaction, as `byUserId`, with no visibility check. A page already there is left alone.
     */
    async settle(tx: PagingDb, id: number, to: "acknowledged" | "resolved", byUserId: number, why: string) {
      const page = await store.getPage(tx, id);
      if (!page || page.state === "resolved" || page.state === to) return page ?? null;
      const now = clock.now();
      return change(
        null,
        id,
        (p) =>
          to === "acknowledged" ? model.acknowledge(p, byUserId, now) : model.resolve(p, byUserId, now),
        to === "acknowledged" ? "page-acknowledged" : "page-resolved",
        () => why,
        tx,
      );
    },

    /** Acknowledges every triggered page of an incident the actor can see, in one transaction. */
    async acknowledgeIncident(actor: Actor, incidentId: number, outer?: PagingDb): Promise<Page[]> {
      const run = async (tx: PagingDb) => {
        const pages = await store.listPages(tx, { incidentId, states: ["triggered"], limit: 500 });
        const acked: Page[] = [];
        for (const p of pages) {
          acked.push(
            await change(
              actor,
              p.id,
              (page) => model.acknowledge(page, actor.id, clock.now()),
              "page-acknowledged",
              () => "acknowledged with its incident",
              tx,
            ),
          );
        }
        return acked;
      };
      return outer ? run(outer) : db.transaction().execute(run);
    },

    policyIdByName: async (tx: PagingDb, name: string) =>
      (await store.findPolicyByName(tx, name))?.id ?? null,
    policyExists: async (tx: PagingDb, id: number) => (await store.getPolicy(tx, id)) !== undefined,

    /** Resolves every open page of an incident that ended (declined or resolved): nobody is needed now. */
    async resolveIncident(actor: Actor, incidentId: number, tx: PagingDb): Promise<Page[]> {
      const pages = await store.listPages(tx, {
        incidentId,
        states: ["triggered", "acknowledged"],
        limit: 500,
      });
      const resolved: Page[] = [];
      for (const p of pages) {
        resolved.push(
          await change(
            null,
            p.id,
            (page) => model.resolve(page, actor.id, clock.now()),
            "page-resolved",
            () => "resolved with its incident",
            tx,
          ),
        );
      }
      return resolved;
    },

    acknowledge: (actor: Actor, id: number) =>
      change(
        actor,
        id,
        (p) => model.acknowledge(p, actor.id, clock.now()),
        "page-acknowledged",
        () => "acknowledged",
      ),

    resolve: (actor: Actor, id: number) =>
      change(
        actor,
        id,
        (p) => model.resolve(p, actor.id, clock.now()),
        "page-resolved",
        () => "resolved",
      ),

    escalate: (actor: Actor, id: number, level?: number) =>
      change(
        actor,
        id,
        async (p, tx) => {
          const policy = await store.getPolicy(tx, p.policyId);
          if (!policy) throw notFound("escalation policy", p.policyId);
          const target =
            level === undefined
              ? (model.nextLevel(policy, p) ?? { level: p.level, round: p.round })
              : { level, round: p.round };
          return model.escalateTo(p, policy, target.level, target.round, clock.now());
        },
        "page-escalated-now",
        (p) => `escalated now to level ${p.level + 1}`,
      ),

    reassign: (actor: Actor, id: number, policyId: number) =>
      change(
        actor,
        id,
        async (p, tx) => {
          const policy = await store.getPolicy(tx, policyId);
          if (!policy) throw invalid("policyId", `no escalation policy ${policyId}`);
          return model.escalateTo({ ...p, policyId }, policy, 0, 0, clock.now());
        },
        "page-reassigned",
        () => "reassigned",
      ),

    /** One-click acknowledge from a notification: single-use, expiring, for the person it was sent to. */
    async acknowledgeByLink(secret: string): Promise<{ page: Page; outcome: "acknowledged" | "already" }> {
      const now = clock.now();
      return db.transaction().execute(async (tx) => {
        const l = await store.lockAckLink(tx, hashToken(secret));
        if (!l) throw new AppError("not-found", "this acknowledge link is not valid");
        if (l.used_at) throw new AppError("conflict", "this acknowledge link was already used");
        if (l.expires_at < now)
          throw new AppError("conflict", "this acknowledge link has expired; acknowledge in Firebreak");
        await store.useAckLink(tx, l.token_hash, now);
        const page = await store.getPage(tx, l.page_id);
        if (!page) throw notFound("page", l.page_id);
        if (page.state !== "triggered") return { page, outcome: "already" as const };
        const actor: Actor = { id: l.user_id, username: "", role: "responder", tokenId: 0 };
        const acked = await change(
          actor,
          page.id,
          (p) => model.acknowledge(p, actor.id, now),
          "page-acknowledged",
          () => "acknowledged from the notification link",
          tx,
        );
        return { page: acked, outcome: "acknowledged" as const };
      });
    },

    async get(actor: Actor, id: number) {
      const page = await store.getPage(db, id);
      if (!page || !(await visible(actor, [page])).length) throw notFound("page", id);
      return page;
    },
    async list(actor: Actor, f: { states?: model.PageState[]; incidentId?: number; limit: number }) {
      return visible(actor, await store.listPages(db, f));
    },
    events: (id: number) => store.listPageEvents(db, id),
    deliveries: (id: number) => store.listDeliveries(db, id),
  };
}

export type PagingService = ReturnType<typeof createPagingService>;
