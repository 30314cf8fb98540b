/**
 * One import run, the same for every vendor (issue 19): read the source (the vendor's API, or a
 * directory of its JSON), translate it into a configuration document, then plan it (`--dry-run`)
 * or apply it through Firebreak's API — imports never prune, so nothing made in Firebreak is
 * removed — and prove the result: for every hour of the next 4 weeks, the people the source has on
 * call against those the imported schedules have on call (from the server after a real run,
 * computed from the document in a dry run).
 */
import type { Api } from "../cli/client.ts";
import { CliError, UsageError } from "../cli/client.ts";
import { table, when } from "../cli/format.ts";
import { type ConfigDocument, configDocument } from "../config/document.ts";
import { checkWindow, compareOnCall, documentShifts, type OnCallCheck, type RefShift } from "./run-oncall.ts";
import { directorySource, httpSource, type JsonSource, SourceError } from "./source.ts";
import type { CheckWindow, CutOver, Importer, Unmapped, Vendor } from "./types.ts";

export type Change = {
  action: "create" | "update" | "delete";
  kind: string;
  name: string;
  fields?: string[];
  drifted?: boolean;
};
export type IssuedKey = {
  service: string;
  integration: string;
  keyId: number | string;
  key: string;
  hint?: string;
};

export type CutOverRow = CutOver & {
  /** "issued" with the new key, "already issued" on a re-run, "issued on apply" in a dry run. */
  status: "issued" | "already issued" | "issued on apply";
  key?: string;
  /** Where senders post with the new key, at this server's public URL. */
  urls: string[];
};

export type ImportReport = {
  vendor: Vendor;
  origin: string;
  dryRun: boolean;
  window: { from: string; until: string };
  changes: Change[];
  /** In a dry run: what Firebreak has that the source does not name, which an import keeps. */
  kept: { kind: string; name: string }[];
  unmapped: Unmapped[];
  cutOver: CutOverRow[];
  onCall: OnCallCheck;
};

export const vendorNames: Record<Vendor, string> = {
  pagerduty: "PagerDuty",
  opsgenie: "Opsgenie",
  "grafana-oncall": "Grafana OnCall",
};

/** Which of GET /intake-endpoints' URLs an old integration's senders move to. */
function intakeNames(vendor: Vendor, type: string): string[] {
  if (vendor === "opsgenie") return ["opsgenie"];
  if (vendor === "grafana-oncall") {
    if (/formatted_webhook/.test(type)) return ["formattedWebhook"];
    // OnCall's raw webhook has no drop-in twin: Firebreak's generic webhook maps its fields.
    return type === "webhook" ? ["generic"] : ["grafanaAlerting"];
  }
  if (/events_api_v2/.test(type)) return ["eventsV2"];
  if (/generic_events_api/.test(type)) return ["eventsV1"];
  return ["eventsV2", "generic"];
}

export type SourceFlags = { baseUrl?: string; token?: string; fromDir?: string };

/** The API (`--base-url`, `--token`) or a directory (`--from-dir`), never both. */
export function sourceFor(importer: Importer, flags: SourceFlags): JsonSource {
  if (flags.fromDir !== undefined) {
    if (flags.baseUrl !== undefined || flags.token !== undefined)
      throw new UsageError("--from-dir reads files: it takes no --base-url or --token");
    return directorySource(flags.fromDir);
  }
  if (flags.token === undefined)
    throw new UsageError(
      `give --token TOKEN (and --base-url URL, default ${importer.defaultBaseUrl}) or --from-dir DIR`,
    );
  return httpSource(flags.baseUrl ?? importer.defaultBaseUrl, importer.authHeaders(flags.token), {
    onWait: (ms, url) =>
      process.stderr.write(
        `${vendorNames[importer.vendor]} asked to slow down: waiting ${Math.ceil(ms / 1000)} s before GET ${url}\n`,
      ),
  });
}

/** Who is on call in the server's schedules over the window, people by email (or username). */
async function serverShifts(
  api: Api,
  names: Set<string>,
  window: CheckWindow,
): Promise<Map<string, RefShift[]>> {
  const { users } = await api.request<{ users: { id: number; username: string; email: string | null }[] }>(
    "GET",
    "/users",
  );
  const refOf = new Map(users.map((u) => [u.id, u.email ?? u.username]));
  const { schedules } = await api.request<{ schedules: { id: number; name: string }[] }>("GET", "/schedules");
  const out = new Map<string, RefShift[]>();
  for (const s of schedules) {
    if (!names.has(s.name)) continue;
    const { shifts } = await api.request<{ shifts: { userId: number; start: string; end: string }[] }>(
      "GET",
      `/schedules/${s.id}/shifts`,
      undefined,
      { from: window.from.toISOString(), until: window.until.toISOString() },
    );
    out.set(
      s.name,
      shifts.map((x) => ({
        user: refOf.get(x.userId) ?? `user #${x.userId}`,
        start: new Date(x.start),
        end: new Date(x.end),
      })),
    );
  }
  return out;
}

