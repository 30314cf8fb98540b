import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadPolicy } from "../policy/load.ts";
import { announcementChannelsOf, channelNameOf, slugOf, videoBridgeOf } from "./places.ts";

describe("where an incident lives", () => {
  const policy = loadPolicy();

  it("names the channel from the template: id and a slug of the title", () => {
    const chat = { channelName: "inc-{id}-{slug}" };
    expect(channelNameOf(chat, { id: 123, title: "Checkout errors (EU)!", type: "GitLab.com" })).toBe(
      "inc-123-checkout-errors-eu",
    );
    expect(channelNameOf(chat, { id: 7, title: "", type: "GitLab.com" })).toBe("inc-7");
    expect(channelNameOf(chat, { id: 8, title: "Größe café", type: "GitLab.com" })).toBe("inc-8-grosse-cafe");
  });

  it("makes channel names Slack accepts whatever the title", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.nat(), (title, id) => {
        const name = channelNameOf({ channelName: "inc-{id}-{slug}" }, { id, title, type: "x" });
        expect(name).toMatch(/^[a-z0-9_-]{1,80}$/);
        expect(name.startsWith(`inc-${id}`)).toBe(true);
      }),
    );
  });

  it("fills the type's video bridge, URL-encoded, and has none for a type without one", () => {
    expect(videoBridgeOf(policy, { id: 42, title: "DB failover", type: "GitLab.com" })).toBe(
      "https://meet.jit.si/firebreak-42-db-failover",
    );
    const none = { ...policy, incidentTypes: policy.incidentTypes.map(({ videoBridge: _, ...t }) => t) };
    expect(videoBridgeOf(none, { id: 42, title: "x", type: "GitLab.com" })).toBeNull();
  });

  it("announces in the policy's channels and the type's own, once each (COMM-7)", () => {
    expect(announcementChannelsOf(policy, "GitLab.com")).toEqual(["incidents", "incidents-dotcom"]);
    expect(announcementChannelsOf(policy, "Gameday")).toEqual(["incidents"]);
    expect(slugOf("  --Hello, World--  ")).toBe("hello-world");
  });
});
