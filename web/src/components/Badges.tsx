/** Severity and state as badges: a colour and always the words, so colour is never the only signal. */
import { useQuery } from "@tanstack/react-query";
import { policyQuery } from "../api/queries.ts";
import type { IncidentState } from "../api/types.ts";
import { severityTone, stateLabel } from "../lib/incidents.ts";

export function SeverityBadge({ id }: { id: string }) {
  const { data: policy } = useQuery(policyQuery);
  const severities = policy?.severities ?? [];
  const severity = severities.find((s) => s.id === id);
  const tone = severityTone(
    id,
    severities.map((s) => s.id),
  );
  return (
    <span className={`badge severity-${tone}`} title={severity?.description}>
      {id}
      {severity ? <span className="badge-name"> {severity.name}</span> : null}
    </span>
  );
}

export function StateBadge({ state }: { state: IncidentState }) {
  return <span className={`badge state state-${state}`}>{stateLabel[state]}</span>;
}
