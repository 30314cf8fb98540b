/** `firebreak import pagerduty|opsgenie|grafana-oncall` (src/importers). */
import { formatReport, onCallFailed, runImport, sourceFor, vendorNames } from "../importers/run.ts";
import type { Vendor } from "../importers/types.ts";
import { importers } from "../importers/vendors.ts";
import { type Command, instant } from "./args.ts";
import { UsageError } from "./client.ts";

const vendors = Object.keys(vendorNames) as Vendor[];

export const importCommands: Record<string, Command> = {
  import: {
    summary: [
      "import the set-up of PagerDuty, Opsgenie or Grafana OnCall (dry run: print the plan)",
      "Reads the vendor's REST API or a directory of the JSON it returns, applies it (never removing",
      "anything), lists what could not be imported and why, the old integrations beside their new",
      "keys, and checks who is on call hour by hour for 4 weeks against the source: exit 1 when it differs.",
    ].join("\n"),
    args: ["VENDOR"],
    synopsis: [
      "pagerduty|opsgenie|grafana-oncall (--base-url URL --token TOKEN | --from-dir DIR) [--dry-run] [--at TIME] [--json]",
    ],
    flags: {
      "base-url": { value: "URL", help: "the vendor's API (default: its public API)" },
      token: { value: "TOKEN", help: "an API token of the vendor's account (read access is enough)" },
      "from-dir": { value: "DIR", help: "read the JSON files the vendor's API returned from DIR instead" },
      "dry-run": { help: "print the plan and the checks; change nothing" },
      at: {
        value: "TIME",
        help: "treat TIME (ISO) as now: what has ended, and the 4 weeks checked (default: now)",
      },
    },
    async run(c) {
      const name = c.must("VENDOR");
      const vendor = vendors.find((v) => v === name);
      if (!vendor)
        throw new UsageError(`VENDOR must be one of ${vendors.join(", ")}, not ${JSON.stringify(name)}`);
      const importer = importers[vendor];
      if (!importer)
        throw new UsageError(`importing from ${vendorNames[vendor]} is not available in this version`);
      const source = sourceFor(importer, {
        baseUrl: c.opt("base-url"),
        token: c.opt("token"),
        fromDir: c.opt("from-dir"),
      });
      const at = c.opt("at");
      const report = await runImport(c.api, importer, source, {
        dryRun: c.has("dry-run"),
        now: at === undefined ? new Date() : new Date(instant(at)),
      });
      await c.print(report, () => formatReport(report));
      return onCallFailed(report) ? 1 : 0;
    },
  },
};
