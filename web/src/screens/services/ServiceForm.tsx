/**
 * A service's settings, to create one or change it: its name, what it is, the escalation policy
 * its alerts page and how long alerts keep grouping into one incident. Checked as the API checks
 * them; a refusal is shown at the field it names, and nothing typed is lost.
 */
import { useQuery } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { ApiError } from "../../api/client.ts";
import { policiesQuery } from "../../api/oncall.ts";
import type { Service, ServiceFields } from "../../api/services.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { useFieldErrors } from "../../components/useFieldErrors.tsx";

type Field = "name" | "description" | "policy" | "grouping";
const apiFields: Record<string, Field> = {
  name: "name",
  description: "description",
  escalationPolicyId: "policy",
  groupingWindowMinutes: "grouping",
};

/** The form's values as the API wants them, or the problems to show at the fields. */
export function readServiceForm(
  form: FormData,
): { body: ServiceFields } | { problems: Partial<Record<Field, string>> } {
  const name = String(form.get("name") ?? "").trim();
  const description = String(form.get("description") ?? "");
  const policy = String(form.get("policy") ?? "");
  const grouping = String(form.get("grouping") ?? "").trim();
  const problems: Partial<Record<Field, string>> = {};
  if (!name) problems.name = "a service needs a name";
  else if (name.length > 100) problems.name = "at most 100 characters";
  if (description.length > 2000) problems.description = "at most 2000 characters";
  const minutes = Number(grouping);
  if (grouping && (!Number.isInteger(minutes) || minutes < 1 || minutes > 10_080))
    problems.grouping = "a whole number of minutes from 1 to 10080 (a week)";
  if (Object.keys(problems).length) return { problems };
  return {
    body: {
      name,
      description,
      ...(policy ? { escalationPolicyId: Number(policy) } : {}),
      ...(grouping ? { groupingWindowMinutes: minutes } : {}),
    },
  };
}

export function ServiceForm({
  service,
  submitLabel,
  pending,
  error,
  done,
  onSubmit,
}: {
  service?: Service;
  submitLabel: string;
  pending: boolean;
  error: unknown;
  /** Said (politely) once it worked. */
  done: string;
  onSubmit: (body: ServiceFields, form: HTMLFormElement) => void;
}) {
  const policies = useQuery(policiesQuery);
  const [local, setLocal] = useState<Partial<Record<Field, string>>>({});
  // A new service pages the install's default policy when there is one, else the first.
  const defaultPolicy = policies.data?.find((p) => p.name === "Engineer On Call") ?? policies.data?.[0];
  const { id, refused, err, aria } = useFieldErrors(error, apiFields, local);

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const formEl = e.currentTarget;
    const read = readServiceForm(new FormData(formEl));
    if ("problems" in read) {
      setLocal(read.problems);
      const first = Object.keys(read.problems)[0];
      formEl.querySelector<HTMLElement>(`[name="${first}"]`)?.focus();
      return;
    }
    setLocal({});
    onSubmit(read.body, formEl);
  };

  return (
    <form className="stack compact service-form" onSubmit={submit} noValidate>
      <label>
        Name
        <input name="name" defaultValue={service?.name} maxLength={100} {...aria("name")} />
        {err("name")}
      </label>
      <label>
        Description
        <textarea
          name="description"
          rows={2}
          defaultValue={service?.description}
          maxLength={2000}
          {...aria("description")}
        />
        {err("description")}
      </label>
      <label>
        Escalation policy its alerts page
        <select
          name="policy"
          defaultValue={service ? String(service.escalationPolicyId) : String(defaultPolicy?.id ?? "")}
          key={policies.data ? "loaded" : "loading"}
          {...aria("policy")}
        >
          {(policies.data ?? []).map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
        {err("policy")}
        {policies.data?.length === 0 ? (
          <span className="hint">
            There is no escalation policy yet: make one first, under Escalation policies.
          </span>
        ) : null}
      </label>
      <label>
        Grouping window (minutes)
        <input
          name="grouping"
          inputMode="numeric"
          defaultValue={service?.groupingWindowMinutes}
          placeholder="60"
          {...aria("grouping")}
        />
        <span className="hint">Alerts within this long of the last one join its incident.</span>
        {err("grouping")}
      </label>
      <ErrorNote error={policies.error} />
      {refused?.rest.length ? (
        <div className="error-note" role="alert">
          <strong>{error instanceof ApiError ? error.title : "Refused"}</strong>
          <span> — {refused.rest.join("; ")}</span>
        </div>
      ) : refused || Object.keys(local).length ? (
        <p className="visually-hidden" role="alert">
          Not saved: see the messages at the fields.
        </p>
      ) : (
        <ErrorNote error={error} />
      )}
      <output className="hint" aria-live="polite">
        {done}
      </output>
      <button type="submit" className="primary" disabled={pending}>
        {submitLabel}
      </button>
    </form>
  );
}
