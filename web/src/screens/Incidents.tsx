/**
 * The incidents list: open incidents first, grouped by state, most severe first within a state.
 * Live: the list stream says which incident changed and the list re-reads. `/` searches, `d` declares.
 */
import { useQuery, useSuspenseQuery } from "@tanstack/react-query";
import { getRouteApi, Link, useNavigate, useRouteContext } from "@tanstack/react-router";
import { useEffect, useRef } from "react";
import { useIncidentListStream } from "../api/live.ts";
import { incidentsQuery, policyQuery } from "../api/queries.ts";
import type { Incident } from "../api/types.ts";
import { SeverityBadge, StateBadge } from "../components/Badges.tsx";
import { ErrorNote } from "../components/ErrorNote.tsx";
import { LiveIndicator } from "../components/LiveIndicator.tsx";
import { Time } from "../components/Time.tsx";
import { showApp } from "../lib/first-screen.ts";
import { groupByState, incidentTitle, isOpen, stateLabel } from "../lib/incidents.ts";
import { useShortcuts } from "../lib/keyboard.ts";
import { isFiltered, listQuery } from "../lib/search.ts";
import { FirstRunPanel } from "./FirstRun.tsx";
import { IncidentFilters } from "./IncidentFilters.tsx";

const route = getRouteApi("/app/incidents");

function IncidentRow({ incident }: { incident: Incident }) {
  return (
    <li className="incident-row">
      <div className="incident-main">
        <SeverityBadge id={incident.severity} />
        <Link to="/incidents/$id" params={{ id: incident.id }} className="incident-link">
          <span className="muted">#{incident.id}</span> {incidentTitle(incident)}
        </Link>
      </div>
      <div className="incident-meta">
        <StateBadge state={incident.state} />
        <span>{incident.type}</span>
        <span>owner {incident.owner.name || incident.owner.username}</span>
        <span>
          declared <Time iso={incident.declaredAt} />
        </span>
        {incident.visibility === "private" ? <span className="tag">private</span> : null}
        {incident.blocks.deployments && isOpen(incident.state) ? (
          <span className="tag tag-warn">blocks deployments</span>
        ) : null}
      </div>
    </li>
  );
}

export function Incidents() {
  const search = route.useSearch();
  const { me } = useRouteContext({ from: "/app" });
  const navigate = useNavigate();
  const { data: policy } = useSuspenseQuery(policyQuery);
  const list = useQuery({ ...incidentsQuery(listQuery(search, me.id)), placeholderData: (prev) => prev });
  const live = useIncidentListStream();
  const searchRef = useRef<HTMLInputElement>(null);
  useShortcuts({
    "/": () => searchRef.current?.focus(),
    d: () => void navigate({ to: "/incidents/new" }),
  });

  // The server's copy of this list (index.html) gives way once this one is rendered (or failed).
  useEffect(() => {
    if (!list.isPending) showApp();
  }, [list.isPending]);

  const groups = groupByState(
    list.data ?? [],
    policy.severities.map((s) => s.id),
  );
  return (
    <div className="page">
      <div className="page-head">
        <h1>Incidents</h1>
        <LiveIndicator state={live} />
        <Link to="/incidents/new" className="button primary" aria-keyshortcuts="d">
          Declare an incident
        </Link>
      </div>
      <FirstRunPanel />
      <IncidentFilters searchRef={searchRef} />
      <p className="hint keys">
        Keys: <kbd>/</kbd> search, <kbd>d</kbd> declare an incident.
      </p>
      <ErrorNote error={list.error} />
      {list.isPending ? <p aria-busy="true">Loading incidents…</p> : null}
      {list.data && groups.length === 0 ? (
        <p className="empty">
          {isFiltered(search) ? "No incidents match these filters." : "No incidents yet. Good."}
        </p>
      ) : null}
      <div aria-busy={list.isFetching} className="groups">
        {groups.map((g) => (
          <section key={g.state} aria-labelledby={`group-${g.state}`} className="group">
            <h2 id={`group-${g.state}`}>
              {stateLabel[g.state]} <span className="count">({g.incidents.length})</span>
            </h2>
            <ul className="incident-list">
              {g.incidents.map((i) => (
                <IncidentRow key={i.id} incident={i} />
              ))}
            </ul>
          </section>
        ))}
      </div>
    </div>
  );
}
