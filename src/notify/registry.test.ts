import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { describe, expect, it } from "vitest";
import type { Channel, ContactMethod, Notification } from "./model.ts";
import { createChannels } from "./registry.ts";

const notification = (to: ContactMethod, over: Partial<Notification> = {}): Notification => ({
  idempotencyKey: "page:1:step:1",
  to,
  subject: "Page 1",
  text: "Page #1 is waiting for you.",
  links: [],
  pages: [{ id: 1, title: "Page 1", urgency: "high" }],
  ...over,
});
const email: ContactMethod = { kind: "email", address: "ana@example.com" };

describe("createChannels", () => {
  it("email without SMTP_URL fails permanently, saying what to set", async () => {
    const channels = createChannels({ emailFrom: "pager@example.com" });
    expect(await channels.send(notification(email))).toEqual({
      status: "failed-permanent",
      reason: "email is not configured: set SMTP_URL",
    });
    await channels.close();
  });

  it("dispatches by kind: email goes through SMTP", async () => {
    const got: string[] = [];
    const server = new SMTPServer({
      authOptional: true,
      hideSTARTTLS: true,
      closeTimeout: 1000,
      onData(stream, session, cb) {
        stream.on("end", () => cb());
        stream.resume();
        got.push(...session.envelope.rcptTo.map((r) => r.address));
      },
    });
    server.listen(0, "127.0.0.1");
    await once(server.server, "listening");
    const port = (server.server.address() as AddressInfo).port;
    const channels = createChannels({ smtpUrl: `smtp://127.0.0.1:${port}`, emailFrom: "pager@example.com" });
    expect((await channels.send(notification(email))).status).toBe("delivered");
    expect(got).toEqual(["ana@example.com"]);
    await channels.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("a provider plugs in as a Channel; one that throws is reported retryable", async () => {
    const sent: Notification[] = [];
    const chat: Channel = {
      kind: "chat",
      send: async (n) => {
        sent.push(n);
        return { status: "delivered", providerId: "m-1" };
      },
    };
    const broken: Channel = {
      kind: "webhook",
      send: async () => {
        throw new Error("provider bug");
      },
    };
    const channels = createChannels({ emailFrom: "x@example.com", channels: [chat, broken] });
    const to: ContactMethod = { kind: "chat", url: "https://chat.example/x" };
    expect(await channels.send(notification(to))).toEqual({ status: "delivered", providerId: "m-1" });
    expect(sent).toHaveLength(1);
    const hook: ContactMethod = { kind: "webhook", url: "https://h.example", secret: "s" };
    expect(await channels.send(notification(hook))).toEqual({
      status: "failed-retryable",
      reason: "channel webhook failed: provider bug",
    });
  });

  it("refuses unusable idempotency keys and unknown kinds", async () => {
    const channels = createChannels({ emailFrom: "x@example.com" });
    const to: ContactMethod = { kind: "chat", url: "https://chat.example/x" };
    for (const key of ["", "has space", "line\nbreak", "x".repeat(201)]) {
      expect(await channels.send(notification(to, { idempotencyKey: key }))).toMatchObject({
        status: "failed-permanent",
      });
    }
    const pager = { kind: "pager", number: "+100" } as unknown as ContactMethod;
    expect(await channels.send(notification(pager))).toEqual({
      status: "failed-permanent",
      reason: 'no channel for contact method kind "pager"',
    });
    // SMS and voice without TWILIO_* settings say which settings are missing.
    expect(await channels.send(notification({ kind: "sms", number: "+14155550100" }))).toEqual({
      status: "failed-permanent",
      reason: "SMS and voice are not configured: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM",
    });
  });
});
