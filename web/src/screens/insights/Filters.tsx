/** The Insights filters; every change goes to the URL, so a filtered view is a link to share. */
import { useQuery } from "@tanstack/react-query";
import { getRouteApi } from "@tanstack/react-router";
import { servicesQuery } from "../../api/alerts.ts";
import { policyQuery } from "../../api/queries.ts";
import { IncidentFacets } from "../../components/IncidentFacets.tsx";
import type { InsightsSearch } from "../../lib/insights.ts";

const route = getRouteApi("/app/insights");

export function InsightsFilters() {
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const policy = useQuery(policyQuery).data;
  const services = useQuery(servicesQuery).data ?? [];
  const set = (patch: Partial<InsightsSearch>) =>
    navigate({ search: (prev) => ({ ...prev, ...patch }), replace: true });
  const filtered = ["from", "to", "severity", "type", "service"].some(
    (k) => search[k as keyof InsightsSearch] !== undefined,
  );

  return (
    <search className="filters">
      <form onSubmit={(e) => e.preventDefault()} className="filter-row">
        <label>
          From
          <input
            type="date"
            value={search.from ?? ""}
            onChange={(e) => set({ from: e.target.value || undefined })}
          />
        </label>
        <label>
          To
          <input
            type="date"
            value={search.to ?? ""}
            onChange={(e) => set({ to: e.target.value || undefined })}
          />
        </label>
        <IncidentFacets value={search} set={set} policy={policy} services={services} />
        {filtered ? (
          <button
            type="button"
            className="link-button"
            onClick={() => void navigate({ search: search.by ? { by: search.by } : {}, replace: true })}
          >
            Clear filters
          </button>
        ) : null}
      </form>
    </search>
  );
}
