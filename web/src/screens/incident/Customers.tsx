/**
 * The customers the incident affects (COMM-6): each with its ticket, contacts and last update;
 * adding and removing them; one update to all of them at once, promising the next; the updates
 * sent with each email's fate; and the COMM-5 briefings, filled from the incident and sent.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import {
  addAffected,
  affectedQuery,
  briefingQuery,
  customerKeys,
  customerUpdatesQuery,
  removeAffected,
  sendBriefing,
  sendCustomerUpdate,
  splitContacts,
} from "../../api/customers.ts";
import type { Incident } from "../../api/types.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { dateTime } from "../../lib/time.ts";

const briefings = [
  ["executiveNotice", "Executive notice"],
  ["executiveSummary", "Executive summary"],
] as const;

function Briefing({ incidentId, template, label }: { incidentId: number; template: string; label: string }) {
  const [open, setOpen] = useState(false);
  const view = useQuery({ ...briefingQuery(incidentId, template), enabled: open });
  const send = useMutation({ mutationFn: () => sendBriefing(incidentId, template) });
  return (
    <details onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>{label}</summary>
      <ErrorNote error={view.error ?? send.error} />
      {view.data ? (
        <>
          <pre className="briefing" style={{ whiteSpace: "pre-wrap" }}>
            {view.data.text}
          </pre>
          <p className="hint">
            Goes to:{" "}
            {view.data.audience.length ? view.data.audience.join(", ") : "nobody (no audience in the policy)"}
          </p>
          <button type="button" disabled={send.isPending} onClick={() => send.mutate()}>
            Send {label.toLowerCase()}
          </button>
          {send.data ? (
            <p role="status">
              Sent to{" "}
              {send.data.sentTo.length ? send.data.sentTo.join(", ") : "nobody (no holder, nobody on call)"}.
            </p>
          ) : null}
        </>
      ) : null}
    </details>
  );
}

export function Customers({ incident }: { incident: Incident }) {
  const id = incident.id;
  const affected = useQuery(affectedQuery(id));
  const updates = useQuery(customerUpdatesQuery(id));
  const queryClient = useQueryClient();
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: customerKeys.affected(id) }),
      queryClient.invalidateQueries({ queryKey: customerKeys.updates(id) }),
    ]);
  const [adding, setAdding] = useState(false);
  const add = useMutation({
    mutationFn: (b: { name: string; ticket: string; contacts?: string[] }) => addAffected(id, b),
    onSuccess: async () => {
      setAdding(false);
      await refresh();
    },
  });
  const remove = useMutation({ mutationFn: (name: string) => removeAffected(id, name), onSuccess: refresh });
  const send = useMutation({
    mutationFn: (b: { body: string; nextUpdateInMinutes: number }) => sendCustomerUpdate(id, b),
    onSuccess: refresh,
  });
  const list = affected.data?.customers ?? [];

  const submitAdd = (ev: FormEvent<HTMLFormElement>) => {
    ev.preventDefault();
    const f = new FormData(ev.currentTarget);
    const contacts = splitContacts(String(f.get("contacts") ?? ""));
    add.mutate({
      name: String(f.get("name") ?? ""),
      ticket: String(f.get("ticket") ?? ""),
      ...(contacts.length ? { contacts } : {}),
    });
  };
  const submitUpdate = (ev: FormEvent<HTMLFormElement>) => {
    ev.preventDefault();
    const form = ev.currentTarget;
    const f = new FormData(form);
    send.mutate(
      { body: String(f.get("body") ?? ""), nextUpdateInMinutes: Number(f.get("next")) },
      { onSuccess: () => form.reset() },
    );
  };

  return (
    <section className="panel" aria-labelledby="customers-heading">
      <h2 id="customers-heading">Customers</h2>
      <ErrorNote error={affected.error ?? remove.error} />
      {list.length ? (
        <ul className="stack compact" aria-label="Affected customers">
          {list.map((c) => (
            <li key={c.customerId}>
              <strong>{c.name}</strong> <span className="tag">{c.ticket}</span>{" "}
              <span className="muted">{c.contacts.join(", ")}</span>
              <br />
              <span className="hint">
                {c.lastUpdateAt ? (
                  <>
                    last update <time dateTime={c.lastUpdateAt}>{dateTime(c.lastUpdateAt)}</time>
                  </>
                ) : (
                  "no update yet"
                )}
              </span>{" "}
              <button
                type="button"
                className="link"
                aria-label={`${c.name} is no longer affected`}
                disabled={remove.isPending}
                onClick={() => remove.mutate(c.name)}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      ) : affected.data ? (
        <p className="muted">No affected customers.</p>
      ) : null}
      {adding ? (
        <form onSubmit={submitAdd} className="stack compact" aria-label="Add an affected customer">
          <label>
            Customer <input name="name" required autoComplete="organization" />
          </label>
          <label>
            Ticket <input name="ticket" required placeholder="ZD-4711" />
          </label>
          <label>
            Contacts <input name="contacts" placeholder="ops@example.com, cto@example.com" />
          </label>
          <p className="hint">Without contacts, the customer directory's are used.</p>
          <ErrorNote error={add.error} />
          <div>
            <button type="submit" disabled={add.isPending}>
              Add customer
            </button>{" "}
            <button type="button" className="link" onClick={() => setAdding(false)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <button type="button" onClick={() => setAdding(true)}>
          Add affected customer
        </button>
      )}
      {list.length ? (
        <form onSubmit={submitUpdate} className="stack compact" aria-label="Update every affected customer">
          <h3>Send update</h3>
          <label>
            Update to {list.length === 1 ? "the customer" : `all ${list.length} customers`}
            <textarea name="body" required rows={3} />
          </label>
          <label>
            Next update in (minutes){" "}
            <input
              name="next"
              type="number"
              min={1}
              defaultValue={incident.severity === "Sev0" ? 60 : 120}
              required
            />
          </label>
          <ErrorNote error={send.error} />
          <button type="submit" disabled={send.isPending}>
            Send update
          </button>
          {send.data ? (
            <p role="status">
              Sent to {send.data.sent} customer{send.data.sent === 1 ? "" : "s"} ({send.data.emails} email
              {send.data.emails === 1 ? "" : "s"}); next update by{" "}
              <time dateTime={send.data.nextUpdateAt}>{dateTime(send.data.nextUpdateAt)}</time>.
            </p>
          ) : null}
        </form>
      ) : null}
      {updates.data?.updates.length ? (
        <details>
          <summary>Updates sent ({updates.data.updates.length})</summary>
          <ol className="clock-list" aria-label="Updates sent to customers">
            {updates.data.updates.map((u) => (
              <li key={u.id}>
                <time dateTime={u.sentAt}>{dateTime(u.sentAt)}</time>: {u.body}{" "}
                <span className="hint">
                  (next by <time dateTime={u.nextUpdateAt}>{dateTime(u.nextUpdateAt)}</time>)
                </span>
                <ul>
                  {u.deliveries.map((d) => (
                    <li key={`${d.customer}:${d.address}`}>
                      {d.customer} &lt;{d.address}&gt;:{" "}
                      <span className={`tag delivery-${d.status}`}>{d.status}</span>
                      {d.lastError ? <span className="muted"> {d.lastError}</span> : null}
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ol>
        </details>
      ) : null}
      <h3>Briefings</h3>
      {briefings.map(([template, label]) => (
        <Briefing key={template} incidentId={id} template={template} label={label} />
      ))}
    </section>
  );
}
