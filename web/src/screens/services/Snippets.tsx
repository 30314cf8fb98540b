/**
 * Set-up to paste into each sender, filled with this server's public URL and the key: when the key
 * was just made it is in every snippet; later only its placeholder is (keys are shown once).
 */
import { useQuery } from "@tanstack/react-query";
import { useId } from "react";
import { endpointsQuery, type IntegrationKey } from "../../api/services.ts";
import { CopyButton } from "../../components/CopyButton.tsx";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import {
  alertmanagerReceiver,
  changeCurl,
  eventsV1Curl,
  eventsV2Curl,
  genericCurl,
  grafanaOnCallUrls,
  heartbeatCron,
  heartbeatUrl,
  KEY_PLACEHOLDER,
  opsgenieCurl,
} from "../../lib/snippets.ts";

function Snippet({ title, hint, text }: { title: string; hint: string; text: string }) {
  const id = useId();
  return (
    <section className="snippet" aria-labelledby={id}>
      <h4 id={id}>{title}</h4>
      <p className="hint">{hint}</p>
      <pre>
        <code>{text}</code>
      </pre>
      <p className="actions">
        <CopyButton text={text} label={`Copy ${title}`} />
      </p>
    </section>
  );
}

export function Snippets({
  secret,
  mapping = null,
  heartbeat = "nightly-backup",
}: {
  /** The key itself when just made; otherwise the snippets carry a placeholder. */
  secret?: string;
  mapping?: IntegrationKey["mapping"];
  heartbeat?: string;
}) {
  const endpoints = useQuery(endpointsQuery);
  if (endpoints.error) return <ErrorNote error={endpoints.error} />;
  const e = endpoints.data;
  if (!e) return <p aria-busy="true">Loading this server's address…</p>;
  const key = secret ?? KEY_PLACEHOLDER;
  return (
    <div className="snippets">
      <Snippet
        title="Prometheus Alertmanager receiver"
        hint="Add to alertmanager.yml, and route alerts to the receiver."
        text={alertmanagerReceiver(e, key)}
      />
      <Snippet
        title="Events API v2 (PagerDuty format)"
        hint="Anything that can page PagerDuty can page Firebreak: use this URL, with the key as routing_key."
        text={eventsV2Curl(e, key)}
      />
      <Snippet
        title="Opsgenie Alert API"
        hint="Anything that alerts Opsgenie can alert Firebreak: change the host, and send the key as the GenieKey."
        text={opsgenieCurl(e, key)}
      />
      <Snippet
        title="Grafana OnCall integration URLs"
        hint="Paste in place of the OnCall integration URL of a Grafana contact point or another sender."
        text={grafanaOnCallUrls(e, key)}
      />
      <Snippet
        title="Events API v1 (older PagerDuty integrations)"
        hint="Senders of PagerDuty's v1 events: use this URL, with the key as service_key."
        text={eventsV1Curl(e, key)}
      />
      <Snippet
        title="Generic webhook"
        hint="Any JSON; the key's mapping says which fields are the summary, the dedup key, the severity and the status."
        text={genericCurl(e, key, mapping)}
      />
      <Snippet
        title="Change event"
        hint="Deploys and feature flags, shown on the service's incidents under What changed."
        text={changeCurl(e, key)}
      />
      <Snippet
        title="Heartbeat URL"
        hint={`Ping it (GET or POST) after each run of a job; add the heartbeat "${heartbeat}" below to be alerted when a ping is missed.`}
        text={`${heartbeatUrl(e, key, heartbeat)}\n\n# e.g. in a crontab:\n${heartbeatCron(e, key, heartbeat)}`}
      />
    </div>
  );
}
