/** Merging this incident into another open one (LC-2): its timeline then shows on the primary's. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate } from "@tanstack/react-router";
import type { FormEvent } from "react";
import { api } from "../../api/client.ts";
import { keys } from "../../api/queries.ts";
import type { Incident } from "../../api/types.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { isOpen } from "../../lib/incidents.ts";

export function Merge({ incident }: { incident: Incident }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const merge = useMutation({
    mutationFn: (body: { into: number; reason?: string }) =>
      api<{ duplicate: Incident; primary: Incident }>("POST", `/incidents/${incident.id}/merge`, body),
    onSuccess: async ({ duplicate, primary }) => {
      queryClient.setQueryData(keys.incident(duplicate.id), duplicate);
      queryClient.setQueryData(keys.incident(primary.id), primary);
      void queryClient.invalidateQueries({ queryKey: keys.incidentLists });
      await navigate({ to: "/incidents/$id", params: { id: primary.id } });
    },
  });

  if (incident.mergedInto !== null)
    return (
      <section className="panel">
        <h2>Merged</h2>
        <p>
          This incident is a duplicate of{" "}
          <Link to="/incidents/$id" params={{ id: incident.mergedInto }}>
            #{incident.mergedInto}
          </Link>
          ; follow it there.
        </p>
      </section>
    );
  if (!isOpen(incident.state)) return null;

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const into = Number(form.get("into"));
    const reason = String(form.get("reason") ?? "").trim();
    if (!window.confirm(`Merge #${incident.id} into #${into}? This incident then ends as a duplicate.`))
      return;
    merge.mutate({ into, ...(reason ? { reason } : {}) });
  };
  return (
    <section className="panel" aria-labelledby="merge-heading">
      <details className="disclosure">
        <summary>
          <h2 id="merge-heading">Merge into another incident</h2>
        </summary>
        <form className="stack compact" onSubmit={submit}>
          <label>
            Primary incident number
            <input name="into" type="number" min={1} step={1} required inputMode="numeric" />
          </label>
          <label>
            Reason (optional)
            <input name="reason" maxLength={2000} />
          </label>
          <ErrorNote error={merge.error} />
          <button type="submit" className="danger" disabled={merge.isPending}>
            Merge as duplicate
          </button>
        </form>
      </details>
    </section>
  );
}
