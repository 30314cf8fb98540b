/**
 * The schedule editor's part of `npm run bench -- webapp`: its first load (cold, a new context
 * each time) until the preview of the final schedule is on screen, the JS it loaded for that, and
 * how long the preview takes to compute and render in the browser for a 3-layer, 10-person
 * schedule over 12 weeks — on load, and again after an edit (a participant moved). The preview
 * measures itself (the performance entry "schedule-preview", web/src/screens/schedules/
 * SchedulePreview.tsx); this reads it through page.evaluate. A subfolder, so bench/run.ts does not
 * list it as a benchmark of its own.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { type HttpClient, summarize } from "../lib.ts";

const TIMEOUT_MS = 15_000;
const viewport = { width: 1280, height: 800 };

export type EditorSample = {
  /** Navigation start → the first preview rendered (its measure's end). */
  screen: number;
  /** The first preview: computing and rendering, ms. */
  preview: number;
  /** The preview again after moving a participant, ms. */
  previewAfterEdit: number;
  jsFiles: { path: string; transfer: number; decoded: number }[];
};

type Entry = {
  name: string;
  startTime: number;
  duration: number;
  responseEnd: number;
  transferSize: number;
  decodedBodySize: number;
};
type BenchWindow = {
  performance: {
    getEntriesByName(name: string): Entry[];
    getEntriesByType(type: "resource"): Entry[];
  };
};

function ok(r: { status: number; body: string }, status: number, what: string) {
  if (r.status !== status)
    throw new Error(`${what}: expected HTTP ${status}, got ${r.status}: ${r.body.slice(0, 300)}`);
  return JSON.parse(r.body) as Record<string, unknown>;
}

/**
 * Ten people and one schedule of three layers: all ten weekly in Berlin; the same ten daily on
 * weekdays 09:00–17:00 in New York; and twelve-hour shifts on weekends in Kolkata.
 */
export async function seedSchedule(admin: HttpClient): Promise<{ id: number; firstName: string }> {
  const ids: number[] = [];
  for (let i = 1; i <= 10; i++) {
    const username = `oncall-${String(i).padStart(2, "0")}`;
    const u = ok(
      await admin.request("POST", "/api/v1/users", {
        username,
        name: `On-call Person ${i}`,
        role: "responder",
      }),
      201,
      `creating ${username}`,
    );
    ids.push(u.id as number);
  }
  const rotated = (k: number) => [...ids.slice(k), ...ids.slice(0, k)];
  const s = ok(
    await admin.request("POST", "/api/v1/schedules", {
      name: "Bench: 3 layers, 10 people",
      timeZone: "Europe/Berlin",
      layers: [
        {
          name: "weekly",
          timeZone: "Europe/Berlin",
          participants: ids,
          shiftLength: { unit: "weeks", count: 1 },
          start: "2026-01-05T09:00",
        },
        {
          name: "business hours",
          timeZone: "America/New_York",
          participants: rotated(3),
          shiftLength: { unit: "days", count: 1 },
          start: "2026-01-05T09:00",
          restrictions: [{ days: [1, 2, 3, 4, 5], start: "09:00", end: "17:00" }],
        },
        {
          name: "weekends",
          timeZone: "Asia/Kolkata",
          participants: rotated(6),
          shiftLength: { unit: "hours", count: 12 },
          start: "2026-01-03T08:00",
          restrictions: [{ days: [6, 7], start: "00:00", end: "00:00" }],
        },
      ],
    }),
    201,
    "creating the bench schedule",
  );
  return { id: s.id as number, firstName: "On-call Person 1" };
}

async function previews(page: Page, count: number): Promise<{ startTime: number; duration: number }[]> {
  await page.waitForFunction(
    (n) =>
      (globalThis as unknown as BenchWindow).performance.getEntriesByName("schedule-preview").length >= n,
    count,
    { polling: "raf", timeout: TIMEOUT_MS },
  );
  return page.evaluate(() =>
    (globalThis as unknown as BenchWindow).performance
      .getEntriesByName("schedule-preview")
      .map((e) => ({ startTime: e.startTime, duration: e.duration })),
  );
}

/** One cold load of /schedules/{id} in a new context, then one edit. */
export async function loadEditor(
  browser: Browser,
  target: {
    base: string;
    storageState: Awaited<ReturnType<BrowserContext["storageState"]>>;
    id: number;
    firstName: string;
  },
): Promise<EditorSample> {
  const context = await browser.newContext({
    baseURL: target.base,
    viewport,
    storageState: target.storageState,
  });
  try {
    context.setDefaultTimeout(TIMEOUT_MS);
    const page = await context.newPage();
    await page.goto(`/schedules/${target.id}`, { waitUntil: "commit" });
    const [first] = await previews(page, 1);
    if (!first) throw new Error("the schedule editor measured no preview");
    const screen = first.startTime + first.duration;
    const jsFiles = await page.evaluate(
      (until) =>
        (globalThis as unknown as BenchWindow).performance
          .getEntriesByType("resource")
          .filter((r) => r.responseEnd <= until && new URL(r.name).pathname.endsWith(".js"))
          .map((r) => ({
            path: new URL(r.name).pathname,
            transfer: r.transferSize,
            decoded: r.decodedBodySize,
          })),
      screen,
    );
    const before = (await previews(page, 1)).length;
    await page
      .getByRole("button", { name: `Move ${target.firstName} down` })
      .first()
      .click();
    const after = await previews(page, before + 1);
    const edit = after.at(-1);
    return { screen, preview: first.duration, previewAfterEdit: edit?.duration ?? Number.NaN, jsFiles };
  } finally {
    await context.close();
  }
}

export function editorStats(samples: EditorSample[]) {
  return {
    loads: samples.length,
    firstScreen: summarize(samples.map((s) => s.screen)),
    preview: summarize(samples.map((s) => s.preview)),
    previewAfterEdit: summarize(samples.map((s) => s.previewAfterEdit)),
  };
}
