/**
 * Updates waiting for approval (COMM-3): an admin or the incident's CMOC publishes them; anyone
 * who may not is told so by the API, shown where they clicked. The author may discard too.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { usersQuery } from "../../api/queries.ts";
import type { ComponentStatus } from "../../api/statuspage.ts";
import {
  approveDraft,
  componentsQuery,
  type Draft,
  discardDraft,
  draftsQuery,
  statusKeys,
} from "../../api/statuspage.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { Time } from "../../components/Time.tsx";
import { personName } from "../../lib/oncall.ts";
import { componentStatusLabel, stateWords } from "../../lib/statuspage.ts";

function DraftItem({ slug, draft, onDone }: { slug: string; draft: Draft; onDone: (text: string) => void }) {
  const queryClient = useQueryClient();
  const users = useQuery(usersQuery);
  const components = useQuery(componentsQuery(slug));
  // COMM-3: before an outage goes public, the approver says with whom customer impact was confirmed.
  const outage = draft.affected.some(
    (a) => a.newStatus === "partial_outage" || a.newStatus === "major_outage",
  );
  const [confirmedWith, setConfirmedWith] = useState("");
  const act = useMutation({
    mutationFn: async (what: "approve" | "discard") => {
      if (what === "approve")
        await approveDraft(slug, draft.id, confirmedWith ? Number(confirmedWith) : undefined);
      else await discardDraft(slug, draft.id);
    },
    onSuccess: (_, what) => {
      onDone(`${what === "approve" ? "Published" : "Discarded"}: the update of “${draft.incidentName}”.`);
      void queryClient.invalidateQueries({ queryKey: statusKeys.page(slug) });
    },
  });
  const componentName = (id: number) => components.data?.find((c) => c.id === id)?.name ?? `component ${id}`;
  const titleId = `draft-${draft.id}`;
  return (
    <li className="panel draft" aria-labelledby={titleId}>
      <h3 id={titleId}>
        {draft.incidentName} <span className="tag">{stateWords(draft.status)}</span>
      </h3>
      <p className="update-body">{draft.body}</p>
      {draft.affected.length ? (
        <p className="hint">
          Sets{" "}
          {draft.affected
            .map(
              (a) =>
                `${componentName(a.componentId)} to ${componentStatusLabel[a.newStatus as ComponentStatus] ?? a.newStatus}`,
            )
            .join(", ")}
          .
        </p>
      ) : null}
      <p className="muted">
        Drafted by {personName(users.data ?? [], draft.draftedBy)} <Time iso={draft.createdAt} />
      </p>
      {outage ? (
        <label>
          Customer impact confirmed with (the incident's EOC or IM)
          <select value={confirmedWith} onChange={(e) => setConfirmedWith(e.target.value)}>
            <option value="">choose who confirmed it</option>
            {(users.data ?? []).map((u) => (
              <option key={u.id} value={u.id}>
                {u.name} ({u.username})
              </option>
            ))}
          </select>
        </label>
      ) : null}
      <div className="button-row">
        <button
          type="button"
          className="primary"
          disabled={act.isPending}
          onClick={() => act.mutate("approve")}
        >
          Approve and publish
        </button>
        <button type="button" disabled={act.isPending} onClick={() => act.mutate("discard")}>
          Discard
        </button>
      </div>
      <ErrorNote error={act.error} />
    </li>
  );
}

export function Drafts({ slug }: { slug: string }) {
  const drafts = useQuery(draftsQuery(slug));
  const [done, setDone] = useState("");
  return (
    <section aria-labelledby="drafts-heading" className="group">
      <h2 id="drafts-heading">
        Drafts awaiting approval {drafts.data ? <span className="count">({drafts.data.length})</span> : null}
      </h2>
      <p className="hint">
        An admin or the incident's CMOC publishes a draft, never its author; the author may discard it.
      </p>
      <output className="hint" aria-live="polite">
        {done}
      </output>
      <ErrorNote error={drafts.error} />
      {drafts.data?.length === 0 ? <p className="empty">No drafts waiting.</p> : null}
      <ul className="plain draft-list">
        {drafts.data?.map((d) => (
          <DraftItem key={d.id} slug={slug} draft={d} onDone={setDone} />
        ))}
      </ul>
    </section>
  );
}
