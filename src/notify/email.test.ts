import { once } from "node:events";
import net from "node:net";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";
import { afterEach, describe, expect, it } from "vitest";
import { classifySmtpError, createEmailChannel, type EmailChannel, messageIdFor } from "./email.ts";
import type { Notification } from "./model.ts";

type Received = { rcptTo: string[]; raw: string };

/** A real SMTP server on loopback; `handlers` replace its defaults (accept everything). */
async function startSmtp(handlers: Partial<SMTPServerOptions> = {}) {
  const received: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    hideSTARTTLS: true,
    closeTimeout: 1000,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        received.push({
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString(),
        });
        cb();
      });
    },
    ...handlers,
  });
  server.listen(0, "127.0.0.1");
  await once(server.server, "listening");
  const port = (server.server.address() as net.AddressInfo).port;
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return { port, received, close };
}

/** An SMTP reply code from a handler: smtp-server sends `err.responseCode` and the message. */
const smtpError = (code: number, message: string) =>
  Object.assign(new Error(message), { responseCode: code });

/** Drains the message stream, then answers with `code`. */
const refuseData =
  (code: number, message: string): SMTPServerOptions["onData"] =>
  (stream, _session, cb) => {
    stream.on("end", () => cb(smtpError(code, message)));
    stream.resume();
  };

// --- a small MIME reader: enough to check headers and decode the text and HTML parts ---------
function parseMessage(raw: string) {
  const [head = "", ...rest] = raw.split("\r\n\r\n");
  const headers = parseHeaders(head);
  const body = rest.join("\r\n\r\n");
  const boundary = /boundary="?([^";]+)"?/.exec(headers.get("content-type") ?? "")?.[1];
  const parts = new Map<string, string>();
  for (const chunk of boundary ? body.split(`--${boundary}`).slice(1, -1) : []) {
    const [partHead = "", ...partBody] = chunk.replace(/^\r\n/, "").split("\r\n\r\n");
    const ph = parseHeaders(partHead);
    const type = (ph.get("content-type") ?? "").split(";")[0] ?? "";
    parts.set(type, decode(partBody.join("\r\n\r\n"), ph.get("content-transfer-encoding") ?? "7bit"));
  }
  return { headers, text: parts.get("text/plain") ?? "", html: parts.get("text/html") ?? "" };
}

function parseHeaders(head: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of head.replace(/\r\n[ \t]+/g, " ").split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0) map.set(line.slice(0, i).toLowerCase(), line.slice(i + 1).trim());
  }
  return map;
}

function decode(body: string, encoding: string): string {
  if (encoding === "base64") return Buffer.from(body, "base64").toString("utf8");
  if (encoding !== "quoted-printable") return body;
  const bytes = body.replace(/=\r\n/g, "").replace(/=([0-9A-F]{2})/g, (_m, h: string) => `%${h}`);
  return decodeURIComponent(bytes.replace(/%(?![0-9A-F]{2})/g, "%25"));
}
// ----------------------------------------------------------------------------------------------

