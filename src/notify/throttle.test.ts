import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ContactMethod, contactKey, type Notification } from "./model.ts";
import { batchForContact, batchKey, type ContactPlan, mergeNotifications } from "./throttle.ts";

const windowMs = 60_000;
const t0 = new Date("2026-03-01T12:00:00Z");
const ana: ContactMethod = { kind: "email", address: "ana@example.com" };
const anaHook: ContactMethod = { kind: "webhook", url: "https://hooks.example/ana", secret: "s" };
const bo: ContactMethod = { kind: "chat", url: "https://chat.example/bo" };

const notice = (pageId: number, to: ContactMethod = ana, urgency: "high" | "low" = "high"): Notification => ({
  idempotencyKey: `page:${pageId}:${contactKey(to)}`,
  to,
  subject: `[${urgency.toUpperCase()}] Page ${pageId}`,
  text: `Page #${pageId} is waiting for you.`,
  links: [
    { label: "Acknowledge", url: `https://fb.example/ack/${pageId}` },
    { label: "Incident", url: "https://fb.example/incidents/7" },
  ],
  pages: [{ id: pageId, title: `Page ${pageId}`, urgency, ackUrl: `https://fb.example/ack/${pageId}` }],
});

const never = () => undefined;
const sends = (plans: ContactPlan[]) => plans.flatMap((p) => (p.action === "send" ? [p] : []));

describe("batchForContact", () => {
  it("a quiet contact method gets its first page at once, unchanged", () => {
    const n = notice(12);
    expect(batchForContact([n], { windowMs, now: t0, lastSentAt: never })).toEqual([
      { action: "send", contactKey: "email:ana@example.com", notification: n, covers: [n.idempotencyKey] },
    ]);
  });

  it("three pages for one contact become one message listing them all", () => {
    const plans = batchForContact([notice(3), notice(1, ana, "low"), notice(2)], {
      windowMs,
      now: t0,
      lastSentAt: never,
    });
    expect(plans).toHaveLength(1);
    const n = sends(plans)[0]?.notification;
    expect(n?.subject).toBe("3 pages: Page 2, Page 3, Page 1");
    expect(n?.pages.map((p) => p.id)).toEqual([2, 3, 1]); // high urgency first
    for (const id of [1, 2, 3])
      expect(n?.text).toContain(`#${id} Page ${id}\nAcknowledge: https://fb.example/ack/${id}`);
    expect(n?.links.map((l) => l.label)).toEqual([
      "Acknowledge #2",
      "Acknowledge #3",
      "Acknowledge #1",
      "Incident (#1)", // the shared incident link, once
    ]);
    expect(n?.idempotencyKey).toMatch(/^batch-[0-9a-f]{32}$/);
  });

  it("within the window after a send, everything waits until the window ends", () => {
    const last = new Date(t0.getTime() - 20_000);
    const plans = batchForContact([notice(1), notice(2, bo)], {
      windowMs,
      now: t0,
      lastSentAt: (k) => (k === contactKey(ana) ? last : undefined),
    });
    expect(plans.map((p) => [p.contactKey, p.action])).toEqual([
      ["chat:https://chat.example/bo", "send"],
      ["email:ana@example.com", "wait"],
    ]);
    expect(plans[1]?.action === "wait" && plans[1].until).toEqual(new Date(t0.getTime() + 40_000));
  });

  it("the batch key depends only on the set of keys, not their order or repeats", () => {
    const a = mergeNotifications([notice(1), notice(2), notice(3)]);
    const b = mergeNotifications([notice(3), notice(1), notice(2), notice(1)]);
    expect(a).toEqual(b);
    expect(batchKey(["x", "y"])).toBe(batchKey(["y", "x", "y"]));
    expect(batchKey(["x", "y"])).not.toBe(batchKey(["x", "z"]));
  });

  it("a reminder and the first notice of the same page collapse into one listing", () => {
    const reminder = { ...notice(5), idempotencyKey: "page:5:reminder" };
    const n = mergeNotifications([notice(5), reminder]);
    expect(n.pages.map((p) => p.id)).toEqual([5]);
    expect(n.subject).toBe("[HIGH] Page 5");
    expect(n.idempotencyKey).toBe(batchKey([notice(5).idempotencyKey, "page:5:reminder"]));
  });
});

