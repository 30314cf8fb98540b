/**
 * The escalation policy editor (PAGE-2): name, team, levels (people and schedules, reordered by
 * keyboard or drag), repeats, the acknowledgement timeout and business hours, beside a preview of
 * who is notified when if nobody acknowledges. Checked as the API checks it; a refusal is shown at
 * the field it names (or whole: a 403 for another team's policy, a 409), and the form keeps what was
 * typed. A policy the policy file defines is shown read-only.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { getRouteApi, Link, useNavigate } from "@tanstack/react-router";
import { type FormEvent, useEffect, useId, useRef, useState } from "react";
import { ApiError, newIdempotencyKey } from "../../api/client.ts";
import { schedulesQuery } from "../../api/oncall.ts";
import {
  createPolicy,
  deletePolicy,
  type EscalationPolicy,
  type PolicyBody,
  policyKeys,
  policyQuery,
  replacePolicy,
  teamsQuery,
} from "../../api/policies.ts";
import { sessionQuery, usersQuery } from "../../api/queries.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import {
  bodyOf,
  checkDraft,
  type Draft,
  draftOf,
  emptyDraft,
  type Problems,
  previewOf,
  refusalProblems,
} from "../../lib/escalation-policy.ts";
import { useFocusOnMount } from "../../lib/focus.ts";
import { viewerTimeZone } from "../../lib/week.ts";
import { FieldError } from "./FieldError.tsx";
import { Levels } from "./Levels.tsx";
import { Preview } from "./Preview.tsx";

const route = getRouteApi("/app/escalation-policies/$id");
const weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
/** Set when a policy was just created, so its page says so once it opens. */
let justCreated: number | null = null;

export function NewPolicy() {
  return <Editor policy={null} />;
}

export function EditPolicy() {
  const { id } = route.useParams();
  const policy = useQuery(policyQuery(id));
  if (policy.error)
    return (
      <div className="page">
        <h1>Escalation policy</h1>
        <ErrorNote error={policy.error} />
        <Link to="/escalation-policies">All escalation policies</Link>
      </div>
    );
  if (!policy.data)
    return (
      <div className="page">
        <p aria-busy="true">Loading the escalation policy…</p>
      </div>
    );
  return <Editor key={policy.data.id} policy={policy.data} />;
}

/** Asked before deleting; focus lands on its first button, as the button that opened it is gone. */
function ConfirmDelete(props: {
  name: string;
  error: unknown;
  pending: boolean;
  onDelete: () => void;
  onKeep: () => void;
}) {
  const first = useFocusOnMount<HTMLButtonElement>();
  return (
    <div className="callout">
      <p>
        Delete <strong>{props.name}</strong>? A policy that has paged is kept for its history and cannot be
        deleted.
      </p>
      <ErrorNote error={props.error} />
      <div className="button-row">
        <button
          ref={first}
          type="button"
          className="danger"
          disabled={props.pending}
          onClick={props.onDelete}
        >
          Delete {props.name}
        </button>
        <button type="button" onClick={props.onKeep}>
          Keep it
        </button>
      </div>
    </div>
  );
}

