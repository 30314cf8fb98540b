/** Changing a person's name, email and role; only what changed is sent. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { ApiError } from "../../api/client.ts";
import { changePerson, type Person, peopleKeys } from "../../api/people.ts";
import { keys } from "../../api/queries.ts";
import {
  editChanges,
  type PersonField,
  type Problems,
  personProblems,
  type Role,
  refusalAtFields,
  roles,
} from "../../lib/people.ts";
import { describedBy, Field, Refusal } from "./Field.tsx";

type EditField = "name" | "email" | "role";
const apiFields: Record<string, EditField> = { name: "name", email: "email", role: "role" };

export function EditPerson({ person }: { person: Person }) {
  const id = useId();
  const queryClient = useQueryClient();
  const [form, setForm] = useState({
    name: person.name,
    email: person.email ?? "",
    role: person.role as Role,
  });
  const [local, setLocal] = useState<Problems<PersonField>>({});
  const [outcome, setOutcome] = useState("");
  const save = useMutation({
    mutationFn: (changes: NonNullable<ReturnType<typeof editChanges>>) => changePerson(person.id, changes),
    onSuccess: (saved) => {
      setOutcome(`Saved: ${saved.name} is ${saved.role === "admin" ? "an" : "a"} ${saved.role}.`);
      void queryClient.invalidateQueries({ queryKey: keys.users });
      // A new role is also their role in the default team.
      void queryClient.invalidateQueries({ queryKey: peopleKeys.teams });
    },
  });
  const refused = refusalAtFields(save.error instanceof ApiError ? save.error : null, apiFields);
  const errors: Problems<EditField> = { ...refused?.byField, ...local };
  const control = (field: EditField) => ({
    id: `${id}-${field}`,
    "aria-invalid": errors[field] ? true : undefined,
    "aria-describedby": describedBy(`${id}-${field}`, errors[field]),
  });

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    setOutcome("");
    const problems = personProblems({ ...form, username: person.username, password: "" }, false);
    setLocal(problems);
    if (Object.keys(problems).length) return;
    const changes = editChanges({ ...person, role: person.role as Role }, form);
    if (!changes) {
      save.reset();
      setOutcome("Nothing changed.");
      return;
    }
    save.mutate(changes);
  };

  return (
    <form className="stack compact" onSubmit={submit} noValidate aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Details</h3>
      <div className="field-pair">
        <Field id={`${id}-name`} label="Name" error={errors.name}>
          <input
            {...control("name")}
            value={form.name}
            maxLength={200}
            onChange={(e) => setForm((f) => ({ ...f, name: e.target.value }))}
          />
        </Field>
        <Field id={`${id}-email`} label="Email" error={errors.email}>
          <input
            {...control("email")}
            type="email"
            value={form.email}
            onChange={(e) => setForm((f) => ({ ...f, email: e.target.value }))}
          />
        </Field>
        <Field id={`${id}-role`} label="Role" error={errors.role}>
          <select
            {...control("role")}
            value={form.role}
            onChange={(e) => setForm((f) => ({ ...f, role: e.target.value as Role }))}
          >
            {roles.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <Refusal error={save.error} rest={refused?.rest} />
      <output className="hint strong" aria-live="polite">
        {outcome}
      </output>
      <div className="button-row">
        <button type="submit" className="primary" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save changes"}
        </button>
      </div>
    </form>
  );
}
