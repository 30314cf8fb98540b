/**
 * Creating and editing a schedule (PAGE-7): its name, zone and team, and its layers — each a
 * rotation with participants in order, a shift length, a first hand-off and restriction windows —
 * beside a live preview of the final schedule with the unsaved edits. The form checks what the
 * API checks (the same validation, imported) and shows the API's refusals at the fields they name;
 * nothing typed is lost on a refusal. Overrides are made as on the on-call screen.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { getRouteApi, Link, useNavigate } from "@tanstack/react-router";
import { type FormEvent, useEffect, useMemo, useRef, useState } from "react";
import { ApiError, newIdempotencyKey } from "../../api/client.ts";
import {
  createSchedule,
  deleteSchedule,
  oncallKeys,
  policiesQuery,
  type Schedule,
  scheduleQuery,
  scheduleTeamsQuery,
  updateSchedule,
} from "../../api/oncall.ts";
import { usersQuery } from "../../api/queries.ts";
import type { User } from "../../api/types.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { useNow } from "../../components/Time.tsx";
import { splitDetail } from "../../lib/fields.ts";
import {
  bodyOf,
  type Draft,
  draftOf,
  draftProblems,
  newDraft,
  newLayer,
  overridesOf,
  problemsByField,
} from "../../lib/schedule-preview.ts";
import { viewerTimeZone } from "../../lib/week.ts";
import { FieldError } from "./FieldError.tsx";
import { LayerEditor } from "./LayerEditor.tsx";
import { ScheduleOverrides } from "./ScheduleOverrides.tsx";
import { SchedulePreview } from "./SchedulePreview.tsx";

const route = getRouteApi("/app/schedules/$id");

/** Schedules just created here: their page says so once (the create → edit navigation loses state). */
const justCreated = new Set<number>();

function TimeZones() {
  const zones = useMemo(() => {
    try {
      return Intl.supportedValuesOf("timeZone");
    } catch {
      return [];
    }
  }, []);
  return (
    <datalist id="schedule-time-zones">
      {["UTC", ...zones].map((z) => (
        <option key={z} value={z} />
      ))}
    </datalist>
  );
}

/** The API's 400 as messages by form field; null for any other refusal (shown whole). */
function refusedFields(err: unknown): Record<string, string> | null {
  if (!(err instanceof ApiError) || err.status !== 400) return null;
  const parts = splitDetail(err.detail).map(([field, message]) => ({ field: field ?? "", message }));
  return problemsByField(parts);
}

