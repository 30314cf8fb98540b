/**
 * Schedules (PAGE-7): each with its team and rotations in words, linked to its editor, and
 * New schedule. Who is on call and the week's calendar are on the on-call screen.
 */
import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { schedulesQuery, scheduleTeamsQuery } from "../../api/oncall.ts";
import { usersQuery } from "../../api/queries.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { namesList, personName, shiftLengthLabel } from "../../lib/oncall.ts";

export function Schedules() {
  const schedules = useQuery(schedulesQuery);
  const users = useQuery(usersQuery);
  const teams = useQuery(scheduleTeamsQuery);
  const people = users.data ?? [];
  const teamName = (id: number) => teams.data?.find((t) => t.id === id)?.name ?? `team ${id}`;
  return (
    <div className="page">
      <div className="page-head">
        <h1>Schedules</h1>
        <Link to="/schedules/new" className="button primary">
          New schedule
        </Link>
      </div>
      <p className="hint">
        Who is on call and each week's calendar: <Link to="/oncall">On-call</Link>. Changing a schedule needs
        the admin role in its team.
      </p>
      <ErrorNote error={schedules.error ?? users.error} />
      {schedules.isPending ? <p aria-busy="true">Loading schedules…</p> : null}
      {schedules.data?.length === 0 ? <p className="empty">No schedules yet.</p> : null}
      <ul className="plain schedule-list">
        {schedules.data?.map((s) => (
          <li key={s.id} className="panel">
            <h2 className="schedule-list-name">
              <Link to="/schedules/$id" params={{ id: s.id }}>
                {s.name}
              </Link>
            </h2>
            <p className="muted">
              {teamName(s.teamId)} · shown in {s.timeZone}
            </p>
            <ul className="plain rotations">
              {s.layers.map((l) => (
                <li key={l.name}>
                  <strong>{l.name}</strong>: {namesList(l.participants.map((u) => personName(people, u)))},{" "}
                  {shiftLengthLabel(l.shiftLength)}, hand-offs at {l.start.slice(11, 16)} {l.timeZone}
                  {l.restrictions?.length ? " (restricted hours)" : ""}
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ul>
    </div>
  );
}
