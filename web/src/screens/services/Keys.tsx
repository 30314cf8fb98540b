/**
 * A service's integration keys (admins): the list by name and last 4 characters, a new key shown
 * once with the set-up for every sender, revoking a key (its senders are refused at once), and
 * each key's source silence: one alert when nothing arrives on it for N minutes.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useId, useRef, useState } from "react";
import { ApiError } from "../../api/client.ts";
import {
  type CreatedKey,
  createKey,
  type IntegrationKey,
  keysQuery,
  revokeKey,
  serviceKeys,
  setKeySilence,
} from "../../api/services.ts";
import { CopyButton } from "../../components/CopyButton.tsx";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { Time } from "../../components/Time.tsx";
import { fieldProblems } from "../../lib/fields.ts";
import { Snippets } from "./Snippets.tsx";

function NewKey({ created, onDone }: { created: CreatedKey; onDone: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <section className="callout new-key" aria-labelledby="new-key-heading">
      <h3 id="new-key-heading" ref={heading} tabIndex={-1}>
        Integration key “{created.name}” created
      </h3>
      <p>Copy it now: it is shown only this once. The set-up below has it filled in.</p>
      <p className="secret">
        <code>{created.integrationKey}</code>
      </p>
      <p className="actions">
        <CopyButton text={created.integrationKey} label="Copy key" />
        <button type="button" onClick={onDone}>
          Done
        </button>
      </p>
      <Snippets secret={created.integrationKey} mapping={created.mapping} />
    </section>
  );
}

/** 1 to 10080 minutes (a week), as the API takes it; empty: off. */
export function silenceProblem(text: string): string | undefined {
  if (text.trim() === "") return undefined;
  const n = Number(text);
  return Number.isInteger(n) && n >= 1 && n <= 10080
    ? undefined
    : "a whole number of minutes from 1 to 10080 (a week), or empty for no alert";
}

