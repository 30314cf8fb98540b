import { describe, expect, it } from "vitest";
import { extraHeaders } from "../notify/email.ts";
import { AppError } from "../platform/errors.ts";
import { parseAllowList } from "../platform/outbound.ts";
import {
  clientNetwork,
  confirmationEmail,
  isLinkToken,
  newLinkToken,
  parseEmail,
  parseWebhookUrl,
  type UpdateFacts,
  updateEmail,
  updatePayload,
} from "./subscribers-model.ts";

const fieldOf = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    if (err instanceof AppError) return err.extra.field;
    throw err;
  }
  return undefined;
};

describe("email addresses", () => {
  it("are trimmed and lowercased, with the domain in ASCII (IDN)", () => {
    expect(parseEmail("  Ann.Lee+status@Example.COM ")).toBe("ann.lee+status@example.com");
    expect(parseEmail("kurt@bücher.de")).toBe("kurt@xn--bcher-kva.de");
    expect(parseEmail("o'brien@mail.example.co.uk")).toBe("o'brien@mail.example.co.uk");
  });

  it.each([
    "",
    "plain",
    "@example.com",
    "ann@",
    "ann@example",
    "ann@.example.com",
    "ann@example..com",
    "ann@exa_mple.com",
    ".ann@example.com",
    "ann.@example.com",
    "ann lee@example.com",
    "ann@example.com>",
    "<ann@example.com>",
    "ann@[127.0.0.1]",
    "ann@example.com\nbcc@example.com",
    `${"a".repeat(65)}@example.com`,
  ])("%j is refused, naming the field", (value) => {
    expect(fieldOf(() => parseEmail(value))).toBe("email");
  });
});

describe("webhook URLs", () => {
  const strict = parseAllowList([]);
  it("take http(s) on public hosts; the fragment is dropped", () => {
    expect(parseWebhookUrl("https://hooks.example.com/status#x", strict).toString()).toBe(
      "https://hooks.example.com/status",
    );
    expect(parseWebhookUrl("http://93.184.215.14:8080/h", strict).hostname).toBe("93.184.215.14");
    expect(parseWebhookUrl("http://[2606:2800::1]/h", strict).hostname).toBe("[2606:2800::1]");
  });

  it.each([
    "ftp://example.com/",
    "javascript:alert(1)",
    "https://u:p@example.com/",
    "http://localhost:8080/",
    "http://intranet/",
    "http://db.internal/",
    "http://printer.local/",
    "http://127.0.0.1/",
    "http://2130706433/", // 127.0.0.1 as one number: the URL parser normalizes it
    "http://0x7f.1/",
    "http://10.1.2.3/",
    "http://169.254.169.254/latest/meta-data",
    "http://[::1]/",
    "http://[fd00::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://203.0.113.7/", // documentation range
    "http://[2001:db8::1]/",
  ])("%s is refused", (url) => {
    expect(fieldOf(() => parseWebhookUrl(url, strict))).toBe("webhookUrl");
  });

  it("internal hosts pass when OUTBOUND_ALLOWED_HOSTS names them (an internal page, tests)", () => {
    expect(parseWebhookUrl("http://127.0.0.1:9/h", parseAllowList(["127.0.0.0/8"])).port).toBe("9");
    expect(parseWebhookUrl("http://ntfy.internal/h", parseAllowList(["ntfy.internal"])).hostname).toBe(
      "ntfy.internal",
    );
    expect(fieldOf(() => parseWebhookUrl("http://10.0.0.1/", parseAllowList(["127.0.0.1"])))).toBe(
      "webhookUrl",
    );
  });
});

