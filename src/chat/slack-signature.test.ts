import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { slackSignatureOf, verifySlackSignature } from "./slack-signature.ts";

const secret = "8f742231b10e8888abcd99yyyzzz85a5";
const now = new Date("2026-12-06T20:00:00Z");
const ts = String(now.getTime() / 1000);

describe("Slack request signatures", () => {
  it("accepts Slack's documented example", () => {
    // The example from Slack's "Verifying requests from Slack" page.
    const body =
      "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const r = verifySlackSignature({
      secret,
      timestamp: "1531420618",
      signature: "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
      rawBody: body,
      now: new Date(1531420618 * 1000 + 60_000),
    });
    expect(r).toEqual({ ok: true });
  });

  it("refuses a missing, wrong or stale signature, and any change to the body", () => {
    const body = '{"type":"url_verification"}';
    const sig = slackSignatureOf(secret, ts, body);
    const check = (o: Partial<Parameters<typeof verifySlackSignature>[0]>) =>
      verifySlackSignature({ secret, timestamp: ts, signature: sig, rawBody: body, now, ...o });
    expect(check({})).toEqual({ ok: true });
    expect(check({ signature: undefined })).toMatchObject({ ok: false });
    expect(check({ secret: undefined })).toMatchObject({ ok: false });
    expect(check({ timestamp: "yesterday" })).toMatchObject({ ok: false });
    expect(check({ rawBody: `${body} ` })).toMatchObject({ ok: false });
    expect(check({ now: new Date(now.getTime() + 301_000) })).toMatchObject({
      ok: false,
      reason: expect.stringContaining("5 minutes"),
    });
    expect(check({ now: new Date(now.getTime() - 301_000) })).toMatchObject({ ok: false });
    expect(check({ now: new Date(now.getTime() + 299_000) })).toEqual({ ok: true });
  });

  it("a signature made under another secret or for another body never verifies", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string({ minLength: 1 }), (a, b, other) => {
        fc.pre(a !== b && other !== secret);
        expect(
          verifySlackSignature({
            secret,
            timestamp: ts,
            signature: slackSignatureOf(secret, ts, a),
            rawBody: b,
            now,
          }).ok,
        ).toBe(false);
        expect(
          verifySlackSignature({
            secret,
            timestamp: ts,
            signature: slackSignatureOf(other, ts, a),
            rawBody: a,
            now,
          }).ok,
        ).toBe(false);
      }),
    );
  });
});
