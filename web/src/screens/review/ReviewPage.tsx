/**
 * An incident's post-incident review (REV-1, LC-6): who owns it and when it is due, the phases
 * (LC-7), detection (TL-4), the document edited as Markdown with a preview, corrective actions
 * (FU-2) with their flags, and completing it so the incident may close.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { getRouteApi, Link } from "@tanstack/react-router";
import { type FormEvent, useEffect, useState } from "react";
import { ApiError } from "../../api/client.ts";
import { incidentQuery, keys, policyQuery, sessionQuery, usersQuery } from "../../api/queries.ts";
import {
  completeReview,
  type DetectionSource,
  markdownUrl,
  type Review,
  reopenReview,
  reviewKey,
  reviewQuery,
  saveReview,
  setDetection,
} from "../../api/reviews.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { Time } from "../../components/Time.tsx";
import { incidentTitle } from "../../lib/incidents.ts";
import { type Block, parseMarkdown, type Run } from "../../lib/markdown.ts";
import { MarkCorrective } from "./MarkCorrective.tsx";
import { ReviewSettings, toLocalInput } from "./ReviewSettings.tsx";

const route = getRouteApi("/app/incidents/$id/review");

const reasonWords: Record<NonNullable<Review["reason"]>, string> = {
  severity: "its severity needs a review",
  requested: "someone asked for one (review-requested)",
  "near-miss": "it is a near miss",
  "support-criticality": "it is a critical support incident",
};
const sources: { value: DetectionSource; label: string }[] = [
  { value: "monitoring", label: "Monitoring or alerting" },
  { value: "customer", label: "A customer report" },
  { value: "team", label: "A team member" },
  { value: "security", label: "A security report" },
];

function RunText({ run }: { run: Run }) {
  if (run.style === "bold") return <strong>{run.text}</strong>;
  if (run.style === "em") return <em>{run.text}</em>;
  if (run.style === "code") return <code>{run.text}</code>;
  return <>{run.text}</>;
}
const runs = (rs: Run[]) =>
  // biome-ignore lint/suspicious/noArrayIndexKey: the preview is re-derived from the text; position is its identity
  rs.map((r, n) => <RunText key={`${n}-${r.text}`} run={r} />);

/** The preview: text runs only, so nothing people wrote is rendered as HTML. */
function Preview({ source }: { source: string }) {
  return (
    <div className="review-preview">
      {parseMarkdown(source).map((b: Block, n) => {
        const key = `${n}-${b.kind}`;
        if (b.kind === "heading") {
          const H = b.level === 1 ? "h2" : b.level === 2 ? "h3" : "h4";
          return <H key={key}>{runs(b.runs)}</H>;
        }
        if (b.kind === "list")
          return (
            <ul key={key}>
              {b.items.map((item, m) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: the preview is re-derived from the text; position is its identity
                <li key={`${key}-${m}`}>
                  {item.checked === null ? null : (
                    <>
                      <span aria-hidden="true">{item.checked ? "☑ " : "☐ "}</span>
                      <span className="visually-hidden">{item.checked ? "done: " : "open: "}</span>
                    </>
                  )}
                  {runs(item.runs)}
                </li>
              ))}
            </ul>
          );
        return <p key={key}>{runs(b.runs)}</p>;
      })}
    </div>
  );
}

