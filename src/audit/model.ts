/**
 * The audit log, the pure part: what an entry is, which requests are recorded, and the CSV export.
 * No I/O.
 */

/** What happened. */
export const auditActions = [
  "sign-in",
  "sign-in-failed",
  "sign-out",
  "token-created",
  "token-revoked",
  "private-incident-read",
  "admin-action",
] as const;
export type AuditAction = (typeof auditActions)[number];

export type AuditEntry = {
  id: number;
  at: Date;
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

export type NewAuditEntry = Omit<AuditEntry, "id">;

export type RequestFacts = {
  method: string;
  /** The route's pattern, e.g. `/api/v1/users/:id`. */
  route: string;
  status: number;
  minRole: string | undefined;
  actorRole: string | undefined;
};

const changing = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const tokenRoutes = new Set(["/api/v1/tokens", "/api/v1/users/:id/tokens", "/api/v1/tokens/:id"]);

/**
 * Which audit action a finished API request is, if any: a token made or revoked (by anyone), or
 * any change an admin made or an admin-only route took. Refused and failed requests change
 * nothing, so they are not actions (failed sign-ins are recorded where they happen).
 */
export function actionOfRequest(r: RequestFacts): AuditAction | null {
  if (!changing.has(r.method) || r.status >= 400) return null;
  if (tokenRoutes.has(r.route)) return r.method === "DELETE" ? "token-revoked" : "token-created";
  if (r.route.startsWith("/api/v1/session")) return null;
  if (r.minRole === "admin" || r.actorRole === "admin") return "admin-action";
  return null;
}

/** The thing a route's parameters name: `/api/v1/users/:id` with id 7 → `users 7`. */
export function targetOf(route: string, params: Record<string, unknown>): string | null {
  const parts = route.replace(/^\/api\/v1\//, "").split("/");
  const named: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] ?? "";
    if (p.startsWith(":")) continue;
    const next = parts[i + 1];
    const value = next?.startsWith(":") ? params[next.slice(1)] : undefined;
    named.push(value === undefined ? p : `${p} ${String(value)}`);
  }
  return named.length ? named.join(" / ") : null;
}

export const csvColumns = [
  "id",
  "at",
  "action",
  "actorId",
  "actorName",
  "target",
  "method",
  "route",
  "status",
  "network",
  "requestId",
  "detail",
] as const;

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote or line break; a text a
 * spreadsheet would run as a formula (= + - @, tab, carriage return first) gets a leading `'`.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  let text =
    value instanceof Date
      ? value.toISOString()
      : typeof value === "object"
        ? JSON.stringify(value)
        : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(e: AuditEntry): string {
  return csvColumns.map((c) => csvField(e[c])).join(",");
}

export const csvHeader = csvColumns.join(",");
