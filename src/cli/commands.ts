/**
 * The `firebreak` client commands: a table of command specs (reads.ts, oncall.ts, writes.ts,
 * pages.ts, policy.ts), each naming its arguments and flags; args.ts parses a command line against a spec,
 * client.ts talks HTTP.
 */
import { type Command, commandHelp, parse, synopsis, write } from "./args.ts";
import { CliError, connect, defaultUrl, UsageError } from "./client.ts";
import { statusPageCommands } from "./components.ts";
import { configCommands } from "./config.ts";
import { contactCommands } from "./contacts.ts";
import { customerCommands } from "./customers.ts";
import { escalationCommands } from "./escalation.ts";
import { importCommands } from "./import.ts";
import { oncallCommands } from "./oncall.ts";
import { pageReadCommands, pageWriteCommands } from "./pages.ts";
import { policyCommands } from "./policy.ts";
import { readCommands } from "./reads.ts";
import { reviewCommands } from "./reviews.ts";
import { scheduleCommands } from "./schedules.ts";
import { serviceCommands } from "./services.ts";
import { systemCommands } from "./systems.ts";
import { userCommands } from "./users.ts";
import { writeCommands } from "./writes.ts";

const reads: Record<string, Command> = {
  ...readCommands,
  ...oncallCommands,
  ...pageReadCommands,
  ...policyCommands,
};
const writes: Record<string, Command> = {
  ...writeCommands,
  ...pageWriteCommands,
  ...statusPageCommands,
  ...contactCommands,
  ...escalationCommands,
  ...userCommands,
  ...serviceCommands,
  ...scheduleCommands,
  ...systemCommands,
  ...reviewCommands,
  ...customerCommands,
  ...configCommands,
  ...importCommands,
};
const commands: Record<string, Command> = { ...reads, ...writes };

export const clientCommands: Readonly<Record<string, Command>> = commands;

export function usage(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length), "migrate".length);
  const line = (name: string, summary: string) => `  ${name.padEnd(width)}  ${summary.split("\n")[0]}`;
  return [
    "usage: firebreak <command> [arguments] [--json]",
    "",
    "Read (through the API):",
    ...Object.entries(reads).map(([name, cmd]) => line(name, cmd.summary)),
    "",
    "Act (through the API):",
    ...Object.entries(writes).map(([name, cmd]) => line(name, cmd.summary)),
    "",
    "Server:",
    line("serve", "run the Firebreak server"),
    line("migrate", "apply database migrations and exit"),
    "",
    `Environment: FIREBREAK_URL (default ${defaultUrl}), FIREBREAK_TOKEN (an API token).`,
    "`firebreak <command> --help` shows a command's flags. Exit codes: 0 ok, 1 failed, 2 usage, 3 gate blocked.",
    "",
  ].join("\n");
}

export async function runClientCommand(command: string, args: string[]): Promise<number> {
  const cmd = Object.hasOwn(commands, command) ? commands[command] : undefined;
  if (!cmd) {
    await write(process.stderr, `firebreak: unknown command ${JSON.stringify(command)}\n\n${usage()}`);
    return 2;
  }
  try {
    const call = parse(cmd, args, connect(), process.stdout);
    if (call === "help") {
      await write(process.stdout, commandHelp(command, cmd));
      return 0;
    }
    return await cmd.run(call);
  } catch (err) {
    if (err instanceof UsageError) {
      const lines = synopsis(command, cmd).map((s) => `usage: ${s}`);
      await write(process.stderr, `firebreak ${command}: ${err.message}\n${lines.join("\n")}\n`);
      return 2;
    }
    if (err instanceof CliError) {
      await write(process.stderr, `firebreak: ${err.message}`);
      return 1;
    }
    throw err;
  }
}
