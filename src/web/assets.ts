/**
 * The built web app (web/dist) held in memory: every file's bytes, compressed once with gzip and
 * brotli, with an ETag. The whole build is a few hundred kilobytes, so holding it costs little and
 * every request is answered without touching the disk or compressing again.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

export type Asset = {
  body: Buffer;
  br?: Buffer;
  gzip?: Buffer;
  contentType: string;
  etag: string;
  /** Vite names files under assets/ by their content's hash, so they never change under one name. */
  immutable: boolean;
};

export type WebBuild = { index: Asset; files: Map<string, Asset> };

const types: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".webmanifest": "application/manifest+json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".txt": "text/plain; charset=utf-8",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
};
const compressible = new Set([".html", ".js", ".mjs", ".css", ".json", ".webmanifest", ".svg", ".txt"]);
/** Below this, compression saves less than the headers it adds. */
const MIN_COMPRESS_BYTES = 512;

async function filesUnder(dir: string, prefix = ""): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    // Dot entries (Vite's .vite/manifest.json) are for the build's own tools, not for browsers.
    entries
      .filter((e) => !e.name.startsWith("."))
      .map((e) =>
        e.isDirectory() ? filesUnder(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
      ),
  );
  return nested.flat();
}

async function loadAsset(file: string, relative: string): Promise<Asset> {
  const body = await readFile(file);
  const ext = path.extname(file).toLowerCase();
  const asset: Asset = {
    body,
    contentType: types[ext] ?? "application/octet-stream",
    etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`,
    immutable: relative.startsWith("assets/"),
  };
  if (compressible.has(ext) && body.length >= MIN_COMPRESS_BYTES) {
    [asset.br, asset.gzip] = await Promise.all([
      brotli(body, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
          [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
        },
      }),
      gzipAsync(body, { level: constants.Z_BEST_COMPRESSION }),
    ]);
  }
  return asset;
}

/** Reads a build; null when there is none (no index.html), so the caller can say how to make one. */
export async function loadWebBuild(dir: string): Promise<WebBuild | null> {
  let names: string[];
  try {
    names = await filesUnder(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  if (!names.includes("index.html")) return null;
  // Precompressed copies a build may leave beside the files are not served as files of their own.
  const served = names.filter((n) => !n.endsWith(".gz") && !n.endsWith(".br"));
  const assets = await Promise.all(served.map((n) => loadAsset(path.join(dir, n), n)));
  const files = new Map(served.map((n, i) => [`/${n}`, assets[i]!]));
  return { index: files.get("/index.html")!, files };
}

/** The encoding to send: brotli when the client takes it, else gzip, else none. */
export function pickEncoding(acceptEncoding: string | undefined, asset: Asset): "br" | "gzip" | null {
  const accepted = new Map<string, number>();
  for (const part of (acceptEncoding ?? "").toLowerCase().split(",")) {
    const [name, ...params] = part.trim().split(";");
    if (!name) continue;
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    accepted.set(name, q === undefined ? 1 : Number(q));
  }
  const takes = (name: string) => (accepted.get(name) ?? accepted.get("*") ?? 0) > 0;
  if (asset.br && takes("br")) return "br";
  if (asset.gzip && takes("gzip")) return "gzip";
  return null;
}
