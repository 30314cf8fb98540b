/** HTTP for the audit log: `GET /api/v1/audit` (admins), as JSON pages or a CSV export. */
import { Readable } from "node:stream";
import { z } from "zod";
import type { App } from "../platform/http.ts";
import { auditActions, csvHeader, csvLine } from "./model.ts";
import type { Audit } from "./service.ts";

const entry = z.object({
  id: z.number(),
  at: z.string(),
  action: z.enum(auditActions),
  actorId: z.number().nullable(),
  actorName: z.string().nullable(),
  target: z.string().nullable(),
  method: z.string().nullable(),
  route: z.string().nullable(),
  status: z.number().nullable(),
  network: z.string(),
  requestId: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()),
});

/** CSV exports read the log in pages of this many. */
const EXPORT_PAGE = 1000;
/** An export stops after this many entries; narrow it with since/until for more. */
const EXPORT_MAX = 1_000_000;

export function auditRoutes(audit: Audit) {
  return async (app: App) => {
    app.get(
      "/audit",
      {
        config: { minRole: "admin" },
        schema: {
          tags: ["audit"],
          summary: "The audit log (admins): sign-ins, tokens, admin changes, reads of private incidents",
          description:
            "Newest first. Pages with `before` (the last id of the previous page). `format=csv` exports every matching entry (up to 1,000,000) as CSV instead.",
          querystring: z
            .object({
              actorId: z.coerce.number().int().positive().optional(),
              action: z.enum(auditActions).optional(),
              since: z.iso.datetime({ offset: true }).optional().describe("from this time (inclusive)"),
              until: z.iso.datetime({ offset: true }).optional().describe("before this time"),
              before: z.coerce.number().int().positive().optional().describe("entries older than this id"),
              limit: z.coerce.number().int().min(1).max(1000).default(100),
              format: z.enum(["json", "csv"]).default("json"),
            })
            .strict(),
          response: { 200: z.object({ entries: z.array(entry), next: z.number().nullable() }) },
        },
      },
      async (req, reply) => {
        const q = req.query;
        const filter = {
          actorId: q.actorId,
          action: q.action,
          since: q.since ? new Date(q.since) : undefined,
          until: q.until ? new Date(q.until) : undefined,
        };
        if (q.format === "csv") {
          reply
            .type("text/csv; charset=utf-8")
            .header("content-disposition", 'attachment; filename="firebreak-audit.csv"')
            .header("cache-control", "no-store");
          // The JSON schema describes the default format; the CSV stream bypasses its serializer.
          return reply.send(Readable.from(csvExport(audit, { ...filter, before: q.before })) as never);
        }
        const entries = await audit.list({ ...filter, before: q.before, limit: q.limit });
        return {
          entries: entries.map((e) => ({ ...e, at: e.at.toISOString() })),
          next: entries.length === q.limit ? (entries.at(-1)?.id ?? null) : null,
        };
      },
    );
  };
}

async function* csvExport(
  audit: Audit,
  filter: Parameters<Audit["list"]>[0] extends infer F ? Omit<F & object, "limit"> : never,
) {
  yield `${csvHeader}\r\n`;
  let before = filter.before;
  let sent = 0;
  while (sent < EXPORT_MAX) {
    const page = await audit.list({ ...filter, before, limit: EXPORT_PAGE });
    if (!page.length) return;
    yield `${page.map(csvLine).join("\r\n")}\r\n`;
    sent += page.length;
    before = page.at(-1)?.id;
    if (page.length < EXPORT_PAGE) return;
  }
}
