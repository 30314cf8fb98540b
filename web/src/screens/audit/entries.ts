/** The audit log as the screen reads it: entries, what each action is called, and the API query. */
import { infiniteQueryOptions, keepPreviousData } from "@tanstack/react-query";
import type { AuditAction } from "../../../../src/audit/model.ts";
import { api, withQuery } from "../../api/client.ts";

export type AuditEntry = {
  id: number;
  at: string;
  action: AuditAction;
  actorId: number | null;
  actorName: string | null;
  target: string | null;
  method: string | null;
  route: string | null;
  status: number | null;
  network: string;
  requestId: string | null;
  detail: Record<string, unknown>;
};
export type AuditPage = { entries: AuditEntry[]; next: number | null };
export type AuditFilters = { action?: AuditAction; actorId?: number; since?: string; until?: string };

/** Every action, in the order the filter offers them, with the words the screen uses. */
export const actionLabels: Record<AuditAction, string> = {
  "sign-in": "Signed in",
  "sign-in-failed": "Sign-in failed",
  "sign-out": "Signed out",
  "token-created": "Token created",
  "token-revoked": "Token revoked",
  "private-incident-read": "Private incident read",
  "admin-action": "Admin change",
};

/** Entries per page: "Load older" reads this many more. */
export const AUDIT_PAGE = 100;

export const auditQuery = (filters: AuditFilters) =>
  infiniteQueryOptions({
    queryKey: ["audit", filters] as const,
    queryFn: ({ pageParam }) =>
      api<AuditPage>("GET", withQuery("/audit", { ...filters, before: pageParam, limit: AUDIT_PAGE })),
    initialPageParam: undefined as number | undefined,
    getNextPageParam: (last) => last.next ?? undefined,
    // Always read afresh on opening: an audit trail a minute old is not what an admin asks for.
    staleTime: 0,
    // A new filter keeps the old rows on screen until the new ones arrive, rather than flashing empty.
    placeholderData: keepPreviousData,
  });

/** The CSV export of the same filters: a plain link, which the session cookie authenticates. */
export const csvHref = (filters: AuditFilters): string =>
  withQuery("/api/v1/audit", { format: "csv", ...filters });

/** A detail object as "key: value" pairs, nested values as JSON. */
export function detailPairs(detail: Record<string, unknown>): [string, string][] {
  return Object.entries(detail).map(([k, v]) => [
    k,
    typeof v === "string" ? v : v === null || v === undefined ? "—" : JSON.stringify(v),
  ]);
}
