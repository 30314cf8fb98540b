/**
 * A triage incident (opened by alerts, owned by @alerts until a person takes it): Accept makes it
 * active with you as its owner, at the severity you choose; Decline needs a reason.
 */
import { useMutation, useQueryClient, useSuspenseQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { type FormEvent, useId, useState } from "react";
import { alertKeys } from "../../api/alerts.ts";
import { api } from "../../api/client.ts";
import { keys, policyQuery } from "../../api/queries.ts";
import type { Incident } from "../../api/types.ts";
import { SeverityBadge } from "../../components/Badges.tsx";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { SeverityOptions } from "../../components/PolicyOptions.tsx";
import { Time } from "../../components/Time.tsx";
import { incidentTitle } from "../../lib/incidents.ts";

type Move = { status: "investigating"; severity: string } | { status: "declined"; reason: string };

export function TriageRow({ incident, onDone }: { incident: Incident; onDone: (text: string) => void }) {
  const { data: policy } = useSuspenseQuery(policyQuery);
  const queryClient = useQueryClient();
  const id = useId();
  const [severity, setSeverity] = useState(incident.severity);
  const [reason, setReason] = useState("");
  const [missingReason, setMissingReason] = useState(false);
  const move = useMutation({
    mutationFn: (body: Move) => api<Incident>("POST", `/incidents/${incident.id}/status`, body),
    onSuccess: (updated, body) => {
      queryClient.setQueryData(keys.incident(updated.id), updated);
      void queryClient.invalidateQueries({ queryKey: keys.incidentLists });
      void queryClient.invalidateQueries({ queryKey: alertKeys.open });
      onDone(
        body.status === "declined"
          ? `Declined #${updated.id}.`
          : `Accepted #${updated.id}: you own it now, at ${updated.severity}.`,
      );
    },
  });
  const accept = () => move.mutate({ status: "investigating", severity });
  const decline = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const text = reason.trim();
    setMissingReason(text === "");
    if (text) move.mutate({ status: "declined", reason: text });
  };
  const titleId = `triage-${incident.id}`;
  return (
    <li className="triage-row" aria-labelledby={titleId}>
      <div className="incident-main">
        <SeverityBadge id={incident.severity} />
        <Link id={titleId} to="/incidents/$id" params={{ id: incident.id }} className="incident-link">
          <span className="muted">#{incident.id}</span> {incidentTitle(incident)}
        </Link>
      </div>
      <div className="incident-meta">
        <span>owner {incident.owner.name || incident.owner.username}</span>
        <span>
          opened <Time iso={incident.declaredAt} />
        </span>
      </div>
      <div className="triage-actions">
        <div className="inline-form">
          <label>
            Severity when accepting
            <select value={severity} onChange={(e) => setSeverity(e.target.value)}>
              <SeverityOptions policy={policy} />
            </select>
          </label>
          <button type="button" className="primary" disabled={move.isPending} onClick={accept}>
            Accept
          </button>
        </div>
        <form className="inline-form" onSubmit={decline} noValidate>
          <label className="grow">
            Reason for declining
            <input
              value={reason}
              maxLength={2000}
              onChange={(e) => setReason(e.target.value)}
              aria-invalid={missingReason || undefined}
              aria-describedby={missingReason ? `${id}-reason` : undefined}
            />
            {missingReason ? (
              <span id={`${id}-reason`} className="field-error">
                Say why it is not an incident: the reason goes on its timeline.
              </span>
            ) : null}
          </label>
          <button type="submit" disabled={move.isPending}>
            Decline
          </button>
        </form>
      </div>
      <ErrorNote error={move.error} />
    </li>
  );
}
