/**
 * Builds the responders' web app into web/dist, which Firebreak serves at `/` (src/web/routes.ts).
 * `npm run dev:web` serves it with hot reload and sends /api to a Firebreak on localhost:8080.
 */
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // scripts/web-size.ts reads it to measure what the first screen loads.
    manifest: true,
    // No source maps in the served build: they would double what is kept in memory.
    sourcemap: false,
  },
  server: {
    proxy: { "/api": { target: process.env.FIREBREAK_URL ?? "http://localhost:8080" } },
  },
});
