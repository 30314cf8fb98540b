/** `firebreak config export|plan|apply`: the set-up as a YAML document (src/config). */
import type { Command } from "./args.ts";

export const configCommands: Record<string, Command> = {};
