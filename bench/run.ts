/**
 * `npm run bench -- <name> [options]` runs the exported `run(args)` of `bench/<name>.ts`.
 * Without a name it lists the benchmarks; every other file here (run.ts, lib.ts) is not one.
 */
import { readdirSync } from "node:fs";

type Benchmark = { run(args: string[]): Promise<void>; description?: string };

const notBenchmarks = new Set(["run", "lib"]);
const here = new URL("./", import.meta.url);

function names(): string[] {
  return readdirSync(here)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && !f.endsWith(".d.ts"))
    .map((f) => f.slice(0, -3))
    .filter((n) => !notBenchmarks.has(n))
    .sort();
}

const load = (name: string) => import(new URL(`${name}.ts`, here).href) as Promise<Benchmark>;

async function list(): Promise<string> {
  const lines = ["usage: npm run bench -- <name> [options]   (options: npm run bench -- <name> --help)", ""];
  lines.push("benchmarks:");
  for (const name of names()) lines.push(`  ${name.padEnd(16)} ${(await load(name)).description ?? ""}`);
  return `${lines.join("\n")}\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === "--help" || name === "-h") {
    process.stdout.write(await list());
    return 0;
  }
  if (!names().includes(name)) {
    process.stderr.write(`bench: unknown benchmark ${JSON.stringify(name)}\n\n${await list()}`);
    return 2;
  }
  await (await load(name)).run(args);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
