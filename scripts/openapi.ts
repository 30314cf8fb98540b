/**
 * Writes docs/api/openapi.json from the route schemas. A test fails when the checked-in file is
 * stale, so the reference cannot drift from the code: run `npm run openapi` after changing a route.
 */
import { writeFileSync } from "node:fs";
import { buildApp } from "../src/app.ts";
import { systemClock } from "../src/platform/clock.ts";
import { openDatabase } from "../src/platform/db.ts";
import { createLogger } from "../src/platform/logger.ts";
import { loadPolicy } from "../src/policy/load.ts";

export const openapiFile = new URL("../docs/api/openapi.json", import.meta.url);

/** The OpenAPI document as checked in (building the app does not touch the database). */
export async function renderOpenApi(): Promise<string> {
  const database = openDatabase("postgres://unused@127.0.0.1:1/none", 1);
  const { app } = await buildApp({
    database,
    clock: systemClock,
    policy: loadPolicy(),
    log: createLogger("silent"),
    bodyLimitBytes: 1024,
  });
  const text = `${JSON.stringify(app.swagger(), null, 2)}\n`;
  await app.close();
  await database.close();
  return text;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(openapiFile, await renderOpenApi());
  process.stdout.write(`wrote ${openapiFile.pathname}\n`);
}
