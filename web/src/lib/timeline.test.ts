import { describe, expect, it } from "vitest";
import type { TimelineEvent } from "../api/types.ts";
import { describeEvent, isPinnable } from "./timeline.ts";

const event = (
  kind: string,
  data: Record<string, unknown> = {},
  body = "",
  internal = false,
): TimelineEvent => ({
  id: 1,
  incidentId: 1,
  kind,
  at: "2026-03-02T10:00:00Z",
  actor: null,
  internal,
  body,
  data,
  pinned: false,
});
const names: Record<number, string> = { 1: "Ada", 2: "Bo" };
const nameOf = (id: unknown) => names[Number(id)] ?? "nobody";

describe("timeline events in words", () => {
  it("a pin names the entry it marks, or its number when that entry is not loaded", () => {
    const update = { ...event("status-update", { impact: "Checkout fails for 30%" }), id: 7 };
    const eventOf = (id: unknown) => (id === 7 ? update : undefined);
    expect(describeEvent(event("pinned", { eventId: 7 }), nameOf, eventOf)).toEqual({
      heading: "Pinned as a highlight",
      text: "Status update: Checkout fails for 30%",
      tone: "change",
    });
    expect(describeEvent(event("unpinned", { eventId: 9 }), nameOf, eventOf).text).toBe(
      "an earlier entry (#9)",
    );
  });

  it("says what changed, with the reason people gave", () => {
    expect(
      describeEvent(event("severity-changed", { from: "S3", to: "S1" }, "customers down"), nameOf),
    ).toEqual({
      heading: "Severity S3 → S1",
      text: "customers down",
      tone: "change",
    });
    expect(
      describeEvent(
        event("status-changed", { from: "triage", to: "investigating", verb: "accepted" }),
        nameOf,
      ).heading,
    ).toBe("Accepted");
    expect(
      describeEvent(event("status-changed", { from: "fixing", to: "monitoring", verb: "moved" }), nameOf)
        .heading,
    ).toBe("Moved from fixing to monitoring");
    expect(describeEvent(event("owner-changed", { from: 1, to: 2 }), nameOf).heading).toBe("Owner Ada → Bo");
    expect(describeEvent(event("role-changed", { role: "IM", from: 1, to: null }), nameOf).heading).toBe(
      "IM left unheld",
    );
    expect(
      describeEvent(event("fields-changed", { changed: { title: {}, summary: {} } }), nameOf).heading,
    ).toBe("Edited title, summary");
  });

  it("tells notes, internal notes and status updates apart", () => {
    expect(describeEvent(event("chat-message", { source: "room" }, "on it"), nameOf)).toMatchObject({
      heading: "Message",
      text: "on it",
    });
    expect(describeEvent(event("chat-message", { channel: "C1", author: "kim" }, "hi"), nameOf).heading).toBe(
      "Message in chat from kim",
    );
    expect(describeEvent(event("note", {}, "looking"), nameOf)).toMatchObject({
      heading: "Note",
      tone: "note",
    });
    expect(describeEvent(event("note", {}, "secret", true), nameOf)).toMatchObject({
      heading: "Internal note",
      tone: "internal",
    });
    expect(
      describeEvent(
        event("status-update", { impact: "slow pages", actions: "rolling back" }, "slow pages"),
        nameOf,
      ),
    ).toEqual({
      heading: "Status update",
      text: "slow pages",
      detail: "Actions: rolling back",
      tone: "update",
    });
  });

  it("shows pages, alerts and kinds it does not know, rather than hiding them", () => {
    expect(describeEvent(event("page-acknowledged", {}, "acked by Ada"), nameOf)).toEqual({
      heading: "Page acknowledged",
      text: "acked by Ada",
      tone: "page",
    });
    expect(describeEvent(event("alert-grouped", {}, "disk full"), nameOf).tone).toBe("alert");
    expect(describeEvent(event("review-started", {}, "x"), nameOf)).toEqual({
      heading: "Review started",
      text: "x",
      tone: "change",
    });
  });

  it("does not offer to pin a pin", () => {
    expect(isPinnable(event("pinned", { eventId: 3 }))).toBe(false);
    expect(isPinnable(event("note"))).toBe(true);
  });
});
