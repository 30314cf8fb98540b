/**
 * Grafana OnCall's integration URLs over HTTP and PostgreSQL: what a Grafana Alerting contact
 * point sends to an OnCall "Grafana Alerting"/"Alertmanager" integration, and OnCall's "Formatted
 * Webhook", firing then resolved, end in the expected alerts and one triage incident; an unknown
 * key stores nothing. Grafana itself cannot be installed here (no Debian package), so the payloads
 * are the ones Grafana documents: the webhook notifier's example body (grafana.com/docs/grafana/
 * latest/alerting/configure-notifications/manage-contact-points/integrations/webhook-notifier/)
 * and OnCall's Formatted Webhook fields (grafana.com/docs/oncall/latest/integrations/webhook/).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";

// biome-ignore lint/suspicious/noExplicitAny: JSON from the API, read loosely in assertions
type Json = Record<string, any>;

let t: TestApp;
let key: string;
let serviceId: number;

beforeAll(async () => {
  t = await startTestApp({ clockStart: "2026-11-18T12:00:00Z" });
  await t.seedOnCall();
  const s = await t.admin.request("POST", "/api/v1/services", { name: "observability" });
  expect(s.status, JSON.stringify(s.body)).toBe(201);
  key = s.body.integrationKey;
  serviceId = s.body.id;
});
afterAll(() => t?.close());

async function post(path: string, body: unknown) {
  const res = await fetch(`${t.base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}
const alertsOf = async (id: number): Promise<Json[]> =>
  (await t.admin.get(`/api/v1/alerts?service=${id}`)).body.alerts;

/** Grafana's webhook notifier example: two alerts of one group, Grafana's extra fields. */
function grafanaWebhook(status: "firing" | "resolved") {
  const alert = (zone: string, fingerprint: string) => ({
    status,
    labels: { alertname: "High memory usage", team: "blue", zone },
    annotations: {
      description: "The system has high memory usage",
      runbook_url: "https://myrunbook.com/runbook/1234",
      summary: `This alert was triggered for zone ${zone}`,
    },
    startsAt: "2021-10-12T09:51:03.157076+02:00",
    endsAt: status === "resolved" ? "2021-10-12T10:01:03.157076+02:00" : "0001-01-01T00:00:00Z",
    generatorURL: "https://play.grafana.org/alerting/1afz29v7z/edit",
    fingerprint,
    silenceURL: `https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT2%2Cteam%3Dblue%2Czone%3D${zone}`,
    dashboardURL: "",
    panelURL: "",
    values: { B: 44.23943737541908, C: 1 },
    valueString: "[ var='B' labels={__name__=go_memstats_alloc_bytes} value=44.23943737541908 ]",
  });
  return {
    receiver: "My Super Webhook",
    status,
    orgId: 1,
    alerts: [alert("us-1", "c6eadffa33fcdf37"), alert("eu-1", "b77d941310f9edc7")],
    groupLabels: {},
    commonLabels: { alertname: "High memory usage", team: "blue" },
    commonAnnotations: {},
    externalURL: "https://play.grafana.org/",
    version: "1",
    groupKey: '{}:{alertname="High memory usage"}',
    truncatedAlerts: 0,
    title: `[${status.toUpperCase()}:2] High memory usage (blue)`,
    state: status === "firing" ? "alerting" : "ok",
    message: "**Firing**\n\nLabels:\n - alertname = High memory usage\n",
  };
}

