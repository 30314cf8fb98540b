import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { PublicIncident, StatusComponent, StatusUpdate } from "../api/statuspage.ts";
import {
  canManage,
  componentFormProblems,
  isTimeZone,
  moveBy,
  movedMessage,
  moveOnto,
  nextPosition,
  orderComponents,
  orderedIds,
  pageFormProblems,
  publishedUpdates,
  refusalAt,
  siblingsOf,
  splitPosts,
  stateWords,
  withOrder,
} from "./statuspage.ts";

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

describe("arranging the page's components", () => {
  const c = (over: Partial<StatusComponent>): StatusComponent => ({
    id: 1,
    pageId: 1,
    name: `c${over.id ?? 1}`,
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
  const page = [
    c({ id: 1, name: "Website", position: 0 }),
    c({ id: 2, name: "Platform", group: true, position: 1 }),
    c({ id: 3, name: "API", groupId: 2, position: 2 }),
    c({ id: 4, name: "Queue", groupId: 2, position: 3 }),
    c({ id: 5, name: "Search", position: 4 }),
  ];
  const names = (ids: number[]) => ids.map((id) => page.find((x) => x.id === id)?.name);

  it("moves a component up or down among its siblings; a group takes its members along", () => {
    expect(names(orderedIds(page))).toEqual(["Website", "Platform", "API", "Queue", "Search"]);
    const queueUp = moveBy(page, 4, -1);
    expect(queueUp).toMatchObject({ position: 1, of: 2, group: "Platform" });
    expect(names(queueUp?.ids ?? [])).toEqual(["Website", "Platform", "Queue", "API", "Search"]);
    const platformDown = moveBy(page, 2, 1);
    expect(platformDown).toMatchObject({ position: 3, of: 3, group: null });
    expect(names(platformDown?.ids ?? [])).toEqual(["Website", "Search", "Platform", "API", "Queue"]);
    // Not past the ends of its siblings: a member does not leave its group by moving.
    expect(moveBy(page, 3, -1)).toBeNull();
    expect(moveBy(page, 5, 1)).toBeNull();
    expect(moveBy(page, 99, 1)).toBeNull();
  });

  it("moves a dragged component onto a sibling's place, never into another group", () => {
    expect(names(moveOnto(page, 5, 1)?.ids ?? [])).toEqual(["Search", "Website", "Platform", "API", "Queue"]);
    expect(moveOnto(page, 3, 1)).toBeNull(); // a member dropped on a top-level component
    expect(moveOnto(page, 1, 1)).toBeNull(); // onto itself
  });

  it("says where the moved one is now, for screen readers", () => {
    expect(movedMessage("Queue", { position: 1, of: 2, group: "Platform" })).toBe(
      "Queue: position 1 of 2 in Platform.",
    );
    expect(movedMessage("Search", { position: 3, of: 3, group: null })).toBe("Search: position 3 of 3.");
  });

  it("numbers positions in the order sent, and puts a new one after the rest", () => {
    const ordered = withOrder(page, [5, 1, 2, 4, 3]);
    expect(names(orderedIds(ordered))).toEqual(["Search", "Website", "Platform", "Queue", "API"]);
    expect(nextPosition(page)).toBe(5);
    expect(nextPosition([])).toBe(0);
    expect(siblingsOf(page, 3).map((x) => x.name)).toEqual(["API", "Queue"]);
  });

  /** A page of up to 3 groups with up to 4 members each and up to 4 loose components, any positions. */
  const pages = fc
    .tuple(
      fc.array(fc.array(fc.nat(20), { maxLength: 4 }), { maxLength: 3 }),
      fc.array(fc.nat(20), { maxLength: 4 }),
      fc.nat(20),
    )
    .map(([groups, loose, seed]) => {
      const out: StatusComponent[] = [];
      let id = 1;
      for (const members of groups) {
        const g = c({ id: id++, group: true, position: (seed * id) % 7 });
        out.push(g);
        for (const p of members) out.push(c({ id: id++, groupId: g.id, position: p }));
      }
      for (const p of loose) out.push(c({ id: id++, position: p }));
      return out;
    });
  const parentOf = (components: StatusComponent[]) => new Map(components.map((x) => [x.id, x.groupId]));

  it("a move keeps every component once, each with its group, members right after their group", () => {
    fc.assert(
      fc.property(pages, fc.nat(30), fc.boolean(), (components, pick, up) => {
        const target = components[pick % Math.max(1, components.length)];
        if (!target) return;
        const moved = moveBy(components, target.id, up ? -1 : 1);
        if (!moved) return;
        expect([...moved.ids].sort((a, b) => a - b)).toEqual(
          components.map((x) => x.id).sort((a, b) => a - b),
        );
        // Stored as sent, the new order reads back the same, with the same parents.
        const after = withOrder(components, moved.ids);
        expect(orderedIds(after)).toEqual(moved.ids);
        expect(parentOf(after)).toEqual(parentOf(components));
        const rows = orderComponents(after);
        rows.forEach((r, n) => {
          if (r.depth === 1) {
            const prev = rows[n - 1]?.component;
            expect(prev?.id === r.component.groupId || prev?.groupId === r.component.groupId).toBe(true);
          }
        });
      }),
    );
  });

  it("moving up then down (or down then up) puts everything back", () => {
    fc.assert(
      fc.property(pages, fc.nat(30), fc.boolean(), (components, pick, up) => {
        const target = components[pick % Math.max(1, components.length)];
        if (!target) return;
        const first = moveBy(components, target.id, up ? -1 : 1);
        if (!first) return;
        const back = moveBy(withOrder(components, first.ids), target.id, up ? 1 : -1);
        expect(back?.ids).toEqual(orderedIds(components));
        expect(first.position).toBe(
          siblingsOf(components, target.id).findIndex((x) => x.id === target.id) + (up ? 0 : 2),
        );
      }),
    );
  });
});

describe("the page and component forms", () => {
  it("checks a page as the API does: slug, name, time zone", () => {
    expect(pageFormProblems({ slug: "shop", name: "Shop", timeZone: "Europe/Berlin" })).toEqual({});
    expect(pageFormProblems({ slug: "Shop!", name: " ", timeZone: "Mars/Olympus" })).toEqual({
      slug: expect.stringMatching(/lowercase/),
      name: "a name is needed",
      timeZone: expect.stringMatching(/IANA/),
    });
    // Editing: no slug to check.
    expect(pageFormProblems({ name: "x".repeat(201), timeZone: "UTC" })).toEqual({
      name: "at most 200 characters",
    });
    expect(isTimeZone("UTC")).toBe(true);
    expect(isTimeZone("")).toBe(false);
  });

  it("checks a component: a name, a description of at most 2000 characters", () => {
    expect(componentFormProblems({ name: "API", description: "" })).toEqual({});
    expect(componentFormProblems({ name: "", description: "x".repeat(2001) })).toEqual({
      name: "a name is needed",
      description: "at most 2000 characters",
    });
  });
});

describe("refusals and who manages a page", () => {
  const fields = { name: "name", slug: "slug" } as const;

  it("puts a 400's messages and a 409 naming its field at the field; other answers are not about fields", () => {
    expect(refusalAt({ status: 400, detail: "timeZone: unknown; name: too long" }, fields)).toEqual({
      byField: { name: "too long" },
      rest: ["timeZone: unknown"],
    });
    expect(refusalAt({ status: 409, detail: "a status page shop exists", field: "slug" }, fields)).toEqual({
      byField: { slug: "a status page shop exists" },
      rest: [],
    });
    expect(refusalAt({ status: 409, detail: "busy", field: "other" }, fields)).toBeNull();
    expect(refusalAt({ status: 403, detail: "no" }, fields)).toBeNull();
    expect(refusalAt(null, fields)).toBeNull();
  });

  it("admins manage every page; others only their team's, as an admin of it", () => {
    const teams = [
      { id: 1, myRole: "responder" },
      { id: 2, myRole: "admin" },
    ];
    expect(canManage({ role: "admin" }, undefined, { teamId: 1 })).toBe(true);
    expect(canManage({ role: "responder" }, teams, { teamId: 2 })).toBe(true);
    expect(canManage({ role: "responder" }, teams, { teamId: 1 })).toBe(false);
    expect(canManage({ role: "responder" }, undefined, { teamId: 2 })).toBe(false);
    expect(canManage({ role: "responder" }, teams, undefined)).toBe(false);
  });
});
