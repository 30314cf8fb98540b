/** The `firebreak` command: `serve` and `migrate` run the server side; the rest talk to the API. */
import { clientCommands, runClientCommand, usage } from "./commands.ts";

/** Errors of the server's set-up (configuration, policy file) exit with EX_CONFIG. */
const setupErrors = new Set(["ConfigError", "PolicyError"]);

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (!command || command === "help" || command === "--help" || command === "-h") {
    process.stdout.write(usage());
    return command ? 0 : 2;
  }
  if (command === "serve" || command === "migrate") {
    // Loaded only here: client commands start faster without the server's modules.
    const { loadConfig } = await import("../platform/config.ts");
    const config = loadConfig();
    if (command === "serve") {
      const { serve } = await import("../server.ts");
      await serve(config);
      return -1; // keeps running until a signal
    }
    const { migrateOnly } = await import("./migrate.ts");
    await migrateOnly(config);
    return 0;
  }
  if (command in clientCommands) return runClientCommand(command, args);
  process.stderr.write(`firebreak: unknown command ${JSON.stringify(command)}\n\n${usage()}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    if (err instanceof Error && setupErrors.has(err.name)) {
      process.stderr.write(`firebreak: ${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    process.stderr.write(`firebreak: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
