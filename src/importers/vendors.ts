/** The importers by the vendor name `firebreak import` takes. Each vendor's module adds its line. */
import { grafanaOnCallImporter } from "./grafana-oncall.ts";
import { opsgenieImporter } from "./opsgenie.ts";
import { pagerdutyImporter } from "./pagerduty.ts";
import type { Importer, Vendor } from "./types.ts";

export const importers: Partial<Record<Vendor, Importer>> = {
  pagerduty: pagerdutyImporter,
  opsgenie: opsgenieImporter,
  "grafana-oncall": grafanaOnCallImporter,
};
