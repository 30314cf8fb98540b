/**
 * People (admins): everyone with their role, whether they are active and have a password, and
 * their teams; add a person; open one to change their details, set a password, issue a token,
 * change their teams, deactivate or reactivate them. The open person is in the URL (?person=).
 */
import { useQuery } from "@tanstack/react-query";
import { getRouteApi } from "@tanstack/react-router";
import { useRef, useState } from "react";
import { type Person, peopleQuery, teamsWithMembersQuery } from "../../api/people.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { listedPeople, type Membership, membershipsByPerson, peopleSummary } from "../../lib/people.ts";
import { NewPerson } from "./NewPerson.tsx";
import { PersonPanel } from "./PersonPanel.tsx";

const route = getRouteApi("/app/people");

function AdminsOnly() {
  return (
    <div className="page narrow">
      <h1>People</h1>
      <p>
        Managing people is for admins only. Ask an admin to add someone, change a role or reset a password;
        your own details and password are on your profile.
      </p>
    </div>
  );
}

export function People() {
  const { me } = route.useRouteContext();
  if (me.role !== "admin") return <AdminsOnly />;
  return <PeopleAdmin meId={me.id} />;
}

const manageId = (id: number) => `people-manage-${id}`;

function PersonRow({
  person,
  teams,
  open,
  onOpen,
}: {
  person: Person;
  teams: Membership[] | undefined;
  open: boolean;
  onOpen: () => void;
}) {
  return (
    <tr className={person.active ? undefined : "people-inactive"}>
      <th scope="row">
        {person.name || person.username}
        <span className="people-username">{person.username}</span>
      </th>
      <td className="people-email">{person.email ?? <span className="muted">none</span>}</td>
      <td>{person.role}</td>
      <td>{person.active ? "active" : <span className="tag tag-warn">deactivated</span>}</td>
      <td>{person.hasPassword ? "yes" : "no"}</td>
      <td>
        {teams === undefined
          ? "…"
          : teams.length
            ? teams.map((m) => `${m.teamName} (${m.role})`).join(", ")
            : "none"}
      </td>
      <td>
        <button
          type="button"
          id={manageId(person.id)}
          aria-expanded={open}
          aria-label={`Manage ${person.name || person.username} (${person.username})`}
          onClick={onOpen}
        >
          Manage
        </button>
      </td>
    </tr>
  );
}

function PeopleAdmin({ meId }: { meId: number }) {
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const people = useQuery(peopleQuery);
  const teams = useQuery(teamsWithMembersQuery);
  const [adding, setAdding] = useState(false);
  const [announced, setAnnounced] = useState("");
  const addButton = useRef<HTMLButtonElement>(null);
  const listed = listedPeople(people.data ?? []);
  const memberships = membershipsByPerson(teams.data ?? []);
  const selected = listed.find((p) => p.id === search.person);

  const openPerson = (id: number) => navigate({ search: { person: id } });
  const close = async () => {
    const id = search.person;
    await navigate({ search: {} });
    if (id !== undefined) document.getElementById(manageId(id))?.focus();
  };

  return (
    <div className="page">
      <div className="page-head">
        <h1>People</h1>
        <button
          type="button"
          ref={addButton}
          className="primary people-add"
          aria-expanded={adding}
          onClick={() => setAdding(true)}
        >
          Add a person
        </button>
      </div>
      <p className="hint people-intro">
        Everyone who can sign in or act through a token. Roles: viewers read, responders run incidents, admins
        also manage people, schedules and policies. A team role can give more within a team.
      </p>
      <output className="visually-hidden" aria-live="polite">
        {announced}
      </output>
      {adding ? (
        <NewPerson
          onCancel={() => {
            setAdding(false);
            addButton.current?.focus();
          }}
          onCreated={(p) => {
            setAdding(false);
            setAnnounced(`Added ${p.name} (${p.username}).`);
            void openPerson(p.id);
          }}
        />
      ) : null}
      <ErrorNote error={people.error} />
      <ErrorNote error={teams.error} />
      {people.isPending ? <p aria-busy="true">Loading people…</p> : null}
      {people.data ? (
        <section
          className="people-scroll"
          aria-label="People"
          // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region needs focus to scroll by keyboard
          tabIndex={0}
        >
          <table className="table people-table">
            <caption className="visually-hidden">{peopleSummary(listed)}</caption>
            <thead>
              <tr>
                <th scope="col">Person</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">State</th>
                <th scope="col">Password</th>
                <th scope="col">Teams</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {listed.map((p) => (
                <PersonRow
                  key={p.id}
                  person={p}
                  teams={teams.data ? (memberships.get(p.id) ?? []) : undefined}
                  open={p.id === selected?.id}
                  onOpen={() => void openPerson(p.id)}
                />
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
      {selected ? (
        <PersonPanel
          person={selected}
          memberships={memberships.get(selected.id) ?? []}
          teams={teams.data}
          teamsError={teams.isPending ? <p aria-busy="true">Loading teams…</p> : null}
          isMe={selected.id === meId}
          onClose={() => void close()}
        />
      ) : search.person !== undefined && people.data ? (
        <p className="empty">There is no person {search.person}.</p>
      ) : null}
    </div>
  );
}
