/** The owner (hand over, escalate to the IM) and the policy's roles (assign, leave unheld). */
import { useQuery, useSuspenseQuery } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { api } from "../../api/client.ts";
import { policyQuery, usersQuery } from "../../api/queries.ts";
import type { Incident, User } from "../../api/types.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { useIncidentCommand } from "./useCommand.ts";

function PersonSelect({
  name,
  label,
  users,
  current,
}: {
  name: string;
  label: string;
  users: User[];
  current?: number;
}) {
  return (
    <label>
      {label}
      <select name={name} defaultValue={current ?? ""} required>
        <option value="" disabled>
          Choose a person
        </option>
        {users
          .filter((u) => u.active)
          .map((u) => (
            <option key={u.id} value={u.id}>
              {u.name} ({u.username})
            </option>
          ))}
      </select>
    </label>
  );
}

function HandOver({ incident, users }: { incident: Incident; users: User[] }) {
  const hand = useIncidentCommand(incident.id, (body: { owner: number; reason?: string }) =>
    api<Incident>("POST", `/incidents/${incident.id}/owner`, body),
  );
  const escalate = useIncidentCommand(incident.id, () =>
    api<Incident>("POST", `/incidents/${incident.id}/escalate`, {}),
  );
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const formEl = e.currentTarget;
    const form = new FormData(formEl);
    const reason = String(form.get("reason") ?? "").trim();
    hand.mutate(
      { owner: Number(form.get("owner")), ...(reason ? { reason } : {}) },
      { onSuccess: () => formEl.reset() },
    );
  };
  return (
    <details className="disclosure">
      <summary>Hand over ownership</summary>
      <form className="stack compact" onSubmit={submit}>
        <PersonSelect name="owner" label="New owner" users={users} />
        <label>
          Reason (optional)
          <input name="reason" maxLength={2000} />
        </label>
        <ErrorNote error={hand.error} />
        <div className="button-row">
          <button type="submit" disabled={hand.isPending}>
            Hand over
          </button>
          <button type="button" disabled={escalate.isPending} onClick={() => escalate.mutate(undefined)}>
            Escalate to the incident manager
          </button>
        </div>
        <ErrorNote error={escalate.error} />
      </form>
    </details>
  );
}

function Roles({ incident, users }: { incident: Incident; users: User[] }) {
  const { data: policy } = useSuspenseQuery(policyQuery);
  const assign = useIncidentCommand(incident.id, ({ role, user }: { role: string; user: number | null }) => {
    const path = `/incidents/${incident.id}/roles/${encodeURIComponent(role)}`;
    return user === null ? api<Incident>("DELETE", path) : api<Incident>("PUT", path, { user });
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    assign.mutate({ role: String(form.get("role")), user: Number(form.get("user")) });
  };
  return (
    <>
      <h3>Roles</h3>
      <ul className="roles">
        {policy.roles.map((role) => {
          const holder = incident.roles[role.name];
          return (
            <li key={role.name} className="role">
              <strong title={role.description}>{role.name}</strong>:{" "}
              {holder ? holder.name : <span className="muted">unheld</span>}
              {holder && !role.owner ? (
                <button
                  type="button"
                  className="link-button"
                  disabled={assign.isPending}
                  aria-label={`Leave ${role.name} unheld`}
                  onClick={() => assign.mutate({ role: role.name, user: null })}
                >
                  Leave unheld
                </button>
              ) : null}
            </li>
          );
        })}
      </ul>
      <form className="inline-form compact" onSubmit={submit}>
        <label>
          Role
          <select name="role" required defaultValue="">
            <option value="" disabled>
              Choose a role
            </option>
            {policy.roles.map((r) => (
              <option key={r.name} value={r.name}>
                {r.name}
                {r.owner ? " (hands ownership over)" : ""}
              </option>
            ))}
          </select>
        </label>
        <PersonSelect name="user" label="Person" users={users} />
        <button type="submit" disabled={assign.isPending}>
          Give role
        </button>
      </form>
      <ErrorNote error={assign.error} />
    </>
  );
}

export function People({ incident }: { incident: Incident }) {
  const users = useQuery(usersQuery);
  return (
    <section className="panel" aria-labelledby="people-heading">
      <h2 id="people-heading">People</h2>
      <p>
        Owner: <strong>{incident.owner.name}</strong>{" "}
        <span className="muted">({incident.owner.username})</span>
      </p>
      <ErrorNote error={users.error} />
      {users.data ? <HandOver incident={incident} users={users.data} /> : null}
      <Roles incident={incident} users={users.data ?? []} />
    </section>
  );
}
