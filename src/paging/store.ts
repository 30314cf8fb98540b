/** SQL for escalation policies, contact methods, notification rules, pages and their messages. */
import { type ColumnType, type Generated, type Kysely, sql } from "kysely";
import type { PlatformTables } from "../platform/db.ts";
import type { ContactMethod } from "./contacts-store.ts";
import type {
  BusinessHours,
  EscalationPolicy,
  Level,
  Page,
  PageEngage,
  PageState,
  Urgency,
} from "./model.ts";

// Contact methods, notification rules and test notifications live in their own file.
export * from "./contacts-store.ts";

type Json<T> = ColumnType<T, string, string>;

export interface PagingTables {
  escalation_policies: {
    id: Generated<number>;
    name: string;
    description: string;
    levels: Json<Level[]>;
    repeat: number;
    ack_timeout_minutes: number;
    business_hours: Json<BusinessHours>;
    managed: Generated<boolean>;
    team_id: Generated<number>;
    created_at: Date;
    updated_at: Date;
  };
  contact_methods: {
    id: Generated<number>;
    user_id: number;
    kind: "email" | "webhook" | "chat" | "push" | "ntfy" | "sms" | "voice";
    label: string;
    address: string;
    secret: string | null;
    created_at: Date;
    /** Null until its owner typed back the code sent through it (phones and ntfy only). */
    verified_at: Date | null;
  };
  contact_method_codes: {
    contact_method_id: number;
    code_hash: string;
    sent_at: Date;
    expires_at: Date;
    attempts: Generated<number>;
    status: "sending" | "sent" | "failed";
    error: string | null;
  };
  contact_method_tests: {
    id: Generated<number>;
    contact_method_id: number;
    user_id: number;
    status: ContactTestStatus;
    error: string | null;
    created_at: Date;
    finished_at: Date | null;
  };
  notification_rules: {
    id: Generated<number>;
    user_id: number;
    contact_method_id: number;
    urgency: Urgency;
    delay_minutes: number;
    created_at: Date;
  };
  pages: {
    id: Generated<number>;
    policy_id: number;
    incident_id: number | null;
    title: string;
    urgency: Urgency;
    state: PageState;
    level: number;
    round: number;
    step: number;
    assigned_to: number[];
    acknowledged_by: number | null;
    acknowledged_at: Date | null;
    resolved_by: number | null;
    resolved_at: Date | null;
    created_by: number | null;
    created_at: Date;
    updated_at: Date;
    engage: Json<PageEngage | null>;
  };
  page_events: {
    id: Generated<number>;
    page_id: number;
    kind: string;
    actor_id: number | null;
    at: Date;
    data: Json<Record<string, unknown>>;
  };
  notifications: {
    id: Generated<number>;
    key: string;
    page_id: number;
    user_id: number;
    contact_method_id: number;
    due_at: Date;
    state: "pending" | "batched" | "cancelled";
    delivery_id: number | null;
    created_at: Date;
  };
  deliveries: {
    id: Generated<number>;
    idempotency_key: string;
    contact_method_id: number;
    user_id: number;
    page_ids: number[];
    status: DeliveryStatus;
    attempts: Generated<number>;
    last_error: string | null;
    attempt_started_at: Date | null;
    sent_at: Date | null;
    created_at: Date;
    /** Twilio's message or call sid, and what its status callbacks last said (twilio.ts). */
    provider_id: string | null;
    receipt_status: string | null;
    receipt_error_code: string | null;
    receipt_at: Date | null;
    /** A test page's delivery (page_ids is then empty): see test-page.ts. */
    test_page_id: number | null;
  };
  test_pages: {
    id: Generated<number>;
    user_id: number;
    requested_by: number | null;
    created_at: Date;
    resolved_at: Date | null;
  };
}

export interface AckLinkTable {
  ack_links: {
    token_hash: string;
    page_id: number;
    user_id: number;
    expires_at: Date;
    used_at: Date | null;
    created_at: Date;
  };
}