function Editor({
  schedule,
  initial,
  people,
}: {
  schedule: Schedule | undefined;
  initial: Draft;
  people: User[];
}) {
  const now = useNow(60_000);
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState(initial);
  const [checked, setChecked] = useState(false);
  const [said, setSaid] = useState(() =>
    schedule && justCreated.has(schedule.id) ? "Schedule created." : "",
  );
  useEffect(() => {
    if (schedule) justCreated.delete(schedule.id);
  }, [schedule]);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const key = useRef(newIdempotencyKey());
  const teams = useQuery(scheduleTeamsQuery);
  const policies = useQuery(policiesQuery);
  const overrides = useMemo(() => overridesOf(schedule), [schedule]);
  // The policy file's escalation policies page their rotations by schedule name (src/defaults.ts).
  const managedBy = (policies.data ?? []).filter(
    (p) =>
      p.managed &&
      schedule &&
      p.levels.some((l) => l.targets.some((t) => t.kind === "schedule" && t.id === schedule.id)),
  );

  const save = useMutation({
    mutationFn: () => {
      const body = bodyOf(draft);
      return schedule ? updateSchedule(schedule.id, body) : createSchedule(body, key.current);
    },
    onSuccess: async (saved) => {
      queryClient.setQueryData(scheduleQuery(saved.id).queryKey, saved);
      void queryClient.invalidateQueries({ queryKey: oncallKeys.all });
      if (!schedule) {
        justCreated.add(saved.id);
        await navigate({ to: "/schedules/$id", params: { id: saved.id }, replace: true });
        return;
      }
      setDraft(draftOf(saved));
      setChecked(false);
      setSaid(
        `Saved at ${new Date().toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" })}.`,
      );
    },
    onError: () => setSaid(""),
  });
  const remove = useMutation({
    mutationFn: () => deleteSchedule(schedule?.id ?? 0),
    onSuccess: async () => {
      void queryClient.invalidateQueries({ queryKey: oncallKeys.all });
      await navigate({ to: "/schedules" });
    },
  });

  const local = checked ? problemsByField(draftProblems(draft)) : {};
  const refused = refusedFields(save.error) ?? {};
  const errors = { ...refused, ...local };
  const fieldNames = new Set(["name", "timeZone", "teamId"]);
  const atNoField = Object.entries(refused).filter(
    ([f]) => f !== "" && !fieldNames.has(f) && !f.startsWith("layers["),
  );

  const change = (next: Draft) => {
    setDraft(next);
    setSaid("");
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setChecked(true);
    const problems = draftProblems(draft);
    if (problems.length) {
      save.reset();
      setSaid(
        `Not saved: ${problems.length} problem${problems.length === 1 ? "" : "s"}, shown at the fields.`,
      );
      return;
    }
    save.mutate();
  };

  return (
    <div className="schedule-editor">
      <form className="stack schedule-form" onSubmit={submit} noValidate aria-labelledby="editor-heading">
        <TimeZones />
        {managedBy.length ? (
          <p className="warn-note">
            The policy file pages this rotation by its name (escalation policy{" "}
            {managedBy.map((p) => p.name).join(", ")}): edit its people and shifts here, but rename it in the
            policy file, or the policy will start a new rotation of that name.
          </p>
        ) : null}
        <div className="field-pair">
          <label>
            Name
            <input
              value={draft.name}
              maxLength={100}
              readOnly={managedBy.length > 0}
              onChange={(e) => change({ ...draft, name: e.target.value })}
              aria-invalid={errors.name ? true : undefined}
              aria-describedby={errors.name ? "schedule-name-error" : undefined}
            />
            <FieldError id="schedule-name-error" message={errors.name} />
          </label>
          <label>
            Time zone
            <input
              value={draft.timeZone}
              list="schedule-time-zones"
              onChange={(e) => change({ ...draft, timeZone: e.target.value })}
              aria-invalid={errors.timeZone ? true : undefined}
              aria-describedby={errors.timeZone ? "schedule-zone-error" : undefined}
            />
            <span className="hint">Shown in this zone; each layer hands off in its own.</span>
            <FieldError id="schedule-zone-error" message={errors.timeZone} />
          </label>
        </div>
        <label>
          Team
          <select
            value={draft.teamId ?? ""}
            onChange={(e) => change({ ...draft, teamId: e.target.value ? Number(e.target.value) : null })}
            aria-invalid={errors.teamId ? true : undefined}
            aria-describedby={errors.teamId ? "schedule-team-error" : undefined}
          >
            {schedule ? null : <option value="">Your team (or the default team)</option>}
            {(teams.data ?? []).map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
                {t.myRole ? ` (you: ${t.myRole})` : ""}
              </option>
            ))}
          </select>
          <FieldError id="schedule-team-error" message={errors.teamId} />
        </label>
        <FieldError id="schedule-layers-error" message={errors.layers} />
        {draft.layers.map((layer, i) => (
          <LayerEditor
            // Layers have no identity of their own; they are edited in place by position.
            // biome-ignore lint/suspicious/noArrayIndexKey: see above
            key={i}
            index={i}
            layer={layer}
            people={people}
            errors={errors}
            readOnly={false}
            canRemove={draft.layers.length > 1}
            onChange={(next) =>
              change({ ...draft, layers: draft.layers.map((l, j) => (j === i ? next : l)) })
            }
            onRemove={() => {
              change({ ...draft, layers: draft.layers.filter((_, j) => j !== i) });
              setSaid(`Layer ${i + 1} removed.`);
            }}
            announce={setSaid}
          />
        ))}
        <button
          type="button"
          onClick={() => {
            const n = draft.layers.length + 1;
            change({ ...draft, layers: [...draft.layers, newLayer(n, draft.timeZone, now)] });
            setSaid(`Layer ${n} added.`);
          }}
        >
          Add a layer
        </button>
        {atNoField.length ? (
          <div className="error-note" role="alert">
            <strong>Not saved</strong>
            <span> — {atNoField.map(([f, m]) => `${f}: ${m}`).join("; ")}</span>
          </div>
        ) : null}
        {save.error && !refusedFields(save.error) ? <ErrorNote error={save.error} /> : null}
        {save.error && refusedFields(save.error) && !atNoField.length ? (
          <p className="visually-hidden" role="alert">
            The schedule was refused: see the messages at the fields.
          </p>
        ) : null}
        <output className="hint" aria-live="polite">
          {said}
        </output>
        <div className="button-row">
          <button type="submit" className="primary" disabled={save.isPending}>
            Save schedule
          </button>
          {schedule ? (
            confirmDelete ? (
              <>
                <button
                  type="button"
                  className="danger"
                  disabled={remove.isPending}
                  onClick={() => remove.mutate()}
                >
                  Delete {schedule.name} for good
                </button>
                <button type="button" onClick={() => setConfirmDelete(false)}>
                  Keep it
                </button>
              </>
            ) : (
              <button type="button" className="danger" onClick={() => setConfirmDelete(true)}>
                Delete schedule
              </button>
            )
          ) : null}
        </div>
        <ErrorNote error={remove.error} />
      </form>
      <div className="schedule-side">
        <SchedulePreview draft={draft} overrides={overrides} people={people} now={now} />
        {schedule ? <ScheduleOverrides schedule={schedule} people={people} now={now} /> : null}
      </div>
    </div>
  );
}

export function NewSchedule() {
  const users = useQuery(usersQuery);
  const [initial] = useState(() => newDraft(viewerTimeZone(), Date.now()));
  return (
    <div className="page">
      <p>
        <Link to="/schedules">← Schedules</Link>
      </p>
      <h1 id="editor-heading">New schedule</h1>
      <ErrorNote error={users.error} />
      <Editor schedule={undefined} initial={initial} people={users.data ?? []} />
    </div>
  );
}

export function EditSchedule() {
  const { id } = route.useParams();
  const users = useQuery(usersQuery);
  const schedule = useQuery(scheduleQuery(id));
  return (
    <div className="page">
      <p>
        <Link to="/schedules">← Schedules</Link>
      </p>
      <h1 id="editor-heading">{schedule.data ? `Schedule: ${schedule.data.name}` : "Schedule"}</h1>
      <ErrorNote error={users.error ?? schedule.error} />
      {schedule.isPending ? <p aria-busy="true">Loading the schedule…</p> : null}
      {schedule.data ? (
        // A new draft only for another schedule: a background re-read must not wipe unsaved edits.
        <Editor
          key={schedule.data.id}
          schedule={schedule.data}
          initial={draftOf(schedule.data)}
          people={users.data ?? []}
        />
      ) : null}
    </div>
  );
}
