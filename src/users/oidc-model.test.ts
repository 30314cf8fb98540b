import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { claimValues, nthUsername, roleFromClaim, safeReturnTo, usernameFor } from "./oidc-model.ts";

describe("single sign-on claims", () => {
  it("maps claim values to the highest role, a role's own name to itself", () => {
    const map = { sre: "responder", "sre-leads": "admin" } as const;
    expect(roleFromClaim(["sre"], map)).toBe("responder");
    expect(roleFromClaim(["sre", "sre-leads", "viewer"], map)).toBe("admin");
    expect(roleFromClaim("viewer", map)).toBe("viewer");
    expect(roleFromClaim(["marketing"], map)).toBeUndefined();
    expect(roleFromClaim(undefined, map)).toBeUndefined();
    expect(roleFromClaim([1, { admin: true }], map)).toBeUndefined();
    expect(claimValues(["a", 2, "b"])).toEqual(["a", "b"]);
  });

  it("derives a valid username from the preferred username or the email", () => {
    expect(usernameFor({ preferred_username: "Ada.Lovelace" })).toBe("ada.lovelace");
    expect(usernameFor({ email: "José.Núñez@example.com" })).toBe("jose.nunez");
    expect(usernameFor({ preferred_username: "ada@example.com" })).toBe("ada");
    expect(usernameFor({ preferred_username: "  ", email: "bob+ops@example.com" })).toBe("bob-ops");
    expect(usernameFor({})).toBe("user");
    expect(nthUsername("ada", 1)).toBe("ada");
    expect(nthUsername("ada", 3)).toBe("ada-3");
  });

  it("any claims give a username the users API accepts", () => {
    fc.assert(
      fc.property(fc.option(fc.string()), fc.option(fc.string()), (p, e) => {
        const u = usernameFor({ preferred_username: p ?? undefined, email: e ?? undefined });
        expect(u).toMatch(/^[a-z0-9][a-z0-9._-]{0,62}$/);
        expect(nthUsername(u, 99)).toMatch(/^[a-z0-9][a-z0-9._-]{0,62}$/);
      }),
    );
  });

  it("sends the browser back only to a path on this site", () => {
    expect(safeReturnTo("/incidents?state=open")).toBe("/incidents?state=open");
    for (const bad of ["//evil.example", "/\\evil.example", "https://evil.example/", "incidents", "/a b", 3])
      expect(safeReturnTo(bad)).toBe("/");
    fc.assert(
      fc.property(fc.string(), (s) => {
        const r = safeReturnTo(s);
        expect(new URL(r, "https://firebreak.example").origin).toBe("https://firebreak.example");
      }),
    );
  });
});
