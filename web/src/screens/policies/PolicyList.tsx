/**
 * Escalation policies (PAGE-2): each with its team, its levels in words and whether the policy
 * file defines it; a link to edit each and to create one.
 */
import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { schedulesQuery } from "../../api/oncall.ts";
import { policyListQuery, teamsQuery } from "../../api/policies.ts";
import { sessionQuery, usersQuery } from "../../api/queries.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { namesList, targetLabel } from "../../lib/oncall.ts";

export function PolicyList() {
  const policies = useQuery(policyListQuery);
  const schedules = useQuery(schedulesQuery);
  const users = useQuery(usersQuery);
  const teams = useQuery(teamsQuery);
  const session = useQuery(sessionQuery);
  const teamName = (id: number) => teams.data?.find((t) => t.id === id)?.name ?? `team ${id}`;
  const mayCreate =
    session.data?.user.role === "admin" || (teams.data ?? []).some((t) => t.myRole === "admin");
  return (
    <div className="page">
      <div className="page-head">
        <h1>Escalation policies</h1>
        {mayCreate ? (
          <Link to="/escalation-policies/new" className="button primary">
            New escalation policy
          </Link>
        ) : null}
      </div>
      <p className="hint">
        Who is paged, in order, and after how long without an acknowledgement. Open one to edit it and to see
        who would be notified when.
      </p>
      <ErrorNote error={policies.error} />
      {policies.isPending ? <p aria-busy="true">Loading escalation policies…</p> : null}
      {policies.data?.length === 0 ? <p className="empty">No escalation policies yet.</p> : null}
      {policies.data?.length ? (
        <div className="policies-scroll">
          <table className="table policies-table">
            <caption className="visually-hidden">Escalation policies</caption>
            <thead>
              <tr>
                <th scope="col">Policy</th>
                <th scope="col">Team</th>
                <th scope="col">Notifies first</th>
                <th scope="col">Levels</th>
              </tr>
            </thead>
            <tbody>
              {policies.data.map((p) => (
                <tr key={p.id}>
                  <td>
                    <Link to="/escalation-policies/$id" params={{ id: p.id }}>
                      {p.name}
                    </Link>
                    {p.managed ? <span className="tag"> policy file</span> : null}
                  </td>
                  <td>{teamName(p.teamId)}</td>
                  <td>
                    {namesList(
                      (p.levels[0]?.targets ?? []).map((t) =>
                        targetLabel(t, schedules.data ?? [], users.data ?? []),
                      ),
                    )}
                  </td>
                  <td>
                    {p.levels.length}
                    {p.repeat > 0 ? <span className="muted"> · repeats {p.repeat}×</span> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </div>
  );
}
