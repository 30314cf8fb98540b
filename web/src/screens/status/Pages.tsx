/**
 * Status pages themselves: a new one (its slug is its address, /status/<slug>; its name; the time
 * zone its times are shown in; the team that owns it), and the chosen page's name and time zone.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { ApiError } from "../../api/client.ts";
import { keys } from "../../api/queries.ts";
import {
  createStatusPage,
  type NewStatusPage,
  type StatusPageInfo,
  type Team,
  updateStatusPage,
} from "../../api/statuspage.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { type PageForm, pageFormProblems, refusalAt } from "../../lib/statuspage.ts";

type Field = "slug" | "name" | "timeZone" | "teamId";
const apiFields: Record<string, Field> = {
  slug: "slug",
  name: "name",
  timeZone: "timeZone",
  teamId: "teamId",
};

/** Every IANA zone the browser knows, offered as suggestions (any other is typed and checked). */
const zones = (): string[] => {
  const intl = Intl as { supportedValuesOf?: (key: string) => string[] };
  return intl.supportedValuesOf?.("timeZone") ?? [];
};

function useErrors(error: unknown, local: Partial<Record<Field, string>>) {
  const id = useId();
  const refused = refusalAt(error instanceof ApiError ? error : null, apiFields);
  const errors = { ...refused?.byField, ...local };
  return {
    id,
    refused,
    err: (f: Field) =>
      errors[f] ? (
        <span id={`${id}-${f}`} className="field-error">
          {errors[f]}
        </span>
      ) : null,
    aria: (f: Field) => ({
      "aria-invalid": errors[f] ? true : undefined,
      "aria-describedby": errors[f] ? `${id}-${f}` : undefined,
    }),
    rest: refused?.rest.length ? (
      <div className="error-note" role="alert">
        <strong>{error instanceof ApiError ? error.title : "Refused"}</strong>
        <span> — {refused.rest.join("; ")}</span>
      </div>
    ) : refused ? (
      <p className="visually-hidden" role="alert">
        Refused: see the messages at the fields.
      </p>
    ) : (
      <ErrorNote error={error} />
    ),
  };
}

function TimeZoneField({
  value,
  onChange,
  show,
}: {
  value: string;
  onChange: (v: string) => void;
  show: ReturnType<typeof useErrors>;
}) {
  return (
    <label>
      Time zone <span className="muted">(times on the public page are shown in it)</span>
      <input
        value={value}
        list={`${show.id}-zones`}
        autoComplete="off"
        spellCheck={false}
        onChange={(e) => onChange(e.target.value)}
        {...show.aria("timeZone")}
      />
      <datalist id={`${show.id}-zones`}>
        {zones().map((z) => (
          <option key={z} value={z} />
        ))}
      </datalist>
      {show.err("timeZone")}
    </label>
  );
}

/** A new status page; `onCreated` is told its slug (the screen then shows it). */
export function NewPage({
  teams,
  onCreated,
  onCancel,
}: {
  teams: Team[];
  onCreated: (page: StatusPageInfo) => void;
  onCancel: () => void;
}) {
  const queryClient = useQueryClient();
  const titleId = useId();
  const [form, setForm] = useState<PageForm & { teamId: string }>({
    slug: "",
    name: "",
    timeZone: "UTC",
    teamId: "",
  });
  const [local, setLocal] = useState<Partial<Record<Field, string>>>({});
  const create = useMutation({
    mutationFn: (body: NewStatusPage) => createStatusPage(body),
    onSuccess: async (page) => {
      await queryClient.invalidateQueries({ queryKey: keys.statusPages });
      onCreated(page);
    },
  });
  const show = useErrors(create.error, local);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const problems = pageFormProblems(form);
    setLocal(problems);
    if (Object.keys(problems).length) return;
    create.mutate({
      slug: form.slug ?? "",
      name: form.name.trim(),
      timeZone: form.timeZone.trim(),
      ...(form.teamId ? { teamId: Number(form.teamId) } : {}),
    });
  };
  return (
    <form className="stack compact sp-form" onSubmit={submit} noValidate aria-labelledby={titleId}>
      <h2 id={titleId}>New status page</h2>
      <label>
        Address <span className="muted">(lowercase letters, digits and -; the page is at /status/…)</span>
        <input
          // biome-ignore lint/a11y/noAutofocus: the form was just opened by its button
          autoFocus
          value={form.slug}
          maxLength={63}
          autoCapitalize="none"
          spellCheck={false}
          onChange={(e) => setForm({ ...form, slug: e.target.value })}
          {...show.aria("slug")}
        />
        {show.err("slug")}
      </label>
      <label>
        Name <span className="muted">(what visitors read)</span>
        <input
          value={form.name}
          maxLength={200}
          onChange={(e) => setForm({ ...form, name: e.target.value })}
          {...show.aria("name")}
        />
        {show.err("name")}
      </label>
      <TimeZoneField
        value={form.timeZone}
        onChange={(timeZone) => setForm({ ...form, timeZone })}
        show={show}
      />
      {teams.length ? (
        <label>
          Owning team
          <select
            value={form.teamId}
            onChange={(e) => setForm({ ...form, teamId: e.target.value })}
            {...show.aria("teamId")}
          >
            <option value="">Your team (the default)</option>
            {teams.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </select>
          {show.err("teamId")}
        </label>
      ) : null}
      {show.rest}
      <div className="button-row">
        <button type="submit" className="primary" disabled={create.isPending}>
          Create page
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** The chosen page's name and time zone. */
export function PageSettings({ page }: { page: StatusPageInfo }) {
  const queryClient = useQueryClient();
  const titleId = useId();
  const [form, setForm] = useState<PageForm>({ name: page.name, timeZone: page.timeZone });
  const [local, setLocal] = useState<Partial<Record<Field, string>>>({});
  const save = useMutation({
    mutationFn: (body: { name: string; timeZone: string }) => updateStatusPage(page.slug, body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: keys.statusPages }),
  });
  const show = useErrors(save.error, local);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const problems = pageFormProblems(form);
    setLocal(problems);
    if (Object.keys(problems).length) return;
    save.mutate({ name: form.name.trim(), timeZone: form.timeZone.trim() });
  };
  return (
    <form className="stack compact sp-form" onSubmit={submit} noValidate aria-labelledby={titleId}>
      <h2 id={titleId}>Page settings</h2>
      <label>
        Name
        <input
          value={form.name}
          maxLength={200}
          onChange={(e) => {
            setForm({ ...form, name: e.target.value });
            save.reset();
          }}
          {...show.aria("name")}
        />
        {show.err("name")}
      </label>
      <TimeZoneField
        value={form.timeZone}
        onChange={(timeZone) => {
          setForm({ ...form, timeZone });
          save.reset();
        }}
        show={show}
      />
      {show.rest}
      <output className="hint" aria-live="polite">
        {save.isSuccess ? `Saved: visitors see “${save.data.name}” now.` : ""}
      </output>
      <button type="submit" className="primary" disabled={save.isPending}>
        Save page
      </button>
    </form>
  );
}