const ackUrl = "https://firebreak.example/ack/12?token=abc&sig=def";
const notification = (over: Partial<Notification> = {}): Notification => ({
  idempotencyKey: "page:12:rule:1:step:1",
  to: { kind: "email", address: "oncall@example.com" },
  subject: "[HIGH] Checkout errors",
  text: "Page #12 is waiting for you.\nIncident #7: Checkout errors",
  links: [
    { label: "Acknowledge", url: ackUrl },
    { label: "Incident", url: "https://firebreak.example/incidents/7" },
  ],
  pages: [{ id: 12, title: "Checkout errors", urgency: "high", ackUrl }],
  ...over,
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(handlers: Partial<SMTPServerOptions> = {}) {
  const smtp = await startSmtp(handlers);
  cleanups.push(smtp.close);
  const channel = open(`smtp://127.0.0.1:${smtp.port}`);
  return { smtp, channel };
}

function open(smtpUrl: string, timeoutMs = 2000): EmailChannel {
  const channel = createEmailChannel({ smtpUrl, from: "Firebreak <pager@firebreak.example>", timeoutMs });
  cleanups.push(() => channel.close());
  return channel;
}

describe("email channel against a real SMTP server", () => {
  it("delivers the subject, the idempotency headers, the text with its links and an HTML part", async () => {
    const { smtp, channel } = await setup();
    const result = await channel.send(notification());
    expect(result.status).toBe("delivered");
    expect(smtp.received).toHaveLength(1);
    const [msg] = smtp.received;
    expect(msg?.rcptTo).toEqual(["oncall@example.com"]);
    const { headers, text, html } = parseMessage(msg?.raw ?? "");
    expect(headers.get("subject")).toBe("[HIGH] Checkout errors");
    expect(headers.get("message-id")).toBe("<page=3A12=3Arule=3A1=3Astep=3A1@firebreak>");
    expect(headers.get("message-id")).toBe(messageIdFor("page:12:rule:1:step:1"));
    expect(headers.get("x-firebreak-idempotency-key")).toBe("page:12:rule:1:step:1");
    expect(text).toContain("Page #12 is waiting for you.");
    expect(text).toContain(`Acknowledge: ${ackUrl}`);
    expect(html).toContain(
      `<a href="https://firebreak.example/ack/12?token=abc&amp;sig=def">Acknowledge</a>`,
    );
  });

  it("escapes every interpolated value in the HTML part", async () => {
    const { smtp, channel } = await setup();
    const evil = `<script>alert("x")</script>`;
    await channel.send(
      notification({
        subject: `Page: ${evil}`,
        text: `Title ${evil} & more`,
        links: [{ label: `<img src=x onerror=alert(1)>`, url: `https://x.example/"><script>` }],
      }),
    );
    const { html, text } = parseMessage(smtp.received[0]?.raw ?? "");
    expect(html).not.toMatch(/<script|<img/i);
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(html).toContain("Title &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more");
    expect(html).toContain(`href="https://x.example/&quot;&gt;&lt;script&gt;"`);
    expect(text).toContain(evil); // the plain-text part is shown as text, never rendered
  });

  it("sends the same Message-ID when the same notification is sent twice", async () => {
    const { smtp, channel } = await setup();
    await channel.send(notification());
    await channel.send(notification());
    const ids = smtp.received.map((m) => parseMessage(m.raw).headers.get("message-id"));
    expect(ids[0]).toBe(ids[1]);
  });

  it("451 on DATA is retryable", async () => {
    const { channel } = await setup({ onData: refuseData(451, "Try again later") });
    const result = await channel.send(notification());
    expect(result).toMatchObject({ status: "failed-retryable" });
    expect(result.status !== "delivered" && result.reason).toContain("451");
  });

  it("550 on DATA is permanent", async () => {
    const { channel } = await setup({ onData: refuseData(550, "Message rejected") });
    const result = await channel.send(notification());
    expect(result).toMatchObject({ status: "failed-permanent" });
    expect(result.status !== "delivered" && result.reason).toContain("550");
  });

  it("a recipient the server refuses (550 on RCPT TO) is permanent", async () => {
    const { channel } = await setup({ onRcptTo: (_a, _s, cb) => cb(smtpError(550, "No such user")) });
    expect(await channel.send(notification())).toMatchObject({ status: "failed-permanent" });
  });

  it("an invalid address is permanent and never reaches the server", async () => {
    const { smtp, channel } = await setup();
    for (const address of [
      "not an address",
      "a@b.example, c@d.example",
      "x@y.example\r\nBcc: z@z.example",
      "",
    ]) {
      const result = await channel.send(notification({ to: { kind: "email", address } }));
      expect(result).toMatchObject({ status: "failed-permanent" });
    }
    expect(smtp.received).toHaveLength(0);
  });

  it("connection refused is retryable", async () => {
    const probe = net.createServer().listen(0, "127.0.0.1");
    await once(probe, "listening");
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const result = await open(`smtp://127.0.0.1:${port}`).send(notification());
    expect(result).toMatchObject({ status: "failed-retryable" });
  });

  it("a server that never greets is retryable after the timeout", async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s)).listen(0, "127.0.0.1");
    await once(silent, "listening");
    cleanups.push(async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const port = (silent.address() as net.AddressInfo).port;
    const started = Date.now();
    const result = await open(`smtp://127.0.0.1:${port}`, 300).send(notification());
    expect(result).toMatchObject({ status: "failed-retryable" });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe("classifySmtpError", () => {
  const err = (code?: string, responseCode?: number) => Object.assign(new Error("x"), { code, responseCode });
  it.each([
    [err("EENVELOPE", 452), "failed-retryable"],
    [err("EAUTH", 535), "failed-permanent"],
    [err(undefined, 421), "failed-retryable"],
    [err("EMESSAGE", 554), "failed-permanent"],
    [err("EAUTH"), "failed-permanent"],
    [err("EENVELOPE"), "failed-permanent"],
    [err("ECONNECTION"), "failed-retryable"],
    [err("EDNS"), "failed-retryable"],
    [err(), "failed-retryable"],
  ])("%s → %s", (e, status) => {
    expect(classifySmtpError(e).status).toBe(status);
  });
});
