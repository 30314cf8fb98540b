/** The drop-in vendor payloads as alert events: keys, priorities, states (pure, no I/O). */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEDUP_KEY_MAX } from "./model.ts";
import {
  eventV1Problems,
  fromEventV1,
  fromFormattedWebhook,
  fromOpsgenieCreate,
  opsgeniePriorities,
  vendorKey,
} from "./vendor-model.ts";

describe("vendorKey", () => {
  it("keeps an identity that fits, and hashes a longer one to a key that fits", () => {
    expect(vendorKey("srv01/HTTP")).toBe("srv01/HTTP");
    expect(vendorKey("a".repeat(512))).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
  it("is stable, fits a dedup key, and two identities never share a key", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 600 }), fc.string({ maxLength: 600 }), (a, b) => {
        expect(vendorKey(a)).toBe(vendorKey(a));
        expect(vendorKey(a).length).toBeLessThanOrEqual(DEDUP_KEY_MAX);
        if (a !== b) expect(vendorKey(a)).not.toBe(vendorKey(b));
      }),
    );
  });
});

describe("Opsgenie", () => {
  it("maps every priority to a severity, P3 when none is given", () => {
    const severity = (priority?: (typeof opsgeniePriorities)[number]) =>
      fromOpsgenieCreate({ message: "m", ...(priority && { priority }) }).severity;
    expect(opsgeniePriorities.map(severity)).toEqual(["critical", "error", "warning", "info", "info"]);
    expect(severity()).toBe("warning");
  });
  it("the alias is the dedup key; without one each create gets its own key", () => {
    expect(fromOpsgenieCreate({ message: "m", alias: "disk" }).dedupKey).toBe("disk");
    const a = fromOpsgenieCreate({ message: "m" }).dedupKey;
    expect(a).not.toBe(fromOpsgenieCreate({ message: "m" }).dedupKey);
  });
});

describe("Grafana OnCall formatted webhook", () => {
  it("state ok (any case) resolves, anything else fires; alert_uid or else the title is the key", () => {
    expect(fromFormattedWebhook({ alert_uid: "u", state: "OK" }).action).toBe("resolve");
    expect(fromFormattedWebhook({ alert_uid: "u", state: "alerting" }).action).toBe("trigger");
    expect(fromFormattedWebhook({}).action).toBe("trigger");
    expect(fromFormattedWebhook({ title: "t", state: "ok" }).dedupKey).toBe(
      fromFormattedWebhook({ title: "t", state: "alerting" }).dedupKey,
    );
  });
});

describe("Events API v1", () => {
  it("a trigger needs a description, acknowledge and resolve an incident_key", () => {
    expect(eventV1Problems({ service_key: "k", event_type: "trigger" })).toEqual([
      "'description' is missing and is required for trigger events",
    ]);
    expect(eventV1Problems({ service_key: "k", event_type: "acknowledge" })[0]).toMatch(/incident_key/);
    expect(eventV1Problems({ service_key: "k", event_type: "resolve", incident_key: "x" })).toEqual([]);
  });
  it("acknowledge and resolve carry only the key: the trigger's content stays", () => {
    const e = fromEventV1({
      service_key: "k",
      event_type: "resolve",
      incident_key: "x",
      description: "fixed",
    });
    expect(e).toMatchObject({ dedupKey: "x", action: "resolve", summary: "", details: {} });
  });
});
