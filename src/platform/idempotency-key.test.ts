import { describe, expect, it } from "vitest";
import { AppError } from "./errors.ts";
import { canonicalJson, fingerprintOf, parseIdempotencyKey } from "./idempotency-key.ts";

describe("the Idempotency-Key header", () => {
  it("takes a bare key or the draft's quoted form (a Structured Field String)", () => {
    expect(parseIdempotencyKey("8e03978e-40d5-43e8-bc93-6894a57f9324")).toBe(
      "8e03978e-40d5-43e8-bc93-6894a57f9324",
    );
    expect(parseIdempotencyKey('"8e03978e"')).toBe("8e03978e");
    expect(parseIdempotencyKey('"a\\"b\\\\c"')).toBe('a"b\\c');
    expect(parseIdempotencyKey("k".repeat(255))).toHaveLength(255);
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
  });

  it("refuses what is not 1–255 visible ASCII characters, naming the header", () => {
    for (const bad of ["", '""', "a b", "k".repeat(256), "clé", "tab\there", ["a", "b"]]) {
      let caught: unknown;
      try {
        parseIdempotencyKey(bad);
      } catch (err) {
        caught = err;
      }
      expect(caught, JSON.stringify(bad)).toBeInstanceOf(AppError);
      expect((caught as AppError).extra.field).toBe("Idempotency-Key");
    }
  });
});

describe("a request's fingerprint", () => {
  it("canonical JSON sorts keys at every depth and keeps array order", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
  });

  it("equal requests match whatever their key order; another path or body does not", () => {
    const f = fingerprintOf("/api/v1/incidents", { title: "x", severity: "S2" });
    expect(fingerprintOf("/api/v1/incidents", { severity: "S2", title: "x" })).toBe(f);
    expect(fingerprintOf("/api/v1/incidents", { severity: "S3", title: "x" })).not.toBe(f);
    expect(fingerprintOf("/api/v1/incidents?x=1", { severity: "S2", title: "x" })).not.toBe(f);
    expect(fingerprintOf("/api/v1/incidents/1/notes", undefined)).toBe(
      fingerprintOf("/api/v1/incidents/1/notes", null),
    );
  });
});
