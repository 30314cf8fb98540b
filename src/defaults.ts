/**
 * First start: the handbook's on-call set-up, so paging works before anyone configures it. One
 * schedule per rotation (the admin is on call in each until people are added) and the escalation
 * policies the policy file's `paging` section names (PAGE-1, PAGE-2, SEV-3).
 */
import type { OncallService } from "./oncall/service.ts";
import type { PagingService } from "./paging/service.ts";
import type { Clock } from "./platform/clock.ts";

const rotations = ["EOC", "IM", "CMOC", "Infrastructure Leader"] as const;

/** The handbook's escalation: who is paged, in order, 15 minutes apart (PAGE-2). */
const policies: { name: string; description: string; levels: (typeof rotations)[number][] }[] = [
  {
    name: "Engineer On Call",
    description:
      "The EOC; the IM after 15 minutes without acknowledgement; the Infrastructure Leader after 15 more.",
    levels: ["EOC", "IM", "Infrastructure Leader"],
  },
  {
    name: "Incident Manager",
    description: "The IM; the Infrastructure Leader after 15 minutes without acknowledgement.",
    levels: ["IM", "Infrastructure Leader"],
  },
  {
    name: "Communications Manager",
    description: "The CMOC; the IM after 15 minutes without acknowledgement.",
    levels: ["CMOC", "IM"],
  },
];

export async function seedOnCallDefaults(
  deps: { oncall: OncallService; paging: PagingService; clock: Clock },
  adminId: number,
): Promise<void> {
  // Weekly shifts handing off on Mondays at 09:00 UTC, starting the Monday before today.
  const now = deps.clock.now();
  const monday = new Date(now.getTime() - (((now.getUTCDay() + 6) % 7) + 7) * 86_400_000);
  const start = `${monday.toISOString().slice(0, 10)}T09:00`;
  const ids = new Map<string, number>();
  for (const name of rotations) {
    const s = await deps.oncall.create({
      name,
      timeZone: "UTC",
      layers: [
        {
          name: `${name} rotation`,
          timeZone: "UTC",
          participants: [adminId],
          shiftLength: { unit: "weeks", count: 1 },
          start,
        },
      ],
    });
    ids.set(name, s.id);
  }
  for (const p of policies) {
    await deps.paging.createPolicy({
      name: p.name,
      description: p.description,
      levels: p.levels.map((r) => ({
        timeoutMinutes: 15,
        targets: [{ kind: "schedule" as const, id: ids.get(r)! }],
      })),
    });
  }
}
