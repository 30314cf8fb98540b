/**
 * Heartbeats (dead man's switches): a job pings its URL after each run; a ping missing for longer
 * than its interval raises an alert on the service. Admins add and remove them.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { ApiError } from "../../api/client.ts";
import { createHeartbeat, deleteHeartbeat, heartbeatsQuery, serviceKeys } from "../../api/services.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { Time } from "../../components/Time.tsx";
import { useFieldErrors } from "../../components/useFieldErrors.tsx";

type Field = "name" | "interval";
const apiFields: Record<string, Field> = { name: "name", intervalMinutes: "interval" };

export function Heartbeats({ serviceId, canChange }: { serviceId: number; canChange: boolean }) {
  const queryClient = useQueryClient();
  const heartbeats = useQuery(heartbeatsQuery(serviceId));
  const [local, setLocal] = useState<Partial<Record<Field, string>>>({});
  const invalidate = () => queryClient.invalidateQueries({ queryKey: serviceKeys.heartbeats(serviceId) });
  const add = useMutation({
    mutationFn: (body: { name: string; intervalMinutes: number }) => createHeartbeat(serviceId, body),
    onSuccess: invalidate,
  });
  const remove = useMutation({
    mutationFn: (hid: number) => deleteHeartbeat(serviceId, hid),
    onSettled: invalidate,
  });
  const { id, refused, err, aria } = useFieldErrors(add.error, apiFields, local);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const formEl = e.currentTarget;
    const form = new FormData(formEl);
    const name = String(form.get("name") ?? "").trim();
    const minutes = Number(String(form.get("interval") ?? "").trim());
    const problems: Partial<Record<Field, string>> = {};
    if (!/^[\w.-]{1,100}$/.test(name)) problems.name = "expected letters, digits, . _ - (up to 100)";
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 10_080)
      problems.interval = "a whole number of minutes from 1 to 10080";
    setLocal(problems);
    if (Object.keys(problems).length) return;
    add.mutate({ name, intervalMinutes: minutes }, { onSuccess: () => formEl.reset() });
  };

  return (
    <section aria-labelledby="heartbeats-heading" className="group">
      <h2 id="heartbeats-heading">Heartbeats</h2>
      <ErrorNote error={heartbeats.error} />
      {heartbeats.data?.length ? (
        <ul className="plain heartbeat-list">
          {heartbeats.data.map((h) => (
            <li key={h.id}>
              <code>{h.name}</code> every {h.intervalMinutes} min, last ping{" "}
              {h.lastPingAt ? <Time iso={h.lastPingAt} /> : "never"}
              {canChange ? (
                <button
                  type="button"
                  disabled={remove.isPending}
                  aria-label={`Remove heartbeat ${h.name}`}
                  onClick={() => remove.mutate(h.id)}
                >
                  Remove
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      ) : heartbeats.data ? (
        <p className="empty">No heartbeats.</p>
      ) : null}
      <ErrorNote error={remove.error} />
      {canChange ? (
        <form className="inline-form" onSubmit={submit} noValidate>
          <label>
            Heartbeat name
            <input name="name" maxLength={100} placeholder="nightly-backup" {...aria("name")} />
            {err("name")}
          </label>
          <label>
            Every (minutes)
            <input name="interval" inputMode="numeric" defaultValue="1440" {...aria("interval")} />
            {err("interval")}
          </label>
          <button type="submit" disabled={add.isPending}>
            Add heartbeat
          </button>
          {refused?.rest.length ? (
            <div className="error-note" role="alert">
              <strong>Refused</strong>
              <span> — {refused.rest.join("; ")}</span>
            </div>
          ) : refused ? null : (
            <ErrorNote error={add.error} />
          )}
        </form>
      ) : null}
    </section>
  );
}
