/**
 * Adding and editing a component or group: its name, what visitors read under it, and the group it
 * is in. Checked as the API checks it; a refusal is shown at the field it names, and nothing typed
 * is lost.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { ApiError } from "../../api/client.ts";
import {
  type ComponentChanges,
  createComponent,
  type StatusComponent,
  statusKeys,
  updateComponent,
} from "../../api/statuspage.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { componentFormProblems, nextPosition, refusalAt } from "../../lib/statuspage.ts";

type Field = "name" | "description" | "groupId";
const apiFields: Record<string, Field> = { name: "name", description: "description", groupId: "groupId" };
type Values = { name: string; description: string; groupId: string; group: boolean };

function useFieldErrors(error: unknown, local: Partial<Record<Field, string>>) {
  const id = useId();
  const refused = refusalAt(error instanceof ApiError ? error : null, apiFields);
  const errors = { ...refused?.byField, ...local };
  return {
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
  };
}

function Refusal({ error, refused }: { error: unknown; refused: ReturnType<typeof refusalAt> }) {
  if (refused?.rest.length)
    return (
      <div className="error-note" role="alert">
        <strong>{error instanceof ApiError ? error.title : "Refused"}</strong>
        <span> — {refused.rest.join("; ")}</span>
      </div>
    );
  if (refused)
    return (
      <p className="visually-hidden" role="alert">
        Refused: see the messages at the fields.
      </p>
    );
  return <ErrorNote error={error} />;
}

function Fields({
  values,
  set,
  groups,
  isGroup,
  show,
  focusName = false,
}: {
  focusName?: boolean;
  values: Values;
  set: (v: Partial<Values>) => void;
  groups: StatusComponent[];
  isGroup: boolean;
  show: ReturnType<typeof useFieldErrors>;
}) {
  return (
    <>
      <label>
        Name
        <input
          // biome-ignore lint/a11y/noAutofocus: the edit form opens where its Edit button was
          autoFocus={focusName}
          value={values.name}
          maxLength={200}
          onChange={(e) => set({ name: e.target.value })}
          {...show.aria("name")}
        />
        {show.err("name")}
      </label>
      <label>
        Description <span className="muted">(optional; visitors read it below)</span>
        <textarea
          rows={2}
          value={values.description}
          maxLength={2000}
          onChange={(e) => set({ description: e.target.value })}
          {...show.aria("description")}
        />
        {show.err("description")}
      </label>
      {!isGroup && groups.length ? (
        <label>
          In group
          <select
            value={values.groupId}
            onChange={(e) => set({ groupId: e.target.value })}
            {...show.aria("groupId")}
          >
            <option value="">None (top level)</option>
            {groups.map((g) => (
              <option key={g.id} value={g.id}>
                {g.name}
              </option>
            ))}
          </select>
          {show.err("groupId")}
        </label>
      ) : null}
    </>
  );
}

const changesOf = (v: Values, isGroup: boolean): ComponentChanges & { name: string } => ({
  name: v.name.trim(),
  description: v.description.trim() || null,
  ...(isGroup ? {} : { groupId: v.groupId ? Number(v.groupId) : null }),
});

export function AddComponent({ slug, components }: { slug: string; components: StatusComponent[] }) {
  const queryClient = useQueryClient();
  const titleId = useId();
  const empty = { name: "", description: "" };
  const [values, setValues] = useState<Values>({ ...empty, groupId: "", group: false });
  const [local, setLocal] = useState<Partial<Record<Field, string>>>({});
  const [added, setAdded] = useState("");
  const add = useMutation({
    mutationFn: (body: ComponentChanges & { name: string }) => createComponent(slug, body),
    onSuccess: (made) => {
      void queryClient.invalidateQueries({ queryKey: statusKeys.components(slug) });
      setAdded(`Added ${made.group ? "group " : ""}${made.name}.`);
      // Keep the kind and the group: the next one is often another member of it.
      setValues((v) => ({ ...v, ...empty }));
    },
  });
  const show = useFieldErrors(add.error, local);
  const groups = components.filter((c) => c.group);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const problems = componentFormProblems(values);
    setLocal(problems);
    setAdded("");
    if (Object.keys(problems).length) return;
    add.mutate({
      ...changesOf(values, values.group),
      ...(values.group ? { group: true } : {}),
      position: nextPosition(components),
    });
  };
  return (
    <form className="stack compact sp-form" onSubmit={submit} noValidate aria-labelledby={titleId}>
      <h3 id={titleId}>Add a component</h3>
      <label className="check">
        <input
          type="checkbox"
          checked={values.group}
          onChange={(e) => setValues({ ...values, group: e.target.checked })}
        />
        A group of components (its status is its members' worst)
      </label>
      <Fields
        values={values}
        set={(v) => setValues({ ...values, ...v })}
        groups={groups}
        isGroup={values.group}
        show={show}
      />
      <Refusal error={add.error} refused={show.refused} />
      <output className="hint" aria-live="polite">
        {added}
      </output>
      <button type="submit" className="primary" disabled={add.isPending}>
        {values.group ? "Add group" : "Add component"}
      </button>
    </form>
  );
}

export function EditComponent({
  slug,
  component,
  components,
  onDone,
}: {
  slug: string;
  component: StatusComponent;
  components: StatusComponent[];
  onDone: () => void;
}) {
  const queryClient = useQueryClient();
  const titleId = useId();
  const [values, setValues] = useState<Values>({
    name: component.name,
    description: component.description ?? "",
    groupId: component.groupId === null ? "" : String(component.groupId),
    group: component.group,
  });
  const [local, setLocal] = useState<Partial<Record<Field, string>>>({});
  const save = useMutation({
    mutationFn: (body: ComponentChanges) => updateComponent(slug, component.id, body),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: statusKeys.components(slug) });
      onDone();
    },
  });
  const show = useFieldErrors(save.error, local);
  const groups = components.filter((c) => c.group && c.id !== component.id);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const problems = componentFormProblems(values);
    setLocal(problems);
    if (Object.keys(problems).length) return;
    save.mutate(changesOf(values, component.group));
  };
  return (
    <form className="stack compact sp-form" onSubmit={submit} noValidate aria-labelledby={titleId}>
      <h3 id={titleId}>Edit {component.name}</h3>
      <Fields
        values={values}
        set={(v) => setValues({ ...values, ...v })}
        groups={groups}
        isGroup={component.group}
        show={show}
        focusName
      />
      <Refusal error={save.error} refused={show.refused} />
      <div className="button-row">
        <button type="submit" className="primary" disabled={save.isPending}>
          Save
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
