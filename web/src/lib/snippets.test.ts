import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  alertmanagerReceiver,
  changeCurl,
  eventsV1Curl,
  eventsV2Curl,
  fillUrl,
  genericBody,
  genericCurl,
  grafanaOnCallUrls,
  heartbeatCron,
  heartbeatUrl,
  type IntakeEndpoints,
  opsgenieCurl,
  shellQuote,
} from "./snippets.ts";

const endpointsAt = (base: string): IntakeEndpoints => ({
  publicUrl: base,
  alertmanager: `${base}/api/v1/integrations/alertmanager/{key}`,
  eventsV2: `${base}/v2/enqueue`,
  eventsV2Change: `${base}/v2/change/enqueue`,
  generic: `${base}/api/v1/integrations/generic/{key}`,
  change: `${base}/api/v1/integrations/change/{key}`,
  heartbeat: `${base}/api/v1/integrations/heartbeat/{key}/{name}`,
  opsgenie: `${base}/v2/alerts`,
  grafanaAlerting: `${base}/integrations/v1/grafana_alerting/{key}/`,
  formattedWebhook: `${base}/integrations/v1/formatted_webhook/{key}/`,
  eventsV1: `${base}/generic/2010-04-15/create_event.json`,
});
const e = endpointsAt("https://firebreak.example.com");
const key = "0123456789abcdef0123456789abcdef";

/** What a POSIX shell makes of a sequence of single-quoted words and `\'` (the only forms used). */
function unquote(word: string): string {
  let out = "";
  let i = 0;
  while (i < word.length) {
    if (word[i] === "'") {
      const end = word.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated quote in ${word}`);
      out += word.slice(i + 1, end);
      i = end + 1;
    } else if (word[i] === "\\") {
      out += word[i + 1];
      i += 2;
    } else throw new Error(`unquoted character ${word[i]} in ${word}`);
  }
  return out;
}

/** The URL and the JSON body of a curl snippet, as the shell would pass them to curl. */
function curlParts(snippet: string): { url: string; body: unknown } {
  const m =
    /^curl -X POST ((?:'[^']*'|\\')+) \\\n {2}-H 'Content-Type: application\/json' \\\n {2}-d ((?:'[^']*'|\\')+)\n$/.exec(
      snippet,
    );
  if (!m?.[1] || !m[2]) throw new Error(`not a curl snippet:\n${snippet}`);
  return { url: unquote(m[1]), body: JSON.parse(unquote(m[2])) };
}

describe("snippets", () => {
  it("the Alertmanager receiver is YAML with the key's URL and send_resolved: true", () => {
    const doc = parse(alertmanagerReceiver(e, key));
    expect(doc).toEqual({
      receivers: [
        {
          name: "firebreak",
          webhook_configs: [
            {
              url: `https://firebreak.example.com/api/v1/integrations/alertmanager/${key}`,
              send_resolved: true,
            },
          ],
        },
      ],
    });
  });

  it("the Events v2 curl posts a valid trigger with the key as routing_key", () => {
    const { url, body } = curlParts(eventsV2Curl(e, key));
    expect(url).toBe("https://firebreak.example.com/v2/enqueue");
    expect(body).toMatchObject({
      routing_key: key,
      event_action: "trigger",
      payload: { summary: expect.any(String), source: expect.any(String), severity: "critical" },
    });
  });

  it("the drop-in vendor snippets: Opsgenie with the key as GenieKey, Events v1 as service_key, OnCall URLs with the key", () => {
    const m =
      /^curl -X POST ((?:'[^']*'|\\')+) \\\n {2}-H ((?:'[^']*'|\\')+) \\\n {2}-H 'Content-Type: application\/json' \\\n {2}-d ((?:'[^']*'|\\')+)\n$/.exec(
        opsgenieCurl(e, key),
      );
    expect(m).not.toBeNull();
    expect(unquote(m?.[1] ?? "")).toBe("https://firebreak.example.com/v2/alerts");
    expect(unquote(m?.[2] ?? "")).toBe(`Authorization: GenieKey ${key}`);
    expect(JSON.parse(unquote(m?.[3] ?? ""))).toMatchObject({ message: expect.any(String), priority: "P2" });
    const v1 = curlParts(eventsV1Curl(e, key));
    expect(v1.url).toBe("https://firebreak.example.com/generic/2010-04-15/create_event.json");
    expect(v1.body).toMatchObject({
      service_key: key,
      event_type: "trigger",
      description: expect.any(String),
    });
    const urls = grafanaOnCallUrls(e, key)
      .split("\n")
      .filter((l) => l.startsWith("https://"));
    expect(urls).toEqual([
      `https://firebreak.example.com/integrations/v1/grafana_alerting/${key}/`,
      `https://firebreak.example.com/integrations/v1/formatted_webhook/${key}/`,
    ]);
  });

  it("the generic curl fills the fields the key's mapping reads, at dotted paths", () => {
    const plain = curlParts(genericCurl(e, key));
    expect(plain.url).toBe(`https://firebreak.example.com/api/v1/integrations/generic/${key}`);
    expect(plain.body).toEqual({
      id: "db-1/disk-full",
      title: "Disk 95% full on db-1",
      severity: "critical",
      status: "firing",
    });
    expect(
      genericBody({
        summary: "alert.title",
        dedupKey: "alert.id",
        resolveWhen: { field: "state", equals: ["ok"] },
      }),
    ).toEqual({ alert: { id: "db-1/disk-full", title: "Disk 95% full on db-1" }, state: "firing" });
  });

  it("the change curl and the heartbeat URL carry the key; the cron line pings it quietly", () => {
    const change = curlParts(changeCurl(e, key));
    expect(change.url).toBe(`https://firebreak.example.com/api/v1/integrations/change/${key}`);
    expect(change.body).toMatchObject({ summary: expect.any(String), kind: "deploy" });
    expect(heartbeatUrl(e, key, "nightly-backup")).toBe(
      `https://firebreak.example.com/api/v1/integrations/heartbeat/${key}/nightly-backup`,
    );
    expect(heartbeatCron(e, key, "db.backup")).toContain(`'${heartbeatUrl(e, key, "db.backup")}'`);
  });

  it("for any key and address: the YAML parses to the URL, and each curl body is the JSON it says", () => {
    fc.assert(
      fc.property(
        fc.webUrl({ withQueryParameters: false, withFragments: false }),
        fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }),
        (base, anyKey) => {
          const at = endpointsAt(base);
          const doc = parse(alertmanagerReceiver(at, anyKey));
          expect(doc.receivers[0].webhook_configs[0].url).toBe(fillUrl(at.alertmanager, { key: anyKey }));
          expect(doc.receivers[0].webhook_configs[0].send_resolved).toBe(true);
          const v2 = curlParts(eventsV2Curl(at, anyKey));
          expect((v2.body as { routing_key: string }).routing_key).toBe(anyKey);
          expect(curlParts(genericCurl(at, anyKey)).url).toBe(fillUrl(at.generic, { key: anyKey }));
        },
      ),
      { seed: 15, numRuns: 200 },
    );
  });

  it("shellQuote gives back the text through the shell's rules, quotes included", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (text) => {
        expect(unquote(shellQuote(text))).toBe(text);
      }),
      { seed: 15 },
    );
  });
});