// ---- properties -------------------------------------------------------------------------------
const contacts = [ana, anaHook, bo, { kind: "email", address: "ANA@example.com" } as ContactMethod];
const pendingArb = fc
  .array(
    fc.record({
      contact: fc.integer({ min: 0, max: contacts.length - 1 }),
      pages: fc.uniqueArray(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 3 }),
      urgency: fc.constantFrom("high" as const, "low" as const),
    }),
    { maxLength: 25 },
  )
  .map((rows) =>
    rows.map((r, i): Notification => {
      const base = notice(r.pages[0] ?? 1, contacts[r.contact], r.urgency);
      return {
        ...base,
        idempotencyKey: `n${i}`,
        pages: r.pages.map((id) => ({ id, title: `P${id}`, urgency: r.urgency })),
      };
    }),
  );
const pairs = (ns: Notification[]) => ns.flatMap((n) => n.pages.map((p) => `${contactKey(n.to)}#${p.id}`));

describe("throttle properties", () => {
  it("every page of the input is in exactly one output; one send per contact method at most", () => {
    fc.assert(
      fc.property(
        pendingArb,
        fc.func(fc.option(fc.integer({ min: 0, max: 2 * windowMs }))),
        (pending, ago) => {
          const lastSentAt = (k: string) => {
            const ms = ago(k);
            return ms === null ? undefined : new Date(t0.getTime() - ms);
          };
          const plans = batchForContact(pending, { windowMs, now: t0, lastSentAt });
          const out = plans.flatMap((p) =>
            p.action === "send" ? pairs([p.notification]) : pairs(p.pending),
          );
          const sent = sends(plans).flatMap((p) => pairs([p.notification]));
          expect(new Set(sent).size).toBe(sent.length); // within a send, each page once
          expect(new Set(out)).toEqual(new Set(pairs(pending)));
          const keys = plans.map((p) => p.contactKey);
          expect(new Set(keys).size).toBe(keys.length);
          for (const p of plans) {
            const last = lastSentAt(p.contactKey);
            const open = last === undefined || t0.getTime() - last.getTime() >= windowMs;
            expect(p.action).toBe(open ? "send" : "wait");
          }
        },
      ),
    );
  });

  it("story: pages arriving over time — one message per window per contact, each page delivered once", () => {
    const arrivals = fc.array(
      fc.record({ at: fc.integer({ min: 0, max: 5 * windowMs }), contact: fc.integer({ min: 0, max: 2 }) }),
      { minLength: 1, maxLength: 40 },
    );
    fc.assert(
      fc.property(arrivals, (rows) => {
        const events = rows.map((r, i) => ({ at: r.at, n: notice(i + 1, contacts[r.contact]) }));
        let pending: Notification[] = [];
        const lastSent = new Map<string, number>();
        const log: { at: number; key: string; pages: number[] }[] = [];
        const wakes: number[] = [];
        // Drive the clock from event to event (arrivals and the wake-ups the plans asked for).
        const times = () => [...new Set([...events.map((e) => e.at), ...wakes])].sort((a, b) => a - b);
        for (let i = 0, now = -1; ; i++) {
          const next = times().find((t) => t > now);
          if (next === undefined || i > 1000) break;
          now = next;
          pending.push(...events.filter((e) => e.at === now).map((e) => e.n));
          const plans = batchForContact(pending, {
            windowMs,
            now: new Date(t0.getTime() + now),
            lastSentAt: (k) =>
              lastSent.has(k) ? new Date(t0.getTime() + (lastSent.get(k) ?? 0)) : undefined,
          });
          pending = [];
          for (const p of plans) {
            if (p.action === "wait") {
              pending.push(...p.pending);
              wakes.push(p.until.getTime() - t0.getTime());
            } else {
              lastSent.set(p.contactKey, now);
              log.push({ at: now, key: p.contactKey, pages: p.notification.pages.map((x) => x.id) });
            }
          }
        }
        expect(pending).toEqual([]);
        expect(log.flatMap((l) => l.pages).sort((a, b) => a - b)).toEqual(events.map((_, i) => i + 1));
        for (const key of new Set(log.map((l) => l.key))) {
          const at = log.filter((l) => l.key === key).map((l) => l.at);
          for (let j = 1; j < at.length; j++)
            expect((at[j] ?? 0) - (at[j - 1] ?? 0)).toBeGreaterThanOrEqual(windowMs);
        }
        // The first page to a contact method goes out the moment it arrives.
        for (const key of new Set(log.map((l) => l.key))) {
          const first = Math.min(...events.filter((e) => contactKey(e.n.to) === key).map((e) => e.at));
          expect(log.find((l) => l.key === key)?.at).toBe(first);
        }
      }),
    );
  });
});
