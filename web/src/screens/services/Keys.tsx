/**
 * A service's integration keys (admins): the list by name and last 4 characters, a new key shown
 * once with the set-up for every sender, and revoking a key (its senders are refused at once).
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
  const create = useMutation({
    mutationFn: (name: string) => createKey(serviceId, name),
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
    const name = String(new FormData(formEl).get("name") ?? "").trim();
    if (!name || name.length > 100) {
      setNameProblem(name ? "at most 100 characters" : "a key needs a name, e.g. the sender: prometheus");
      return;
    }
    setNameProblem("");
    create.mutate(name, { onSuccess: () => formEl.reset() });
  };

  return (
    <section aria-labelledby="keys-heading" className="group">
      <h2 id="keys-heading">Integration keys</h2>
      <p className="hint">
        A key is how a sender reaches this service: the same key works for Alertmanager, the Events API v2,
        the generic webhook, change events and heartbeats. Give each sender its own, so one can be revoked
        alone.
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
