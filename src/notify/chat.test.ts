import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createOutbound } from "../platform/outbound.ts";
import { createChatChannel, escapeSlack, type SlackMessage, slackMessage } from "./chat.ts";
import type { Notification } from "./model.ts";

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

/** A local HTTP server in the role of Slack's incoming-webhook endpoint. */
async function fakeSlack(status = 200, answer = "ok") {
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      bodies.push(Buffer.concat(chunks).toString("utf8"));
      res.writeHead(status, { "Content-Type": "text/plain" }).end(answer);
    });
  });
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T0/B0/x`, bodies };
}

/** The fake Slack listens on loopback, which only OUTBOUND_ALLOWED_HOSTS opens. */
const chat = () => createChatChannel({ outbound: createOutbound({ allowedHosts: ["127.0.0.1"] }) });

const notification = (url: string, over: Partial<Notification> = {}): Notification => ({
  idempotencyKey: "page:12:rule:1:step:1",
  to: { kind: "chat", url },
  subject: "[HIGH] Checkout errors",
  text: "Page #12 is waiting for you.",
  links: [
    { label: "Acknowledge", url: "https://firebreak.example/ack/12?t=a&s=b" },
    { label: "Incident", url: "https://firebreak.example/incidents/7" },
  ],
  pages: [{ id: 12, title: "Checkout errors", urgency: "high" }],
  ...over,
});

describe("chat channel (Slack incoming-webhook format)", () => {
  it("posts text, a mrkdwn section and a button per link", async () => {
    const slack = await fakeSlack();
    expect(await chat().send(notification(slack.url))).toEqual({ status: "delivered" });
    const msg = JSON.parse(slack.bodies[0] ?? "") as SlackMessage;
    expect(typeof msg.text).toBe("string");
    expect(msg.text).toBe("[HIGH] Checkout errors");
    expect(msg.blocks).toEqual([
      {
        type: "section",
        text: { type: "mrkdwn", text: "*[HIGH] Checkout errors*\nPage #12 is waiting for you." },
      },
      {
        type: "actions",
        elements: [
          {
            type: "button",
            text: { type: "plain_text", text: "Acknowledge" },
            url: "https://firebreak.example/ack/12?t=a&s=b",
          },
          {
            type: "button",
            text: { type: "plain_text", text: "Incident" },
            url: "https://firebreak.example/incidents/7",
          },
        ],
      },
    ]);
  });

  it("escapes & < > so a title cannot mention everyone or fake a link", async () => {
    const slack = await fakeSlack();
    const evil = "<!channel> DB & cache <https://evil.example|click>";
    await chat().send(notification(slack.url, { subject: evil, text: `Title: ${evil}` }));
    const msg = JSON.parse(slack.bodies[0] ?? "") as SlackMessage;
    const escaped = "&lt;!channel&gt; DB &amp; cache &lt;https://evil.example|click&gt;";
    expect(msg.text).toBe(escaped);
    const section = msg.blocks[0];
    expect(section?.type === "section" && section.text.text).toBe(`*${escaped}*\nTitle: ${escaped}`);
    expect(JSON.stringify(msg.blocks)).not.toContain("<!channel>");
    expect(escapeSlack("a & b < c > d")).toBe("a &amp; b &lt; c &gt; d");
  });

  it("leaves out the actions block without links, drops non-http links, and keeps Block Kit limits", () => {
    const none = slackMessage(notification("https://hooks.example", { links: [] }));
    expect(none.blocks.map((b) => b.type)).toEqual(["section"]);
    const many = Array.from({ length: 30 }, (_, i) => ({
      label: `Link ${i}`,
      url: `https://x.example/${i}`,
    }));
    const msg = slackMessage(
      notification("https://hooks.example", {
        links: [{ label: "bad", url: "javascript:alert(1)" }, ...many],
      }),
    );
    const actions = msg.blocks[1];
    expect(actions?.type === "actions" && actions.elements.length).toBe(25);
    expect(JSON.stringify(msg)).not.toContain("javascript:");
    expect(JSON.stringify(msg.blocks[0])).toContain("<https://x.example/29|Link 29>");
  });

  it("Slack's 4xx errors are permanent, 429 and 5xx retryable; only the status is kept, never Slack's text", async () => {
    const cases: [number, string, string][] = [
      [400, "invalid_payload", "failed-permanent"],
      [404, "no_service", "failed-permanent"],
      [410, "channel_is_archived", "failed-permanent"],
      [429, "rate_limited", "failed-retryable"],
      [500, "internal_error", "failed-retryable"],
    ];
    for (const [status, answer, expected] of cases) {
      const slack = await fakeSlack(status, answer);
      const result = await chat().send(notification(slack.url));
      expect(result).toMatchObject({
        status: expected,
        reason: `HTTP ${status} ${http.STATUS_CODES[status]}`,
      });
    }
  });

  it("without OUTBOUND_ALLOWED_HOSTS a loopback 'Slack' is refused for good and receives nothing", async () => {
    const slack = await fakeSlack();
    expect(await createChatChannel().send(notification(slack.url))).toEqual({
      status: "failed-permanent",
      reason: "refused: 127.0.0.1 is not on the public internet",
    });
    expect(slack.bodies).toHaveLength(0);
  });

  it("a non-http URL is permanent", async () => {
    expect(await createChatChannel().send(notification("file:///etc/passwd"))).toMatchObject({
      status: "failed-permanent",
    });
  });
});