describe("Grafana OnCall integration URLs", () => {
  it("Grafana Alerting firing then resolved (OnCall's URL with its trailing slash): two alerts, one incident, answered Ok.", async () => {
    const fired = await post(`/integrations/v1/grafana_alerting/${key}/`, grafanaWebhook("firing"));
    expect(fired).toEqual({ status: 200, text: "Ok." });
    // A repeat notification (Grafana's repeat interval) changes nothing but the count.
    expect((await post(`/integrations/v1/grafana_alerting/${key}/`, grafanaWebhook("firing"))).status).toBe(
      200,
    );
    let alerts = await alertsOf(serviceId);
    expect(alerts.map((a) => a.dedupKey).sort()).toEqual(["b77d941310f9edc7", "c6eadffa33fcdf37"]);
    expect(alerts.every((a) => a.status === "firing" && a.source === "grafana")).toBe(true);
    expect(new Set(alerts.map((a) => a.incidentId)).size).toBe(1);
    const us = alerts.find((a) => a.dedupKey === "c6eadffa33fcdf37");
    expect(us).toMatchObject({ summary: "This alert was triggered for zone us-1", occurrences: 2 });
    expect(us?.details).toMatchObject({
      silenceURL: expect.stringContaining("zone%3Dus-1"),
      generatorURL: "https://play.grafana.org/alerting/1afz29v7z/edit",
    });
    expect((await t.admin.get(`/api/v1/incidents/${us?.incidentId}`)).body.state).toBe("triage");

    const resolved = await post(`/integrations/v1/grafana_alerting/${key}`, grafanaWebhook("resolved"));
    expect(resolved).toEqual({ status: 200, text: "Ok." });
    alerts = await alertsOf(serviceId);
    expect(alerts.map((a) => a.status)).toEqual(["resolved", "resolved"]);
  });

  it("GET /api/v1/intake-endpoints gives the URLs to paste, and they work", async () => {
    const e = (await t.admin.get("/api/v1/intake-endpoints")).body;
    expect(e).toMatchObject({
      grafanaAlerting: expect.stringMatching(/\/integrations\/v1\/grafana_alerting\/\{key\}\/$/),
      formattedWebhook: expect.stringMatching(/\/integrations\/v1\/formatted_webhook\/\{key\}\/$/),
      opsgenie: expect.stringMatching(/\/v2\/alerts$/),
      eventsV1: expect.stringMatching(/\/generic\/2010-04-15\/create_event\.json$/),
    });
    const path = (url: string) => new URL(url.replace("{key}", key)).pathname;
    const r = await post(path(e.formattedWebhook), {
      alert_uid: "from-endpoints",
      title: "via the pasted URL",
    });
    expect(r).toEqual({ status: 200, text: "Ok." });
  });

  it("the legacy Alertmanager and Grafana integration kinds take the same payload", async () => {
    for (const kind of ["alertmanager", "grafana"]) {
      const body = grafanaWebhook("firing");
      body.alerts = body.alerts.slice(0, 1).map((a) => ({ ...a, fingerprint: `${kind}-fp` }));
      expect(await post(`/integrations/v1/${kind}/${key}/`, body)).toEqual({ status: 200, text: "Ok." });
    }
    const keys = (await alertsOf(serviceId)).map((a) => a.dedupKey);
    expect(keys).toEqual(expect.arrayContaining(["alertmanager-fp", "grafana-fp"]));
  });

  it("Formatted Webhook: alerting then ok by alert_uid; without one, by title", async () => {
    const firing = {
      alert_uid: "08d6891a-835c-e661-39fa-96b6a9e26552",
      title: "The whole system is down",
      image_url: "https://upload.wikimedia.org/wikipedia/commons/e/ee/Grumpy_Cat_by_Gage_Skidmore.jpg",
      state: "alerting",
      link_to_upstream_details: "https://en.wikipedia.org/wiki/Downtime",
      message: "Smth happened. Oh no!",
    };
    expect(await post(`/integrations/v1/formatted_webhook/${key}/`, firing)).toEqual({
      status: 200,
      text: "Ok.",
    });
    let a = (await alertsOf(serviceId)).find((x) => x.dedupKey === firing.alert_uid);
    expect(a).toMatchObject({ status: "firing", summary: "The whole system is down", source: "grafana" });
    expect(a?.details).toMatchObject({
      link: "https://en.wikipedia.org/wiki/Downtime",
      message: "Smth happened. Oh no!",
    });
    await post(`/integrations/v1/formatted_webhook/${key}/`, { alert_uid: firing.alert_uid, state: "ok" });
    a = (await alertsOf(serviceId)).find((x) => x.dedupKey === firing.alert_uid);
    expect(a?.status).toBe("resolved");

    await post(`/integrations/v1/formatted_webhook/${key}/`, {
      title: "Disk full on db-2",
      state: "alerting",
    });
    await post(`/integrations/v1/formatted_webhook/${key}/`, { title: "Disk full on db-2", state: "ok" });
    const byTitle = (await alertsOf(serviceId)).filter((x) => x.summary === "Disk full on db-2");
    expect(byTitle.map((x) => x.status)).toEqual(["resolved"]);
  });

  it("an unknown key is a 404 and a bad body a 400 naming the field; nothing stored", async () => {
    const before = (await alertsOf(serviceId)).length;
    const unknown = await post(
      "/integrations/v1/grafana_alerting/0000000000000000/",
      grafanaWebhook("firing"),
    );
    expect(unknown.status).toBe(404);
    const bad = await post(`/integrations/v1/grafana_alerting/${key}/`, {
      ...grafanaWebhook("firing"),
      alerts: "none",
    });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text)).toMatchObject({ field: expect.stringMatching(/alerts/) });
    const badState = await post(`/integrations/v1/formatted_webhook/${key}/`, { title: 42 });
    expect(badState.status).toBe(400);
    expect(JSON.parse(badState.text).detail).toMatch(/title/);
    expect(await alertsOf(serviceId)).toHaveLength(before);
  });
});
