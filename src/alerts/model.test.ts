import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AlertAction,
  type AlertEvent,
  type AlertmanagerPayload,
  type AlertStatus,
  alertmanagerKey,
  alertmanagerSummary,
  DEDUP_KEY_MAX,
  defaultGenericMapping,
  type EventV2,
  eventV2Problems,
  foldBatch,
  fromAlertmanager,
  fromEventV2,
  fromGeneric,
  type GroupState,
  isEventTimestamp,
  isFlapping,
  placeAlerts,
  SUMMARY_MAX,
  valueAt,
} from "./model.ts";

const fixture = (name: string) =>
  JSON.parse(
    readFileSync(new URL(`../../test/fixtures/${name}.json`, import.meta.url), "utf8"),
  ) as AlertmanagerPayload;

const event = (dedupKey: string, action: AlertAction, summary = `${action} ${dedupKey}`): AlertEvent => ({
  dedupKey,
  action,
  source: "events",
  summary,
  severity: "critical",
  details: {},
});

// ---------------------------------------------------------------------------------------------
// Alertmanager

describe("fromAlertmanager (real captured webhook payloads)", () => {
  it("maps each firing alert to a trigger keyed by its fingerprint, with summary, severity and details", () => {
    const p = fixture("alertmanager-webhook-firing");
    const events = fromAlertmanager(p);
    expect(events).toHaveLength(2);
    expect(events.map((e) => e.dedupKey)).toEqual(["da1d4572b2eb646c", "2aa120c7ceb89c67"]);
    expect(events[0]).toEqual({
      dedupKey: "da1d4572b2eb646c",
      action: "trigger",
      source: "alertmanager",
      summary: "Checkout is failing more than 5% of requests",
      severity: "critical",
      details: {
        labels: p.alerts[0]?.labels,
        annotations: p.alerts[0]?.annotations,
        startsAt: "2025-03-14T09:26:53.589793238Z",
        endsAt: "0001-01-01T00:00:00Z",
        generatorURL: p.alerts[0]?.generatorURL,
        groupKey: '{}:{alertname="HighErrorRate", service="checkout"}',
        externalURL: "http://alertmanager.example.com:9093",
        truncatedAlerts: 0,
      },
    });
    // Same summary text, different alerts: never merged by text.
    expect(events[0]?.summary).toBe(events[1]?.summary);
    expect(events[0]?.dedupKey).not.toBe(events[1]?.dedupKey);
  });

  it("maps resolved alerts to resolve events with the same keys", () => {
    const firing = fromAlertmanager(fixture("alertmanager-webhook-firing"));
    const resolved = fromAlertmanager(fixture("alertmanager-webhook-resolved"));
    expect(resolved.map((e) => e.action)).toEqual(["resolve", "resolve"]);
    expect(resolved.map((e) => e.dedupKey)).toEqual(firing.map((e) => e.dedupKey));
  });

  it("the alert's own status decides, not the group's; a missing severity label is 'unknown', others lower-cased", () => {
    const p: AlertmanagerPayload = {
      version: "4",
      groupKey: "g",
      status: "firing",
      alerts: [
        { status: "resolved", labels: { alertname: "A" }, fingerprint: "1" },
        { status: "firing", labels: { alertname: "B", severity: "PAGE" }, fingerprint: "2" },
      ],
    };
    const [a, b] = fromAlertmanager(p);
    expect(a).toMatchObject({ action: "resolve", severity: "unknown", summary: "A" });
    expect(a?.details).toMatchObject({
      annotations: {},
      startsAt: null,
      generatorURL: null,
      externalURL: null,
      truncatedAlerts: 0,
    });
    const cut = fromAlertmanager({ ...p, truncatedAlerts: 3 });
    expect(cut.map((e) => e.details.truncatedAlerts)).toEqual([3, 3]);
    expect(b).toMatchObject({ action: "trigger", severity: "page" });
  });

  it("summary falls back from summary to description, message, alertname, then a fixed text, and is clipped", () => {
    const s = (labels: Record<string, string>, annotations?: Record<string, string>) =>
      alertmanagerSummary({ status: "firing", labels, annotations });
    expect(s({ alertname: "X" }, { summary: "S", description: "D", message: "M" })).toBe("S");
    expect(s({ alertname: "X" }, { summary: "", description: "D", message: "M" })).toBe("D");
    expect(s({ alertname: "X" }, { message: "M" })).toBe("M");
    expect(s({ alertname: "X" })).toBe("X");
    expect(s({})).toBe("Alertmanager alert");
    const long = s({}, { summary: "x".repeat(SUMMARY_MAX + 10) });
    expect(long).toHaveLength(SUMMARY_MAX);
    expect(long.endsWith("…")).toBe(true);
    expect(s({}, { summary: "y".repeat(SUMMARY_MAX) })).toBe("y".repeat(SUMMARY_MAX));
  });
});

