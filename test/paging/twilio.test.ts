/**
 * SMS and voice pages through Twilio, end to end: a real Firebreak server with TWILIO_API_BASE
 * pointing at a local server that speaks Twilio's REST format, and Twilio's requests back to
 * Firebreak made as Twilio makes them (form-encoded, X-Twilio-Signature over the public URL and
 * the sorted parameters). A page is texted with its code; "ACK <code>" from the person's number
 * acknowledges it, a forged or unsigned reply is refused; a voice page's TwiML reads the page and
 * "1" acknowledges it; status callbacks become the delivery's receipt.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../support/app.ts";
import {
  ACCOUNT_SID,
  AUTH_TOKEN,
  codeSentTo,
  FROM,
  isVerificationCode,
  startAppWithTwilio,
  type TwilioServer,
  twilioPost,
} from "../support/twilio.ts";

const PUBLIC = "http://firebreak.test";
let t: TestApp;
let twilio: TwilioServer;

beforeAll(async () => {
  ({ t, twilio } = await startAppWithTwilio());
});
afterAll(async () => {
  await t?.close();
  await twilio?.close();
});

type Person = Awaited<ReturnType<TestApp["user"]>>;

async function pagePerson(name: string, kind: "sms" | "voice", number: string) {
  const who = await t.user(name);
  const cm = await who.request("POST", "/api/v1/me/contact-methods", {
    kind,
    label: "phone",
    address: number,
  });
  expect(cm.status, JSON.stringify(cm.body)).toBe(201);
  const verified = await who.request("POST", `/api/v1/me/contact-methods/${cm.body.id}/verify`, {
    code: codeSentTo(twilio, number),
  });
  expect(verified.body, JSON.stringify(verified.body)).toMatchObject({ verified: true });
  t.clock.advanceMinutes(1); // the number's 10 s between texts, after the code's
  await who.request("POST", "/api/v1/me/notification-rules", {
    contactMethodId: cm.body.id,
    urgency: "high",
    delayMinutes: 0,
  });
  const policy = await t.admin.request("POST", "/api/v1/escalation-policies", {
    name: `${kind} ${name}`,
    levels: [{ timeoutMinutes: 30, targets: [{ kind: "user", id: who.id }] }],
  });
  const page = await who.request("POST", "/api/v1/pages", {
    policyId: policy.body.id,
    title: `db down for ${name}`,
  });
  expect(page.status, JSON.stringify(page.body)).toBe(201);
  await t.runJobs();
  return { who, pageId: page.body.id as number, methodId: cm.body.id as number };
}

const smsParams = (from: string, body: string) => ({
  MessageSid: "SM1f0e8ae6ade43cb3c0ce4525424e404f",
  SmsSid: "SM1f0e8ae6ade43cb3c0ce4525424e404f",
  SmsMessageSid: "SM1f0e8ae6ade43cb3c0ce4525424e404f",
  AccountSid: ACCOUNT_SID,
  MessagingServiceSid: "",
  From: from,
  To: FROM,
  Body: body,
  NumMedia: "0",
  NumSegments: "1",
  ApiVersion: "2010-04-01",
});

const state = async (who: Person, pageId: number) => (await who.get(`/api/v1/pages/${pageId}`)).body;

describe("SMS pages", () => {
  it("texts the page with its code, through Twilio's Messages resource with Basic auth", async () => {
    const { who, pageId } = await pagePerson("sam", "sms", "+14155550101");
    const sent = twilio.requests.filter((r) => r.form.To === "+14155550101" && !isVerificationCode(r));
    expect(sent).toHaveLength(1);
    const r = sent[0]!;
    expect(r.resource).toBe("Messages");
    expect(r.contentType).toBe("application/x-www-form-urlencoded");
    expect(r.authorization).toBe(`Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString("base64")}`);
    expect(r.form.From).toBe(FROM);
    expect(r.form.Body).toBe(`Firebreak P${pageId}: db down for sam. Reply ACK ${pageId} or RES ${pageId}`);
    const page = await state(who, pageId);
    expect(page.deliveries[0]).toMatchObject({ status: "delivered", receipt: null });
    expect(r.form.StatusCallback).toBe(`${PUBLIC}/integrations/twilio/status/${page.deliveries[0].id}`);
  });

  it('a reply "ACK <code>" from the person\'s number acknowledges the page as them; forged replies are refused', async () => {
    const { who, pageId } = await pagePerson("sue", "sms", "+14155550102");
    const path = "/integrations/twilio/sms";
    const params = smsParams("+14155550102", `ack ${pageId}`);
    // Unsigned, signed with another token, or signed over other parameters: 403, nothing changes.
    expect((await twilioPost(t.base, PUBLIC, path, params, null)).status).toBe(403);
    expect((await twilioPost(t.base, PUBLIC, path, params, "bm90IGEgc2lnbmF0dXJlIGF0IGFsbA==")).status).toBe(
      403,
    );
    const { twilioSignature } = await import("../../src/notify/twilio.ts");
    const other = twilioSignature(AUTH_TOKEN, `${PUBLIC}${path}`, { ...params, Body: "hello" });
    expect((await twilioPost(t.base, PUBLIC, path, params, other)).status).toBe(403);
    expect((await state(who, pageId)).state).toBe("triggered");

    // Another number may not acknowledge it.
    const stranger = await twilioPost(t.base, PUBLIC, path, smsParams("+14155550199", `ACK ${pageId}`));
    expect(stranger.status).toBe(200);
    expect(stranger.body).toContain("was not sent to this number");
    expect((await state(who, pageId)).state).toBe("triggered");

    const reply = await twilioPost(t.base, PUBLIC, path, params);
    expect(reply.status).toBe(200);
    expect(reply.type).toContain("text/xml");
    expect(reply.body).toBe(
      `<?xml version="1.0" encoding="UTF-8"?><Response><Message>Firebreak: Acknowledged P${pageId}: db down for sue</Message></Response>`,
    );
    expect(await state(who, pageId)).toMatchObject({ state: "acknowledged", acknowledgedBy: who.id });

    const resolve = await twilioPost(t.base, PUBLIC, path, smsParams("+14155550102", `RES ${pageId}`));
    expect(resolve.body).toContain(`Resolved P${pageId}`);
    expect(await state(who, pageId)).toMatchObject({ state: "resolved", resolvedBy: who.id });

    const nonsense = await twilioPost(t.base, PUBLIC, path, smsParams("+14155550102", "what?"));
    expect(nonsense.body).toContain("reply ACK");
  });

  it("status callbacks become the delivery's receipt; a late earlier status does not overwrite it", async () => {
    const { who, pageId } = await pagePerson("sid", "sms", "+14155550103");
    const deliveryId = (await state(who, pageId)).deliveries[0].id as number;
    const sid = twilio.requests.find((r) => r.form.To === "+14155550103" && !isVerificationCode(r))!.sid;
    const path = `/integrations/twilio/status/${deliveryId}`;
    const callback = (status: string, extra: Record<string, string> = {}) => ({
      MessageSid: sid,
      MessageStatus: status,
      SmsSid: sid,
      SmsStatus: status,
      AccountSid: ACCOUNT_SID,
      From: FROM,
      To: "+14155550103",
      ApiVersion: "2010-04-01",
      ...extra,
    });
    expect((await twilioPost(t.base, PUBLIC, path, callback("sent"), null)).status).toBe(403);
    expect((await twilioPost(t.base, PUBLIC, path, callback("sent"))).status).toBe(200);
    expect((await state(who, pageId)).deliveries[0].receipt).toMatchObject({
      providerId: sid,
      status: "sent",
    });
    await twilioPost(t.base, PUBLIC, path, callback("undelivered", { ErrorCode: "30003" }));
    await twilioPost(t.base, PUBLIC, path, callback("sent"));
    expect((await state(who, pageId)).deliveries[0].receipt).toMatchObject({
      providerId: sid,
      status: "undelivered",
      errorCode: "30003",
    });
    expect(
      (await twilioPost(t.base, PUBLIC, "/integrations/twilio/status/999999", callback("sent"))).status,
    ).toBe(404);
  });

  it("checks numbers, and holds a second SMS to the same number within 10 s (rate limit)", async () => {
    const ray = await t.user("ray");
    for (const address of ["555-0100", "+0123456789", "14155550104"]) {
      const r = await ray.request("POST", "/api/v1/me/contact-methods", { kind: "sms", label: "x", address });
      expect(r.status, address).toBe(400);
    }
    const cm = await ray.request("POST", "/api/v1/me/contact-methods", {
      kind: "sms",
      label: "phone",
      address: "+14155550104",
    });
    // Verified with the code texted to it; tests wait for the number's 10 s between texts.
    const code = codeSentTo(twilio, "+14155550104");
    expect(
      (await ray.request("POST", `/api/v1/me/contact-methods/${cm.body.id}/verify`, { code })).status,
    ).toBe(200);
    t.clock.advanceMinutes(1);
    const first = await ray.request("POST", `/api/v1/me/contact-methods/${cm.body.id}/test`);
    expect(first.body.status).toBe("delivered");
    const second = await ray.request("POST", `/api/v1/me/contact-methods/${cm.body.id}/test`);
    expect(second.body).toMatchObject({ status: "failed" });
    expect(second.body.error).toContain("rate limit");
    expect(
      twilio.requests.filter((r) => r.form.To === "+14155550104" && !isVerificationCode(r)),
    ).toHaveLength(1);
    t.clock.advanceMinutes(1);
    const third = await ray.request("POST", `/api/v1/me/contact-methods/${cm.body.id}/test`);
    expect(third.body.status).toBe("delivered");
  });
});

describe("voice pages", () => {
  it("calls with a TwiML URL; the TwiML reads the page and gathers one digit; 1 acknowledges", async () => {
    const { who, pageId } = await pagePerson("vic", "voice", "+14155550105");
    const call = twilio.requests.find((r) => r.form.To === "+14155550105" && !isVerificationCode(r))!;
    expect(call.resource).toBe("Calls");
    expect(call.form).toMatchObject({ From: FROM, Method: "POST" });
    expect(call.form.Url).toMatch(
      /^http:\/\/firebreak\.test\/integrations\/twilio\/voice\/[A-Za-z0-9_-]{20,}$/,
    );
    const path = new URL(call.form.Url!).pathname;
    const voiceParams = {
      CallSid: call.sid,
      AccountSid: ACCOUNT_SID,
      From: FROM,
      To: "+14155550105",
      CallStatus: "in-progress",
      ApiVersion: "2010-04-01",
      Direction: "outbound-api",
    };
    expect((await twilioPost(t.base, PUBLIC, path, voiceParams, null)).status).toBe(403);
    const answer = await twilioPost(t.base, PUBLIC, path, voiceParams);
    expect(answer.status).toBe(200);
    expect(answer.type).toContain("text/xml");
    expect(answer.body).toContain(
      `<Gather numDigits="1" action="${PUBLIC}${path}/gather" method="POST" timeout="10">`,
    );
    expect(answer.body).toContain(
      `<Say>Firebreak page ${pageId}. db down for vic. high urgency. Press 1 to acknowledge.</Say>`,
    );

    const wrong = await twilioPost(t.base, PUBLIC, `${path}/gather`, { ...voiceParams, Digits: "7" });
    expect(wrong.body).toContain("<Redirect");
    expect((await state(who, pageId)).state).toBe("triggered");
    const pressed = await twilioPost(t.base, PUBLIC, `${path}/gather`, {
      ...voiceParams,
      Digits: "1",
      FinishedOnKey: "",
    });
    expect(pressed.body).toContain(`Acknowledged page ${pageId}`);
    expect(await state(who, pageId)).toMatchObject({ state: "acknowledged", acknowledgedBy: who.id });
    // The call's status callback is the delivery's receipt too.
    const deliveryId = (await state(who, pageId)).deliveries[0].id;
    await twilioPost(t.base, PUBLIC, `/integrations/twilio/status/${deliveryId}`, {
      ...voiceParams,
      CallStatus: "completed",
      CallDuration: "14",
    });
    expect((await state(who, pageId)).deliveries[0].receipt).toMatchObject({
      providerId: call.sid,
      status: "completed",
    });
  });
});
