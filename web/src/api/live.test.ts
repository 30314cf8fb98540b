import { describe, expect, it } from "vitest";
import { mergeEvents } from "./live.ts";
import type { TimelineEvent } from "./types.ts";

const event = (
  id: number,
  kind = "note",
  data: Record<string, unknown> = {},
  pinned = false,
): TimelineEvent => ({
  id,
  incidentId: 1,
  kind,
  at: "2026-03-02T10:00:00Z",
  actor: null,
  internal: false,
  body: `event ${id}`,
  data,
  pinned,
});

describe("merging streamed events into the cached timeline", () => {
  it("keeps each event once, in id order, whatever overlaps between stream and re-fetch", () => {
    const merged = mergeEvents([event(1), event(3)], [event(3), event(2), event(4)]);
    expect(merged.map((e) => e.id)).toEqual([1, 2, 3, 4]);
    expect(mergeEvents(undefined, [event(5)]).map((e) => e.id)).toEqual([5]);
  });

  it("marks the event a pin or unpin names, as a re-fetch would", () => {
    const pinned = mergeEvents([event(1), event(2)], [event(3, "pinned", { eventId: 1 })]);
    expect(pinned.find((e) => e.id === 1)?.pinned).toBe(true);
    const unpinned = mergeEvents(pinned, [event(4, "unpinned", { eventId: 1 })]);
    expect(unpinned.find((e) => e.id === 1)?.pinned).toBe(false);
  });
});
