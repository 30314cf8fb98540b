/** API tokens for the CLI and scripts: list, create (the secret is shown once), revoke. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { api } from "../api/client.ts";
import { keys, tokensQuery } from "../api/queries.ts";
import type { CreatedToken, Token } from "../api/types.ts";
import { CopyButton } from "../components/CopyButton.tsx";
import { ErrorNote } from "../components/ErrorNote.tsx";
import { Time } from "../components/Time.tsx";

function NewToken({ token, onDone }: { token: CreatedToken; onDone: () => void }) {
  return (
    <section className="callout" aria-labelledby="new-token-heading">
      <h2 id="new-token-heading">Token “{token.name}” created</h2>
      <p>
        Copy it now: it is shown only this once. Use it as <code>FIREBREAK_TOKEN</code> or a bearer token.
      </p>
      <p className="secret">
        <code>{token.token}</code>
      </p>
      <p className="actions">
        <CopyButton text={token.token} label="Copy token" />
        <button type="button" onClick={onDone}>
          Done
        </button>
      </p>
    </section>
  );
}

function TokenRow({ token }: { token: Token }) {
  const queryClient = useQueryClient();
  const revoke = useMutation({
    mutationFn: () => api<void>("DELETE", `/tokens/${token.id}`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: keys.tokens }),
  });
  return (
    <tr>
      <td>{token.name}</td>
      <td>
        <code>{token.prefix}…</code>
      </td>
      <td>
        <Time iso={token.createdAt} />
      </td>
      <td>{token.lastUsedAt ? <Time iso={token.lastUsedAt} /> : "never"}</td>
      <td>
        {token.revokedAt ? (
          <>
            revoked <Time iso={token.revokedAt} />
          </>
        ) : (
          <button
            type="button"
            className="danger"
            disabled={revoke.isPending}
            aria-label={`Revoke token ${token.name}`}
            onClick={() => {
              if (window.confirm(`Revoke “${token.name}”? Anything using it stops working at once.`))
                revoke.mutate();
            }}
          >
            Revoke
          </button>
        )}
        <ErrorNote error={revoke.error} />
      </td>
    </tr>
  );
}

export function Tokens() {
  const queryClient = useQueryClient();
  const tokens = useQuery(tokensQuery);
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const create = useMutation({
    mutationFn: (name: string) => api<CreatedToken>("POST", "/tokens", { name }),
    onSuccess: (token) => {
      setCreated(token);
      void queryClient.invalidateQueries({ queryKey: keys.tokens });
    },
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const formEl = e.currentTarget;
    const name = String(new FormData(formEl).get("name") ?? "").trim();
    create.mutate(name, { onSuccess: () => formEl.reset() });
  };

  return (
    <div className="page">
      <h1>API tokens</h1>
      <p className="hint">
        Tokens let the command line and scripts act as you. Revoke any you no longer use.
      </p>
      {created ? <NewToken token={created} onDone={() => setCreated(null)} /> : null}
      <form className="inline-form" onSubmit={submit}>
        <label>
          Name of the new token
          <input name="name" required maxLength={100} placeholder="e.g. laptop CLI" />
        </label>
        <button type="submit" className="primary" disabled={create.isPending}>
          Create token
        </button>
      </form>
      <ErrorNote error={create.error} />
      <ErrorNote error={tokens.error} />
      {tokens.data ? (
        <table className="table">
          <caption className="visually-hidden">Your API tokens</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Starts with</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {tokens.data.map((t) => (
              <TokenRow key={t.id} token={t} />
            ))}
          </tbody>
        </table>
      ) : tokens.isPending ? (
        <p aria-busy="true">Loading tokens…</p>
      ) : null}
    </div>
  );
}
