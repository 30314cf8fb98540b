/**
 * The first-run guide for admins: the steps that get a team ready to be paged, each done or not
 * from real data (lib/firstrun.ts says how), each linking to the screen that does it. Shown on the
 * incidents screen until dismissed (kept per person on the server: PUT /me/preferences), and always
 * at /setup, which the profile links to and where it can be put back on the incidents screen.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useRouteContext } from "@tanstack/react-router";
import { useId, useState } from "react";
import { servicesQuery } from "../api/alerts.ts";
import { api, withQuery } from "../api/client.ts";
import { contactKeys, contactMethodsQuery, preferencesQuery, setPreferences } from "../api/contacts.ts";
import { schedulesQuery } from "../api/oncall.ts";
import { sessionQuery, usersQuery } from "../api/queries.ts";
import { ErrorNote } from "../components/ErrorNote.tsx";
import { fallbackAdmin, progressText, type SetupFacts, type Step, setupSteps } from "../lib/firstrun.ts";
import { useFocusOnMount } from "../lib/focus.ts";

type StatusPageRef = { slug: string };

/** Whether any alert ever arrived (newest one, any status). */
const anyAlertQuery = {
  queryKey: ["setup", "any-alert"] as const,
  queryFn: async () =>
    (await api<{ alerts: unknown[] }>("GET", withQuery("/alerts", { limit: 1 }))).alerts.length > 0,
  staleTime: 0,
};

/** The status page the guide points at (`default` when there is one) and how many components it has. */
const statusQuery = {
  queryKey: ["setup", "status-page"] as const,
  queryFn: async (): Promise<{ slug: string; components: number | null }> => {
    const { pages } = await api<{ pages: StatusPageRef[] }>("GET", "/status-pages");
    const page = pages.find((p) => p.slug === "default") ?? pages[0];
    if (!page) return { slug: "default", components: null };
    const { components } = await api<{ components: unknown[] }>(
      "GET",
      `/status-pages/${encodeURIComponent(page.slug)}/components`,
    );
    return { slug: page.slug, components: components.length };
  },
  staleTime: 0,
};

/** Every fact the steps need, read now; null until all have arrived. */
function useSetupFacts(): { facts: SetupFacts | null; error: unknown } {
  const { me } = useRouteContext({ from: "/app" });
  const session = useQuery(sessionQuery);
  const methods = useQuery({ ...contactMethodsQuery, staleTime: 0 });
  const schedules = useQuery({ ...schedulesQuery, staleTime: 0 });
  const users = useQuery(usersQuery);
  const services = useQuery({ ...servicesQuery, staleTime: 0 });
  const alert = useQuery(anyAlertQuery);
  const status = useQuery(statusQuery);
  const all = [session, methods, schedules, users, services, alert, status];
  const error = all.find((q) => q.error)?.error ?? null;
  if (
    !methods.data ||
    !schedules.data ||
    !users.data ||
    !services.data ||
    alert.data === undefined ||
    !status.data
  )
    return { facts: null, error };
  return {
    error,
    facts: {
      hasPassword: (session.data?.user ?? me).hasPassword,
      contactMethods: methods.data,
      schedules: schedules.data,
      fallbackAdminId: fallbackAdmin(users.data),
      meId: me.id,
      services: services.data.length,
      alertReceived: alert.data,
      statusComponents: status.data.components,
      statusSlug: status.data.slug,
    },
  };
}

function StepItem({ step, n }: { step: Step; n: number }) {
  return (
    <li className={`setup-step ${step.done ? "setup-done" : "setup-todo"}`}>
      <div className="setup-step-head">
        <span className="setup-mark" aria-hidden="true">
          {step.done ? "✓" : n}
        </span>
        <h3>{step.title}</h3>
        <span className={`tag ${step.done ? "tag-ok" : ""}`}>{step.done ? "Done" : "To do"}</span>
      </div>
      <p>{step.detail}</p>
      <p className="setup-links">
        {step.links.map((l) =>
          l.to.startsWith("/status/") ? (
            <a key={l.to} href={l.to}>
              {l.label}
            </a>
          ) : (
            // Some of these screens are other routes' (people, schedules, services): the path is data.
            <Link key={l.to} to={l.to as "/"}>
              {l.label}
            </Link>
          ),
        )}
      </p>
    </li>
  );
}

