/** The incidents list's filters; every change goes to the URL, so a filtered list is a link to share. */
import { useQuery, useSuspenseQuery } from "@tanstack/react-query";
import { getRouteApi } from "@tanstack/react-router";
import { type RefObject, useEffect, useState } from "react";
import { servicesQuery } from "../api/alerts.ts";
import { policyQuery } from "../api/queries.ts";
import { IncidentFacets } from "../components/IncidentFacets.tsx";
import { stateLabel } from "../lib/incidents.ts";
import { type IncidentsSearch, isFiltered, type StateFilter, stateFilters } from "../lib/search.ts";

const route = getRouteApi("/app/incidents");

const stateFilterLabel = (s: StateFilter) =>
  s === "open" ? "Open (being worked)" : s === "ended" ? "Ended" : stateLabel[s];

export function IncidentFilters({ searchRef }: { searchRef: RefObject<HTMLInputElement | null> }) {
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const { data: policy } = useSuspenseQuery(policyQuery);
  // Not suspended on: the list must not wait for it (the filter shows when services are known).
  const services = useQuery(servicesQuery).data ?? [];
  const [q, setQ] = useState(search.q ?? "");

  const set = (patch: Partial<IncidentsSearch>) =>
    navigate({ search: (prev) => ({ ...prev, ...patch }), replace: true });

  // Typing searches after a short pause, not on every key.
  useEffect(() => {
    if ((search.q ?? "") === q.trim()) return;
    const timer = setTimeout(() => set({ q: q.trim() || undefined }), 250);
    return () => clearTimeout(timer);
  });

  return (
    <search className="filters">
      <form onSubmit={(e) => e.preventDefault()} className="filter-row">
        <label className="grow">
          Search titles
          <input
            ref={searchRef}
            type="search"
            value={q}
            onChange={(e) => setQ(e.target.value)}
            aria-keyshortcuts="/"
          />
        </label>
        <label>
          State
          <select
            value={search.state ?? ""}
            onChange={(e) => set({ state: (e.target.value || undefined) as StateFilter | undefined })}
          >
            <option value="">Any</option>
            {stateFilters.map((s) => (
              <option key={s} value={s}>
                {stateFilterLabel(s)}
              </option>
            ))}
          </select>
        </label>
        <IncidentFacets value={search} set={set} policy={policy} services={services} />
        <label className="check">
          <input
            type="checkbox"
            checked={search.mine === true}
            onChange={(e) => set({ mine: e.target.checked || undefined })}
          />
          Mine (I own it)
        </label>
        {isFiltered(search) ? (
          <button
            type="button"
            className="link-button"
            onClick={() => {
              setQ("");
              void navigate({ search: {}, replace: true });
            }}
          >
            Clear filters
          </button>
        ) : null}
      </form>
    </search>
  );
}
