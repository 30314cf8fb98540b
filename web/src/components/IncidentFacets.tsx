/**
 * The severity, type and service filters shared by the incident list and Insights: the same
 * fields with the same options, each change handed to the screen (which puts it in the URL).
 */
import type { Policy } from "../api/types.ts";
import { IncidentTypeOptions, SeverityOptions } from "./PolicyOptions.tsx";

export type Facets = { severity?: string; type?: string; service?: number };

export function IncidentFacets({
  value,
  set,
  policy,
  services,
}: {
  value: Facets;
  set: (patch: Facets) => void;
  /** Undefined while it loads: the selects offer only "Any" until then. */
  policy: Policy | undefined;
  services: { id: number; name: string }[];
}) {
  return (
    <>
      <label>
        Severity
        <select value={value.severity ?? ""} onChange={(e) => set({ severity: e.target.value || undefined })}>
          <option value="">Any</option>
          {policy ? <SeverityOptions policy={policy} /> : null}
        </select>
      </label>
      <label>
        Type
        <select value={value.type ?? ""} onChange={(e) => set({ type: e.target.value || undefined })}>
          <option value="">Any</option>
          {policy ? <IncidentTypeOptions policy={policy} /> : null}
        </select>
      </label>
      {services.length > 0 ? (
        <label>
          Service
          <select
            value={value.service ?? ""}
            onChange={(e) => set({ service: e.target.value ? Number(e.target.value) : undefined })}
          >
            <option value="">Any</option>
            {services.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
      ) : null}
    </>
  );
}