function checked(document: ConfigDocument, vendor: Vendor): ConfigDocument {
  const parsed = configDocument.safeParse(document);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join(".")}: ${i.message}`);
  throw new CliError(`the ${vendorNames[vendor]} importer made an invalid document: ${problems.join("; ")}`);
}

/** Reads, plans or applies, and checks on-call; `now` is the time the import treats as the present. */
export async function runImport(
  api: Api,
  importer: Importer,
  source: JsonSource,
  opts: { dryRun: boolean; now: Date },
): Promise<ImportReport> {
  const window = checkWindow(opts.now);
  let result: Awaited<ReturnType<Importer["read"]>>;
  try {
    result = await importer.read(source, window);
  } catch (err) {
    if (err instanceof SourceError)
      throw new CliError(`reading ${vendorNames[importer.vendor]}: ${err.message}`);
    throw err;
  }
  const document = checked(result.document, importer.vendor);
  const endpoints = await api.request<Record<string, string>>("GET", "/intake-endpoints");
  let changes: Change[];
  let kept: ImportReport["kept"] = [];
  let issued: IssuedKey[] = [];
  if (opts.dryRun) {
    const plan = await api.request<{ changes: Change[]; kept?: ImportReport["kept"] }>(
      "POST",
      "/config/plan",
      {
        document,
      },
    );
    changes = plan.changes;
    kept = plan.kept ?? [];
  } else {
    const applied = await api.request<{ changes: Change[]; issuedKeys?: IssuedKey[] }>(
      "POST",
      "/config/apply",
      {
        document,
      },
    );
    changes = applied.changes;
    issued = applied.issuedKeys ?? [];
  }

  const cutOver: CutOverRow[] = result.cutOver.map((c) => {
    const key = issued.find((k) => k.service === c.service && k.integration === c.integration);
    const urls = intakeNames(importer.vendor, c.source.type).flatMap((n) => {
      const url = endpoints[n];
      return url ? [key ? url.replace("{key}", key.key) : url] : [];
    });
    const status = opts.dryRun ? "issued on apply" : key ? "issued" : "already issued";
    return { ...c, status, ...(key ? { key: key.key } : {}), urls };
  });

  const names = new Set(result.onCall.flatMap((o) => o.schedules));
  const firebreak = opts.dryRun ? documentShifts(document, window) : await serverShifts(api, names, window);
  return {
    vendor: importer.vendor,
    origin: source.origin,
    dryRun: opts.dryRun,
    window: { from: window.from.toISOString(), until: window.until.toISOString() },
    changes,
    kept,
    unmapped: result.unmapped,
    cutOver,
    onCall: compareOnCall(result.onCall, firebreak, window),
  };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The report as a person reads it: plan or changes, what was not imported, the cut-over, the check. */
export function formatReport(r: ImportReport): string {
  const vendor = vendorNames[r.vendor];
  const out: string[] = [
    `${vendor} import from ${r.origin}${r.dryRun ? " (dry run: nothing was changed)" : ""}`,
    "",
  ];
  if (r.changes.length === 0)
    out.push(
      r.dryRun ? "Plan: no changes, Firebreak already matches." : "No changes: Firebreak already matched.",
    );
  else {
    out.push(`${r.dryRun ? "Plan" : "Changed"}: ${plural(r.changes.length, "change")}`);
    out.push(
      table(
        ["ACTION", "KIND", "NAME", "FIELDS"],
        r.changes.map((c) => [c.action, c.kind, c.name, (c.fields ?? []).join(", ")]),
      ),
    );
  }
  if (r.kept.length)
    out.push(
      `Kept: ${plural(r.kept.length, "object")} Firebreak has and ${vendor} does not name (an import never removes anything).`,
    );
  out.push("");
  if (r.unmapped.length === 0) out.push("Everything was imported.");
  else {
    out.push(`Not imported, or not as in ${vendor} (${r.unmapped.length}):`);
    out.push(
      table(
        ["KIND", "NAME", "ID", "REASON"],
        r.unmapped.map((u) => [u.kind, u.name, u.id, u.reason]),
      ),
    );
  }
  out.push("");
  if (r.cutOver.length === 0) out.push("Cut-over: no integrations.");
  else {
    out.push(
      `Cut-over: point each old integration's senders at the new key (${plural(r.cutOver.length, "integration")})`,
    );
    // The old URL is shown where the vendor gives it, so each sender can be found by what it posts to.
    const links = r.cutOver.some((c) => c.source.link);
    out.push(
      table(
        [
          `${vendor.toUpperCase()} INTEGRATION`,
          "TYPE",
          ...(links ? ["SENDS TO NOW"] : []),
          "→ SERVICE / KEY",
          "NEW KEY",
          "SEND TO",
        ],
        r.cutOver.map((c) => [
          `${c.source.name} (${c.source.id})`,
          c.source.type,
          ...(links ? [c.source.link ?? ""] : []),
          `${c.service} / ${c.integration}`,
          c.key ?? c.status,
          c.urls.join("  "),
        ]),
      ),
    );
    if (r.cutOver.some((c) => c.key))
      out.push("New keys are shown only now: store them before closing this window.");
  }
  out.push("");
  const check = r.onCall;
  const span = `${when(r.window.from)} – ${when(r.window.until)}`;
  for (const name of check.missing) out.push(`on call: schedule ${JSON.stringify(name)} is not in Firebreak`);
  if (check.mismatches.length === 0 && check.missing.length === 0) {
    out.push(
      `on call matches the source for all ${check.hours} hours of ${plural(check.schedules, "schedule")} (${span})`,
    );
  } else if (check.mismatches.length) {
    const hours = new Set(check.mismatches.map((m) => m.hour.getTime())).size;
    out.push(`on call differs from the source in ${plural(hours, "hour")} of ${check.hours} (${span}):`);
    out.push(
      table(
        ["SCHEDULE", "HOUR", `${vendor.toUpperCase()}`, "FIREBREAK"],
        check.mismatches.map((m) => [
          m.schedule,
          when(m.hour.toISOString()),
          m.source.join(", ") || "nobody",
          m.firebreak.join(", ") || "nobody",
        ]),
      ),
    );
  }
  return out.join("\n");
}

/** Whether the check failed: some hour differs, or a schedule is missing. */
export const onCallFailed = (r: ImportReport) =>
  r.onCall.mismatches.length > 0 || r.onCall.missing.length > 0;
