/**
 * Declaring an incident (DEC-1): the title may wait, the rest has the policy's defaults. When
 * unsure, the higher severity (DEC-4): lowering later is cheap, missing a serious incident is not.
 */
import { useMutation, useQueryClient, useSuspenseQuery } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";
import { api } from "../api/client.ts";
import { keys, policyQuery } from "../api/queries.ts";
import type { Incident } from "../api/types.ts";
import { ErrorNote } from "../components/ErrorNote.tsx";
import { IncidentTypeOptions } from "../components/PolicyOptions.tsx";

type DeclareBody = {
  title: string;
  type: string;
  severity: string;
  status: "triage" | "active";
  summary?: string;
  visibility: "public" | "private";
  blocksDeployments: boolean;
};

export function Declare() {
  const { data: policy } = useSuspenseQuery(policyQuery);
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [type, setType] = useState(policy.incidentTypes[0]?.name ?? "");
  const [severity, setSeverity] = useState(policy.defaultSeverity);
  // Security types start private (DEC-5) unless the person chose otherwise.
  const [visibility, setVisibility] = useState<"public" | "private" | null>(null);
  const chosenType = policy.incidentTypes.find((t) => t.name === type);
  const chosenSeverity = policy.severities.find((s) => s.id === severity);
  const effectiveVisibility = visibility ?? (chosenType?.security ? "private" : "public");
  // A type takes its own severities (COMM-6: Sev0/Sev1 for customer incidents, S1–S4 for the rest).
  const offered = (name: string) => {
    const t = policy.incidentTypes.find((x) => x.name === name);
    return policy.severities.filter((s) => !t || t.severities.includes(s.id));
  };
  const chooseType = (name: string) => {
    setType(name);
    const o = offered(name);
    if (!o.some((s) => s.id === severity)) setSeverity(o.find((s) => s.default)?.id ?? o[0]?.id ?? severity);
  };

  const declare = useMutation({
    mutationFn: (body: DeclareBody) => api<Incident>("POST", "/incidents", body),
    onSuccess: async (incident) => {
      queryClient.setQueryData(keys.incident(incident.id), incident);
      void queryClient.invalidateQueries({ queryKey: keys.incidentLists });
      await navigate({ to: "/incidents/$id", params: { id: incident.id } });
    },
  });

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const summary = String(form.get("summary") ?? "").trim();
    declare.mutate({
      title: String(form.get("title") ?? "").trim(),
      type,
      severity,
      status: form.get("status") === "triage" ? "triage" : "active",
      ...(summary ? { summary } : {}),
      visibility: effectiveVisibility,
      blocksDeployments: form.get("blocksDeployments") === "on",
    });
  };

  return (
    <div className="page narrow">
      <h1>Declare an incident</h1>
      <form className="stack" onSubmit={submit}>
        <label>
          Title
          <input name="title" maxLength={200} aria-describedby="title-hint" />
        </label>
        <p id="title-hint" className="hint">
          May stay empty for now: declare first, name it when you know more.
        </p>

        <label>
          Type
          <select value={type} onChange={(e) => chooseType(e.target.value)} aria-describedby="type-hint">
            <IncidentTypeOptions policy={policy} />
          </select>
        </label>
        <p id="type-hint" className="hint">
          {chosenType?.description}
          {chosenType?.security ? " Security incidents start private." : ""}
        </p>

        <fieldset className="choices">
          <legend>Severity</legend>
          <p className="hint strong">Unsure? Pick the higher severity: lowering it later is cheap.</p>
          {offered(type).map((s) => (
            <label key={s.id} className="choice">
              <input
                type="radio"
                name="severity"
                value={s.id}
                checked={severity === s.id}
                onChange={() => setSeverity(s.id)}
              />
              <span>
                <strong>
                  {s.id} {s.name}
                </strong>
                {s.default ? " (suggested when unsure)" : ""}
                <span className="choice-description">{s.description}</span>
              </span>
            </label>
          ))}
        </fieldset>

        <fieldset className="choices">
          <legend>Start as</legend>
          <label className="choice">
            <input type="radio" name="status" value="active" defaultChecked />
            <span>
              <strong>Active</strong>
              <span className="choice-description">Being worked now: the response starts at once.</span>
            </span>
          </label>
          <label className="choice">
            <input type="radio" name="status" value="triage" />
            <span>
              <strong>Triage</strong>
              <span className="choice-description">
                A problem to look at; someone accepts or declines it.
              </span>
            </span>
          </label>
        </fieldset>

        <label>
          Summary
          <textarea name="summary" rows={4} maxLength={20_000} />
        </label>

        <fieldset className="choices">
          <legend>Visibility</legend>
          {(["public", "private"] as const).map((v) => (
            <label key={v} className="choice">
              <input
                type="radio"
                name="visibility"
                value={v}
                checked={effectiveVisibility === v}
                onChange={() => setVisibility(v)}
              />
              <span>
                <strong>{v === "public" ? "Public" : "Private"}</strong>
                <span className="choice-description">
                  {v === "public"
                    ? "Everyone signed in can see it."
                    : "Only participants and admins can see it."}
                </span>
              </span>
            </label>
          ))}
        </fieldset>

        <label className="check">
          <input type="checkbox" name="blocksDeployments" aria-describedby="blocks-hint" />
          Blocks deployments
        </label>
        <p id="blocks-hint" className="hint">
          {chosenSeverity?.blocksDeployments
            ? `${chosenSeverity.id} incidents block deployments and feature-flag changes anyway while open.`
            : "Stops deployments and feature-flag changes while the incident is open."}
        </p>

        <ErrorNote error={declare.error} />
        <button type="submit" className="primary" disabled={declare.isPending}>
          {declare.isPending ? "Declaring…" : "Declare incident"}
        </button>
      </form>
    </div>
  );
}
