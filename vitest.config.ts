import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts", "web/src/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: "forks",
    // The files mostly wait on PostgreSQL, child servers and browsers, and each has its own
    // database: two at a time even on 2 CPUs, where vitest's default (CPUs − 1) would run one.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
