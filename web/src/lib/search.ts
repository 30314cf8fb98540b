/**
 * The incidents list's filters as URL search params: validated when the URL is read (a bad or old
 * link shows everything rather than failing), and turned into the list API's query.
 */
import type { IncidentState } from "../api/types.ts";
import { allStates, openStates } from "./incidents.ts";

/** `open` is every state still being worked; `ended` the rest. */
export type StateFilter = "open" | "ended" | IncidentState;
export const stateFilters: readonly StateFilter[] = ["open", "ended", ...allStates];

export type IncidentsSearch = {
  state?: StateFilter;
  severity?: string;
  type?: string;
  /** A service's id: the incidents its alerts opened or joined. */
  service?: number;
  mine?: boolean;
  q?: string;
};

const text = (value: unknown, max: number): string | undefined => {
  if (typeof value !== "string" && typeof value !== "number") return undefined;
  const s = String(value).trim().slice(0, max);
  return s === "" ? undefined : s;
};

export function validateIncidentsSearch(raw: Record<string, unknown>): IncidentsSearch {
  const search: IncidentsSearch = {};
  const state = stateFilters.find((s) => s === raw.state);
  if (state) search.state = state;
  const severity = text(raw.severity, 16);
  if (severity) search.severity = severity;
  const type = text(raw.type, 64);
  if (type) search.type = type;
  const service = Number(raw.service);
  if (Number.isSafeInteger(service) && service > 0) search.service = service;
  if (raw.mine === true || raw.mine === "true") search.mine = true;
  const q = text(raw.q, 200);
  if (q) search.q = q;
  return search;
}

/** The GET /incidents query for these filters; `mine` needs the signed-in user's id. */
export function listQuery(
  search: IncidentsSearch,
  meId: number,
): Record<string, string | number | undefined> {
  const states =
    search.state === "open"
      ? openStates
      : search.state === "ended"
        ? allStates.filter((s) => !openStates.includes(s))
        : search.state
          ? [search.state]
          : undefined;
  return {
    state: states?.join(","),
    severity: search.severity,
    type: search.type,
    service: search.service,
    owner: search.mine ? meId : undefined,
    q: search.q,
    limit: 200,
  };
}

/** Whether any filter narrows the list (to offer "Clear filters"). */
export const isFiltered = (s: IncidentsSearch) => Object.values(s).some((v) => v !== undefined);
