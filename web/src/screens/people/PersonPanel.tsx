/** One person, managed: details, password and token, teams, deactivation. Opened from the list. */
import { useEffect, useId, useRef } from "react";
import type { Person } from "../../api/people.ts";
import type { Membership, TeamWithMembers } from "../../lib/people.ts";
import { PasswordForm, TokenForm } from "./Access.tsx";
import { Deactivate } from "./Deactivate.tsx";
import { EditPerson } from "./EditPerson.tsx";
import { Memberships } from "./Memberships.tsx";

export function PersonPanel({
  person,
  memberships,
  teams,
  teamsError,
  isMe,
  onClose,
}: {
  person: Person;
  memberships: Membership[];
  teams: TeamWithMembers[] | undefined;
  teamsError: React.ReactNode;
  isMe: boolean;
  onClose: () => void;
}) {
  const id = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  // Opening a person (or another one) takes the keyboard to their panel.
  useEffect(() => {
    if (person.id) heading.current?.focus();
  }, [person.id]);

  return (
    <section className="panel people-panel" aria-labelledby={`${id}-title`}>
      <div className="section-head">
        <h2 id={`${id}-title`} ref={heading} tabIndex={-1}>
          {person.name || person.username} <span className="muted">({person.username})</span>
        </h2>
        <button type="button" className="people-close" onClick={onClose}>
          Close
        </button>
      </div>
      <div className="people-panel-grid">
        {/* Keyed by person: switching people starts each form afresh. */}
        <EditPerson key={`edit-${person.id}`} person={person} />
        {teams ? (
          <Memberships key={`teams-${person.id}`} person={person} memberships={memberships} teams={teams} />
        ) : (
          teamsError
        )}
        <PasswordForm key={`pw-${person.id}`} person={person} />
        <TokenForm key={`token-${person.id}`} person={person} />
        <Deactivate key={`active-${person.id}`} person={person} isMe={isMe} />
      </div>
    </section>
  );
}
