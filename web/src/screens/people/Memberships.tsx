/**
 * A person's teams and their role in each (docs/teams.md): change the role, take them out, add
 * them to another team. The default team's role follows the role on their user.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useRef, useState } from "react";
import { type Person, peopleKeys, removeMembership, setMembership } from "../../api/people.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { type Membership, type Role, roles, type TeamWithMembers, teamsToJoin } from "../../lib/people.ts";

type Change = { teamId: number; role: Role | null; teamName: string };

export function Memberships({
  person,
  memberships,
  teams,
}: {
  person: Person;
  memberships: Membership[];
  teams: TeamWithMembers[];
}) {
  const id = useId();
  const queryClient = useQueryClient();
  const [outcome, setOutcome] = useState("");
  const [joinTeam, setJoinTeam] = useState("");
  const [joinRole, setJoinRole] = useState<Role>("responder");
  const [missingTeam, setMissingTeam] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const change = useMutation({
    mutationFn: ({ teamId, role }: Change) =>
      role ? setMembership(teamId, person.id, role) : removeMembership(teamId, person.id),
    onSuccess: (_, c) => {
      // A removed team's row goes away with its button: keep the keyboard in this section.
      if (!c.role) heading.current?.focus();
      setOutcome(
        c.role
          ? `${person.username} is ${c.role === "admin" ? "an" : "a"} ${c.role} in ${c.teamName}.`
          : `${person.username} left ${c.teamName}.`,
      );
      void queryClient.invalidateQueries({ queryKey: peopleKeys.teams });
    },
  });
  const open = teamsToJoin(teams, memberships);
  const who = person.name || person.username;

  const join = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const team = open.find((t) => String(t.id) === joinTeam);
    setMissingTeam(!team);
    if (!team) return;
    change.mutate(
      { teamId: team.id, role: joinRole, teamName: team.name },
      { onSuccess: () => setJoinTeam("") },
    );
  };

  return (
    <section aria-labelledby={`${id}-title`} className="stack compact">
      <h3 id={`${id}-title`} ref={heading} tabIndex={-1}>
        Teams
      </h3>
      {memberships.length ? (
        <ul className="plain people-teams">
          {memberships.map((m) => (
            <li key={m.teamId} className="people-team">
              <span className="people-team-name">
                {m.teamName}
                {m.isDefault ? <span className="hint"> (default team: follows their role)</span> : null}
              </span>
              <label className="people-team-role">
                <span className="visually-hidden">
                  Role of {who} in {m.teamName}
                </span>
                <select
                  value={m.role}
                  onChange={(e) =>
                    change.mutate({ teamId: m.teamId, role: e.target.value as Role, teamName: m.teamName })
                  }
                >
                  {roles.map((r) => (
                    <option key={r} value={r}>
                      {r}
                    </option>
                  ))}
                </select>
              </label>
              <button
                type="button"
                className="link-button"
                disabled={change.isPending}
                aria-label={`Remove ${who} from ${m.teamName}`}
                onClick={() => change.mutate({ teamId: m.teamId, role: null, teamName: m.teamName })}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="hint strong">In no team: they read every team's resources and change none.</p>
      )}
      {open.length ? (
        <form className="inline-form" onSubmit={join} noValidate>
          <label>
            Add to team
            <select
              value={joinTeam}
              onChange={(e) => setJoinTeam(e.target.value)}
              aria-invalid={missingTeam ? true : undefined}
              aria-describedby={missingTeam ? `${id}-team-error` : undefined}
            >
              <option value="">Choose a team</option>
              {open.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
            {missingTeam ? (
              <span id={`${id}-team-error`} className="field-error">
                choose the team to add them to
              </span>
            ) : null}
          </label>
          <label>
            With the role
            <select value={joinRole} onChange={(e) => setJoinRole(e.target.value as Role)}>
              {roles.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" disabled={change.isPending}>
            Add to team
          </button>
        </form>
      ) : null}
      <ErrorNote error={change.error} />
      <output className="hint strong" aria-live="polite">
        {outcome}
      </output>
    </section>
  );
}