describe("alertmanagerKey", () => {
  const labelSets = fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 8 }), {
    maxKeys: 8,
  });

  it("is the fingerprint when there is one", () => {
    expect(alertmanagerKey({ fingerprint: "abc", labels: { a: "1" } })).toBe("abc");
  });

  it("without a fingerprint, does not depend on the order of the labels", () => {
    fc.assert(
      fc.property(
        labelSets.chain((labels) =>
          fc.tuple(
            fc.constant(labels),
            fc.shuffledSubarray(Object.entries(labels), { minLength: Object.keys(labels).length }),
          ),
        ),
        ([labels, shuffled]) => {
          const k = alertmanagerKey({ labels });
          expect(alertmanagerKey({ labels: Object.fromEntries(shuffled) })).toBe(k);
          expect(k).toMatch(/^labels:[0-9a-f]{32}$/);
        },
      ),
    );
  });

  it("without a fingerprint, different label sets give different keys (same summary or not)", () => {
    fc.assert(
      fc.property(labelSets, labelSets, (a, b) => {
        const same =
          Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);
        expect(alertmanagerKey({ labels: a }) === alertmanagerKey({ labels: b })).toBe(same);
      }),
    );
    // Label values that would collide if joined naively stay apart.
    expect(alertmanagerKey({ labels: { a: "b,c" } })).not.toBe(
      alertmanagerKey({ labels: { a: "b", c: "" } }),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Events API v2

describe("Events v2", () => {
  const trigger: EventV2 = {
    routing_key: "k",
    event_action: "trigger",
    dedup_key: "db-1/disk",
    payload: {
      summary: "disk full",
      source: "db-1",
      severity: "warning",
      timestamp: "2026-11-18T12:00:00Z",
      component: "postgres",
      group: "db",
      class: "disk",
      custom_details: { free: "0%" },
    },
    client: "Prometheus",
    client_url: "http://prom",
    links: [{ href: "http://a" }],
    images: [{ src: "https://i" }],
  };

  it("eventV2Problems names what each action needs", () => {
    expect(eventV2Problems(trigger)).toEqual([]);
    expect(eventV2Problems({ ...trigger, dedup_key: undefined })).toEqual([]);
    expect(eventV2Problems({ ...trigger, payload: undefined })).toEqual([
      "'payload' is missing and is required for trigger events",
    ]);
    for (const action of ["acknowledge", "resolve"] as const) {
      expect(eventV2Problems({ routing_key: "k", event_action: action, dedup_key: "x" })).toEqual([]);
      expect(eventV2Problems({ routing_key: "k", event_action: action })).toEqual([
        `'dedup_key' is missing and is required for ${action} events`,
      ]);
    }
  });

  it("eventV2Problems refuses a timestamp that is not ISO 8601 with an offset, and images not over HTTPS", () => {
    for (const ok of ["2015-07-17T08:42:58.315+0000", "2026-11-18T12:00:00Z", "2026-11-18T12:00+01:00"]) {
      expect(isEventTimestamp(ok), ok).toBe(true);
    }
    for (const bad of [
      "yesterday",
      "2026-11-18",
      "2026-11-18T12:00:00",
      "2026-13-40T12:00:00Z",
      "1700000000",
    ]) {
      expect(isEventTimestamp(bad), bad).toBe(false);
    }
    const p = trigger.payload as NonNullable<EventV2["payload"]>;
    expect(eventV2Problems({ ...trigger, payload: { ...p, timestamp: "soon" } })).toEqual([
      "'payload.timestamp' must be an ISO 8601 date-time with an offset, e.g. 2015-07-17T08:42:58.315+0000",
    ]);
    expect(
      eventV2Problems({ ...trigger, images: [{ src: "https://ok" }, { src: "http://i/x.png" }] }),
    ).toEqual(["'images.1.src' must be an https:// URL: images are served only over HTTPS"]);
  });

  it("fromEventV2 maps a trigger with every field", () => {
    expect(fromEventV2(trigger)).toEqual({
      dedupKey: "db-1/disk",
      action: "trigger",
      source: "events",
      summary: "disk full",
      severity: "warning",
      details: {
        source: "db-1",
        component: "postgres",
        group: "db",
        class: "disk",
        timestamp: "2026-11-18T12:00:00Z",
        customDetails: { free: "0%" },
        client: "Prometheus",
        clientUrl: "http://prom",
        links: [{ href: "http://a" }],
        images: [{ src: "https://i" }],
      },
    });
  });

  it("a trigger without dedup_key gets a new key; optional fields become null or empty", () => {
    const e = fromEventV2(
      {
        routing_key: "k",
        event_action: "trigger",
        payload: { summary: "s", source: "x", severity: "info" },
      },
      () => "fresh",
    );
    expect(e.dedupKey).toBe("fresh");
    expect(e.details).toEqual({
      source: "x",
      component: null,
      group: null,
      class: null,
      timestamp: null,
      customDetails: null,
      client: null,
      clientUrl: null,
      links: [],
      images: [],
    });
    const keys = new Set(
      Array.from({ length: 50 }, () => fromEventV2({ ...trigger, dedup_key: undefined }).dedupKey),
    );
    expect(keys.size).toBe(50);
    for (const k of keys) expect(k).toMatch(/^[0-9a-f]{32}$/);
  });

  it("acknowledge and resolve carry only the key; a long summary is clipped", () => {
    expect(fromEventV2({ routing_key: "k", event_action: "resolve", dedup_key: "x" })).toEqual({
      dedupKey: "x",
      action: "resolve",
      source: "events",
      summary: "",
      severity: "unknown",
      details: {},
    });
    const long = fromEventV2({
      ...trigger,
      payload: { summary: "z".repeat(SUMMARY_MAX * 2), source: "x", severity: "info" },
    });
    expect(long.summary).toHaveLength(SUMMARY_MAX);
  });
});

// ---------------------------------------------------------------------------------------------
// Generic webhook

describe("valueAt", () => {
  it("reads dotted paths through objects and arrays", () => {
    const body = { alert: { title: "t", tags: ["a", "b"], n: 0 }, top: null };
    expect(valueAt(body, "alert.title")).toBe("t");
    expect(valueAt(body, "alert.tags.1")).toBe("b");
    expect(valueAt(body, "alert.n")).toBe(0);
    expect(valueAt(body, "alert")).toEqual(body.alert);
    expect(valueAt(body, "alert.missing")).toBeUndefined();
    expect(valueAt(body, "alert.title.length")).toBeUndefined(); // no walking into strings
    expect(valueAt(body, "top.x")).toBeUndefined();
    expect(valueAt(null, "a")).toBeUndefined();
    expect(valueAt("text", "a")).toBeUndefined();
  });

  it("finds what was put at a path", () => {
    const segment = fc.stringMatching(/^[a-z_][a-z0-9_]{0,5}$/);
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 5 }), fc.jsonValue(), (path, value) => {
        const body = path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
        expect(valueAt(body, path.join("."))).toEqual(value);
      }),
    );
  });
});