function Editor({ policy }: { policy: EscalationPolicy | null }) {
  const id = useId();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const schedules = useQuery(schedulesQuery);
  const users = useQuery(usersQuery);
  const teams = useQuery(teamsQuery);
  const session = useQuery(sessionQuery);
  const [draft, setDraft] = useState<Draft>(() => (policy ? draftOf(policy) : emptyDraft(viewerTimeZone())));
  const [local, setLocal] = useState<Problems>({});
  const [status, setStatus] = useState(() => (policy && justCreated === policy.id ? "Created." : ""));
  const [confirmDelete, setConfirmDelete] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const readOnly = policy?.managed === true;

  useEffect(() => {
    if (policy && justCreated === policy.id) {
      justCreated = null;
      heading.current?.focus();
    }
  }, [policy]);

  const save = useMutation({
    mutationFn: ({ body, key }: { body: PolicyBody; key: string }) =>
      policy ? replacePolicy(policy.id, body) : createPolicy(body, key),
    onSuccess: async (saved) => {
      queryClient.setQueryData(policyKeys.one(saved.id), saved);
      await queryClient.invalidateQueries({ queryKey: policyKeys.list, exact: true });
      if (policy) {
        setStatus(`Saved at ${new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}.`);
        return;
      }
      justCreated = saved.id;
      await navigate({ to: "/escalation-policies/$id", params: { id: saved.id } });
    },
  });
  const remove = useMutation({
    mutationFn: () => deletePolicy(policy?.id ?? 0),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: policyKeys.list, exact: true });
      await navigate({ to: "/escalation-policies" });
    },
  });

  const apiError = save.error instanceof ApiError ? save.error : null;
  const refused = refusalProblems(apiError);
  const errors: Problems = { ...refused?.byField, ...local };
  const describe = (f: string) => (errors[f] ? `${id}-${f}-error` : undefined);
  const invalid = (f: string) => (errors[f] ? true : undefined);
  const set = (change: Partial<Draft>) => setDraft((d) => ({ ...d, ...change }));

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (readOnly) return;
    setStatus("");
    const problems = checkDraft(draft);
    setLocal(problems);
    if (Object.keys(problems).length) {
      save.reset();
      return;
    }
    save.mutate({ body: bodyOf(draft), key: newIdempotencyKey() });
  };

  const me = session.data?.user;
  const teamChoices = (teams.data ?? []).filter(
    (t) => me?.role === "admin" || t.myRole === "admin" || String(t.id) === draft.teamId,
  );
  const problemCount = Object.keys(errors).length;

  return (
    <div className="page policy-editor-page">
      <p>
        <Link to="/escalation-policies">← All escalation policies</Link>
      </p>
      <h1 ref={heading} tabIndex={-1}>
        {policy ? policy.name : "New escalation policy"}
      </h1>
      <p className="saved-note" role="status">
        {status}
      </p>
      {readOnly ? (
        <div className="callout">
          <strong>Defined by the policy file.</strong> This policy is kept in step with the policy file's{" "}
          <code>escalationPolicies</code>: edit it there, and the change applies when the file is reloaded.
          The preview still works.
        </div>
      ) : null}
      <div className="policy-editor">
        <form className="stack" onSubmit={submit} noValidate aria-label="Escalation policy">
          <fieldset className="stack plain-fieldset" disabled={readOnly}>
            <label>
              Name
              <input
                value={draft.name}
                maxLength={100}
                onChange={(e) => set({ name: e.target.value })}
                aria-invalid={invalid("name")}
                aria-describedby={describe("name")}
              />
              <FieldError id={`${id}-name-error`} message={errors.name} />
            </label>
            <label>
              Description (optional)
              <textarea
                rows={2}
                value={draft.description}
                onChange={(e) => set({ description: e.target.value })}
                aria-invalid={invalid("description")}
                aria-describedby={describe("description")}
              />
              <FieldError id={`${id}-description-error`} message={errors.description} />
            </label>
            <label>
              Team
              <select
                value={draft.teamId}
                onChange={(e) => set({ teamId: e.target.value })}
                aria-invalid={invalid("teamId")}
                aria-describedby={describe("teamId")}
              >
                {policy ? null : <option value="">Your team</option>}
                {teamChoices.map((t) => (
                  <option key={t.id} value={t.id}>
                    {t.name}
                  </option>
                ))}
              </select>
              <FieldError id={`${id}-teamId-error`} message={errors.teamId} />
            </label>
            <Levels
              levels={draft.levels}
              onChange={(levels) => {
                set({ levels });
                // Messages at a level's fields name it by its old place: they no longer fit.
                setLocal({});
                save.reset();
              }}
              schedules={schedules.data ?? []}
              people={users.data ?? []}
              errors={errors}
            />
            <div className="field-pair">
              <label>
                Repeat the whole policy (times)
                <input
                  inputMode="numeric"
                  value={draft.repeat}
                  onChange={(e) => set({ repeat: e.target.value })}
                  aria-invalid={invalid("repeat")}
                  aria-describedby={describe("repeat") ?? `${id}-repeat-hint`}
                />
                <span id={`${id}-repeat-hint`} className="hint">
                  0 to 9; 0 runs the levels once.
                </span>
                <FieldError id={`${id}-repeat-error`} message={errors.repeat} />
              </label>
              <label>
                Acknowledged but unresolved: escalate again after (minutes)
                <input
                  inputMode="numeric"
                  value={draft.ackTimeoutMinutes}
                  onChange={(e) => set({ ackTimeoutMinutes: e.target.value })}
                  aria-invalid={invalid("ackTimeoutMinutes")}
                  aria-describedby={describe("ackTimeoutMinutes")}
                />
                <FieldError id={`${id}-ackTimeoutMinutes-error`} message={errors.ackTimeoutMinutes} />
              </label>
            </div>
            <fieldset className="business-hours">
              <legend>Business hours (low-urgency pages escalate only within them)</legend>
              <label>
                Time zone
                <input
                  value={draft.timeZone}
                  onChange={(e) => set({ timeZone: e.target.value })}
                  aria-invalid={invalid("businessHours.timeZone")}
                  aria-describedby={describe("businessHours.timeZone")}
                />
                <FieldError
                  id={`${id}-businessHours.timeZone-error`}
                  message={errors["businessHours.timeZone"]}
                />
              </label>
              <fieldset
                className="weekday-choices"
                aria-invalid={invalid("businessHours.days")}
                aria-describedby={describe("businessHours.days")}
              >
                <legend>Days</legend>
                {weekdays.map((name, n) => {
                  const day = n + 1;
                  return (
                    <label key={day} className="choice">
                      <input
                        type="checkbox"
                        checked={draft.days.includes(day)}
                        onChange={(e) =>
                          set({
                            days: e.target.checked
                              ? [...draft.days, day]
                              : draft.days.filter((d) => d !== day),
                          })
                        }
                      />
                      {name}
                    </label>
                  );
                })}
                <FieldError id={`${id}-businessHours.days-error`} message={errors["businessHours.days"]} />
              </fieldset>
              <div className="field-pair">
                <label>
                  From
                  <input
                    type="time"
                    value={draft.start}
                    onChange={(e) => set({ start: e.target.value })}
                    aria-invalid={invalid("businessHours.start")}
                    aria-describedby={describe("businessHours.start")}
                  />
                  <FieldError
                    id={`${id}-businessHours.start-error`}
                    message={errors["businessHours.start"]}
                  />
                </label>
                <label>
                  Until
                  <input
                    type="time"
                    value={draft.end}
                    onChange={(e) => set({ end: e.target.value })}
                    aria-invalid={invalid("businessHours.end")}
                    aria-describedby={describe("businessHours.end")}
                  />
                  <FieldError id={`${id}-businessHours.end-error`} message={errors["businessHours.end"]} />
                </label>
              </div>
            </fieldset>
          </fieldset>
          {refused?.rest.length ? (
            <div className="error-note" role="alert">
              <strong>{apiError?.title ?? "Refused"}</strong>
              <span> — {refused.rest.join("; ")}</span>
            </div>
          ) : problemCount ? (
            <p className="field-error" role="alert">
              Not saved: {problemCount === 1 ? "a field needs" : `${problemCount} fields need`} attention
              (marked above).
            </p>
          ) : (
            <ErrorNote error={refused ? null : save.error} />
          )}
          {readOnly ? null : (
            <div className="button-row">
              <button type="submit" className="primary" disabled={save.isPending}>
                {policy ? "Save changes" : "Create escalation policy"}
              </button>
              {policy && !confirmDelete ? (
                <button type="button" className="danger" onClick={() => setConfirmDelete(true)}>
                  Delete…
                </button>
              ) : null}
            </div>
          )}
          {policy && confirmDelete && !readOnly ? (
            <ConfirmDelete
              name={policy.name}
              error={remove.error}
              pending={remove.isPending}
              onDelete={() => remove.mutate()}
              onKeep={() => {
                setConfirmDelete(false);
                remove.reset();
              }}
            />
          ) : null}
        </form>
        <Preview
          policy={previewOf(draft)}
          ackTimeoutMinutes={draft.ackTimeoutMinutes}
          businessHours={{ timeZone: draft.timeZone, days: draft.days, start: draft.start, end: draft.end }}
          schedules={schedules.data ?? []}
          people={users.data ?? []}
        />
      </div>
    </div>
  );
}
