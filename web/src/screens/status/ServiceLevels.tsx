/**
 * A component's service-level objectives (STAT-4): the apdex objective, the error-ratio objective
 * and the outage line, each a PromQL query and a threshold, with what Firebreak last judged and the
 * component's recent breaches. Saving replaces all three at once; an empty query removes that line.
 * Below them, the alert services whose open alerts propose the component's status.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import type { ServiceLevelsView } from "../../../../src/slo/routes.ts";
import { api } from "../../api/client.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";

type Kind = ServiceLevelsView["objectives"][number]["kind"];
const kinds: { kind: Kind; label: string; hint: string }[] = [
  { kind: "apdex", label: "Apdex objective", hint: "degraded after 5 minutes below it (e.g. 0.95)" },
  {
    kind: "error_ratio",
    label: "Error-ratio objective",
    hint: "degraded after 5 minutes above it (e.g. 0.01)",
  },
  { kind: "outage", label: "Outage error line", hint: "an outage after 5 minutes above it (e.g. 0.2)" },
];
type Line = { query: string; threshold: string };
type Proposed = ServiceLevelsView["alertServices"][number]["status"];
const proposals: { status: Proposed; label: string }[] = [
  { status: "degraded_performance", label: "Degraded performance" },
  { status: "partial_outage", label: "Partial outage" },
  { status: "major_outage", label: "Major outage" },
];

const path = (slug: string, id: number) =>
  `/status-pages/${encodeURIComponent(slug)}/components/${id}/objectives`;
const key = (slug: string, id: number) => ["status-admin", slug, "service-levels", id] as const;

function linesOf(v: ServiceLevelsView): Record<Kind, Line> {
  const line = (k: Kind): Line => {
    const o = v.objectives.find((x) => x.kind === k);
    return { query: o?.query ?? "", threshold: o ? String(o.threshold) : "" };
  };
  return { apdex: line("apdex"), error_ratio: line("error_ratio"), outage: line("outage") };
}

export function ServiceLevels({
  slug,
  componentId,
  name,
}: {
  slug: string;
  componentId: number;
  name: string;
}) {
  const view = useQuery({
    queryKey: key(slug, componentId),
    queryFn: () => api<ServiceLevelsView>("GET", path(slug, componentId)),
  });
  const open = view.data?.breaches.filter((b) => b.endedAt === null) ?? [];

  return (
    <section className="sp-levels" aria-label={`Service levels of ${name}`}>
      <h4>Service levels of {name}</h4>
      {view.data && !view.data.evaluation.prometheus ? (
        <p className="muted">PROMETHEUS_URL is not set: objectives are kept but not judged.</p>
      ) : null}
      {open.map((b) => (
        <p key={b.id} role="status">
          <strong>{b.status.replace(/_/g, " ")}</strong> since {new Date(b.startedAt).toLocaleString()} —{" "}
          {b.reasons.join("; ")}. The status change waits in Drafts for approval
          {b.incidentId !== null ? (
            <>
              {" "}
              (<a href={`/incidents/${b.incidentId}`}>incident #{b.incidentId}</a>)
            </>
          ) : null}
          .
        </p>
      ))}
      <ErrorNote error={view.error} />
      {view.isPending ? <p aria-busy="true">Loading the objectives…</p> : null}
      {/* The form starts from the saved lines, so it waits for them: typing into it earlier would be
          overwritten when they arrive. */}
      {view.data ? (
        <>
          <Objectives slug={slug} componentId={componentId} view={view.data} />
          <AlertServices slug={slug} componentId={componentId} view={view.data} />
        </>
      ) : null}
    </section>
  );
}

/** What each part of the panel works on: one component's service levels, as last read. */
type PanelProps = { slug: string; componentId: number; view: ServiceLevelsView };

