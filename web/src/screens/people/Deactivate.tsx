/**
 * Deactivating a person (asked twice: they are signed out everywhere) and reactivating them. While a
 * schedule or escalation policy still names them the API refuses; the places it lists are links.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Link, type LinkProps } from "@tanstack/react-router";
import { useEffect, useId, useRef, useState } from "react";
import { ApiError } from "../../api/client.ts";
import { changePerson, type Person } from "../../api/people.ts";
import { keys } from "../../api/queries.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { useFocusOnMount } from "../../lib/focus.ts";
import { type Place, placeHref, placeLabel, placesIn } from "../../lib/people.ts";

function StillRelied({ person, places }: { person: Person; places: Place[] }) {
  return (
    <div className="error-note" role="alert">
      <strong>{person.name || person.username} is still relied on</strong>
      <span> — take them off these first, so no page goes unanswered; then deactivate them:</span>
      <ul className="people-places">
        {places.map((p) => (
          <li key={`${p.kind}-${p.id}`}>
            {/* The schedule and policy screens take the id from the path. */}
            <Link to={placeHref(p) as LinkProps["to"]}>{placeLabel(p)}</Link>
          </li>
        ))}
      </ul>
    </div>
  );
}

function Confirm({
  person,
  onYes,
  onNo,
  busy,
}: {
  person: Person;
  onYes: () => void;
  onNo: () => void;
  busy: boolean;
}) {
  const ref = useFocusOnMount<HTMLButtonElement>();
  return (
    <div className="banner banner-warn stack compact">
      <p>
        Deactivate {person.name || person.username}? They are signed out everywhere and can no longer sign in;
        their history stays. You can reactivate them later.
      </p>
      <div className="button-row">
        <button type="button" className="danger" ref={ref} onClick={onYes} disabled={busy}>
          Deactivate {person.username}
        </button>
        <button type="button" onClick={onNo}>
          Keep them
        </button>
      </div>
    </div>
  );
}

export function Deactivate({ person, isMe }: { person: Person; isMe: boolean }) {
  const id = useId();
  const queryClient = useQueryClient();
  const [asking, setAsking] = useState(false);
  const [outcome, setOutcome] = useState("");
  const toggle = useRef<HTMLButtonElement>(null);
  const change = useMutation({
    mutationFn: (active: boolean) => changePerson(person.id, { active }),
    onSuccess: (saved) => {
      setAsking(false);
      setOutcome(saved.active ? `${saved.username} is active again.` : `${saved.username} is deactivated.`);
      void queryClient.invalidateQueries({ queryKey: keys.users });
    },
    onError: () => setAsking(false),
  });
  // Once settled the keyboard is back on the button (it was disabled, or the question went away).
  useEffect(() => {
    if (change.status === "success" || change.status === "error") toggle.current?.focus();
  }, [change.status]);
  const places = change.error instanceof ApiError ? placesIn(change.error.problem) : [];

  return (
    <section aria-labelledby={`${id}-title`} className="stack compact">
      <h3 id={`${id}-title`}>{person.active ? "Deactivate" : "Reactivate"}</h3>
      {person.active ? (
        <p className="hint strong">
          {isMe
            ? "This is you: another admin must stay active."
            : "A person who leaves is deactivated rather than deleted: incidents keep their history."}
        </p>
      ) : (
        <p className="hint strong">Deactivated: they cannot sign in, and their tokens do not work.</p>
      )}
      <div className="button-row">
        <button
          type="button"
          ref={toggle}
          className={person.active ? "danger" : undefined}
          disabled={change.isPending}
          aria-expanded={person.active ? asking : undefined}
          onClick={() => {
            change.reset();
            setOutcome("");
            if (person.active) setAsking(true);
            else change.mutate(true);
          }}
        >
          {person.active ? `Deactivate ${person.username}…` : `Reactivate ${person.username}`}
        </button>
      </div>
      {asking ? (
        <Confirm
          person={person}
          busy={change.isPending}
          onYes={() => change.mutate(false)}
          onNo={() => {
            setAsking(false);
            toggle.current?.focus();
          }}
        />
      ) : null}
      {places.length ? <StillRelied person={person} places={places} /> : <ErrorNote error={change.error} />}
      <output className="hint strong" aria-live="polite">
        {outcome}
      </output>
    </section>
  );
}
