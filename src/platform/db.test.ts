import { describe, expect, it } from "vitest";
import { isDatabaseUnavailable } from "./db.ts";

const withCode = (code: string, message = "x") => Object.assign(new Error(message), { code });

describe("isDatabaseUnavailable: the database faults that answer 503, not 500", () => {
  it.each([
    ["refused", withCode("ECONNREFUSED")],
    ["reset", withCode("ECONNRESET")],
    ["pool wait", new Error("timeout exceeded when trying to connect")],
    ["connect timeout", new Error("Connection terminated due to connection timeout")],
    ["terminated", new Error("Connection terminated unexpectedly")],
    ["read timeout", new Error("Query read timeout")],
    ["class 08", withCode("08006")],
    ["admin shutdown", withCode("57P01")],
    ["crash shutdown", withCode("57P02")],
    ["starting up", withCode("57P03")],
    ["statement timeout", withCode("57014")],
    ["too many connections", withCode("53300")],
    ["wrapped", new Error("outer", { cause: withCode("ECONNREFUSED") })],
    ["several addresses", new AggregateError([withCode("ECONNREFUSED"), withCode("ECONNREFUSED")])],
  ])("%s", (_what, err) => {
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it.each([
    ["a unique violation", withCode("23505")],
    ["a NUL in text", withCode("22021")],
    ["a bug", new TypeError("x is undefined")],
    ["not an error", "ECONNREFUSED"],
  ])("not %s", (_what, err) => {
    expect(isDatabaseUnavailable(err)).toBe(false);
  });
});
