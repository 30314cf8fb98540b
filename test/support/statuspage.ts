/** Status page fixtures shared by the renderer's unit tests and the browser test of its bars. */
import type { Component } from "../../src/statuspage/types.ts";

/** An operational, showcased component created on 2026-01-01, positioned by its id. */
export function component(id: string, name: string, over: Partial<Component> = {}): Component {
  return {
    id,
    name,
    description: null,
    status: "operational",
    groupId: null,
    group: false,
    position: Number(id),
    showcase: true,
    onlyShowIfDegraded: false,
    startDate: null,
    createdAt: new Date("2026-01-01T00:00:00Z"),
    updatedAt: new Date("2026-01-01T00:00:00Z"),
    ...over,
  };
}
