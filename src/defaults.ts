/**
 * The on-call set-up the policy file describes, made real: a schedule per rotation the file names
 * (created with the first admin on call until people are added; never changed afterwards, people
 * are edited in Firebreak) and the file's escalation policies, kept in step with it (PAGE-2,
 * PAGE-7). Runs at start and after every reload; safe from several replicas at once.
 */
import { type Kysely, sql } from "kysely";
import type { OncallService } from "./oncall/service.ts";
import type { OncallDb } from "./oncall/store.ts";
import { type BusinessHours, defaultBusinessHours } from "./paging/model.ts";
import type { PagingService } from "./paging/service.ts";
import type { PagingDb } from "./paging/store.ts";
import { type Policy, weekdays } from "./policy/model.ts";

/** The business hours escalation policies use, from the policy's (days by name → ISO weekday). */
export function pagingHours(policy: Policy): BusinessHours {
  const h = policy.businessHours;
  if (!h) return defaultBusinessHours;
  return {
    timeZone: h.timeZone,
    days: h.days.map((d) => weekdays.indexOf(d) + 1).sort((a, b) => a - b),
    start: h.start,
    end: h.end,
  };
}

/** Every rotation the policy names: its roles' and its escalation policies' levels'. */
export function rotationsOf(policy: Policy): string[] {
  const names = [
    ...policy.roles.flatMap((r) => (r.rotation ? [r.rotation] : [])),
    ...(policy.escalationPolicies ?? []).flatMap((p) => p.levels.map((l) => l.rotation)),
  ];
  return [...new Set(names)];
}

export async function syncOnCallWithPolicy(
  // biome-ignore lint/suspicious/noExplicitAny: one transaction spans the on-call and paging tables
  deps: { db: Kysely<any>; oncall: OncallService; paging: PagingService },
  policy: Policy,
): Promise<{ rotationsCreated: string[]; policiesCreated: string[]; policiesUpdated: string[] } | null> {
  return deps.db.transaction().execute(async (tx) => {
    // Replicas starting together must not both create the same rotation.
    await sql`SELECT pg_advisory_xact_lock(hashtext('firebreak:policy-sync'))`.execute(tx);
    const admin = await tx
      .selectFrom("users")
      .select("id")
      .where("role", "=", "admin")
      .where("deactivated_at", "is", null)
      .where("username", "not like", "@%")
      .orderBy("id")
      .executeTakeFirst();
    if (!admin) return null; // before the first start's admin exists: the next start does it
    const ids = new Map<string, number>();
    const rotationsCreated: string[] = [];
    for (const name of rotationsOf(policy)) {
      const existed = await deps.oncall.scheduleIdByName(tx as unknown as OncallDb, name);
      ids.set(name, await deps.oncall.ensureRotation(tx as unknown as OncallDb, name, Number(admin.id)));
      if (existed === undefined) rotationsCreated.push(name);
    }
    const hours = pagingHours(policy);
    const defs = (policy.escalationPolicies ?? []).map((p) => ({
      name: p.name,
      description: p.description ?? "",
      levels: p.levels.map((l) => ({
        timeoutMinutes: l.minutes,
        targets: [{ kind: "schedule" as const, id: ids.get(l.rotation) ?? 0 }],
      })),
      repeat: p.repeat ?? 0,
      ackTimeoutMinutes: p.ackTimeoutMinutes ?? 30,
      businessHours: hours,
    }));
    const synced = await deps.paging.syncManaged(tx as unknown as PagingDb, defs);
    return { rotationsCreated, policiesCreated: synced.created, policiesUpdated: synced.updated };
  });
}
