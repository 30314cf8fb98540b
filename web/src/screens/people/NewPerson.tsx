/**
 * Adding a person: username, name, email, role and an optional first password. Checked as the API
 * checks it; a refusal (a username taken) is shown at its field and nothing typed is lost.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { ApiError } from "../../api/client.ts";
import { createPerson, type Person, peopleKeys } from "../../api/people.ts";
import { keys } from "../../api/queries.ts";
import { useFocusOnMount } from "../../lib/focus.ts";
import {
  createBody,
  type PersonField,
  type PersonForm,
  type Problems,
  passwordRule,
  personProblems,
  refusalAtFields,
  roles,
} from "../../lib/people.ts";
import { describedBy, Field, Refusal } from "./Field.tsx";

const apiFields: Record<string, PersonField> = {
  username: "username",
  name: "name",
  email: "email",
  role: "role",
  password: "password",
};

const empty: PersonForm = { username: "", name: "", email: "", role: "responder", password: "" };

export function NewPerson({ onCreated, onCancel }: { onCreated: (p: Person) => void; onCancel: () => void }) {
  const id = useId();
  const first = useFocusOnMount<HTMLInputElement>();
  const queryClient = useQueryClient();
  const [form, setForm] = useState<PersonForm>(empty);
  const [local, setLocal] = useState<Problems<PersonField>>({});
  const create = useMutation({
    mutationFn: () => createPerson(createBody(form)),
    onSuccess: (person) => {
      void queryClient.invalidateQueries({ queryKey: keys.users });
      // They joined the default team: its member list changed.
      void queryClient.invalidateQueries({ queryKey: peopleKeys.teams });
      onCreated(person);
    },
  });
  const refused = refusalAtFields(create.error instanceof ApiError ? create.error : null, apiFields);
  const errors = { ...refused?.byField, ...local };
  const set = (field: PersonField) => (e: { target: { value: string } }) =>
    setForm((f) => ({ ...f, [field]: e.target.value }));
  const control = (field: PersonField, hint?: string) => ({
    id: `${id}-${field}`,
    "aria-invalid": errors[field] ? true : undefined,
    "aria-describedby": describedBy(`${id}-${field}`, errors[field], hint),
  });

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const problems = personProblems(form, true);
    setLocal(problems);
    if (Object.keys(problems).length) return;
    create.mutate();
  };

  const usernameHint = "lowercase letters, digits, . _ -; it cannot change later";
  const passwordHint = `optional: lets them sign in at once (${passwordRule}); or give them a token`;
  return (
    <section className="panel people-new" aria-labelledby={`${id}-title`}>
      <form className="stack compact" onSubmit={submit} noValidate>
        <h2 id={`${id}-title`}>Add a person</h2>
        <div className="field-pair">
          <Field id={`${id}-username`} label="Username" error={errors.username} hint={usernameHint}>
            <input
              ref={first}
              {...control("username", usernameHint)}
              value={form.username}
              onChange={set("username")}
              autoComplete="off"
              autoCapitalize="none"
              spellCheck={false}
              maxLength={63}
            />
          </Field>
          <Field id={`${id}-name`} label="Name" error={errors.name}>
            <input {...control("name")} value={form.name} onChange={set("name")} maxLength={200} />
          </Field>
          <Field id={`${id}-email`} label="Email (optional)" error={errors.email}>
            <input {...control("email")} type="email" value={form.email} onChange={set("email")} />
          </Field>
          <Field id={`${id}-role`} label="Role" error={errors.role}>
            <select {...control("role")} value={form.role} onChange={set("role")}>
              {roles.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </Field>
        </div>
        <Field
          id={`${id}-password`}
          label="First password (optional)"
          error={errors.password}
          hint={passwordHint}
        >
          <input
            {...control("password", passwordHint)}
            type="password"
            autoComplete="new-password"
            value={form.password}
            onChange={set("password")}
          />
        </Field>
        <Refusal error={create.error} rest={refused?.rest} />
        <div className="button-row">
          <button type="submit" className="primary" disabled={create.isPending}>
            {create.isPending ? "Adding…" : "Add person"}
          </button>
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}