/** The three lines, edited together and saved at once; each shows what was last judged. */
function Objectives({ slug, componentId, view }: PanelProps) {
  const queryClient = useQueryClient();
  const [lines, setLines] = useState<Record<Kind, Line>>(() => linesOf(view));
  const save = useMutation({
    mutationFn: () =>
      api<ServiceLevelsView>("PUT", path(slug, componentId), {
        objectives: kinds
          .filter(({ kind }) => lines[kind].query.trim() !== "")
          .map(({ kind }) => ({
            kind,
            query: lines[kind].query.trim(),
            threshold: Number(lines[kind].threshold),
          })),
      }),
    onSuccess: (saved) => queryClient.setQueryData(key(slug, componentId), saved),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  const judged = (k: Kind) => view.objectives.find((o) => o.kind === k);

  return (
    <form onSubmit={submit}>
      {kinds.map(({ kind, label, hint }) => {
        const j = judged(kind);
        return (
          <fieldset key={kind}>
            <legend>{label}</legend>
            <label>
              PromQL (one series)
              <textarea
                rows={2}
                value={lines[kind].query}
                onChange={(e) => setLines({ ...lines, [kind]: { ...lines[kind], query: e.target.value } })}
              />
            </label>
            <label>
              Threshold <span className="muted">{hint}</span>
              <input
                inputMode="decimal"
                value={lines[kind].threshold}
                onChange={(e) =>
                  setLines({ ...lines, [kind]: { ...lines[kind], threshold: e.target.value } })
                }
              />
            </label>
            {j?.lastState ? (
              <p className="muted">
                Last judged {j.lastEvaluatedAt ? new Date(j.lastEvaluatedAt).toLocaleTimeString() : ""}:{" "}
                {j.lastState}
                {j.lastValue !== null ? ` (${j.lastValue})` : ""}
                {j.lastReason ? ` — ${j.lastReason}` : ""}
              </p>
            ) : null}
          </fieldset>
        );
      })}
      <div className="button-row">
        <button type="submit" className="primary" disabled={save.isPending}>
          Save objectives
        </button>
        {save.isSuccess ? <span role="status">Saved.</span> : null}
      </div>
      <ErrorNote error={save.error} />
    </form>
  );
}

/** Which services' open alerts propose this component's status (a draft, like a breach). */
function AlertServices({ slug, componentId, view }: PanelProps) {
  const queryClient = useQueryClient();
  const services = useQuery({
    queryKey: ["status-admin", "services"],
    queryFn: async () =>
      (await api<{ services: { id: number; name: string }[] }>("GET", "/services")).services,
  });
  const [serviceId, setServiceId] = useState("");
  const [status, setStatus] = useState<Proposed>("degraded_performance");
  const save = useMutation({
    mutationFn: (next: { serviceId: number; status: Proposed }[]) =>
      api<ServiceLevelsView>(
        "PUT",
        `/status-pages/${encodeURIComponent(slug)}/components/${componentId}/alert-services`,
        { services: next },
      ),
    onSuccess: (saved) => queryClient.setQueryData(key(slug, componentId), saved),
  });
  const current = view.alertServices.map((m) => ({ serviceId: m.serviceId, status: m.status }));
  const unmapped = (services.data ?? []).filter((x) => !current.some((m) => m.serviceId === x.id));
  return (
    <fieldset>
      <legend>Alert services</legend>
      <p className="muted">
        While a service here has open alerts, this component's status is drafted for approval.
      </p>
      <ul>
        {view.alertServices.map((m) => (
          <li key={m.serviceId}>
            {m.serviceName}: {proposals.find((p) => p.status === m.status)?.label}{" "}
            <button
              type="button"
              aria-label={`Unmap ${m.serviceName}`}
              disabled={save.isPending}
              onClick={() => save.mutate(current.filter((x) => x.serviceId !== m.serviceId))}
            >
              Unmap
            </button>
          </li>
        ))}
      </ul>
      <label>
        Service
        <select value={serviceId} onChange={(e) => setServiceId(e.target.value)}>
          <option value="">Choose a service</option>
          {unmapped.map((x) => (
            <option key={x.id} value={x.id}>
              {x.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Proposes
        <select value={status} onChange={(e) => setStatus(e.target.value as Proposed)}>
          {proposals.map((p) => (
            <option key={p.status} value={p.status}>
              {p.label}
            </option>
          ))}
        </select>
      </label>
      <button
        type="button"
        disabled={serviceId === "" || save.isPending}
        onClick={() => {
          save.mutate([...current, { serviceId: Number(serviceId), status }]);
          setServiceId("");
        }}
      >
        Map service
      </button>
      <ErrorNote error={save.error ?? services.error} />
    </fieldset>
  );
}
