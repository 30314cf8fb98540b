/**
 * Contact methods verified before use: an SMS, voice or ntfy method gets a code through its own
 * channel and carries pages only once its owner typed the code back. A real Firebreak server,
 * Twilio replaced by a local server speaking its REST format, time driven by the test clock.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { codeSentTo, isVerificationCode, startAppWithTwilio, type TwilioServer } from "../support/twilio.ts";

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

async function addPhone(who: Person, kind: "sms" | "voice", number: string) {
  const r = await who.request("POST", "/api/v1/me/contact-methods", {
    kind,
    label: "phone",
    address: number,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  await who.request("POST", "/api/v1/me/notification-rules", {
    contactMethodId: r.body.id,
    urgency: "high",
    delayMinutes: 0,
  });
  return r.body;
}

async function page(who: Person, title: string) {
  const policy = await t.admin.request("POST", "/api/v1/escalation-policies", {
    name: `policy for ${title}`,
    levels: [{ timeoutMinutes: 30, targets: [{ kind: "user", id: who.id }] }],
  });
  const p = await t.admin.request("POST", "/api/v1/pages", { policyId: policy.body.id, title });
  expect(p.status, JSON.stringify(p.body)).toBe(201);
  await t.runJobs();
  return p.body.id as number;
}

const pagesTo = (number: string) =>
  twilio.requests.filter((r) => r.form.To === number && !isVerificationCode(r));
const verify = (who: Person, id: number, code: string) =>
  who.request("POST", `/api/v1/me/contact-methods/${id}/verify`, { code });

describe("contact methods verified before use", () => {
  it("an SMS method gets a code by text and carries no page until the code is typed back", async () => {
    const ann = await t.user("ann");
    const cm = await addPhone(ann, "sms", "+14155550201");
    expect(cm).toMatchObject({ verified: false, verification: { status: "sent", triesLeft: 5 } });
    const code = codeSentTo(twilio, "+14155550201");
    expect(code).toMatch(/^\d{6}$/);
    expect(twilio.requests.at(-1)?.form.Body).toBe(`Firebreak: Your verification code is ${code}`);

    // Unverified: the page skips it (the person counts as having no way to be reached), and the
    // test notification is refused rather than texting an unproven number.
    const first = await page(ann, "disk full before verification");
    expect(pagesTo("+14155550201")).toHaveLength(0);
    const events = (await t.admin.get(`/api/v1/pages/${first}`)).body.events;
    expect(JSON.stringify(events)).toContain(`"withoutRules":[${ann.id}]`);
    const test = await ann.request("POST", `/api/v1/me/contact-methods/${cm.id}/test`);
    expect(test.status).toBe(409);
    expect(test.body.detail).toContain("not verified");
    const listed = (await ann.get("/api/v1/me/contact-methods")).body.contactMethods[0];
    expect(listed).toMatchObject({ id: cm.id, verified: false, verification: { status: "sent" } });

    // Spaces people add while copying are fine.
    const ok = await verify(ann, cm.id, `${code.slice(0, 3)} ${code.slice(3)}`);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body).toMatchObject({ verified: true, verification: null });
    // Verifying again answers the same; another person cannot touch it.
    expect((await verify(ann, cm.id, "000000")).body).toMatchObject({ verified: true });
    const bob = await t.user("bob");
    expect((await verify(bob, cm.id, code)).status).toBe(404);

    t.clock.advanceMinutes(1);
    await page(ann, "disk full after verification");
    expect(pagesTo("+14155550201").map((r) => r.form.Body)).toEqual([
      expect.stringContaining("disk full after verification"),
    ]);
  });

  it("a call reads the code digit by digit; wrong codes count down and void it after five", async () => {
    const cal = await t.user("cal");
    const cm = await addPhone(cal, "voice", "+14155550202");
    const call = twilio.requests.at(-1)!;
    expect(call.resource).toBe("Calls");
    const code = codeSentTo(twilio, "+14155550202");
    expect(call.form.Twiml).toContain(`verification code is ${code.split("").join(", ")}`);

    const wrong = code === "000000" ? "111111" : "000000";
    const first = await verify(cal, cm.id, wrong);
    expect(first.status).toBe(400);
    expect(first.body).toMatchObject({ field: "code" });
    expect(first.body.detail).toContain("wrong code");
    expect(first.body.detail).toContain("4 tries left");
    for (let i = 0; i < 4; i++) await verify(cal, cm.id, wrong);
    // Five wrong tries void the code: even the right one is refused now.
    const voided = await verify(cal, cm.id, code);
    expect(voided.status).toBe(400);
    expect(voided.body.detail).toContain("5 wrong codes");
    expect((await cal.get("/api/v1/me/contact-methods")).body.contactMethods[0]).toMatchObject({
      verified: false,
      verification: { triesLeft: 0 },
    });

    // A new code: not within a minute of the last (each is a call to someone's phone), then it works.
    const soon = await cal.request("POST", `/api/v1/me/contact-methods/${cm.id}/verification-code`);
    expect(soon.status).toBe(429);
    expect(Number(soon.headers.get("retry-after"))).toBeGreaterThan(0);
    t.clock.advanceMinutes(1);
    const again = await cal.request("POST", `/api/v1/me/contact-methods/${cm.id}/verification-code`);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body.verification).toMatchObject({ status: "sent", triesLeft: 5 });
    const fresh = codeSentTo(twilio, "+14155550202");
    if (fresh !== code) expect((await verify(cal, cm.id, code)).status).toBe(400); // the old code is gone
    expect((await verify(cal, cm.id, fresh)).body).toMatchObject({ verified: true });
  });

  it("a code expires after 15 minutes", async () => {
    const eve = await t.user("eve");
    const cm = await addPhone(eve, "sms", "+14155550203");
    const code = codeSentTo(twilio, "+14155550203");
    t.clock.advanceMinutes(16);
    const late = await verify(eve, cm.id, code);
    expect(late.status).toBe(400);
    expect(late.body.detail).toContain("expired");
  });

  it("email needs no code, and a test page reports an unverified method as such", async () => {
    const flo = await t.user("flo");
    const mail = await flo.request("POST", "/api/v1/me/contact-methods", {
      kind: "email",
      label: "work",
      address: "flo@example.com",
    });
    expect(mail.body).toMatchObject({ verified: true, verification: null });
    const gil = await t.user("gil");
    const phone = await addPhone(gil, "sms", "+14155550204");
    const report = await gil.request("POST", `/api/v1/users/${gil.id}/test-page`);
    expect(report.status, JSON.stringify(report.body)).toBe(200);
    expect(report.body.results).toContainEqual({
      contactMethodId: phone.id,
      kind: "sms",
      label: "phone",
      outcome: "unverified",
    });
    expect(pagesTo("+14155550204")).toHaveLength(0);
  });
});

describe("without Twilio configured", () => {
  it("the code cannot be sent, and the answer says why", async () => {
    const bare = await startTestApp({ clockStart: new Date() });
    try {
      const gus = await bare.user("gus");
      const r = await gus.request("POST", "/api/v1/me/contact-methods", {
        kind: "sms",
        label: "phone",
        address: "+14155550205",
      });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ verified: false, verification: { status: "failed" } });
      expect(r.body.verification.error).toContain("TWILIO_ACCOUNT_SID");
      const again = await gus.request("POST", `/api/v1/me/contact-methods/${r.body.id}/verify`, {
        code: "123456",
      });
      expect(again.body.detail).toContain("no code is waiting");
    } finally {
      await bare.close();
    }
  });
});
