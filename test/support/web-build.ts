/**
 * Tests of the served web app need a real build. This makes one when web/dist is missing or older
 * than the app's sources, and otherwise leaves it alone (a build takes a few seconds). It builds
 * into a folder of its own and moves it into place, so a server reading web/dist never sees half
 * a build, and two test runs building at once do not write into each other's files.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const web = fileURLToPath(new URL("../../web/", import.meta.url));
export const distDir = path.join(web, "dist");

function newestUnder(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestUnder(full) : statSync(full).mtimeMs);
  }
  return newest;
}

export function webBuildIsStale(): boolean {
  const index = path.join(distDir, "index.html");
  if (!existsSync(index)) return true;
  const sources = Math.max(
    newestUnder(path.join(web, "src")),
    newestUnder(path.join(web, "public")),
    statSync(path.join(web, "index.html")).mtimeMs,
    statSync(path.join(web, "vite.config.ts")).mtimeMs,
  );
  return statSync(index).mtimeMs < sources;
}

export function ensureWebBuild(): void {
  if (!webBuildIsStale()) return;
  const out = path.join(web, `.dist-build-${process.pid}`);
  const vite = fileURLToPath(new URL("../../node_modules/vite/bin/vite.js", import.meta.url));
  try {
    execFileSync(
      process.execPath,
      [vite, "build", "--config", path.join(web, "vite.config.ts"), "--outDir", out, "--logLevel", "warn"],
      // Vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
      { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, NODE_ENV: "production" } },
    );
    rmSync(distDir, { recursive: true, force: true });
    renameSync(out, distDir);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
