/** Reading the session cookie out of a Cookie header. */
import { describe, expect, it } from "vitest";
import { readSessionCookie } from "../../src/platform/session.ts";

const secret = "a".repeat(43);

describe("readSessionCookie", () => {
  it("finds firebreak_session among other cookies", () => {
    expect(readSessionCookie(`theme=dark; firebreak_session=${secret}; lang=en`)).toBe(secret);
    expect(readSessionCookie("theme=dark")).toBeUndefined();
    expect(readSessionCookie(undefined)).toBeUndefined();
    expect(readSessionCookie("")).toBeUndefined();
  });

  it("skips a malformed firebreak_session and takes the first well-formed one", () => {
    // Another app on a parent domain may set a cookie of the same name with a value of its own.
    expect(readSessionCookie(`firebreak_session="quoted"; firebreak_session=${secret}`)).toBe(secret);
    expect(readSessionCookie(`firebreak_session=; firebreak_session=${secret}`)).toBe(secret);
    expect(readSessionCookie(`firebreak_session=${"b".repeat(129)}; firebreak_session=${secret}`)).toBe(
      secret,
    );
    expect(readSessionCookie(`firebreak_session=${secret}; firebreak_session=${"c".repeat(43)}`)).toBe(
      secret,
    );
    expect(readSessionCookie("firebreak_session=no spaces; firebreak_session=a/b")).toBeUndefined();
  });
});
