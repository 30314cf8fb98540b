/** The sign-in throttle counts client networks: an IPv4 address, or an IPv6 /64. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/support/database.ts";
import { TestClock } from "../platform/clock.ts";
import { type Database, openDatabase } from "../platform/db.ts";
import { clientNetwork, createThrottle } from "./throttle.ts";

describe("clientNetwork", () => {
  it("an IPv4 address is its own network", () => {
    expect(clientNetwork("203.0.113.7")).toBe("203.0.113.7");
    expect(clientNetwork("127.0.0.1")).toBe("127.0.0.1");
  });

  it("an IPv6 address counts as its /64", () => {
    expect(clientNetwork("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(clientNetwork("2001:db8:1:2:bbbb:cccc:dddd:eeee")).toBe("2001:db8:1:2::/64");
    expect(clientNetwork("2001:DB8:1:2::ffff")).toBe("2001:db8:1:2::/64");
    expect(clientNetwork("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(clientNetwork("2001:db8:0:0:1::")).toBe("2001:db8:0:0::/64");
    expect(clientNetwork("::1")).toBe("0:0:0:0::/64");
    expect(clientNetwork("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(clientNetwork("64:ff9b::198.51.100.1")).toBe("64:ff9b:0:0::/64");
    expect(clientNetwork("2001:db8:1:3::1")).not.toBe(clientNetwork("2001:db8:1:2::1"));
  });

  it("an IPv4-mapped IPv6 address counts as the IPv4 address", () => {
    expect(clientNetwork("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(clientNetwork("::FFFF:203.0.113.7")).toBe("203.0.113.7");
    expect(clientNetwork("::ffff:cb00:7107")).toBe("203.0.113.7");
  });

  it("leaves anything else as it is", () => {
    expect(clientNetwork("unknown")).toBe("unknown");
  });
});

describe("the per-address limit", () => {
  let database: Database;
  beforeAll(async () => {
    database = openDatabase(await createTestDatabase(), 2);
  });
  afterAll(() => database.close());

  it("counts every address of one IPv6 /64 together, and each IPv4 address alone", async () => {
    const clock = new TestClock("2026-03-02T10:00:00Z");
    const throttle = createThrottle({ db: database.db, clock, limits: { perAddress: 3 } });
    for (const address of ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3"]) {
      await throttle.begin({ address });
      await throttle.failed();
    }
    await expect(throttle.begin({ address: "2001:db8:1:2::4" })).rejects.toMatchObject({
      code: "rate-limited",
    });
    // The next /64 is another network, and so is every IPv4 address.
    await throttle.begin({ address: "2001:db8:1:3::1" });
    for (const address of ["198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"]) {
      await throttle.begin({ address });
    }
    // An IPv4 address seen as IPv4-mapped IPv6 is the same client.
    await throttle.begin({ address: "203.0.113.9" });
    await throttle.begin({ address: "::ffff:203.0.113.9" });
    await throttle.begin({ address: "203.0.113.9" });
    await expect(throttle.begin({ address: "::ffff:203.0.113.9" })).rejects.toMatchObject({
      code: "rate-limited",
    });
  });
});
