/** The audit log's filters; every change goes to the URL, so a filtered log is a link to share. */
import { useQuery } from "@tanstack/react-query";
import { getRouteApi } from "@tanstack/react-router";
import { useEffect, useState } from "react";
import type { AuditAction } from "../../../../src/audit/model.ts";
import { usersQuery } from "../../api/queries.ts";
import { fromLocalInput, toLocalInput } from "../../lib/week.ts";
import type { AuditSearch } from "../../routes/audit.ts";
import { actionLabels } from "./entries.ts";

const route = getRouteApi("/app/audit");

/** A `datetime-local` field over an ISO instant in the URL: changes once the typed value is whole. */
function InstantField({
  label,
  value,
  onChange,
}: {
  label: string;
  value: string | undefined;
  onChange: (iso: string | undefined) => void;
}) {
  const [text, setText] = useState(value ? toLocalInput(new Date(value)) : "");
  // The URL may change without this field (Clear filters, back and forward).
  useEffect(() => {
    setText((prev) => {
      const shown = fromLocalInput(prev)?.toISOString();
      return shown === value ? prev : value ? toLocalInput(new Date(value)) : "";
    });
  }, [value]);
  return (
    <label>
      {label}
      <input
        type="datetime-local"
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          if (e.target.value === "") onChange(undefined);
          else {
            const at = fromLocalInput(e.target.value);
            if (at) onChange(at.toISOString());
          }
        }}
      />
    </label>
  );
}

export function AuditFilters() {
  const search = route.useSearch();
  const navigate = route.useNavigate();
  // Not waited for: the log shows at once, the people are offered once known.
  const users = useQuery(usersQuery).data ?? [];
  const set = (patch: Partial<AuditSearch>) =>
    navigate({ search: (prev) => ({ ...prev, ...patch }), replace: true });
  const filtered = Object.values(search).some((v) => v !== undefined);

  return (
    <search className="filters">
      <form onSubmit={(e) => e.preventDefault()} className="filter-row">
        <label>
          Action
          <select
            value={search.action ?? ""}
            onChange={(e) => set({ action: (e.target.value || undefined) as AuditAction | undefined })}
          >
            <option value="">Any</option>
            {Object.entries(actionLabels).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Person
          <select
            value={search.actorId ?? ""}
            onChange={(e) => set({ actorId: e.target.value ? Number(e.target.value) : undefined })}
          >
            <option value="">Anyone</option>
            {search.actorId && !users.some((u) => u.id === search.actorId) ? (
              <option value={search.actorId}>Person {search.actorId}</option>
            ) : null}
            {users.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name ? `${u.name} (${u.username})` : u.username}
              </option>
            ))}
          </select>
        </label>
        <InstantField label="From" value={search.since} onChange={(since) => set({ since })} />
        <InstantField label="Until" value={search.until} onChange={(until) => set({ until })} />
        {filtered ? (
          <button
            type="button"
            className="link-button"
            onClick={() => void navigate({ search: {}, replace: true })}
          >
            Clear filters
          </button>
        ) : null}
      </form>
    </search>
  );
}
