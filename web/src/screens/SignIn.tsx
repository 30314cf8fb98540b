/**
 * Sign in with the organisation's single sign-on when it is set up, or with a username and
 * password, or with an API token: on a first start the admin has only the token `npm start`
 * printed, and sets a password on the profile page afterwards. With password sign-in switched off,
 * the form stays behind a "break-glass" disclosure for the one admin who may still use it.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { getRouteApi, useRouter } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";
import { api } from "../api/client.ts";
import { keys } from "../api/queries.ts";
import type { Session } from "../api/types.ts";
import { ErrorNote } from "../components/ErrorNote.tsx";
import { home } from "../lib/redirect.ts";

const route = getRouteApi("/sign-in");
type Mode = "password" | "token";
type Methods = { password: boolean; sso: { name: string; loginUrl: string } | null };

export function SignIn() {
  const { redirect } = route.useSearch();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [mode, setMode] = useState<Mode>("password");
  const methods = useQuery({
    queryKey: ["session-methods"],
    queryFn: () => api<Methods>("GET", "/session/methods", undefined, { quietUnauthenticated: true }),
    staleTime: 60_000,
  });
  const sso = methods.data?.sso;
  const passwords = methods.data?.password ?? true;
  const signIn = useMutation({
    mutationFn: (body: { username: string; password: string } | { token: string }) =>
      api<Session>("POST", "/session", body, { quietUnauthenticated: true }),
    onSuccess: async (session) => {
      queryClient.setQueryData(keys.session, session);
      router.history.push(redirect ?? home);
    },
  });

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const field = (name: string) => String(form.get(name) ?? "");
    signIn.mutate(
      mode === "password"
        ? { username: field("username").trim(), password: field("password") }
        : { token: field("token").trim() },
    );
  };

  const localForm = (
    <>
      <fieldset className="segmented">
        <legend className="visually-hidden">How to sign in</legend>
        {(["password", "token"] as const).map((m) => (
          <label key={m}>
            <input
              type="radio"
              name="mode"
              value={m}
              checked={mode === m}
              onChange={() => {
                setMode(m);
                signIn.reset();
              }}
            />
            {m === "password" ? "Username and password" : "Sign in with an API token"}
          </label>
        ))}
      </fieldset>
      <form
        onSubmit={submit}
        className="stack"
        aria-describedby={mode === "token" ? "token-hint" : undefined}
      >
        {mode === "password" ? (
          <>
            <label>
              Username
              <input name="username" autoComplete="username" required />
            </label>
            <label>
              Password
              <input name="password" type="password" autoComplete="current-password" required />
            </label>
          </>
        ) : (
          <>
            <label>
              API token
              <input name="token" autoComplete="off" spellCheck={false} required />
            </label>
            <p id="token-hint" className="hint">
              On a first start, use the admin token that <code>npm start</code> printed, then set a password
              on your profile.
            </p>
          </>
        )}
        <ErrorNote error={signIn.error} />
        <button type="submit" className={sso ? undefined : "primary"} disabled={signIn.isPending}>
          {signIn.isPending ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </>
  );

  return (
    <main id="main" className="page narrow sign-in">
      <h1>Sign in to Firebreak</h1>
      {sso && (
        <p>
          <a
            className="button primary"
            href={`${sso.loginUrl}?returnTo=${encodeURIComponent(redirect ?? home)}`}
          >
            Sign in with {sso.name}
          </a>
        </p>
      )}
      {passwords ? (
        localForm
      ) : (
        <details>
          <summary>Break-glass sign-in (the emergency admin only)</summary>
          {localForm}
        </details>
      )}
    </main>
  );
}
