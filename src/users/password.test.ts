import { scryptSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { CURRENT_COST, hashPassword, needsRehash, newPassword, verifyPassword } from "./password.ts";

describe("password hashing", () => {
  it("stores scrypt with its cost and a random salt, and verifies only the right password", async () => {
    const a = await hashPassword("correct horse battery staple");
    const b = await hashPassword("correct horse battery staple");
    expect(a).toMatch(new RegExp(`^scrypt\\$${CURRENT_COST.N}\\$8\\$1\\$[\\w-]{22}\\$[\\w-]{43}$`));
    expect(a, "salted: the same password hashes differently").not.toBe(b);
    expect(await verifyPassword("correct horse battery staple", a)).toBe(true);
    expect(await verifyPassword("correct horse battery stapl", a)).toBe(false);
    expect(needsRehash(a)).toBe(false);
  });

  it("verifies a hash made at another cost, and asks to rehash it when the cost was lower", async () => {
    const salt = Buffer.from("0123456789abcdef");
    const key = scryptSync("old password here", salt, 32, { N: 2 ** 14, r: 8, p: 1 });
    const stored = `scrypt$${2 ** 14}$8$1$${salt.toString("base64url")}$${key.toString("base64url")}`;
    expect(await verifyPassword("old password here", stored)).toBe(true);
    expect(needsRehash(stored)).toBe(true);
  });

  it("a malformed stored hash never matches", async () => {
    for (const stored of [
      "",
      "plain",
      "scrypt$x$8$1$abc$def",
      "bcrypt$10$8$1$abc$def",
      "scrypt$16384$8$1$$",
    ]) {
      expect(await verifyPassword("anything at all", stored)).toBe(false);
    }
  });

  it("the rule: 12 to 200 characters, with messages that name it", () => {
    expect(newPassword.safeParse("x".repeat(12)).success).toBe(true);
    expect(newPassword.safeParse("x".repeat(200)).success).toBe(true);
    expect(newPassword.safeParse("x".repeat(11)).error?.issues[0]?.message).toContain("at least 12");
    expect(newPassword.safeParse("x".repeat(201)).error?.issues[0]?.message).toContain("at most 200");
  });
});
