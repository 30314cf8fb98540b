/**
 * The status page's uptime bars in a real Chromium: days that read the same are one element
 * spanning grid columns (render.ts `dayRuns`), so the test checks that the page still looks like
 * one bar per day — every day the same width, on a desktop (90 days) and a phone (the last 30).
 */
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uptimeBars, uptimeCalendar } from "../../src/statuspage/model.ts";
import { renderPage } from "../../src/statuspage/render.ts";
import type { ComponentStatus, PageSnapshot } from "../../src/statuspage/types.ts";
import { browserTest, chromiumPath, desktop, phone } from "../support/browser.ts";
import { component } from "../support/statuspage.ts";

const now = new Date("2026-11-20T15:00:00Z");
const DAY = 86_400_000;

/** Three hours of partial outage on each of the given days back from today. */
const outages = (daysBack: number[]) =>
  daysBack.flatMap((d) => [
    { status: "partial_outage" as ComponentStatus, at: new Date(now.getTime() - d * DAY) },
    { status: "operational" as ComponentStatus, at: new Date(now.getTime() - d * DAY + 3 * 3_600_000) },
  ]);

function html(): string {
  const calendar = uptimeCalendar(now, "UTC");
  const bars = new Map([
    ["1", uptimeBars(outages([5, 40, 41, 70]), { now, timeZone: "UTC", calendar, initial: "operational" })],
    // Started 50 days ago: 40 days without data, then one run of green across the phone's edge.
    [
      "2",
      uptimeBars([], { now, timeZone: "UTC", calendar, initial: "operational", startDate: "2026-10-01" }),
    ],
    [
      "3",
      uptimeBars(outages([1, 2, 3, 29, 30, 31]), { now, timeZone: "UTC", calendar, initial: "operational" }),
    ],
  ]);
  const snapshot = {
    page: { name: "Acme", slug: "default", url: "http://status.test/status/default", timeZone: "UTC" },
    generatedAt: now,
    components: [component("1", "API"), component("2", "New thing"), component("3", "Search")],
    incidents: [],
    maintenances: [],
    securityIssue: false,
    history: [],
  } as unknown as PageSnapshot; // only the fields the page renders
  return renderPage(snapshot, { indicator: "none", description: "All Systems Operational" }, bars);
}

/** What the functions run in the page use of it (the project's types have no DOM). */
type ChartWindow = {
  getComputedStyle(element: unknown): { display: string };
  Image: new () => { src: string; width: number; height: number; decode(): Promise<void> };
  document: {
    createElement(tag: "canvas"): {
      width: number;
      height: number;
      getContext(kind: "2d"): {
        drawImage(image: unknown, x: number, y: number): void;
        getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
      } | null;
    };
  };
};

type Drawn = { days: number; left: number; width: number };

/** The visible elements of each bar chart: the days each covers, where it is drawn. */
function drawn(page: Page): Promise<Drawn[][]> {
  return page.$$eval("ol.bars", (lists) =>
    lists.map((ol) =>
      [...ol.querySelectorAll("li")]
        .filter((li) => (globalThis as unknown as ChartWindow).getComputedStyle(li).display !== "none")
        .map((li) => {
          const r = li.getBoundingClientRect();
          const span = /span (\d+)/.exec(li.getAttribute("style") ?? "")?.[1];
          return { days: Number(span ?? 1), left: r.left, width: r.width };
        }),
    ),
  );
}

describe("status page uptime bars in Chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: chromiumPath() });
  }, browserTest.timeout);
  afterAll(async () => {
    await browser?.close();
  });

  for (const [name, viewport, days] of [
    ["a desktop", desktop, 90],
    ["a phone", phone, 30],
  ] as const) {
    it(`draws ${days} days of equal width on ${name}, runs of days included`, browserTest, async () => {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      await page.setContent(html());
      const charts = await drawn(page);
      expect(charts).toHaveLength(3);
      for (const chart of charts) {
        expect(chart.reduce((n, d) => n + d.days, 0)).toBe(days);
        const first = chart[0]!;
        const last = chart[chart.length - 1]!;
        const width = last.left + last.width - first.left;
        // Columns with a 2px gap between days: a run of n days is n columns and n − 1 gaps wide.
        const column = (width - (days - 1) * 2) / days;
        expect(column).toBeGreaterThan(3);
        let left = first.left;
        for (const d of chart) {
          expect(d.left).toBeCloseTo(left, 0);
          expect(d.width).toBeCloseTo(d.days * column + (d.days - 1) * 2, 0);
          left += d.width + 2;
        }
      }
      // Runs of one colour are drawn as separate days too: the overlay paints the 2px gaps in the
      // page's background. Read the pixels of the first chart's screenshot, day by day.
      const bar = page.locator("ol.bars").first();
      const png = (await bar.screenshot({ scale: "css" })).toString("base64");
      const chart = charts[0]!;
      const column = (chart.reduce((w, d) => w + d.width, 0) - (days - chart.length) * 2) / days;
      const pixels = await page.evaluate(
        async ({ png, column, days }) => {
          const { Image, document } = globalThis as unknown as ChartWindow;
          const img = new Image();
          img.src = `data:image/png;base64,${png}`;
          await img.decode();
          const canvas = document.createElement("canvas");
          canvas.width = img.width;
          canvas.height = img.height;
          const g = canvas.getContext("2d");
          if (!g) throw new Error("no 2d canvas");
          g.drawImage(img, 0, 0);
          const y = Math.floor(img.height / 2);
          const white = (x: number) => {
            const [r, gr, b] = g.getImageData(x, y, 1, 1).data;
            return r! > 230 && gr! > 230 && b! > 230;
          };
          const out: { day: boolean; gap: boolean }[] = [];
          for (let k = 0; k < days; k++) {
            const start = k * (column + 2);
            out.push({ day: !white(Math.floor(start + column / 2)), gap: white(Math.ceil(start + column)) });
          }
          return out;
        },
        { png, column, days },
      );
      expect(pixels.map((p) => p.day)).toEqual(Array(days).fill(true));
      // Every day but the last is followed by a gap.
      expect(pixels.slice(0, -1).map((p) => p.gap)).toEqual(Array(days - 1).fill(true));
      await context.close();
    });
  }
});
