/**
 * What a browser downloads to show each screen of the web app first: the entries (the app's and
 * early.ts), the chunks index.html preloads for the home screen (every page loads them), the
 * screen's lazily loaded chunk and everything they import, gzipped. Run after `vite build` (npm
 * run build:web does); fails when a first load passes the budget, so a heavy dependency is noticed.
 */
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const BUDGET_BYTES = 250 * 1024;
const dist = new URL("../web/dist/", import.meta.url);

type Chunk = { file: string; isEntry?: boolean; isDynamicEntry?: boolean; imports?: string[]; src?: string };
type Manifest = Record<string, Chunk>;

/** `preloaded`: the files index.html preloads besides the entries' own imports. */
export function firstLoads(manifest: Manifest, sizeOf: (file: string) => number, preloaded: string[] = []) {
  const closure = (key: string, into = new Set<string>()): Set<string> => {
    const chunk = manifest[key];
    if (!chunk || into.has(chunk.file)) return into;
    into.add(chunk.file);
    for (const imported of chunk.imports ?? []) closure(imported, into);
    return into;
  };
  const total = (files: Set<string>) => [...files].reduce((sum, f) => sum + sizeOf(f), 0);
  const entryKeys = Object.keys(manifest).filter((k) => manifest[k]?.isEntry);
  if (!entryKeys.length) throw new Error("the manifest names no entry chunk: is web/dist a Vite build?");
  const entry = new Set<string>(preloaded);
  for (const key of entryKeys) closure(key, entry);
  const screens = Object.entries(manifest)
    .filter(([, c]) => c.isDynamicEntry)
    .map(([key]) => ({ screen: key, bytes: total(closure(key, new Set(entry))) }))
    .sort((a, b) => b.bytes - a.bytes);
  return { entry: total(entry), screens };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const manifest = JSON.parse(readFileSync(new URL(".vite/manifest.json", dist), "utf8")) as Manifest;
  const sizeOf = (file: string) => gzipSync(readFileSync(new URL(file, dist)), { level: 9 }).length;
  const html = readFileSync(new URL("index.html", dist), "utf8");
  const preloaded = [...html.matchAll(/<link rel="modulepreload"[^>]* href="\/([^"]+)"/g)].map(
    (m) => m[1] ?? "",
  );
  const { entry, screens } = firstLoads(manifest, sizeOf, preloaded);
  const kb = (n: number) => `${(n / 1024).toFixed(1)} kB`;
  process.stdout.write(`web app first load (JS, gzip): entry ${kb(entry)}\n`);
  for (const s of screens) process.stdout.write(`  ${s.screen.padEnd(44)} ${kb(s.bytes)}\n`);
  const worst = screens[0];
  if (worst && worst.bytes > BUDGET_BYTES) {
    process.stderr.write(
      `the first load of ${worst.screen} is ${kb(worst.bytes)}, over the budget of ${kb(BUDGET_BYTES)}: split it or drop a dependency\n`,
    );
    process.exit(1);
  }
}