describe("rate limit keys", () => {
  it("count an IPv4 address as itself and IPv6 by its /64", () => {
    expect(clientNetwork("203.0.113.7")).toBe("203.0.113.7");
    expect(clientNetwork("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(clientNetwork("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(clientNetwork("2001:db8:1:2:bbbb:cccc:dddd:eeee")).toBe("2001:db8:1:2::/64");
    expect(clientNetwork("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(clientNetwork("::1")).toBe("0:0:0:0::/64");
  });
});

describe("link tokens", () => {
  it("are 32 random bytes in base64url, different each time", () => {
    const tokens = new Set(Array.from({ length: 1000 }, newLinkToken));
    expect(tokens.size).toBe(1000);
    for (const t of tokens) {
      expect(isLinkToken(t)).toBe(true);
      expect(Buffer.from(t, "base64url")).toHaveLength(32);
    }
    expect(isLinkToken("short")).toBe(false);
    expect(isLinkToken(`${newLinkToken()}x`)).toBe(false);
  });
});

describe("messages", () => {
  const facts: UpdateFacts = {
    page: { id: 1, slug: "default", name: "Acme", timeZone: "Europe/Berlin" },
    incident: {
      id: 7,
      name: "Slow API",
      kind: "incident",
      status: "identified",
      impact: "minor",
      scheduledFor: null,
      scheduledUntil: null,
    },
    update: {
      id: 9,
      status: "identified",
      body: "A bad deploy; rolling back.\n<script>alert(1)</script>",
      publishedAt: new Date("2026-11-20T13:05:00Z"),
      affected: [
        { componentId: 3, name: "API", oldStatus: "operational", newStatus: "degraded_performance" },
      ],
    },
    urls: {
      page: "https://status.example.com/status/default",
      incident: "https://status.example.com/status/default/incidents/7",
      unsubscribe: "https://status.example.com/status/default/subscriptions/unsubscribe/TOKEN",
    },
  };

  it("an update mail: subject [page] incident: state, the message, components, links and one-click headers", () => {
    const m = updateEmail(facts);
    expect(m.subject).toBe("[Acme] Slow API: Identified");
    expect(m.text).toContain("A bad deploy; rolling back.");
    expect(m.text).toContain("- API: Degraded performance");
    expect(m.text).toContain("Nov 20, 2026, 14:05 GMT+1"); // the page's time zone
    expect(m.links.map((l) => l.url)).toEqual([facts.urls.incident, facts.urls.unsubscribe]);
    expect(m.headers).toMatchObject({
      "List-Unsubscribe": `<${facts.urls.unsubscribe}>`,
      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    });
  });

  it("an update webhook: page, incident and update as JSON", () => {
    const p = updatePayload(facts, "status-delivery:1", new Date("2026-11-20T13:05:01Z"));
    expect(p).toMatchObject({
      type: "status.update",
      idempotencyKey: "status-delivery:1",
      page: { slug: "default", url: facts.urls.page },
      incident: { id: 7, status: "identified", url: facts.urls.incident },
      update: {
        id: 9,
        publishedAt: "2026-11-20T13:05:00.000Z",
        affectedComponents: [
          { id: 3, name: "API", oldStatus: "operational", newStatus: "degraded_performance" },
        ],
      },
      meta: { unsubscribe: facts.urls.unsubscribe },
    });
  });

  it("the confirmation mail has the link and one-click headers too", () => {
    const m = confirmationEmail({
      page: { slug: "default", name: "Acme", timeZone: "UTC" },
      urls: { page: facts.urls.page, confirm: "https://x/confirm/T", unsubscribe: facts.urls.unsubscribe },
      expiresAt: new Date("2026-11-27T13:05:00Z"),
    });
    expect(m.links).toEqual([{ label: "Confirm the subscription", url: "https://x/confirm/T" }]);
    expect(m.text).toContain("ignore this message");
    expect(m.headers["List-Unsubscribe"]).toBe(`<${facts.urls.unsubscribe}>`);
  });

  it("extra mail headers pass only with token names and one-line values, never replacing the channel's own", () => {
    expect(
      extraHeaders({
        "List-Unsubscribe": "<https://x/u>",
        Bcc: "many@example.com",
        subject: "spoofed",
        "X-Firebreak-Idempotency-Key": "other",
        "Bad Name": "x",
        "X-Injected": "a\r\nBcc: many@example.com",
      }),
    ).toEqual({ "List-Unsubscribe": "<https://x/u>" });
  });
});