export function ReviewPage() {
  const { id } = route.useParams();
  const queryClient = useQueryClient();
  const incident = useQuery(incidentQuery(id));
  const review = useQuery(reviewQuery(id));
  const users = useQuery(usersQuery);
  const session = useQuery(sessionQuery);
  const policy = useQuery(policyQuery);
  const [draft, setDraft] = useState<{ body: string; version: number } | null>(null);
  const [tab, setTab] = useState<"write" | "preview">("write");

  useEffect(() => {
    document.title = `Review of #${id} · Firebreak`;
    return () => {
      document.title = "Firebreak";
    };
  }, [id]);

  const settle = (r: Review) => {
    queryClient.setQueryData(reviewKey(id), r);
    void queryClient.invalidateQueries({ queryKey: keys.incident(id) });
    void queryClient.invalidateQueries({ queryKey: keys.timeline(id) });
  };
  const save = useMutation({
    mutationFn: (d: { body: string; version: number }) => saveReview(id, d.body, d.version),
    onSuccess: (r) => {
      settle(r);
      setDraft(null);
    },
  });
  const complete = useMutation({ mutationFn: () => completeReview(id), onSuccess: settle });
  const reopen = useMutation({ mutationFn: () => reopenReview(id), onSuccess: settle });
  const detection = useMutation({
    mutationFn: (body: {
      source: DetectionSource | null;
      detectedAt: string | null;
      nearMissSeverity: string | null;
    }) => setDetection(id, body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: reviewKey(id) }),
  });

  if (review.error || incident.error)
    return (
      <div className="page">
        <ErrorNote error={review.error ?? incident.error} />
      </div>
    );
  if (!review.data || !incident.data)
    return (
      <p className="page" aria-busy="true">
        Loading the review of incident #{id}…
      </p>
    );
  const r = review.data;
  const i = incident.data;
  const name = (uid: number | null) =>
    uid === null ? "nobody" : (users.data?.find((u) => u.id === uid)?.name ?? `user ${uid}`);
  const editing = draft ?? { body: r.body, version: r.version };
  const stale = save.error instanceof ApiError && save.error.status === 409;
  const me = session.data?.user;
  const mayComplete = me && (me.role === "admin" || me.id === r.ownerId);

  const submitDetection = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const source = String(form.get("source") ?? "");
    const at = String(form.get("detectedAt") ?? "");
    const nearMiss = String(form.get("nearMissSeverity") ?? "");
    detection.mutate({
      source: source ? (source as DetectionSource) : null,
      detectedAt: at ? new Date(at).toISOString() : null,
      nearMissSeverity: nearMiss || null,
    });
  };

  return (
    <div className="page review">
      <p>
        <Link to="/incidents/$id" params={{ id }}>
          ← Incident #{id} {incidentTitle(i)}
        </Link>
      </p>
      <h1>Post-incident review</h1>
      <section className="panel" aria-labelledby="review-status">
        <h2 id="review-status">Status</h2>
        <dl className="facts">
          <dt>Required</dt>
          <dd>{r.required && r.reason ? `Yes: ${reasonWords[r.reason]}` : "No"}</dd>
          <dt>Owner</dt>
          <dd>{name(r.ownerId)}</dd>
          <dt>Reviewers</dt>
          <dd>{r.reviewerIds.length ? r.reviewerIds.map(name).join(", ") : "none yet"}</dd>
          <dt>Due</dt>
          <dd>
            {r.dueAt ? <Time iso={r.dueAt} /> : "no due date"}
            {r.overdue ? <span className="tag tag-warn"> overdue</span> : null}
          </dd>
          {r.meetingAt ? (
            <>
              <dt>Meeting</dt>
              <dd>
                <Time iso={r.meetingAt} />
              </dd>
            </>
          ) : null}
          <dt>Completed</dt>
          <dd>{r.completedAt ? <Time iso={r.completedAt} /> : "not yet"}</dd>
        </dl>
        <div className="button-row">
          {r.completedAt ? (
            <button type="button" onClick={() => reopen.mutate()} disabled={!mayComplete || reopen.isPending}>
              Reopen the review
            </button>
          ) : (
            <button
              type="button"
              className="primary"
              onClick={() => complete.mutate()}
              disabled={!r.exists || !mayComplete || complete.isPending}
            >
              Mark the review complete
            </button>
          )}
          <a className="button" href={markdownUrl(id)} download={`incident-${id}-review.md`}>
            Export as Markdown
          </a>
        </div>
        <ReviewSettings review={r} />
        {!mayComplete && r.exists ? (
          <p className="hint">Only the review's owner or an admin completes it.</p>
        ) : null}
        <ErrorNote error={complete.error ?? reopen.error} />
      </section>

      <section className="panel" aria-labelledby="review-phases">
        <h2 id="review-phases">Phases</h2>
        <ol className="plain">
          {r.phases.map((p) => (
            <li key={p.name}>
              <strong>{p.name}</strong> from <Time iso={p.startedAt} />
              {p.endedAt ? (
                <>
                  {" "}
                  to <Time iso={p.endedAt} />
                </>
              ) : (
                " (ongoing)"
              )}
            </li>
          ))}
        </ol>
      </section>

      <section className="panel" aria-labelledby="review-detection">
        <h2 id="review-detection">Detection</h2>
        <p>
          Time to detect:{" "}
          {r.detection.timeToDetectMinutes === null
            ? "unknown"
            : `${r.detection.timeToDetectMinutes} minutes`}
        </p>
        <form
          className="stack compact"
          onSubmit={submitDetection}
          key={`${r.detection.source}-${r.detection.detectedAt}-${r.nearMissSeverity}`}
        >
          <label>
            Detected by
            <select name="source" defaultValue={r.detection.source ?? ""}>
              <option value="">Not recorded</option>
              {sources.map((s) => (
                <option key={s.value} value={s.value}>
                  {s.label}
                </option>
              ))}
            </select>
          </label>
          <label>
            Detected at (your time)
            <input
              type="datetime-local"
              name="detectedAt"
              defaultValue={toLocalInput(r.detection.detectedAt)}
            />
          </label>
          <label>
            A near miss: the severity it would have had (REV-3)
            <select name="nearMissSeverity" defaultValue={r.nearMissSeverity ?? ""}>
              <option value="">Not a near miss</option>
              {(policy.data?.severities ?? []).map((s) => (
                <option key={s.id} value={s.id}>
                  {s.id} {s.name}
                </option>
              ))}
            </select>
          </label>
          <ErrorNote error={detection.error} />
          <button type="submit" disabled={detection.isPending}>
            Save detection
          </button>
        </form>
      </section>

      <section className="panel" aria-labelledby="review-document">
        <h2 id="review-document">Document</h2>
        <p className="hint">
          Version {r.version}
          {r.generated ? " (the draft generated from the incident; save to keep it)" : ""}. Markdown.
        </p>
        <div className="segmented" role="tablist" aria-label="Edit or preview">
          <button type="button" role="tab" aria-selected={tab === "write"} onClick={() => setTab("write")}>
            Write
          </button>
          <button
            type="button"
            role="tab"
            aria-selected={tab === "preview"}
            onClick={() => setTab("preview")}
          >
            Preview
          </button>
        </div>
        {tab === "write" ? (
          <label>
            <span className="visually-hidden">Review document (Markdown)</span>
            <textarea
              className="review-editor"
              rows={24}
              value={editing.body}
              onChange={(e) => setDraft({ body: e.target.value, version: editing.version })}
            />
          </label>
        ) : (
          <Preview source={editing.body} />
        )}
        <ErrorNote error={save.error} />
        {stale ? (
          <p className="hint">
            Someone saved a newer version. Copy your text, then{" "}
            <button type="button" className="link-button" onClick={() => setDraft(null)}>
              load version {String((save.error as ApiError).problem.currentVersion ?? "")}
            </button>{" "}
            and bring your changes into it.
          </p>
        ) : null}
        <div className="button-row">
          <button
            type="button"
            className="primary"
            disabled={save.isPending || (!draft && !r.generated)}
            onClick={() => save.mutate(editing)}
          >
            Save version {r.version + 1}
          </button>
        </div>
      </section>

      <section className="panel" aria-labelledby="review-corrective">
        <h2 id="review-corrective">Corrective actions</h2>
        {r.correctiveActions.length === 0 ? (
          <p className="muted">
            None yet. Mark a follow-up on the incident as a corrective action (with an owner and a due date).
          </p>
        ) : (
          <ul className="plain">
            {r.correctiveActions.map((c) => (
              <li key={c.id}>
                #{c.id} {c.title} — {name(c.assignee)}
                {c.dueAt ? (
                  <>
                    , due <Time iso={c.dueAt} />
                  </>
                ) : null}
                {c.vagueReasons.length ? (
                  <>
                    {" "}
                    <span
                      className="tag tag-warn"
                      title="Not specific, measurable, owned and time-bound (FU-2)"
                    >
                      Vague: {c.vagueReasons.join("; ")}
                    </span>
                  </>
                ) : null}
              </li>
            ))}
          </ul>
        )}
        <MarkCorrective incidentId={id} corrective={r.correctiveActions.map((c) => c.id)} />
      </section>
    </div>
  );
}
