import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { createOutbound, privateNetworkReason } from "../platform/outbound.ts";
import type { Notification } from "./model.ts";
import { createNtfyChannel, headerValue, maskToken, ntfyHeaders, ntfyTopicProblem } from "./ntfy.ts";

const page = (over: Partial<Notification> = {}): Notification => ({
  idempotencyKey: "page:1:rule:1:step:1",
  to: { kind: "ntfy", url: "https://ntfy.example/firebreak", token: null },
  subject: "[Firebreak] Page: db down",
  text: "• db down (high urgency)",
  links: [],
  pages: [
    {
      id: 1,
      title: "db down",
      urgency: "high",
      ackUrl: "https://fb.example/ack/abc",
      url: "https://fb.example/incidents/7",
    },
  ],
  ...over,
});

describe("ntfy publish headers", () => {
  it("high urgency is priority 5 with an Acknowledge http action and the incident as Click", () => {
    expect(ntfyHeaders(page())).toMatchObject({
      Title: "[Firebreak] Page: db down",
      Priority: "5",
      Click: "https://fb.example/incidents/7",
      Actions: "http, Acknowledge, https://fb.example/ack/abc, method=POST, clear=true",
    });
  });
  it("a notice asks for nothing: default priority, no action", () => {
    const h = ntfyHeaders(page({ type: "notice" }));
    expect(h.Priority).toBe("3");
    expect(h.Actions).toBeUndefined();
  });
  it("at most three actions for a batch", () => {
    const pages = [1, 2, 3, 4].map((id) => ({
      id,
      title: `p${id}`,
      urgency: "low" as const,
      ackUrl: `https://fb.example/ack/${id}`,
    }));
    const h = ntfyHeaders(page({ pages }));
    expect(h.Priority).toBe("3");
    expect(h.Actions?.split(";")).toHaveLength(3);
    expect(h.Actions).toContain("Ack page 1");
  });
  it("non-ASCII header values are RFC 2047 encoded; newlines are flattened", () => {
    expect(headerValue("plain\nline")).toBe("plain line");
    const v = headerValue("Pänne");
    expect(v).toMatch(/^=\?UTF-8\?B\?.+\?=$/);
    expect(Buffer.from(v.slice(10, -2), "base64").toString("utf8")).toBe("Pänne");
  });
});

describe("ntfy topics and tokens", () => {
  it("accepts topic URLs only", () => {
    expect(ntfyTopicProblem("https://ntfy.sh/firebreak-alice")).toBeNull();
    expect(ntfyTopicProblem("http://10.0.0.5:8080/oncall_db")).toBeNull();
    expect(ntfyTopicProblem("https://ntfy.sh/")).not.toBeNull();
    expect(ntfyTopicProblem("https://u:p@ntfy.sh/t")).not.toBeNull();
    expect(ntfyTopicProblem("https://ntfy.sh/t?auth=x")).not.toBeNull();
  });
  it("masks tokens", () => {
    expect(maskToken("tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2")).toBe("••••NIz2");
    expect(maskToken("short")).toBe("••••");
  });
});

describe("the private-network reach", () => {
  it("allows loopback and private ranges, refuses link-local, metadata and unspecified", () => {
    for (const ok of ["127.0.0.1", "::1", "10.1.2.3", "192.168.1.9", "fd12::1", "8.8.8.8"])
      expect(privateNetworkReason(ok, []), ok).toBeNull();
    for (const bad of [
      "169.254.169.254",
      "fe80::1",
      "0.0.0.0",
      "::",
      "::ffff:169.254.169.254",
      "fd00:ec2::254",
    ])
      expect(privateNetworkReason(bad, []), bad).toContain("link-local");
    expect(privateNetworkReason("ntfy.lan", ["10.0.0.2", "169.254.169.254"])).toContain("link-local");
  });

  it("a name that resolves to a metadata address when sending is not connected to", async () => {
    const ntfy = createNtfyChannel({
      outbound: createOutbound({ resolve: async () => ["169.254.169.254"] }),
    });
    const r = await ntfy.send(page({ to: { kind: "ntfy", url: "http://ntfy.lan/t", token: null } }));
    expect(r).toEqual({
      status: "failed-permanent",
      reason: "refused: ntfy.lan is a link-local, metadata or unspecified address",
    });
  });

  it("a redirect is not followed", async () => {
    let hits = 0;
    const server = createServer((_req, res) => {
      hits++;
      res.writeHead(302, { location: "http://169.254.169.254/" }).end();
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const port = (server.address() as AddressInfo).port;
    const r = await createNtfyChannel().send(
      page({ to: { kind: "ntfy", url: `http://127.0.0.1:${port}/t`, token: null } }),
    );
    await new Promise((ok) => server.close(ok));
    expect(r.status).toBe("failed-permanent");
    expect(r.status === "failed-permanent" && r.reason).toContain("redirects are not followed");
    expect(hits).toBe(1);
  });
});
