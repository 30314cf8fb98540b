import { describe, expect, it } from "vitest";
import type { Alert } from "../api/alerts.ts";
import { alertSource, groupByService } from "./alerts.ts";

let nextId = 1;
const alert = (over: Partial<Alert>): Alert => ({
  id: nextId++,
  serviceId: 1,
  service: "Checkout",
  dedupKey: "k",
  source: "events",
  status: "firing",
  summary: "s",
  severity: "critical",
  details: {},
  incidentId: null,
  occurrences: 1,
  flapping: false,
  suppressed: false,
  firstSeenAt: "2026-03-02T10:00:00Z",
  lastSeenAt: "2026-03-02T10:00:00Z",
  resolvedAt: null,
  ...over,
});

describe("open alerts by service", () => {
  it("puts the newest first within a service and orders services by their newest alert", () => {
    const a = alert({ summary: "old checkout", firstSeenAt: "2026-03-02T09:00:00Z" });
    const b = alert({
      summary: "search",
      serviceId: 2,
      service: "Search",
      firstSeenAt: "2026-03-02T09:30:00Z",
    });
    const c = alert({ summary: "new checkout", firstSeenAt: "2026-03-02T10:00:00Z", status: "acknowledged" });
    const groups = groupByService([a, b, c]);
    expect(groups.map((g) => g.service)).toEqual(["Checkout", "Search"]);
    expect(groups[0]?.alerts.map((x) => x.summary)).toEqual(["new checkout", "old checkout"]);
    expect(groups[0]?.firing).toBe(1);
    expect(groups[1]?.firing).toBe(1);
  });

  it("orders alerts that fired at the same moment by id, newest first", () => {
    const first = alert({ summary: "first" });
    const second = alert({ summary: "second" });
    expect(groupByService([first, second])[0]?.alerts.map((x) => x.summary)).toEqual(["second", "first"]);
  });

  it("leaves resolved alerts out, and services with only resolved ones", () => {
    const groups = groupByService([
      alert({ status: "resolved" }),
      alert({ serviceId: 3, service: "Mail", status: "resolved" }),
      alert({ summary: "open" }),
    ]);
    expect(groups).toHaveLength(1);
    expect(groups[0]?.alerts.map((x) => x.summary)).toEqual(["open"]);
    expect(groupByService([])).toEqual([]);
  });
});

describe("an alert's source", () => {
  it("names the sender's own source when it gave one", () => {
    expect(alertSource({ source: "events", details: { source: "prometheus" } })).toBe(
      "prometheus via events",
    );
    expect(alertSource({ source: "alertmanager", details: {} })).toBe("alertmanager");
    expect(alertSource({ source: "events", details: { source: "" } })).toBe("events");
    expect(alertSource({ source: "events", details: { source: 3 } })).toBe("events");
  });
});