describe("fromGeneric", () => {
  it("with the default mapping: id, title, severity (lower-cased) and status", () => {
    const r = fromGeneric(
      { id: "a1", title: "Backup failed", severity: "HIGH", status: "firing" },
      defaultGenericMapping,
    );
    expect(r).toEqual({
      event: {
        dedupKey: "a1",
        action: "trigger",
        source: "generic",
        summary: "Backup failed",
        severity: "high",
        details: { body: { id: "a1", title: "Backup failed", severity: "HIGH", status: "firing" } },
      },
    });
    for (const status of ["resolved", "OK", "Closed"]) {
      const resolved = fromGeneric({ id: "a1", title: "x", status }, defaultGenericMapping);
      expect("event" in resolved && resolved.event.action, status).toBe("resolve");
    }
  });

  it("numbers and booleans are text; missing severity is 'unknown'; long keys and summaries are clipped", () => {
    const r = fromGeneric({ id: 42, title: true }, defaultGenericMapping);
    expect(r).toMatchObject({ event: { dedupKey: "42", summary: "true", severity: "unknown" } });
    const long = fromGeneric({ id: "k".repeat(1000), title: "s".repeat(5000) }, defaultGenericMapping);
    expect("event" in long && long.event.dedupKey.length).toBe(DEDUP_KEY_MAX);
    expect("event" in long && long.event.summary.length).toBe(SUMMARY_MAX);
  });

  it("names every mapped field that is missing or not text", () => {
    expect(fromGeneric({}, defaultGenericMapping)).toEqual({
      problems: [
        { field: "title", message: expect.stringMatching(/summary/) },
        { field: "id", message: expect.stringMatching(/dedup key/) },
      ],
    });
    expect(fromGeneric({ id: "x", title: { nested: 1 } }, defaultGenericMapping)).toEqual({
      problems: [{ field: "title", message: expect.any(String) }],
    });
    expect(fromGeneric({ id: "", title: "t" }, defaultGenericMapping)).toEqual({
      problems: [{ field: "id", message: expect.any(String) }],
    });
    expect(fromGeneric([1, 2], defaultGenericMapping)).toHaveProperty("problems");
  });

  it("a custom mapping reads dotted paths; without resolveWhen every body triggers", () => {
    const mapping = { summary: "alert.title", dedupKey: "alert.labels.0", severity: "meta.level" };
    const r = fromGeneric(
      { alert: { title: "Latency", labels: ["svc-a"] }, meta: { level: "Sev2" }, status: "resolved" },
      mapping,
    );
    expect(r).toMatchObject({
      event: { dedupKey: "svc-a", summary: "Latency", severity: "sev2", action: "trigger" },
    });
  });

  it("resolveWhen compares the body's value ignoring case", () => {
    const mapping = {
      summary: "t",
      dedupKey: "k",
      resolveWhen: { field: "state.name", equals: ["ok", "normal"] },
    };
    const action = (name: unknown) => {
      const r = fromGeneric({ t: "x", k: "y", state: { name } }, mapping);
      return "event" in r ? r.event.action : null;
    };
    expect(action("ok")).toBe("resolve");
    expect(action("NORMAL")).toBe("resolve");
    expect(action("alerting")).toBe("trigger");
    expect(action(undefined)).toBe("trigger");
  });

  it("resolveWhen values written with capitals match too (a mapping saying equals ['OK'] resolves on 'OK')", () => {
    // Regression guard (a bug found in review, since fixed): only the body's value is lower-cased before comparing, so a
    // configured value with any capital letter can never match and such alerts never resolve.
    const mapping = {
      summary: "t",
      dedupKey: "k",
      resolveWhen: { field: "state", equals: ["OK", "Resolved"] },
    };
    for (const state of ["OK", "ok", "Resolved"]) {
      const r = fromGeneric({ t: "x", k: "y", state }, mapping);
      expect("event" in r && r.event.action, state).toBe("resolve");
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Folding a batch

const batchItems = fc.array(
  fc.record({
    serviceId: fc.integer({ min: 1, max: 4 }),
    key: fc.constantFrom("a", "b", "c", "B", "a/1", "é"),
    action: fc.constantFrom<AlertAction>("trigger", "acknowledge", "resolve"),
    summary: fc.string({ maxLength: 6 }),
  }),
  { maxLength: 60 },
);
const toItems = (raw: { serviceId: number; key: string; action: AlertAction; summary: string }[]) =>
  raw.map((r) => ({ serviceId: r.serviceId, event: event(r.key, r.action, r.summary) }));
const keyOf = (i: { serviceId: number; event: { dedupKey: string } }) =>
  `${i.serviceId}\u0000${i.event.dedupKey}`;

/** Applies one action to a stored status (null: no such alert), as one statement does. */
function applyOne(s: AlertStatus | null, a: AlertAction): AlertStatus | null {
  if (s === null) return a === "trigger" ? "firing" : null; // acknowledge/resolve of unknown keys do nothing
  if (a === "trigger") return s === "acknowledged" ? "acknowledged" : "firing";
  if (a === "acknowledge") return s === "resolved" ? "resolved" : "acknowledged";
  return "resolved";
}

describe("foldBatch", () => {
  it("each round holds an alert at most once, sorted by service then key; round 1 holds every alert", () => {
    fc.assert(
      fc.property(batchItems, (raw) => {
        const items = toItems(raw);
        const rounds = foldBatch(items);
        expect(rounds[0]?.map((f) => `${f.serviceId}\u0000${f.dedupKey}`) ?? []).toEqual(
          [...new Set(items.map(keyOf))].sort(byServiceThenKey),
        );
        for (const round of rounds) {
          const keys = round.map((f) => `${f.serviceId}\u0000${f.dedupKey}`);
          expect(keys).toEqual([...new Set(keys)].sort(byServiceThenKey));
        }
      }),
    );
  });

  it("the item indexes partition 0..n-1; each run holds consecutive events of one action", () => {
    fc.assert(
      fc.property(batchItems, (raw) => {
        const items = toItems(raw);
        const runs = foldBatch(items).flat();
        expect(runs.flatMap((f) => f.items).sort((a, b) => a - b)).toEqual(items.map((_, i) => i));
        for (const f of runs) {
          for (const i of f.items) {
            expect(items[i]).toMatchObject({
              serviceId: f.serviceId,
              event: { dedupKey: f.dedupKey, action: f.action },
            });
          }
          expect(f.last).toBe(items[f.items.at(-1) ?? -1]?.event);
          expect(f.occurrences).toBe(f.action === "trigger" ? f.items.length : 0);
        }
      }),
    );
  });

  it("applying the rounds in order gives every alert the status its events give one at a time", () => {
    fc.assert(
      fc.property(
        batchItems,
        fc.constantFrom<AlertStatus | null>(null, "firing", "acknowledged", "resolved"),
        (raw, stored) => {
          const items = toItems(raw);
          const status = new Map<string, AlertStatus | null>();
          for (const round of foldBatch(items)) {
            for (const f of round) {
              const k = `${f.serviceId}\u0000${f.dedupKey}`;
              status.set(k, applyOne(status.has(k) ? (status.get(k) ?? null) : stored, f.action));
            }
          }
          for (const k of new Set(items.map(keyOf))) {
            const actions = items.filter((i) => keyOf(i) === k).map((i) => i.event.action);
            let expected = stored;
            for (const a of actions) expected = applyOne(expected, a);
            expect(status.get(k)).toBe(expected);
          }
        },
      ),
    );
  });

  it("examples: duplicate triggers fold into one run; a resolve then an acknowledge stays resolved", () => {
    const rounds = foldBatch([
      { serviceId: 2, event: event("x", "trigger", "first") },
      { serviceId: 1, event: event("x", "trigger") },
      { serviceId: 2, event: event("x", "trigger", "second") },
      { serviceId: 1, event: event("x", "resolve") },
      { serviceId: 1, event: event("x", "acknowledge") },
    ]);
    expect(rounds.map((r) => r.map((f) => [f.serviceId, f.action, f.occurrences, f.items]))).toEqual([
      [
        [1, "trigger", 1, [1]],
        [2, "trigger", 2, [0, 2]],
      ],
      [[1, "resolve", 0, [3]]],
      [[1, "acknowledge", 0, [4]]],
    ]);
    expect(rounds[0]?.[1]?.last.summary).toBe("second");
    expect(foldBatch([])).toEqual([]);
    let s: AlertStatus | null = "firing";
    for (const [f] of rounds.map((r) => r.filter((x) => x.serviceId === 1))) if (f) s = applyOne(s, f.action);
    expect(s).toBe("resolved");
  });
});

const byServiceThenKey = (a: string, b: string) => {
  const [sa, ka] = a.split("\u0000") as [string, string];
  const [sb, kb] = b.split("\u0000") as [string, string];
  return Number(sa) - Number(sb) || (ka < kb ? -1 : ka > kb ? 1 : 0);
};

// ---------------------------------------------------------------------------------------------
// Flapping and grouping

describe("isFlapping", () => {
  const now = new Date("2026-11-18T12:00:00Z");
  const ago = (minutes: number) => new Date(now.getTime() - minutes * 60_000);
  const policy = { changes: 4, windowMinutes: 30 };

  it("is more than `changes` changes within the window; older changes do not count; the window's start does", () => {
    expect(isFlapping([], now, policy)).toBe(false);
    expect(isFlapping([ago(1), ago(2), ago(3), ago(4)], now, policy)).toBe(false);
    expect(isFlapping([ago(1), ago(2), ago(3), ago(4), ago(5)], now, policy)).toBe(true);
    expect(isFlapping([ago(1), ago(2), ago(3), ago(4), ago(31)], now, policy)).toBe(false);
    expect(isFlapping([ago(1), ago(2), ago(3), ago(4), ago(30)], now, policy)).toBe(true);
  });

  it("agrees with counting the changes in the window", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 120 }), { maxLength: 20 }),
        fc.integer({ min: 2, max: 10 }),
        fc.integer({ min: 1, max: 90 }),
        (minutesAgo, changes, windowMinutes) => {
          const inWindow = minutesAgo.filter((m) => m <= windowMinutes).length;
          expect(isFlapping(minutesAgo.map(ago), now, { changes, windowMinutes })).toBe(inWindow > changes);
        },
      ),
    );
  });
});

