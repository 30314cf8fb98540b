/**
 * Builds the responders' web app into web/dist, which Firebreak serves at `/` (src/web/routes.ts).
 * `npm run dev:web` serves it with hot reload and sends /api to a Firebreak on localhost:8080.
 */
import react from "@vitejs/plugin-react";
import { defineConfig, type HtmlTagDescriptor, type Plugin } from "vite";

/** The first screen most visits open (`/` leads there): its code is preloaded by index.html. */
export const homeScreen = "src/screens/Incidents.tsx";

type Chunk = {
  type: "chunk";
  fileName: string;
  name: string;
  isEntry: boolean;
  facadeModuleId: string | null;
  imports: string[];
};

/**
 * Puts into index.html what the first screen needs before the app's entry has run: early.ts (the
 * first API requests), async and ahead of the entry, and `modulepreload` links for the home screen's
 * lazily loaded chunks, which the router would otherwise ask for only after the session answered.
 * Both are files of their own under /assets/, so the content security policy stays `'self'`.
 */
function firstScreen(): Plugin {
  return {
    name: "firebreak-first-screen",
    transformIndexHtml: {
      order: "post",
      handler(_html, ctx) {
        if (!ctx.bundle || !ctx.chunk) return;
        const chunks = Object.values(ctx.bundle).filter((c): c is Chunk & typeof c => c.type === "chunk");
        const early = chunks.find((c) => c.isEntry && c.name === "early");
        const home = chunks.find((c) => c.facadeModuleId?.endsWith(`/web/${homeScreen}`));
        if (!early || !home) throw new Error(`the build has no early.ts entry or no ${homeScreen} chunk`);
        const byFile = new Map(chunks.map((c) => [c.fileName, c]));
        const closure = (file: string, into = new Set<string>()): Set<string> => {
          if (into.has(file)) return into;
          into.add(file);
          for (const f of byFile.get(file)?.imports ?? []) closure(f, into);
          return into;
        };
        const entry = closure(ctx.chunk.fileName);
        const tags: HtmlTagDescriptor[] = [
          {
            tag: "script",
            attrs: { type: "module", async: true, crossorigin: true, src: `/${early.fileName}` },
            injectTo: "head-prepend",
          },
        ];
        for (const file of closure(home.fileName)) {
          if (entry.has(file)) continue;
          // Low: the entry, its styles and early.ts's requests come first on the few connections.
          tags.push({
            tag: "link",
            attrs: { rel: "modulepreload", crossorigin: true, fetchpriority: "low", href: `/${file}` },
            injectTo: "head",
          });
        }
        return tags;
      },
    },
  };
}

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react(), firstScreen()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // scripts/web-size.ts reads it to measure what the first screen loads.
    manifest: true,
    // No source maps in the served build: they would double what is kept in memory.
    sourcemap: false,
    rollupOptions: {
      input: { index: "index.html", early: "src/early.ts" },
    },
  },
  server: {
    proxy: { "/api": { target: process.env.FIREBREAK_URL ?? "http://localhost:8080" } },
  },
});