/** A key's source silence: shown, changed, or turned off in place. */
function Silence({ serviceId, k }: { serviceId: number; k: IntegrationKey }) {
  const queryClient = useQueryClient();
  const errorId = useId();
  const [text, setText] = useState(k.silenceMinutes ? String(k.silenceMinutes) : "");
  const [problem, setProblem] = useState<string | undefined>();
  const save = useMutation({
    mutationFn: (minutes: number | null) => setKeySilence(serviceId, k.id, minutes),
    onSettled: () => queryClient.invalidateQueries({ queryKey: serviceKeys.keys(serviceId) }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const p = silenceProblem(text);
    setProblem(p);
    if (!p) save.mutate(text.trim() === "" ? null : Number(text));
  };
  return (
    <form className="inline-form silence-form" onSubmit={submit} noValidate>
      <label>
        <span className="visually-hidden">Alert when key {k.name} is silent for (minutes)</span>
        <input
          value={text}
          onChange={(e) => setText(e.target.value)}
          inputMode="numeric"
          size={6}
          placeholder="off"
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? errorId : undefined}
        />{" "}
        min
      </label>
      <button type="submit" disabled={save.isPending} aria-label={`Save silence alert of ${k.name}`}>
        Save
      </button>
      {problem ? (
        <span id={errorId} className="field-error">
          {problem}
        </span>
      ) : null}
      <ErrorNote error={save.error} />
    </form>
  );
}

function KeyRow({ serviceId, k }: { serviceId: number; k: IntegrationKey }) {
  const queryClient = useQueryClient();
  const revoke = useMutation({
    mutationFn: () => revokeKey(serviceId, k.id),
    onSettled: () => queryClient.invalidateQueries({ queryKey: serviceKeys.keys(serviceId) }),
  });
  return (
    <tr>
      <td>{k.name}</td>
      <td>
        <code>…{k.keyHint}</code>
      </td>
      <td>{k.mapping ? `summary ${k.mapping.summary}, key ${k.mapping.dedupKey}` : "default"}</td>
      <td>
        <Time iso={k.createdAt} />
      </td>
      <td>{k.lastEventAt ? <Time iso={k.lastEventAt} /> : <span className="muted">never</span>}</td>
      <td>
        <Silence serviceId={serviceId} k={k} />
      </td>
      <td>
        <button
          type="button"
          className="danger"
          disabled={revoke.isPending}
          aria-label={`Revoke key ${k.name} (…${k.keyHint})`}
          onClick={() => {
            if (window.confirm(`Revoke “${k.name}”? Senders using it are refused from now on.`))
              revoke.mutate();
          }}
        >
          Revoke
        </button>
        <ErrorNote error={revoke.error} />
      </td>
    </tr>
  );
}

export function Keys({ serviceId, justMade }: { serviceId: number; justMade: CreatedKey | null }) {
  const id = useId();
  const queryClient = useQueryClient();
  const keys = useQuery(keysQuery(serviceId));
  const [created, setCreated] = useState<CreatedKey | null>(justMade);
  const [nameProblem, setNameProblem] = useState("");
  const [newSilenceProblem, setNewSilenceProblem] = useState<string | undefined>();
  const create = useMutation({
    mutationFn: (k: { name: string; silenceMinutes?: number }) =>
      createKey(serviceId, k.name, k.silenceMinutes),
    onSuccess: (k) => {
      setCreated(k);
      void queryClient.invalidateQueries({ queryKey: serviceKeys.keys(serviceId) });
    },
  });
  const refused = fieldProblems(create.error instanceof ApiError ? create.error : null, { name: "name" });
  const problem = nameProblem || refused?.byField.name;
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const formEl = e.currentTarget;
    const form = new FormData(formEl);
    const name = String(form.get("name") ?? "").trim();
    const silence = String(form.get("silence") ?? "").trim();
    const silenceWrong = silenceProblem(silence);
    setNewSilenceProblem(silenceWrong);
    if (!name || name.length > 100) {
      setNameProblem(name ? "at most 100 characters" : "a key needs a name, e.g. the sender: prometheus");
      return;
    }
    setNameProblem("");
    if (silenceWrong) return;
    create.mutate(
      { name, ...(silence ? { silenceMinutes: Number(silence) } : {}) },
      { onSuccess: () => formEl.reset() },
    );
  };

  return (
    <section aria-labelledby="keys-heading" className="group">
      <h2 id="keys-heading">Integration keys</h2>
      <p className="hint">
        A key is how a sender reaches this service: the same key works for Alertmanager, the Events API v2,
        the generic webhook, change events and heartbeats. Give each sender its own, so one can be revoked
        alone. "Alert if silent" raises one alert on the service when nothing arrives on the key for that many
        minutes — a sender that stopped sending is noticed.
      </p>
      {created ? <NewKey created={created} onDone={() => setCreated(null)} /> : null}
      <ErrorNote error={keys.error} />
      {keys.data ? (
        keys.data.length === 0 ? (
          <p className="empty">No keys: nothing can send alerts to this service.</p>
        ) : (
          <table className="table keys-table">
            <caption className="visually-hidden">Integration keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Ends with</th>
                <th scope="col">Generic mapping</th>
                <th scope="col">Created</th>
                <th scope="col">Last event</th>
                <th scope="col">Alert if silent</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.data.map((k) => (
                <KeyRow key={k.id} serviceId={serviceId} k={k} />
              ))}
            </tbody>
          </table>
        )
      ) : null}
      <form className="inline-form" onSubmit={submit} noValidate>
        <label>
          Name of the new key
          <input
            name="name"
            maxLength={100}
            placeholder="e.g. prometheus"
            aria-invalid={problem ? true : undefined}
            aria-describedby={problem ? `${id}-name` : undefined}
          />
          {problem ? (
            <span id={`${id}-name`} className="field-error">
              {problem}
            </span>
          ) : null}
        </label>
        <label>
          Alert if silent for (minutes, optional)
          <input
            name="silence"
            inputMode="numeric"
            size={6}
            placeholder="e.g. 60"
            aria-invalid={newSilenceProblem ? true : undefined}
            aria-describedby={newSilenceProblem ? `${id}-silence` : undefined}
          />
          {newSilenceProblem ? (
            <span id={`${id}-silence`} className="field-error">
              {newSilenceProblem}
            </span>
          ) : null}
        </label>
        <button type="submit" className="primary" disabled={create.isPending}>
          Create key
        </button>
      </form>
      {refused ? (
        refused.rest.length ? (
          <div className="error-note" role="alert">
            <strong>Refused</strong>
            <span> — {refused.rest.join("; ")}</span>
          </div>
        ) : null
      ) : (
        <ErrorNote error={create.error} />
      )}
      {created ? null : (
        <details className="disclosure">
          <summary>Set-up for each sender (with a placeholder for the key)</summary>
          <Snippets />
        </details>
      )}
    </section>
  );
}
