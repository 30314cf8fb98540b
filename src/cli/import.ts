/** `firebreak import pagerduty|opsgenie|grafana-oncall` (src/importers). */
import type { Command } from "./args.ts";

export const importCommands: Record<string, Command> = {};
