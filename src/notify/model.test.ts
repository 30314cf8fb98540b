import { describe, expect, it } from "vitest";
import { classifyHttpStatus, contactKey, escapeHtml, oneLine, parseRetryAfter, plainText } from "./model.ts";

const now = new Date("2026-03-01T12:00:00Z");

describe("notify model helpers", () => {
  it("parses Retry-After as seconds or an HTTP-date, capped at an hour", () => {
    expect(parseRetryAfter("7", now)).toBe(7000);
    expect(parseRetryAfter(" 0 ", now)).toBe(0);
    expect(parseRetryAfter("Sun, 01 Mar 2026 12:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Sun, 01 Mar 2026 11:00:00 GMT", now)).toBe(0); // in the past: now
    expect(parseRetryAfter("999999", now)).toBe(3_600_000);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter("-5", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it("classifies HTTP answers", () => {
    expect(classifyHttpStatus(204, null, now)).toEqual({ status: "delivered" });
    expect(classifyHttpStatus(503, "2", now)).toEqual({
      status: "failed-retryable",
      reason: "HTTP 503 Service Unavailable",
      retryAfterMs: 2000,
    });
    expect(classifyHttpStatus(408, null, now).status).toBe("failed-retryable");
    // The standard name of the code, never the receiver's text.
    expect(classifyHttpStatus(404, null, now)).toEqual({
      status: "failed-permanent",
      reason: "HTTP 404 Not Found",
    });
    expect(classifyHttpStatus(599, null, now)).toMatchObject({ reason: "HTTP 599" });
    expect(classifyHttpStatus(302, null, now)).toEqual({
      status: "failed-permanent",
      reason: "HTTP 302 Found (redirects are not followed: use the final URL)",
    });
  });

  it("contact keys ignore address case and never contain the webhook secret", () => {
    expect(contactKey({ kind: "email", address: " Ana@Example.com" })).toBe("email:ana@example.com");
    expect(contactKey({ kind: "webhook", url: "https://h.example/x", secret: "s3cret" })).not.toContain(
      "s3cret",
    );
  });

  it("text helpers", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    expect(oneLine("a\r\n  b\tc", 200)).toBe("a b c");
    expect(oneLine("abcdef", 4)).toBe("abc…");
    const n = {
      idempotencyKey: "k",
      to: { kind: "chat" as const, url: "https://c.example" },
      subject: "s",
      text: "Body",
      links: [{ label: "Acknowledge", url: "https://a.example" }],
      pages: [],
    };
    expect(plainText(n)).toBe("Body\n\nAcknowledge: https://a.example");
  });
});
