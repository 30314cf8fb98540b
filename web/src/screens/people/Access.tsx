/**
 * How a person gets in: an admin sets a new password for them (their other sessions end), or
 * issues them an API token, whose secret is shown here once with a copy button.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useId, useRef, useState } from "react";
import { ApiError } from "../../api/client.ts";
import { issueToken, type Person, setPassword } from "../../api/people.ts";
import { keys } from "../../api/queries.ts";
import type { CreatedToken } from "../../api/types.ts";
import { CopyButton } from "../../components/CopyButton.tsx";
import { useFocusOnMount } from "../../lib/focus.ts";
import { passwordProblem, passwordRule, refusalAtFields } from "../../lib/people.ts";
import { describedBy, Field, Refusal } from "./Field.tsx";

export function PasswordForm({ person }: { person: Person }) {
  const id = useId();
  const queryClient = useQueryClient();
  const [password, setValue] = useState("");
  const [local, setLocal] = useState<string | undefined>();
  const save = useMutation({
    mutationFn: (pw: string) => setPassword(person.id, pw),
    onSuccess: () => {
      setValue("");
      void queryClient.invalidateQueries({ queryKey: keys.users });
    },
  });
  const refused = refusalAtFields(save.error instanceof ApiError ? save.error : null, {
    password: "password" as const,
  });
  const error = local ?? refused?.byField.password;
  const hint = `${passwordRule}; tell it to them in person or over a channel you trust`;
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const problem = passwordProblem(password);
    setLocal(problem);
    if (!problem) save.mutate(password);
  };
  return (
    <form className="stack compact" onSubmit={submit} noValidate aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>{person.hasPassword ? "Reset password" : "Set a password"}</h3>
      <Field id={`${id}-pw`} label={`New password for ${person.username}`} error={error} hint={hint}>
        <input
          id={`${id}-pw`}
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={(e) => setValue(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy(`${id}-pw`, error, hint)}
        />
      </Field>
      <Refusal error={save.error} rest={refused?.rest} />
      <output className="hint strong" aria-live="polite">
        {save.isSuccess
          ? `Password set. ${person.name || person.username}'s other sessions were signed out.`
          : ""}
      </output>
      <div className="button-row">
        <button type="submit" disabled={save.isPending}>
          {save.isPending ? "Setting…" : "Set password"}
        </button>
      </div>
    </form>
  );
}

function NewToken({ token, person, onDone }: { token: CreatedToken; person: Person; onDone: () => void }) {
  const id = useId();
  // The secret is what the admin came for: focus moves there when it appears.
  const ref = useFocusOnMount<HTMLElement>();
  return (
    <section className="callout" aria-labelledby={`${id}-title`} ref={ref} tabIndex={-1}>
      <h4 id={`${id}-title`}>
        Token “{token.name}” for {person.username}
      </h4>
      <p>
        Copy it now: it is shown only this once. Give it to {person.name || person.username} over a channel
        you trust; they use it as <code>FIREBREAK_TOKEN</code> or to sign in.
      </p>
      <p className="secret">
        <code>{token.token}</code>
      </p>
      <p className="button-row">
        <CopyButton text={token.token} label="Copy token" />
        <button type="button" onClick={onDone}>
          Done
        </button>
      </p>
    </section>
  );
}

export function TokenForm({ person }: { person: Person }) {
  const id = useId();
  const [name, setName] = useState("");
  const [local, setLocal] = useState<string | undefined>();
  const [created, setCreated] = useState<CreatedToken | null>(null);
  // After "Done" the secret is gone: the keyboard goes back to the token's name, not the page top.
  const [returned, setReturned] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (returned) input.current?.focus();
  }, [returned]);
  const issue = useMutation({
    mutationFn: (n: string) => issueToken(person.id, n),
    onSuccess: (token) => {
      setCreated(token);
      setName("");
    },
  });
  const refused = refusalAtFields(issue.error instanceof ApiError ? issue.error : null, {
    name: "name" as const,
  });
  const error = local ?? refused?.byField.name;
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const trimmed = name.trim();
    const problem = !trimmed
      ? "name the token (what it is for)"
      : trimmed.length > 100
        ? "at most 100 characters"
        : undefined;
    setLocal(problem);
    setReturned(false);
    if (!problem) issue.mutate(trimmed);
  };
  if (!person.active)
    return (
      <section aria-labelledby={`${id}-title`}>
        <h3 id={`${id}-title`}>API token</h3>
        <p className="hint strong">Reactivate {person.username} to issue them a token.</p>
      </section>
    );
  return (
    <section aria-labelledby={`${id}-title`} className="stack compact">
      <h3 id={`${id}-title`}>API token</h3>
      {created ? (
        <NewToken
          token={created}
          person={person}
          onDone={() => {
            setCreated(null);
            setReturned(true);
          }}
        />
      ) : (
        <form className="stack compact" onSubmit={submit} noValidate>
          <Field id={`${id}-name`} label="Name of the token" error={error}>
            <input
              ref={input}
              id={`${id}-name`}
              value={name}
              maxLength={100}
              placeholder="e.g. laptop CLI"
              onChange={(e) => setName(e.target.value)}
              aria-invalid={error ? true : undefined}
              aria-describedby={describedBy(`${id}-name`, error)}
            />
          </Field>
          <Refusal error={issue.error} rest={refused?.rest} />
          <div className="button-row">
            <button type="submit" disabled={issue.isPending}>
              {issue.isPending ? "Issuing…" : "Issue token"}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