function Steps({ headingId }: { headingId: string }) {
  const { facts, error } = useSetupFacts();
  if (!facts) return error ? <ErrorNote error={error} /> : <p aria-busy="true">Checking what is set up…</p>;
  const steps = setupSteps(facts);
  return (
    <>
      <p className="setup-progress" aria-live="polite">
        {progressText(steps)}
      </p>
      <ol className="setup-steps" aria-labelledby={headingId}>
        {steps.map((s, i) => (
          <StepItem key={s.id} step={s} n={i + 1} />
        ))}
      </ol>
      <ErrorNote error={error} />
    </>
  );
}

function useDismissal() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (dismissed: boolean) => setPreferences({ setupGuideDismissed: dismissed }),
    onSuccess: (prefs) => queryClient.setQueryData(contactKeys.preferences, prefs),
  });
}

/**
 * Where the guide was, once dismissed. It takes the keyboard when it mounts (the button is gone); an
 * animation frame requested at the dismissal could run before React has put the note on the screen.
 */
function DismissedNote() {
  const ref = useFocusOnMount<HTMLParagraphElement>();
  return (
    <p className="hint strong setup-dismissed" role="status" tabIndex={-1} ref={ref}>
      Setup guide hidden. Reopen it any time: <Link to="/setup">Setup guide</Link> (also on your profile).
    </p>
  );
}

/** On the incidents screen: the guide for admins who have not dismissed it. */
export function FirstRunPanel() {
  const { me } = useRouteContext({ from: "/app" });
  const headingId = useId();
  const prefs = useQuery({ ...preferencesQuery, enabled: me.role === "admin" });
  const dismiss = useDismissal();
  const [justDismissed, setJustDismissed] = useState(false);
  if (me.role !== "admin") return null;
  if (justDismissed) return <DismissedNote />;
  if (!prefs.data || prefs.data.setupGuideDismissed) return null;
  return (
    <section className="panel setup-panel" aria-labelledby={headingId}>
      <div className="section-head">
        <h2 id={headingId}>Set up Firebreak</h2>
        <button
          type="button"
          disabled={dismiss.isPending}
          onClick={() => dismiss.mutate(true, { onSuccess: () => setJustDismissed(true) })}
        >
          Dismiss setup guide
        </button>
      </div>
      <Steps headingId={headingId} />
      <ErrorNote error={dismiss.error} />
    </section>
  );
}

/** /setup: the whole guide, whether dismissed or not. */
export function FirstRun() {
  const { me } = useRouteContext({ from: "/app" });
  const prefs = useQuery(preferencesQuery);
  const dismiss = useDismissal();
  const headingId = useId();
  if (me.role !== "admin")
    return (
      <div className="page narrow">
        <h1>Setup guide</h1>
        <p>
          The setup guide is for admins. You can still add where pages reach you on{" "}
          <Link to="/profile">your profile</Link>.
        </p>
      </div>
    );
  const dismissed = prefs.data?.setupGuideDismissed ?? false;
  return (
    <div className="page narrow">
      <h1 id={headingId}>Setup guide</h1>
      <p className="hint">
        The steps that get a team ready to be paged. Each turns done by itself once it is.
      </p>
      <Steps headingId={headingId} />
      <p className="button-row">
        <button
          type="button"
          disabled={dismiss.isPending || !prefs.data}
          onClick={() => dismiss.mutate(!dismissed)}
        >
          {dismissed ? "Show the guide on the incidents screen" : "Hide the guide from the incidents screen"}
        </button>
      </p>
      <output aria-live="polite">
        {dismiss.isSuccess
          ? dismissed
            ? "Hidden from the incidents screen; it stays here."
            : "The guide shows on the incidents screen again."
          : ""}
      </output>
      <ErrorNote error={dismiss.error} />
    </div>
  );
}
