/** The importers by the vendor name `firebreak import` takes. Each vendor's module adds its line. */
import { pagerdutyImporter } from "./pagerduty.ts";
import type { Importer, Vendor } from "./types.ts";

export const importers: Partial<Record<Vendor, Importer>> = {
  pagerduty: pagerdutyImporter,
};