export type DeliveryStatus =
  | "pending"
  | "sending"
  | "delivered"
  | "failed-retryable"
  | "failed-permanent"
  | "cancelled";

/** A test notification's outcome: sending, arrived at the channel's far end, or refused with a reason. */
export type ContactTestStatus = "pending" | "delivered" | "failed";

export type PagingDb = Kysely<PlatformTables & PagingTables & AckLinkTable>;

// -- escalation policies ------------------------------------------------------------------------

type PolicyRow = Omit<
  PagingTables["escalation_policies"],
  "id" | "levels" | "business_hours" | "managed" | "team_id"
> & {
  id: number;
  team_id: number;
  managed: boolean;
  levels: Level[];
  business_hours: BusinessHours;
};

function policyFromRow(r: PolicyRow): EscalationPolicy {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    levels: r.levels,
    repeat: r.repeat,
    ackTimeoutMinutes: r.ack_timeout_minutes,
    businessHours: r.business_hours,
    managed: r.managed,
    teamId: r.team_id,
  };
}

export type PolicyInput = Omit<EscalationPolicy, "id">;

export async function insertPolicy(db: PagingDb, p: PolicyInput, now: Date): Promise<EscalationPolicy> {
  const row = await db
    .insertInto("escalation_policies")
    .values({
      ...(p.teamId === undefined ? {} : { team_id: p.teamId }),
      name: p.name,
      description: p.description,
      levels: JSON.stringify(p.levels),
      repeat: p.repeat,
      ack_timeout_minutes: p.ackTimeoutMinutes,
      business_hours: JSON.stringify(p.businessHours),
      managed: p.managed ?? false,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return policyFromRow(row);
}

export async function updatePolicy(db: PagingDb, p: EscalationPolicy, now: Date): Promise<void> {
  await db
    .updateTable("escalation_policies")
    .set({
      ...(p.teamId === undefined ? {} : { team_id: p.teamId }),
      name: p.name,
      description: p.description,
      levels: JSON.stringify(p.levels),
      repeat: p.repeat,
      ack_timeout_minutes: p.ackTimeoutMinutes,
      business_hours: JSON.stringify(p.businessHours),
      managed: p.managed ?? false,
      updated_at: now,
    })
    .where("id", "=", p.id)
    .execute();
}

export async function getPolicy(db: PagingDb, id: number): Promise<EscalationPolicy | undefined> {
  const row = await db.selectFrom("escalation_policies").selectAll().where("id", "=", id).executeTakeFirst();
  return row && policyFromRow(row);
}

export async function findPolicyByName(db: PagingDb, name: string): Promise<EscalationPolicy | undefined> {
  const row = await db
    .selectFrom("escalation_policies")
    .selectAll()
    .where("name", "=", name)
    .executeTakeFirst();
  return row && policyFromRow(row);
}

export async function listPolicies(db: PagingDb): Promise<EscalationPolicy[]> {
  const rows = await db.selectFrom("escalation_policies").selectAll().orderBy("name").execute();
  return rows.map(policyFromRow);
}

export async function deletePolicy(db: PagingDb, id: number): Promise<void> {
  await db.deleteFrom("escalation_policies").where("id", "=", id).execute();
}

/** An incident's open page on a policy, if any (a role is not paged twice for one incident). */
/**
 * The escalation policy named `name`, with the id of the incident's latest open page on it (one
 * query: a storm of rules paging roles asks this for every page).
 */
export async function findPolicyForIncident(
  db: PagingDb,
  name: string,
  incidentId: number,
): Promise<{ policy: EscalationPolicy; openPageId: number | null } | undefined> {
  const row = await db
    .selectFrom("escalation_policies as ep")
    .selectAll("ep")
    .select((eb) =>
      eb
        .selectFrom("pages")
        .select("pages.id")
        .whereRef("pages.policy_id", "=", "ep.id")
        .where("pages.incident_id", "=", incidentId)
        .where("pages.state", "<>", "resolved")
        .orderBy("pages.id", "desc")
        .limit(1)
        .as("open_page_id"),
    )
    .where("ep.name", "=", name)
    .executeTakeFirst();
  if (!row) return undefined;
  const { open_page_id, ...policy } = row;
  return { policy: policyFromRow(policy), openPageId: open_page_id ?? null };
}

export async function policyHasPages(db: PagingDb, id: number): Promise<boolean> {
  const row = await db
    .selectFrom("pages")
    .select("id")
    .where("policy_id", "=", id)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Policies whose levels name the user: deleting that user would leave a hole in them. */
export async function policiesNamingUser(
  db: PagingDb,
  userId: number,
): Promise<{ id: number; name: string }[]> {
  return db
    .selectFrom("escalation_policies")
    .select(["id", "name"])
    .where(
      sql<boolean>`exists (select 1 from jsonb_array_elements(levels) l, jsonb_array_elements(l->'targets') t
        where t->>'kind' = 'user' and (t->>'id')::bigint = ${userId})`,
    )
    .execute();
}

// -- pages ------------------------------------------------------------------------------------

type PageRow = Omit<PagingTables["pages"], "id" | "engage"> & { id: number; engage: PageEngage | null };

function pageFromRow(r: PageRow): Page {
  return {
    id: r.id,
    policyId: r.policy_id,
    incidentId: r.incident_id,
    title: r.title,
    urgency: r.urgency,
    state: r.state,
    level: r.level,
    round: r.round,
    step: r.step,
    assignedTo: r.assigned_to,
    acknowledgedBy: r.acknowledged_by,
    acknowledgedAt: r.acknowledged_at,
    resolvedBy: r.resolved_by,
    resolvedAt: r.resolved_at,
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    engage: r.engage,
  };
}

function pageToRow(p: Omit<Page, "id">): Omit<PageRow, "id" | "engage"> & { engage: string } {
  return {
    policy_id: p.policyId,
    incident_id: p.incidentId,
    title: p.title,
    urgency: p.urgency,
    state: p.state,
    level: p.level,
    round: p.round,
    step: p.step,
    assigned_to: p.assignedTo,
    acknowledged_by: p.acknowledgedBy,
    acknowledged_at: p.acknowledgedAt,
    resolved_by: p.resolvedBy,
    resolved_at: p.resolvedAt,
    created_by: p.createdBy,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
    engage: JSON.stringify(p.engage ?? null),
  };
}

export async function insertPage(db: PagingDb, p: Omit<Page, "id">): Promise<Page> {
  return pageFromRow(
    await db.insertInto("pages").values(pageToRow(p)).returningAll().executeTakeFirstOrThrow(),
  );
}

export async function updatePage(db: PagingDb, p: Page): Promise<void> {
  await db.updateTable("pages").set(pageToRow(p)).where("id", "=", p.id).execute();
}

export async function lockPage(db: PagingDb, id: number): Promise<Page | undefined> {
  const row = await db.selectFrom("pages").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();
  return row && pageFromRow(row);
}

export async function getPage(db: PagingDb, id: number): Promise<Page | undefined> {
  const row = await db.selectFrom("pages").selectAll().where("id", "=", id).executeTakeFirst();
  return row && pageFromRow(row);
}

export async function getPages(db: PagingDb, ids: number[]): Promise<Page[]> {
  if (ids.length === 0) return [];
  return (await db.selectFrom("pages").selectAll().where("id", "in", ids).orderBy("id").execute()).map(
    pageFromRow,
  );
}

export async function listPages(
  db: PagingDb,
  f: { states?: PageState[]; incidentId?: number; limit: number },
): Promise<Page[]> {
  let q = db.selectFrom("pages").selectAll();
  if (f.states?.length) q = q.where("state", "in", f.states);
  if (f.incidentId !== undefined) q = q.where("incident_id", "=", f.incidentId);
  return (await q.orderBy("id", "desc").limit(f.limit).execute()).map(pageFromRow);
}

type PageEventDraft = {
  pageId: number;
  kind: string;
  actorId: number | null;
  at: Date;
  data: Record<string, unknown>;
};

export async function appendPageEvent(db: PagingDb, e: PageEventDraft): Promise<void> {
  await appendPageEvents(db, [e]);
}

/** Several page events in one insert, in order. */
export async function appendPageEvents(db: PagingDb, events: PageEventDraft[]): Promise<void> {
  if (events.length === 0) return;
  await db
    .insertInto("page_events")
    .values(
      events.map((e) => ({
        page_id: e.pageId,
        kind: e.kind,
        actor_id: e.actorId,
        at: e.at,
        data: JSON.stringify(e.data),
      })),
    )
    .execute();
}

export async function listPageEvents(db: PagingDb, pageId: number) {
  return db.selectFrom("page_events").selectAll().where("page_id", "=", pageId).orderBy("id").execute();
}

// -- notifications and deliveries -------------------------------------------------------------

export async function insertNotifications(
  db: PagingDb,
  rows: Omit<PagingTables["notifications"], "id" | "delivery_id" | "state">[],
): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto("notifications")
    .values(rows.map((r) => ({ ...r, state: "pending" as const, delivery_id: null })))
    .onConflict((oc) => oc.column("key").doNothing())
    .execute();
}

/** Acknowledging or resolving a page stops every message still owed for it, at once. */
export async function cancelPendingNotifications(db: PagingDb, pageId: number): Promise<number> {
  const r = await db
    .updateTable("notifications")
    .set({ state: "cancelled" })
    .where("page_id", "=", pageId)
    .where("state", "=", "pending")
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Pending notifications of a contact method due by `now`, for pages still triggered. */
export async function dueNotifications(db: PagingDb, contactMethodId: number, now: Date) {
  return db
    .selectFrom("notifications as n")
    .innerJoin("pages as p", "p.id", "n.page_id")
    .select(["n.id", "n.page_id", "n.user_id", "n.key"])
    .where("n.contact_method_id", "=", contactMethodId)
    .where("n.state", "=", "pending")
    .where("n.due_at", "<=", now)
    .where("p.state", "=", "triggered")
    .orderBy("n.id")
    .execute();
}

export async function markBatched(db: PagingDb, ids: number[], deliveryId: number): Promise<void> {
  await db
    .updateTable("notifications")
    .set({ state: "batched", delivery_id: deliveryId })
    .where("id", "in", ids)
    .execute();
}

export async function lastDeliveryAt(db: PagingDb, contactMethodId: number): Promise<Date | null> {
  const row = await db
    .selectFrom("deliveries")
    .select("created_at")
    .where("contact_method_id", "=", contactMethodId)
    .where("test_page_id", "is", null) // a test page does not hold back a real one (the throttle)
    .orderBy("created_at", "desc")
    .limit(1)
    .executeTakeFirst();
  return row?.created_at ?? null;
}

export type Delivery = Omit<PagingTables["deliveries"], "id" | "attempts"> & { id: number; attempts: number };

export async function insertDelivery(
  db: PagingDb,
  d: Pick<Delivery, "idempotency_key" | "contact_method_id" | "user_id" | "page_ids" | "created_at">,
): Promise<Delivery | undefined> {
  return db
    .insertInto("deliveries")
    .values({ ...d, status: "pending", last_error: null, attempt_started_at: null, sent_at: null })
    .onConflict((oc) => oc.column("idempotency_key").doNothing())
    .returningAll()
    .executeTakeFirst();
}

export async function lockDelivery(db: PagingDb, id: number): Promise<Delivery | undefined> {
  return db.selectFrom("deliveries").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();
}

export async function updateDelivery(
  db: PagingDb,
  id: number,
  set: Partial<Pick<Delivery, "status" | "attempts" | "last_error" | "attempt_started_at" | "sent_at">>,
): Promise<void> {
  await db.updateTable("deliveries").set(set).where("id", "=", id).execute();
}

export async function listDeliveries(db: PagingDb, pageId: number): Promise<Delivery[]> {
  return db
    .selectFrom("deliveries")
    .selectAll()
    .where(sql<boolean>`${pageId}::bigint = ANY(page_ids)`)
    .orderBy("id")
    .execute();
}

/** Deliveries whose sender died mid-attempt (kill -9): they are sent again by the sweeper. */
export async function stuckDeliveries(db: PagingDb, startedBefore: Date): Promise<number[]> {
  const rows = await db
    .selectFrom("deliveries")
    .select("id")
    .where("status", "=", "sending")
    .where("attempt_started_at", "<", startedBefore)
    .execute();
  return rows.map((r) => r.id);
}

// -- one-click acknowledge links ----------------------------------------------------------------

export async function insertAckLink(
  db: PagingDb,
  link: Omit<AckLinkTable["ack_links"], "used_at">,
): Promise<void> {
  await db
    .insertInto("ack_links")
    .values({ ...link, used_at: null })
    .execute();
}

export async function lockAckLink(db: PagingDb, tokenHash: string) {
  return db
    .selectFrom("ack_links")
    .selectAll()
    .where("token_hash", "=", tokenHash)
    .forUpdate()
    .executeTakeFirst();
}

export async function useAckLink(db: PagingDb, tokenHash: string, at: Date): Promise<void> {
  await db.updateTable("ack_links").set({ used_at: at }).where("token_hash", "=", tokenHash).execute();
}

// -- test pages (test-page.ts) ----------------------------------------------------------------

export type TestPage = Omit<PagingTables["test_pages"], "id"> & { id: number };

export async function insertTestPage(
  db: PagingDb,
  t: Pick<TestPage, "user_id" | "requested_by" | "created_at">,
): Promise<TestPage> {
  return db.insertInto("test_pages").values(t).returningAll().executeTakeFirstOrThrow();
}

export async function getTestPage(db: PagingDb, id: number): Promise<TestPage | undefined> {
  return db.selectFrom("test_pages").selectAll().where("id", "=", id).executeTakeFirst();
}

export async function resolveTestPage(db: PagingDb, id: number, at: Date): Promise<void> {
  await db.updateTable("test_pages").set({ resolved_at: at }).where("id", "=", id).execute();
}

/** One delivery per contact method of a test page, each keyed by the test page and the method. */
export async function insertTestDeliveries(
  db: PagingDb,
  test: TestPage,
  methods: ContactMethod[],
): Promise<Delivery[]> {
  if (methods.length === 0) return [];
  return db
    .insertInto("deliveries")
    .values(
      methods.map((m) => ({
        idempotency_key: `test-page:${test.id}:cm:${m.id}`,
        contact_method_id: m.id,
        user_id: test.user_id,
        page_ids: [],
        test_page_id: test.id,
        status: "pending" as const,
        last_error: null,
        attempt_started_at: null,
        sent_at: null,
        created_at: test.created_at,
      })),
    )
    .returningAll()
    .execute();
}

export async function testPageDeliveries(db: PagingDb, testPageId: number): Promise<Delivery[]> {
  return db
    .selectFrom("deliveries")
    .selectAll()
    .where("test_page_id", "=", testPageId)
    .orderBy("id")
    .execute();
}

/** The statuses of a contact method's latest finished deliveries, newest first (channel-health.ts). */
export async function lastFinishedDeliveries(
  db: PagingDb,
  contactMethodId: number,
  limit: number,
): Promise<DeliveryStatus[]> {
  const rows = await db
    .selectFrom("deliveries")
    .select("status")
    .where("contact_method_id", "=", contactMethodId)
    .where("status", "in", ["delivered", "failed-retryable", "failed-permanent"])
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
  return rows.map((r) => r.status);
}
