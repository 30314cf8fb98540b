/**
 * `firebreak review show|export|edit|complete|reopen ID`: the post-incident review from the
 * terminal (docs/reviews.md). `edit` saves a file as a new version on top of the version it read,
 * so a concurrent edit is refused (409) instead of lost.
 */
import { readFileSync } from "node:fs";
import type { ReviewView } from "../reviews/routes.ts";
import { type Call, type Command, id } from "./args.ts";
import { UsageError } from "./client.ts";
import { when } from "./format.ts";

const actions = ["show", "export", "edit", "complete", "reopen"] as const;

function summary(r: ReviewView): string {
  const lines = [
    `review of #${r.incidentId}: ${r.required ? `required (${r.reason})` : "not required"}, ${r.completedAt ? `completed ${when(r.completedAt)}` : "not complete"}`,
    `owner: ${r.ownerId === null ? "nobody" : `user ${r.ownerId}`}; due: ${r.dueAt ? when(r.dueAt) : "no date"}${r.overdue ? " (overdue)" : ""}`,
    `version ${r.version}${r.generated ? " (generated draft)" : ""}`,
    ...r.correctiveActions.map(
      (c) =>
        `corrective #${c.id} ${c.title}${c.vagueReasons.length ? ` [flagged: ${c.vagueReasons.join("; ")}]` : ""}`,
    ),
  ];
  return lines.join("\n");
}

async function run(c: Call): Promise<number> {
  const action = c.must("ACTION");
  if (!(actions as readonly string[]).includes(action))
    throw new UsageError(`unknown action ${JSON.stringify(action)}; expected one of ${actions.join(", ")}`);
  const path = `/incidents/${id(c.must("ID"))}/review`;
  if (action === "show") {
    const r = await c.api.request<ReviewView>("GET", path);
    return c.print(r, () => summary(r));
  }
  if (action === "export") {
    const r = await c.api.request<ReviewView>("GET", path);
    return c.print(r, r.body.trimEnd());
  }
  if (action === "edit") {
    const file = c.opt("file");
    if (!file) throw new UsageError("missing --file PATH (the Markdown to save; - reads standard input)");
    const body = readFileSync(file === "-" ? 0 : file, "utf8");
    const version = c.opt("version") !== undefined ? Number(c.opt("version")) : undefined;
    if (version !== undefined && (!Number.isSafeInteger(version) || version < 0))
      throw new UsageError(`--version must be a whole number, not ${JSON.stringify(c.opt("version"))}`);
    const current = version ?? (await c.api.request<ReviewView>("GET", path)).version;
    const r = await c.api.request<ReviewView>("PUT", path, { body, version: current });
    return c.print(r, `#${r.incidentId}: review saved as version ${r.version}`);
  }
  const r = await c.api.request<ReviewView>("POST", `${path}/${action}`);
  return c.print(
    r,
    `#${r.incidentId}: review ${action === "complete" ? "completed; the incident may close" : "reopened"}`,
  );
}

export const reviewCommands: Record<string, Command> = {
  review: {
    summary: "The post-incident review: show, export (Markdown), edit --file, complete, reopen.",
    synopsis: [
      "show ID",
      "export ID               (the document as Markdown on standard output)",
      "edit ID --file PATH [--version N]   (- reads standard input; N: the version you edited)",
      "complete ID",
      "reopen ID",
    ],
    args: ["ACTION", "ID"],
    flags: {
      file: { value: "PATH", help: "edit: the Markdown to save as a new version (- for standard input)" },
      version: {
        value: "N",
        help: "edit: the version the file was edited from (default: the latest; a newer one saved since is refused)",
      },
    },
    run,
  },
};
