/**
 * The signed-in person: setting or changing their password (at least 12 characters), where pages
 * reach them (contact methods, notification rules), and for admins the way back to the setup guide.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useRouteContext } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";
import { api } from "../api/client.ts";
import { keys, sessionQuery } from "../api/queries.ts";
import { ErrorNote } from "../components/ErrorNote.tsx";
import { ChatAccounts } from "./profile/ChatAccounts.tsx";
import { ContactMethods } from "./profile/ContactMethods.tsx";
import { NotificationRules } from "./profile/NotificationRules.tsx";

const MIN_PASSWORD = 12;

export function Profile() {
  const context = useRouteContext({ from: "/app" });
  // The session, not the route's snapshot of it: it says whether a password exists after saving one.
  const me = useQuery(sessionQuery).data?.user ?? context.me;
  const queryClient = useQueryClient();
  const [problem, setProblem] = useState<string | null>(null);
  const change = useMutation({
    mutationFn: (body: { password: string; currentPassword?: string }) =>
      api<void>("PUT", `/users/${me.id}/password`, body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: keys.session }),
  });

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const formEl = e.currentTarget;
    const form = new FormData(formEl);
    const current = String(form.get("current") ?? "");
    const password = String(form.get("password") ?? "");
    const again = String(form.get("again") ?? "");
    change.reset();
    if (me.hasPassword && !current) {
      setProblem("Type your current password: changing a password you have needs it.");
      return;
    }
    if (password.length < MIN_PASSWORD) {
      setProblem(`The new password has ${password.length} characters; it needs at least ${MIN_PASSWORD}.`);
      return;
    }
    if (password !== again) {
      setProblem("The two new passwords differ; type the same password in both fields.");
      return;
    }
    setProblem(null);
    change.mutate(
      { password, ...(current ? { currentPassword: current } : {}) },
      { onSuccess: () => formEl.reset() },
    );
  };

  return (
    <div className="page narrow">
      <h1>Your profile</h1>
      <dl className="facts">
        <dt>Name</dt>
        <dd>{me.name}</dd>
        <dt>Username</dt>
        <dd>{me.username}</dd>
        <dt>Email</dt>
        <dd>{me.email ?? "none"}</dd>
        <dt>Role</dt>
        <dd>{me.role}</dd>
      </dl>
      {me.role === "admin" ? (
        <p>
          <Link to="/setup">Setup guide</Link>: the steps that get a team ready to be paged.
        </p>
      ) : null}

      <section aria-labelledby="password-heading">
        <h2 id="password-heading">Password</h2>
        <form className="stack" onSubmit={submit} noValidate>
          {me.hasPassword ? (
            <label>
              Current password
              <input name="current" type="password" autoComplete="current-password" required />
            </label>
          ) : (
            <p className="hint strong">
              You have no password yet (you signed in with a token). Set one to sign in with your username.
            </p>
          )}
          <label>
            New password
            <input
              name="password"
              type="password"
              autoComplete="new-password"
              minLength={MIN_PASSWORD}
              required
              aria-describedby="new-hint"
            />
          </label>
          <p id="new-hint" className="hint">
            At least {MIN_PASSWORD} characters.
          </p>
          <label>
            New password again
            <input name="again" type="password" autoComplete="new-password" required />
          </label>
          {problem ? (
            <div className="error-note" role="alert">
              {problem}
            </div>
          ) : null}
          <ErrorNote error={change.error} />
          <output aria-live="polite">
            {change.isSuccess ? "Password saved. Your other sessions were signed out." : ""}
          </output>
          <button type="submit" className="primary" disabled={change.isPending}>
            {change.isPending ? "Saving…" : "Save password"}
          </button>
        </form>
      </section>

      <ContactMethods />
      <NotificationRules />
      <ChatAccounts />
    </div>
  );
}
