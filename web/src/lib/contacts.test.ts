import { describe, expect, it } from "vitest";
import { contactProblems, delayText, outcomeWords, parseRule, sortRules } from "./contacts.ts";

describe("contactProblems", () => {
  it("checks as the API does, naming the field", () => {
    expect(contactProblems({ kind: "email", label: "Work", address: "ada@example.com" })).toEqual({});
    expect(contactProblems({ kind: "email", label: " ", address: "ada" })).toEqual({
      label: "give it a name, e.g. Work phone mail",
      address: "expected an email address like oncall@example.com",
    });
    expect(contactProblems({ kind: "webhook", label: "Hook", address: "ftp://x.example" }).address).toBe(
      "expected an http:// or https:// URL",
    );
    expect(contactProblems({ kind: "chat", label: "Chat", address: "https://hooks.slack.com/x" })).toEqual(
      {},
    );
    expect(
      contactProblems({ kind: "webhook", label: "x".repeat(101), address: "https://a.example" }).label,
    ).toMatch(/at most 100/);
  });
});

describe("contactProblems for ntfy", () => {
  it("wants a topic URL and a token without spaces", () => {
    expect(
      contactProblems({ kind: "ntfy", label: "Phone", address: "https://ntfy.sh/firebreak-ada" }),
    ).toEqual({});
    expect(
      contactProblems({
        kind: "ntfy",
        label: "Phone",
        address: "http://10.0.0.5/oncall",
        accessToken: "tk_abc",
      }),
    ).toEqual({});
    expect(contactProblems({ kind: "ntfy", label: "Phone", address: "https://ntfy.sh/" }).address).toMatch(
      /topic at the end/,
    );
    expect(
      contactProblems({ kind: "ntfy", label: "Phone", address: "https://u:p@ntfy.sh/t" }).address,
    ).toMatch(/credentials/);
    expect(
      contactProblems({ kind: "ntfy", label: "Phone", address: "https://ntfy.sh/t", accessToken: "tk a" })
        .accessToken,
    ).toMatch(/no spaces/);
  });
});

describe("contactProblems for phones", () => {
  it("wants an E.164 number for SMS and voice", () => {
    expect(contactProblems({ kind: "sms", label: "Phone", address: "+14155550100" })).toEqual({});
    expect(contactProblems({ kind: "voice", label: "Phone", address: "+441632960961" })).toEqual({});
    for (const address of ["4155550100", "+1 415 555 0100", "+0123456", ""])
      expect(contactProblems({ kind: "sms", label: "Phone", address }).address, address).toMatch(/E\.164/);
  });
});

describe("parseRule", () => {
  it("accepts whole minutes 0..1440 and names each problem", () => {
    expect(parseRule({ contactMethodId: "3", urgency: "high", delayMinutes: "0" })).toEqual({
      ok: true,
      rule: { contactMethodId: 3, urgency: "high", delayMinutes: 0 },
    });
    const bad = parseRule({ contactMethodId: "", urgency: "soon", delayMinutes: "1.5" });
    expect(bad.ok).toBe(false);
    if (!bad.ok)
      expect(Object.keys(bad.problems).sort()).toEqual(["contactMethodId", "delayMinutes", "urgency"]);
    expect(parseRule({ contactMethodId: "1", urgency: "low", delayMinutes: "" }).ok).toBe(false);
    expect(parseRule({ contactMethodId: "1", urgency: "low", delayMinutes: "1441" }).ok).toBe(false);
  });
});

describe("words", () => {
  it("reads delays, outcomes and rule order", () => {
    expect([delayText(0), delayText(1), delayText(15)]).toEqual([
      "at once",
      "after 1 minute",
      "after 15 minutes",
    ]);
    expect(outcomeWords({ status: "failed", error: "HTTP 500 Internal Server Error" })).toBe(
      "Failed: HTTP 500 Internal Server Error",
    );
    expect(outcomeWords({ status: "delivered" })).toBe("Delivered");
    const rules = sortRules([
      { id: 1, urgency: "low" as const, delayMinutes: 0 },
      { id: 2, urgency: "high" as const, delayMinutes: 10 },
      { id: 3, urgency: "high" as const, delayMinutes: 0 },
    ]);
    expect(rules.map((r) => r.id)).toEqual([3, 2, 1]);
  });
});
