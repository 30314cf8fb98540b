import { describe, expect, it } from "vitest";
import { parseReply } from "../paging/twilio.ts";
import type { Notification } from "./model.ts";
import { ackToken, isE164, smsText, twilioSignature, verifyTwilioSignature, xmlText } from "./twilio.ts";

describe("X-Twilio-Signature", () => {
  // The worked example in Twilio's webhook security documentation (auth token 12345).
  const url = "https://mycompany.com/myapp.php?foo=1&bar=2";
  const params = {
    CallSid: "CA1234567890ABCDE",
    Caller: "+12349013030",
    Digits: "1234",
    From: "+12349013030",
    To: "+18005551212",
  };
  it("matches Twilio's documented signature", () => {
    expect(twilioSignature("12345", url, params)).toBe("0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
  });
  it("refuses a changed parameter, another URL, another token, a missing header", () => {
    const sig = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";
    expect(verifyTwilioSignature("12345", url, params, sig)).toBe(true);
    expect(verifyTwilioSignature("12345", url, { ...params, Digits: "1" }, sig)).toBe(false);
    expect(verifyTwilioSignature("12345", "https://mycompany.com/myapp.php", params, sig)).toBe(false);
    expect(verifyTwilioSignature("54321", url, params, sig)).toBe(false);
    expect(verifyTwilioSignature("12345", url, params, undefined)).toBe(false);
    expect(verifyTwilioSignature("", url, params, sig)).toBe(false);
  });
});

const page = (pages: Notification["pages"], type?: "notice"): Notification => ({
  idempotencyKey: "k",
  to: { kind: "sms", number: "+14155550100" },
  subject: "[Firebreak] Page: x",
  text: "",
  links: [],
  pages,
  ...(type ? { type } : {}),
});

describe("SMS text", () => {
  it("carries the page's code and how to answer", () => {
    expect(smsText(page([{ id: 123, title: "Disk\nfull", urgency: "high" }]))).toBe(
      "Firebreak P123: Disk full. Reply ACK 123 or RES 123",
    );
    expect(
      smsText(
        page([
          { id: 1, title: "a", urgency: "high" },
          { id: 2, title: "b", urgency: "low" },
        ]),
      ),
    ).toBe("Firebreak, 2 pages. P1: a; P2: b. Reply ACK <number> or RES <number>");
    expect(smsText(page([], "notice"))).toBe("Firebreak: Page: x");
    expect(smsText(page([{ id: 9, title: "x".repeat(1000), urgency: "high" }])).length).toBeLessThanOrEqual(
      320,
    );
  });
  it("reads replies", () => {
    expect(parseReply("ACK 123")).toEqual({ action: "acknowledge", pageId: 123 });
    expect(parseReply(" ack p123 ")).toEqual({ action: "acknowledge", pageId: 123 });
    expect(parseReply("Resolve #7")).toEqual({ action: "resolve", pageId: 7 });
    expect(parseReply("res 7.")).toEqual({ action: "resolve", pageId: 7 });
    expect(parseReply("ack")).toBeNull();
    expect(parseReply("hello 12")).toBeNull();
  });
});

describe("numbers, tokens, XML", () => {
  it("E.164 only", () => {
    expect(isE164("+14155550100")).toBe(true);
    expect(isE164("+441632960961")).toBe(true);
    for (const bad of ["14155550100", "+0123456789", "+1 415 555 0100", "+1234567890123456"])
      expect(isE164(bad), bad).toBe(false);
  });
  it("takes the token of an acknowledge link", () => {
    expect(ackToken("https://fb.example/ack/abcdefghijKLMNOP_-12")).toBe("abcdefghijKLMNOP_-12");
    expect(ackToken("https://fb.example/other/abcdefghijkl")).toBeUndefined();
    expect(ackToken(undefined)).toBeUndefined();
  });
  it("escapes what TwiML says", () => {
    expect(xmlText(`<Play>"x" & 'y'</Play>`)).toBe(
      "&lt;Play&gt;&quot;x&quot; &amp; &apos;y&apos;&lt;/Play&gt;",
    );
  });
});
