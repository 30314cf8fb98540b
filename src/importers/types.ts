/**
 * Importers (issue 19) translate another tool's set-up into a configuration document
 * (src/config/document.ts); applying that document is the import. Each vendor module reads the
 * vendor's REST API or a directory of the JSON it returns (source.ts), and says what it could not
 * translate and why, which old integrations became which new keys, and who the source has on call,
 * so the run (run.ts) can prove the imported schedules agree hour by hour.
 */
import type { ConfigDocument } from "../config/document.ts";
import type { JsonSource } from "./source.ts";

export type Vendor = "pagerduty" | "opsgenie" | "grafana-oncall";

/** Something in the source that has no place in Firebreak, never dropped silently. */
export type Unmapped = {
  /** What it is in the source's words: "user", "schedule layer", "escalation rule", "integration"… */
  kind: string;
  /** The source's id, and a name a person recognises. */
  id: string;
  name: string;
  /** Why it was not imported, and what to do instead when there is something. */
  reason: string;
};

/** An integration in the source and the Firebreak key that replaces it, for the cut-over list. */
export type CutOver = {
  /** The Firebreak service and the integration key's name in the document. */
  service: string;
  integration: string;
  /** `link`: the URL its senders post to today, where the vendor gives one (Grafana OnCall does). */
  source: { id: string; name: string; type: string; link?: string };
};

/** Who the source has on call in one of its schedules over the check's window. */
export type SourceOnCall = {
  source: { id: string; name: string };
  /** The Firebreak schedules this one became; their on-call people together are compared. */
  schedules: string[];
  /** The source's final (rendered) on-call shifts; `user` is the document's reference (email). */
  shifts: { user: string; start: Date; end: Date }[];
};

export type ImportResult = {
  document: ConfigDocument;
  unmapped: Unmapped[];
  cutOver: CutOver[];
  onCall: SourceOnCall[];
};

/** The span whose hours are compared: the next 4 weeks from the start of the run's hour. */
export type CheckWindow = { from: Date; until: Date };

export interface Importer {
  vendor: Vendor;
  /** The vendor's public API base URL, used when `--base-url` is not given. */
  defaultBaseUrl: string;
  /** The request headers that carry an API token the way the vendor expects it. */
  authHeaders(token: string): Record<string, string>;
  read(source: JsonSource, window: CheckWindow): Promise<ImportResult>;
}
