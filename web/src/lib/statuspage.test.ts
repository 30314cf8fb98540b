import { describe, expect, it } from "vitest";
import type { PublicIncident, StatusComponent, StatusUpdate } from "../api/statuspage.ts";
import { orderComponents, publishedUpdates, splitPosts, stateWords } from "./statuspage.ts";

const post = (over: Partial<PublicIncident>): PublicIncident => ({
  id: 1,
  pageId: 1,
  incidentId: null,
  kind: "incident",
  name: "n",
  status: "investigating",
  impact: "minor",
  security: false,
  published: true,
  scheduledFor: null,
  scheduledUntil: null,
  resolvedAt: null,
  createdAt: "2026-03-02T10:00:00Z",
  updates: [],
  ...over,
});
const update = (over: Partial<StatusUpdate>): StatusUpdate => ({
  id: 1,
  statusIncidentId: 1,
  status: "investigating",
  body: "b",
  affected: [],
  state: "published",
  draftedBy: 1,
  approvedBy: 1,
  impactConfirmedWith: null,
  createdAt: "2026-03-02T10:00:00Z",
  publishedAt: "2026-03-02T10:00:00Z",
  ...over,
});

describe("the status page's posts", () => {
  it("lists published incidents, unresolved first, then newest first", () => {
    const { incidents } = splitPosts([
      post({ id: 1, name: "old open", createdAt: "2026-03-01T10:00:00Z" }),
      post({
        id: 2,
        name: "resolved",
        createdAt: "2026-03-03T10:00:00Z",
        resolvedAt: "2026-03-03T11:00:00Z",
      }),
      post({ id: 3, name: "new open", createdAt: "2026-03-02T10:00:00Z" }),
      post({ id: 4, name: "draft", published: false }),
      post({ id: 5, name: "maintenance", kind: "maintenance" }),
    ]);
    expect(incidents.map((p) => p.name)).toEqual(["new open", "old open", "resolved"]);
  });

  it("lists maintenance by its window, drafts included, finished last", () => {
    const { maintenances } = splitPosts([
      post({ id: 1, kind: "maintenance", name: "later", scheduledFor: "2026-03-05T10:00:00Z" }),
      post({
        id: 2,
        kind: "maintenance",
        name: "done",
        scheduledFor: "2026-03-01T10:00:00Z",
        resolvedAt: "x",
      }),
      post({
        id: 3,
        kind: "maintenance",
        name: "sooner",
        scheduledFor: "2026-03-04T10:00:00Z",
        published: false,
      }),
    ]);
    expect(maintenances.map((p) => p.name)).toEqual(["sooner", "later", "done"]);
  });

  it("shows only published updates, newest first", () => {
    const p = post({
      updates: [
        update({ id: 1, body: "first", publishedAt: "2026-03-02T10:00:00Z" }),
        update({ id: 2, body: "draft", state: "draft", publishedAt: null }),
        update({ id: 3, body: "second", publishedAt: "2026-03-02T11:00:00Z" }),
      ],
    });
    expect(publishedUpdates(p).map((u) => u.body)).toEqual(["second", "first"]);
  });

  it("puts states in words", () => {
    expect(stateWords("in_progress")).toBe("In progress");
    expect(stateWords("investigating")).toBe("Investigating");
  });
});

describe("the page's components", () => {
  const component = (over: Partial<StatusComponent>): StatusComponent => ({
    id: 1,
    pageId: 1,
    name: "c",
    description: null,
    status: "operational",
    groupId: null,
    group: false,
    position: 0,
    showcase: true,
    onlyShowIfDegraded: false,
    startDate: null,
    updatedAt: "2026-03-02T10:00:00Z",
    ...over,
  });

  it("orders by position, each group followed by its members", () => {
    const order = orderComponents([
      component({ id: 1, name: "API", position: 2 }),
      component({ id: 2, name: "Backend", group: true, position: 1 }),
      component({ id: 3, name: "DB", groupId: 2, position: 1 }),
      component({ id: 4, name: "Queue", groupId: 2, position: 0 }),
      component({ id: 5, name: "Website", position: 0 }),
      component({ id: 6, name: "Orphan", groupId: 99, position: 3 }),
    ]);
    expect(order.map((o) => `${"  ".repeat(o.depth)}${o.component.name}`)).toEqual([
      "Website",
      "Backend",
      "  Queue",
      "  DB",
      "API",
      "Orphan",
    ]);
  });
});