describe("placeAlerts", () => {
  const now = new Date("2026-11-18T12:00:00Z");
  const group = (over: Partial<GroupState> = {}): GroupState => ({
    id: 7,
    incidentOpen: true,
    pageResolved: false,
    lastAlertAt: new Date(now.getTime() - 5 * 60_000),
    ...over,
  });
  const calm = [{ flapping: false }];
  const flapping = [{ flapping: true }];

  it("attaches to the open group within the window (the window's end included), without a new page", () => {
    expect(placeAlerts(group(), now, 60, calm)).toEqual({ kind: "attach", repage: false });
    const edge = group({ lastAlertAt: new Date(now.getTime() - 60 * 60_000) });
    expect(placeAlerts(edge, now, 60, calm)).toEqual({ kind: "attach", repage: false });
  });

  it("re-pages an attached group whose page was resolved, unless every new alert is flapping", () => {
    expect(placeAlerts(group({ pageResolved: true }), now, 60, calm)).toEqual({
      kind: "attach",
      repage: true,
    });
    expect(placeAlerts(group({ pageResolved: true }), now, 60, [...flapping, ...calm])).toEqual({
      kind: "attach",
      repage: true,
    });
    expect(placeAlerts(group({ pageResolved: true }), now, 60, flapping)).toEqual({
      kind: "attach",
      repage: false,
    });
  });

  it("opens a new group when there is none, its incident ended, or the window passed", () => {
    expect(placeAlerts(null, now, 60, calm)).toEqual({ kind: "new-group" });
    expect(placeAlerts(group({ incidentOpen: false }), now, 60, calm)).toEqual({ kind: "new-group" });
    const late = group({ lastAlertAt: new Date(now.getTime() - 60 * 60_000 - 1) });
    expect(placeAlerts(late, now, 60, calm)).toEqual({ kind: "new-group" });
  });

  it("flapping alerts alone never open a group", () => {
    expect(placeAlerts(null, now, 60, flapping)).toEqual({ kind: "none" });
    expect(placeAlerts(group({ incidentOpen: false }), now, 60, flapping)).toEqual({ kind: "none" });
    expect(placeAlerts(null, now, 60, [])).toEqual({ kind: "none" });
  });

  it("in general: attach iff the group is open and within the window; a page only for a non-flapping alert", () => {
    fc.assert(
      fc.property(
        fc.option(
          fc.record({
            incidentOpen: fc.boolean(),
            pageResolved: fc.boolean(),
            minutesAgo: fc.integer({ min: 0, max: 200 }),
          }),
          { nil: null },
        ),
        fc.integer({ min: 1, max: 120 }),
        fc.array(fc.record({ flapping: fc.boolean() }), { maxLength: 5 }),
        (g, window, opened) => {
          const state =
            g === null
              ? null
              : group({
                  incidentOpen: g.incidentOpen,
                  pageResolved: g.pageResolved,
                  lastAlertAt: new Date(now.getTime() - g.minutesAgo * 60_000),
                });
          const r = placeAlerts(state, now, window, opened);
          const paging = opened.some((a) => !a.flapping);
          if (g?.incidentOpen === true && g.minutesAgo <= window)
            expect(r).toEqual({ kind: "attach", repage: paging && g.pageResolved });
          else expect(r).toEqual({ kind: paging ? "new-group" : "none" });
        },
      ),
    );
  });
});
