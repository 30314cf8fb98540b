/**
 * `POST /v2/enqueue` refuses what PagerDuty's Events API v2 documents as invalid, field by field,
 * with that API's error shape (`{ status: "invalid event", message, errors }`) naming the field,
 * and stores nothing; what PagerDuty accepts (its own example's `+0000` timestamp, images with
 * only `src`, links with only `href`) is accepted.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";

// biome-ignore lint/suspicious/noExplicitAny: JSON from the API, read loosely in assertions
type Json = Record<string, any>;

let t: TestApp;
let service: { id: number; integrationKey: string };

beforeAll(async () => {
  t = await startTestApp({ clockStart: "2026-11-18T12:00:00Z" });
  await t.seedOnCall();
  const r = await t.admin.request("POST", "/api/v1/services", { name: "events-v2-validation" });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  service = r.body;
});
afterAll(() => t?.close());

const enqueue = (body: unknown) =>
  fetch(`${t.base}/v2/enqueue`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

const payload = { summary: "disk full on db-1", source: "db-1", severity: "critical" };
const event = (extra: Json = {}, payloadExtra: Json = {}) => ({
  routing_key: service.integrationKey,
  event_action: "trigger",
  dedup_key: "db-1/disk",
  payload: { ...payload, ...payloadExtra },
  ...extra,
});
const without = (field: keyof typeof payload) => {
  const p: Json = { ...payload };
  delete p[field];
  return { routing_key: service.integrationKey, event_action: "trigger", payload: p };
};
const alerts = async (): Promise<Json[]> =>
  (await t.admin.get(`/api/v1/alerts?service=${service.id}`)).body.alerts;

describe("Events API v2: each documented constraint is a 400 naming the field", () => {
  const refused: [string, () => unknown, RegExp][] = [
    ["routing_key empty", () => event({ routing_key: "" }), /'routing_key'/],
    ["event_action not trigger/acknowledge/resolve", () => event({ event_action: "fire" }), /'event_action'/],
    ["dedup_key over 255 characters", () => event({ dedup_key: "k".repeat(256) }), /'dedup_key'/],
    [
      "dedup_key missing on resolve",
      () => ({ routing_key: service.integrationKey, event_action: "resolve" }),
      /'dedup_key'/,
    ],
    ["payload missing on trigger", () => event({ payload: undefined }), /'payload'/],
    ["summary missing", () => without("summary"), /'payload.summary'/],
    ["summary over 1024 characters", () => event({}, { summary: "s".repeat(1025) }), /'payload.summary'/],
    ["source missing", () => without("source"), /'payload.source'/],
    ["severity missing", () => without("severity"), /'payload.severity'/],
    ["severity not critical/error/warning/info", () => event({}, { severity: "high" }), /'payload.severity'/],
    ["timestamp not ISO 8601", () => event({}, { timestamp: "yesterday" }), /'payload.timestamp'/],
    [
      "timestamp without an offset",
      () => event({}, { timestamp: "2026-11-18T12:00:00" }),
      /'payload.timestamp'/,
    ],
    ["component not text", () => event({}, { component: 5 }), /'payload.component'/],
    ["group not text", () => event({}, { group: ["db"] }), /'payload.group'/],
    ["class not text", () => event({}, { class: true }), /'payload.class'/],
    [
      "custom_details not an object",
      () => event({}, { custom_details: "free: 0%" }),
      /'payload.custom_details'/,
    ],
    ["custom_details an array", () => event({}, { custom_details: [1, 2] }), /'payload.custom_details'/],
    ["client not text", () => event({ client: 1 }), /'client'/],
    ["client_url not text", () => event({ client_url: {} }), /'client_url'/],
    ["images not an array", () => event({ images: "https://i.example.com/a.png" }), /'images'/],
    [
      "an image without src",
      () => event({ images: [{ href: "https://grafana.example.com" }] }),
      /'images.0.src'/,
    ],
    ["an image with an empty src", () => event({ images: [{ src: "" }] }), /'images.0.src'/],
    [
      "an image not served over HTTPS",
      () => event({ images: [{ src: "http://i.example.com/a.png" }] }),
      /'images.0.src'.*https/,
    ],
    [
      "an image's alt not text",
      () => event({ images: [{ src: "https://i.example.com/a.png", alt: 3 }] }),
      /'images.0.alt'/,
    ],
    ["links not an array", () => event({ links: { href: "https://x" } }), /'links'/],
    ["a link without href", () => event({ links: [{ text: "runbook" }] }), /'links.0.href'/],
    [
      "a link's text not text",
      () => event({ links: [{ href: "https://runbook.example.com", text: 1 }] }),
      /'links.0.text'/,
    ],
  ];

  for (const [what, body, field] of refused) {
    it(`refuses ${what}`, async () => {
      const res = await enqueue(body());
      expect(res.status).toBe(400);
      const answer = (await res.json()) as Json;
      expect(answer).toMatchObject({ status: "invalid event", message: "Event object is invalid" });
      expect(answer.errors.join("\n")).toMatch(field);
    });
  }

  it("stored nothing for any refused event", async () => {
    expect(await alerts()).toEqual([]);
  });

  it("accepts what PagerDuty accepts: its example's timestamp, images with only src, links with only href", async () => {
    const res = await enqueue(
      event(
        {
          client: "Grafana",
          client_url: "https://grafana.example.com",
          images: [
            { src: "https://i.example.com/disk.png" },
            { src: "https://i.example.com/b.png", href: "https://g", alt: "disk" },
          ],
          links: [
            { href: "https://runbook.example.com/disk" },
            { href: "https://x.example.com", text: "dashboard" },
          ],
        },
        {
          timestamp: "2015-07-17T08:42:58.315+0000",
          component: "postgres",
          group: "db",
          class: "disk",
          custom_details: { free: "0%" },
        },
      ),
    );
    expect(res.status, JSON.stringify(await res.clone().json())).toBe(202);
    for (const timestamp of [
      "2026-11-18T12:00:00Z",
      "2026-11-18T12:00:00.5+01:00",
      "2026-11-18T12:00-0330",
    ]) {
      expect((await enqueue(event({ dedup_key: timestamp }, { timestamp }))).status, timestamp).toBe(202);
    }
    const [first] = (await alerts()).filter((a) => a.dedupKey === "db-1/disk");
    expect(first?.details.images).toEqual([
      { src: "https://i.example.com/disk.png" },
      { src: "https://i.example.com/b.png", href: "https://g", alt: "disk" },
    ]);
    expect(first?.details.links).toEqual([
      { href: "https://runbook.example.com/disk" },
      { href: "https://x.example.com", text: "dashboard" },
    ]);
  });
});
