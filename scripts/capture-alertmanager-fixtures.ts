/**
 * Captures what a real Alertmanager sends to a webhook receiver and to a PagerDuty Events v2
 * endpoint, and writes the bodies to test/fixtures/alertmanager-*.json for unit tests of alert
 * intake. Alerts carry fixed times and Alertmanager a fixed external URL, so a re-run writes the
 * same files (as long as the Alertmanager version is the same).
 *
 *   node --import tsx scripts/capture-alertmanager-fixtures.ts
 */
import { mkdirSync, writeFileSync } from "node:fs";
import {
  type PostableAlert,
  type RecordedRequest,
  startAlertmanager,
  startRecordingReceiver,
  waitFor,
} from "../test/support/alertmanager.ts";

const fixtures = new URL("../test/fixtures/", import.meta.url);
const HOOK = "/api/v1/integrations/alertmanager/fixture-integration-key";
const ENQUEUE = "/v2/enqueue";

const common = {
  alertname: "HighErrorRate",
  service: "checkout",
  severity: "critical",
  env: "production",
  job: "checkout",
};
const generatorURL =
  "http://prometheus.example.com:9090/graph?g0.expr=job%3Acheckout_http_5xx%3Aratio_rate5m+%3E+0.05&g0.tab=1";
const firing: PostableAlert[] = [
  {
    labels: { ...common, instance: "checkout-0:8080" },
    annotations: {
      summary: "Checkout is failing more than 5% of requests",
      description: "checkout-0:8080 answered 7.3% of requests with 5xx over the last 5 minutes.",
      runbook_url: "https://runbooks.example.com/checkout/high-error-rate",
    },
    startsAt: "2025-03-14T09:26:53.589793238Z",
    generatorURL,
  },
  {
    labels: { ...common, instance: "checkout-1:8080" },
    annotations: {
      summary: "Checkout is failing more than 5% of requests",
      description: "checkout-1:8080 answered 6.1% of requests with 5xx over the last 5 minutes.",
      runbook_url: "https://runbooks.example.com/checkout/high-error-rate",
    },
    startsAt: "2025-03-14T09:27:23.589793238Z",
    generatorURL,
  },
];
const resolved = firing.map((a) => ({ ...a, endsAt: "2025-03-14T09:41:53.589793238Z" }));

async function capture(): Promise<Record<string, RecordedRequest> | undefined> {
  const receiver = await startRecordingReceiver();
  const am = await startAlertmanager({
    webhookUrl: `${receiver.url}${HOOK}`,
    pagerdutyUrl: `${receiver.url}${ENQUEUE}`,
    routingKey: "e93facc04764012d7bfb002500d5d1a6",
    externalUrl: "http://alertmanager.example.com:9093",
    groupWait: "1s",
  });
  try {
    const first = (p: string, pred: (b: RecordedRequest["body"]) => boolean) => () =>
      receiver.to(p).find((r) => pred(r.body));
    const fail = () => `received: ${JSON.stringify(receiver.requests.map((r) => r.body))}\n${am.output()}`;
    await am.postAlerts(firing);
    const webhookFiring = await waitFor(
      first(HOOK, (b) => b.status === "firing"),
      { message: fail },
    );
    const pagerdutyTrigger = await waitFor(
      first(ENQUEUE, (b) => b.event_action === "trigger"),
      { message: fail },
    );
    // Alerts with old startsAt flush at once, so the second may miss the first notification.
    if (webhookFiring.body.alerts.length !== firing.length) return undefined;
    await am.postAlerts(resolved);
    const webhookResolved = await waitFor(
      first(HOOK, (b) => b.status === "resolved"),
      { message: fail },
    );
    const pagerdutyResolve = await waitFor(
      first(ENQUEUE, (b) => b.event_action === "resolve"),
      { message: fail },
    );
    return { webhookFiring, webhookResolved, pagerdutyTrigger, pagerdutyResolve };
  } finally {
    await am.stop();
    await receiver.close();
  }
}

let got: Record<string, RecordedRequest> | undefined;
for (let attempt = 1; attempt <= 5 && !got; attempt++) got = await capture();
if (!got) throw new Error("Alertmanager never sent both alerts in one notification");

mkdirSync(fixtures, { recursive: true });
const files: [string, RecordedRequest][] = [
  ["alertmanager-webhook-firing.json", got.webhookFiring!],
  ["alertmanager-webhook-resolved.json", got.webhookResolved!],
  ["alertmanager-pagerduty-trigger.json", got.pagerdutyTrigger!],
  ["alertmanager-pagerduty-resolve.json", got.pagerdutyResolve!],
];
for (const [name, req] of files) {
  writeFileSync(new URL(name, fixtures), `${JSON.stringify(req.body, null, 2)}\n`);
  console.log(`${name}: ${req.method} ${req.path} ${JSON.stringify(req.headers)}`);
}
