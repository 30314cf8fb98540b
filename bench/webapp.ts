import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { freePort } from "../src/platform/embedded.ts";
import { chromiumPath } from "../test/support/browser.ts";
import { ensureWebBuild, webBuildIsStale } from "../test/support/web-build.ts";
import {
  type BenchDatabase,
  type Child,
  Cleanup,
  type CpuGroups,
  type CpuShares,
  formatCpu,
  type HttpClient,
  httpClient,
  machine,
  ms,
  openBenchDatabase,
  positiveNumber,
  postmasterPid,
  runLoad,
  say,
  sourceVersion,
  spawnNode,
  startFirebreakServer,
  summarize,
  table,
  waitForOk,
} from "./lib.ts";
import { type EditorSample, editorStats, loadEditor, seedSchedule } from "./webapp/schedule-editor.ts";

export const description =
  "the web app's first screen (incidents list) and the schedule editor in Chromium, cold and warm, their first-load JS vs a bare node:http page, and the schedule preview's render time";

/** `firstScreenP90Ms`: issue 21's target for the incidents list, tighter than the 1 s of the first release. */
const targets = { coldP90Ms: 1000, firstScreenP90Ms: 300, jsGzipBytes: 250 * 1024, previewMs: 100 } as const;
const TIMEOUT_MS = 15_000;
const viewport = { width: 1280, height: 800 };

const usage = `usage: npm run bench -- webapp [options]
  --runs N        measured loads of each page (default 20), each cold then --reloads warm
  --warmup N      loads of each page before measuring, not counted (default 3)
  --reloads N     warm reloads after each cold load (default 2)
  --incidents N   incidents seeded through the API (default 50)
  --max-seconds S stop measuring after S seconds even if fewer runs were done (default 90)
  --editor-runs N cold loads of the schedule editor (3 layers, 10 people, 12 weeks previewed; default 10)
  --json          print the figures as JSON
`;

const loadedAt = performance.now();
const note = (line: string) =>
  say(`[${((performance.now() - loadedAt) / 1000).toFixed(0).padStart(3)} s] ${line}`);
const loadavg = () => os.loadavg().map((l) => Number(l.toFixed(2)));
const kB = (n: number) => `${(n / 1024).toFixed(1)} kB`;
const x = (v: number) => `${v.toFixed(2)}×`;

// -- Firebreak and the seeded list ----------------------------------------------------------------

const startFirebreak = (url: string, cleanup: Cleanup) => startFirebreakServer({ url, cleanup });

function ok(r: { status: number; body: string }, status: number, what: string) {
  if (r.status !== status)
    throw new Error(`${what}: expected HTTP ${status}, got ${r.status}: ${r.body.slice(0, 300)}`);
  return JSON.parse(r.body) as Record<string, unknown>;
}

const titles = [
  "Elevated 5xx on the REST API",
  "Checkout latency above its SLO",
  "Sign-in fails for some SSO users",
  "Webhook deliveries delayed",
  "Search results are stale",
  "CI runners stuck in pending",
  "Container registry pulls time out",
  "Background jobs backing up in the default queue",
  "Database replica lag over 5 minutes",
  "Object storage errors on uploads",
  "DNS resolution failures in one region",
  "Email notifications not sent",
  "Dashboard charts empty after deploy",
  "Rate limiting too aggressive for the GraphQL API",
  "Certificate expiry warning on the CDN",
  "Memory pressure on the API fleet",
  "Merge requests fail to load diffs",
  "Billing page shows wrong plan",
  "Pages deployments not published",
  "Git over SSH slow for large repositories",
  "Customer instance unreachable after maintenance",
  "Gameday: primary database failover",
  "Suspicious token use from an unknown network",
  "Feature flag rollout stuck at 10%",
  "Status page not updating",
];
const services = ["web", "api", "sidekiq", "gitaly", "registry", "pages", "redis", "patroni"];

/** Each state but merged, with how to get there after declaring (`active` starts in investigating). */
const plan: { state: string; count: number; declareAs: "triage" | "active"; path: string[] }[] = [
  { state: "triage", count: 6, declareAs: "triage", path: [] },
  { state: "investigating", count: 7, declareAs: "active", path: [] },
  { state: "fixing", count: 6, declareAs: "active", path: ["fixing"] },
  { state: "monitoring", count: 6, declareAs: "active", path: ["monitoring"] },
  { state: "resolved", count: 7, declareAs: "active", path: ["resolved"] },
  { state: "post-incident", count: 6, declareAs: "active", path: ["resolved", "post-incident"] },
  // S1 and S2 may close only 30 minutes after resolving (LC-5): closed ones are S3 or S4.
  { state: "closed", count: 7, declareAs: "active", path: ["resolved", "closed"] },
  { state: "declined", count: 5, declareAs: "triage", path: ["declined"] },
];

type Seeded = {
  incidents: number;
  byState: Record<string, number>;
  bySeverity: Record<string, number>;
  /** What GET /api/v1/incidents?limit=200 answered, as the web app asks for the list. */
  listJson: Buffer;
  rows: number;
};

/**
 * `total` incidents spread over the plan's states in its proportions, severities S1–S4 in turn,
 * types GitLab.com / Dedicated / Gameday in turn with two SIRT (private) ones. All are declared
 * before any moves, so none is raised by the recurrence rule (SEV-4) after another closes.
 */
async function seed(admin: HttpClient, total: number): Promise<Seeded> {
  const planned = plan.reduce((s, p) => s + p.count, 0);
  const jobs: { declareAs: "triage" | "active"; path: string[]; closing: boolean }[] = [];
  plan.forEach((p, i) => {
    const share = Math.round((p.count * total) / planned);
    const n = i === plan.length - 1 ? Math.max(0, total - jobs.length) : Math.max(1, share);
    for (let k = 0; k < n && jobs.length < total; k++)
      jobs.push({ declareAs: p.declareAs, path: p.path, closing: p.state === "closed" });
  });
  const severities = ["S1", "S2", "S3", "S4"];
  const types = ["GitLab.com", "GitLab.com", "Dedicated", "Gameday"];
  const declared: { id: number; path: string[] }[] = [];
  for (const [i, job] of jobs.entries()) {
    const severity = job.closing ? (i % 2 ? "S3" : "S4") : (severities[i % 4] as string);
    const type = i === 7 || i === 31 ? "SIRT" : (types[i % types.length] as string);
    const title = `${titles[i % titles.length]} (${services[i % services.length]})`;
    const body = {
      title,
      type,
      severity,
      status: job.declareAs,
      summary: `${title}. Customers see errors or delays; the on-call engineer is looking into it and posts updates here.`,
    };
    const d = ok(await admin.request("POST", "/api/v1/incidents", body), 201, `declaring "${title}"`);
    if (d.severity !== severity)
      throw new Error(`"${title}" was declared ${String(d.severity)}, not ${severity}`);
    declared.push({ id: d.id as number, path: job.path });
  }
  for (const { id, path: steps } of declared)
    for (const status of steps)
      ok(
        await admin.request("POST", `/api/v1/incidents/${id}/status`, { status }),
        200,
        `#${id} → ${status}`,
      );
  const list = await admin.request("GET", "/api/v1/incidents?limit=200");
  const parsed = ok(list, 200, "the incidents list") as { incidents: { state: string; severity: string }[] };
  const count = (key: "state" | "severity") =>
    parsed.incidents.reduce<Record<string, number>>((m, i) => {
      m[i[key]] = (m[i[key]] ?? 0) + 1;
      return m;
    }, {});
  return {
    incidents: declared.length,
    byState: count("state"),
    bySeverity: count("severity"),
    listJson: Buffer.from(list.body),
    rows: parsed.incidents.length,
  };
}

// -- the baseline: the cheapest page that shows a list from an API ----------------------------------

/**
 * `node:http`; `/app.js` (immutable, as Firebreak's hashed assets), `/api/incidents.json` (the list
 * Firebreak answered; no-store, as Firebreak's list without validators is never reused either), and
 * the HTML for any other path (no-cache with an ETag, answering 304 as Firebreak does for index.html).
 */
const baselineProgram = `
const http = require("node:http");
const fs = require("node:fs");
const crypto = require("node:crypto");
const list = fs.readFileSync(process.env.BENCH_LIST);
const html = Buffer.from('<!doctype html>\\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,"><title>Incidents</title><script src="/app.js" defer></script></head>\\n<body><main><h1>Incidents</h1><ul class="incident-list"></ul></main></body></html>\\n');
const js = Buffer.from(\`fetch("/api/incidents.json").then((r) => r.json()).then(({ incidents }) => {
  const rows = document.createDocumentFragment();
  for (const i of incidents) {
    const li = document.createElement("li");
    li.textContent = i.severity + " #" + i.id + " " + i.title + " · " + i.state + " · " + i.type + " · owner " + (i.owner.name || i.owner.username) + " · declared " + new Date(i.declaredAt).toLocaleString();
    rows.append(li);
  }
  document.querySelector(".incident-list").append(rows);
});
\`);
const etag = '"' + crypto.createHash("sha256").update(html).digest("base64url").slice(0, 22) + '"';
const server = http.createServer((req, res) => {
  const url = req.url.split("?")[0];
  if (url === "/app.js") {
    res.writeHead(200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=31536000, immutable", "content-length": js.length });
    res.end(js);
  } else if (url === "/api/incidents.json") {
    res.writeHead(200, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", "content-length": list.length });
    res.end(list);
  } else if (req.headers["if-none-match"] === etag) {
    res.writeHead(304, { etag, "cache-control": "no-cache" });
    res.end();
  } else {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache", etag, "content-length": html.length });
    res.end(html);
  }
});
server.keepAliveTimeout = 72000;
server.listen(Number(process.env.PORT), "127.0.0.1");
process.on("SIGINT", () => { server.closeAllConnections(); server.close(() => process.exit(0)); });
`;

async function startBaseline(listJson: Buffer, cleanup: Cleanup): Promise<{ child: Child; base: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "firebreak-bench-webapp-"));
  cleanup.add("remove the baseline's files", () => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, "incidents.json");
  writeFileSync(file, listJson);
  const port = await freePort();
  const child = spawnNode(["-e", baselineProgram], {
    env: { ...process.env, PORT: String(port), BENCH_LIST: file },
  });
  cleanup.add("stop the baseline server", () => child.stop());
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForOk(`${base}/app.js`, 10_000, child);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- baseline output ---\n${child.output()}`);
  }
  return { child, base };
}

// -- one page load, measured in the page ----------------------------------------------------------

/** The browser globals the page-side functions use (the project's tsconfig has no DOM types). */
type Frame = { screen: number; dom: number; app: number };
type ResourceEntry = {
  name: string;
  startTime: number;
  responseEnd: number;
  transferSize: number;
  encodedBodySize: number;
  decodedBodySize: number;
};
type BenchWindow = {
  __benchFirstScreen?: Frame;
  document: {
    querySelectorAll(selector: string): ArrayLike<{ textContent: string | null }>;
    body: { innerText: string } | null;
  };
  performance: {
    now(): number;
    getEntriesByType(type: "navigation"): (ResourceEntry & { domContentLoadedEventEnd: number })[];
    getEntriesByType(type: "resource"): ResourceEntry[];
  };
};

/**
 * Runs in every document before its own scripts: records the first animation frame (and the first
 * DOM change) at which the heading "Incidents" and `expected` list rows are there. Plain JavaScript
 * in a string: tsx would wrap a TypeScript function's inner arrows in a helper the page lacks.
 */
const watchFirstScreen = (expected: number) => `(() => {
  const frame = { screen: 0, dom: 0, app: 0 };
  window.__benchFirstScreen = frame;
  const ready = () =>
    Array.from(document.querySelectorAll("h1")).some((h) => h.textContent === "Incidents") &&
    document.querySelectorAll(".incident-list li").length >= ${expected};
  // The app's own rows: the server's copy of the list (#first-screen, decision 0012) gone, the rows there.
  const app = () => !document.getElementById("first-screen") && ready();
  const checkApp = () => {
    if (app()) frame.app = performance.now();
    else requestAnimationFrame(checkApp);
  };
  requestAnimationFrame(checkApp);
  const observer = new MutationObserver(() => {
    if (frame.dom || !ready()) return;
    frame.dom = performance.now();
    observer.disconnect();
  });
  observer.observe(document, { childList: true, subtree: true, characterData: true });
  const check = () => {
    if (ready()) frame.screen = performance.now();
    else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})();`;

type Sample = {
  /** Navigation start → the first frame with the heading and every row. */
  screen: number;
  /** … → the rows first in the DOM. */
  dom: number;
  /** … → the first frame with the app's own rendering of the rows (not the server's HTML of them). */
  app: number;
  html: number;
  domReady: number;
  /** … → the list API's answer received. */
  list: number;
  /** … → the list API requested (fetch called). */
  listSent: number;
  /** Resources (index.html included) finished before the app's own rows. */
  requests: number;
  jsFiles: { path: string; transfer: number; encoded: number; decoded: number }[];
  /** Bytes over the wire before the app's own rows: index.html and every resource, headers included. */
  transfer: number;
  /** Every request finished before the app's own rows, by start: path (and query), start, end, bytes. */
  timeline: { path: string; start: number; end: number; transfer: number }[];
};

type Target = {
  name: "Firebreak" | "baseline";
  base: string;
  path: string;
  /** What the list's request URL contains. */
  listUrl: string;
  storageState?: Awaited<ReturnType<BrowserContext["storageState"]>>;
  rows: number;
};

async function firstScreen(page: Page, t: Target): Promise<Sample> {
  try {
    await page.waitForFunction(
      () => (globalThis as unknown as BenchWindow).__benchFirstScreen?.app,
      undefined,
      {
        polling: "raf",
        timeout: TIMEOUT_MS,
      },
    );
  } catch (err) {
    const shown = await page
      .evaluate(() => (globalThis as unknown as BenchWindow).document.body?.innerText.slice(0, 300) ?? "")
      .catch(() => "?");
    throw new Error(
      `${t.name}: ${t.rows} rows not shown within ${TIMEOUT_MS} ms (${(err as Error).message.split("\n")[0]}); the page shows: ${JSON.stringify(shown)}`,
    );
  }
  await page.waitForLoadState("domcontentloaded");
  return page.evaluate((listUrl) => {
    const w = globalThis as unknown as BenchWindow;
    const f = w.__benchFirstScreen ?? { screen: Number.NaN, dom: Number.NaN, app: Number.NaN };
    const [nav] = w.performance.getEntriesByType("navigation");
    // Up to the app's own rows: the JS it took (the first screen may come before any, decision 0012).
    const before = w.performance.getEntriesByType("resource").filter((r) => r.responseEnd <= f.app);
    const js = before.filter((r) => new URL(r.name).pathname.endsWith(".js"));
    const list = w.performance.getEntriesByType("resource").find((r) => r.name.includes(listUrl));
    return {
      screen: f.screen,
      dom: f.dom,
      app: f.app,
      html: nav?.responseEnd ?? Number.NaN,
      domReady: nav?.domContentLoadedEventEnd ?? Number.NaN,
      list: list?.responseEnd ?? Number.NaN,
      listSent: list?.startTime ?? Number.NaN,
      requests: before.length + 1,
      jsFiles: js.map((r) => ({
        path: new URL(r.name).pathname,
        transfer: r.transferSize,
        encoded: r.encodedBodySize,
        decoded: r.decodedBodySize,
      })),
      transfer: (nav?.transferSize ?? 0) + before.reduce((s, r) => s + r.transferSize, 0),
      timeline: [...(nav ? [nav] : []), ...before]
        .map((r) => ({
          path: new URL(r.name).pathname + new URL(r.name).search,
          start: r.startTime,
          end: r.responseEnd,
          transfer: r.transferSize,
        }))
        .sort((a, b) => a.start - b.start),
    };
  }, t.listUrl);
}

/** What each JS file came with, by path (the latest seen), from the browser's own responses. */
const encodings = new Map<string, string>();

/** A new context (cookie only: empty cache, new connections): one cold load, then `reloads` warm ones. */
async function loadPage(
  browser: Browser,
  t: Target,
  reloads: number,
): Promise<{ cold: Sample; warm: Sample[] }> {
  const context = await browser.newContext({ baseURL: t.base, viewport, storageState: t.storageState });
  try {
    context.setDefaultTimeout(TIMEOUT_MS);
    await context.addInitScript({ content: watchFirstScreen(t.rows) });
    const page = await context.newPage();
    page.on("response", (r) => {
      const p = new URL(r.url()).pathname;
      if (p.endsWith(".js")) encodings.set(`${t.name} ${p}`, r.headers()["content-encoding"] ?? "identity");
    });
    await page.goto(t.path, { waitUntil: "commit" });
    const cold = await firstScreen(page, t);
    const warm: Sample[] = [];
    for (let i = 0; i < reloads; i++) {
      await page.reload({ waitUntil: "commit" });
      warm.push(await firstScreen(page, t));
    }
    return { cold, warm };
  } finally {
    await context.close();
  }
}

/** The admin's session cookie, from the page's own fetch of POST /api/v1/session with the token. */
async function signIn(browser: Browser, base: string, token: string) {
  const context = await browser.newContext({ baseURL: base });
  try {
    const page = await context.newPage();
    await page.goto("/readyz");
    const status = await page.evaluate(
      async (tok) =>
        (
          await fetch("/api/v1/session", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ token: tok }),
          })
        ).status,
      token,
    );
    if (status !== 200) throw new Error(`signing in with the bootstrap token: HTTP ${status}`);
    const state = await context.storageState();
    if (!state.cookies.some((c) => c.name === "firebreak_session"))
      throw new Error("signing in set no firebreak_session cookie");
    return state;
  } finally {
    await context.close();
  }
}

/** Body bytes of `url` as the server sends them for this Accept-Encoding. */
function bytesAs(url: string, acceptEncoding: string): Promise<{ bytes: number; encoding: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { "accept-encoding": acceptEncoding }, timeout: 10_000 }, (res) => {
      let bytes = 0;
      res.on("data", (c: Buffer) => {
        bytes += c.length;
      });
      res.on("end", () =>
        res.statusCode === 200
          ? resolve({ bytes, encoding: String(res.headers["content-encoding"] ?? "identity") })
          : reject(new Error(`GET ${url}: HTTP ${res.statusCode}`)),
      );
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url}: no answer within 10 s`)));
    req.on("error", reject);
  });
}

/** The Chromium browser process this process started (Linux /proc), for its CPU share. */
function browserPid(): number | undefined {
  if (process.platform !== "linux") return undefined;
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!pid) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid && /chrom/.test(readFileSync(`/proc/${pid}/cmdline`, "utf8"))) return pid;
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

// -- the run -----------------------------------------------------------------------------------------

type Series = { cold: Sample[]; warm: Sample[] };

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: "string" },
      warmup: { type: "string" },
      reloads: { type: "string" },
      incidents: { type: "string" },
      "max-seconds": { type: "string" },
      "editor-runs": { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(usage);
    return;
  }
  const runs = Math.round(positiveNumber("runs", values.runs, 20));
  const warmups = values.warmup === "0" ? 0 : Math.round(positiveNumber("warmup", values.warmup, 3));
  const reloads = values.reloads === "0" ? 0 : Math.round(positiveNumber("reloads", values.reloads, 2));
  const total = Math.round(positiveNumber("incidents", values.incidents, 50));
  if (total > 200) throw new Error("--incidents: the web app lists at most 200; give 200 or fewer");
  const maxMs = positiveNumber("max-seconds", values["max-seconds"], 90) * 1000;
  const editorRuns = Math.round(positiveNumber("editor-runs", values["editor-runs"], 10));
  const executablePath = chromiumPath();

  const loadStart = loadavg();
  note(`load average (1, 5, 15 min): ${loadStart.join(" ")} on ${os.availableParallelism()} CPUs`);
  const began = performance.now();
  const rebuilt = webBuildIsStale();
  if (rebuilt) note("web/dist is missing or older than web/src: building it (vite build)…");
  ensureWebBuild();
  const cleanup = new Cleanup();
  try {
    note("starting PostgreSQL…");
    const db = await openBenchDatabase();
    cleanup.add("stop PostgreSQL", db.stop);
    const pgPid = await postmasterPid(db.url);
    note("starting Firebreak…");
    const fb = await startFirebreak(db.url, cleanup);
    note("starting Chromium…");
    // Playwright's own signal handlers would exit the process before Cleanup has stopped the rest.
    const browser = await chromium.launch({
      executablePath,
      headless: true,
      args: ["--no-sandbox"],
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
    cleanup.add("close Chromium", () => browser.close());
    const chromePid = browserPid();
    const admin = httpClient(fb.base, { connections: 1, headers: { authorization: `Bearer ${fb.token}` } });
    cleanup.add("close the admin client", () => admin.close());

    note(`seeding ${total} incidents through the API…`);
    const seeded = await seed(admin, total);
    const bl = await startBaseline(seeded.listJson, cleanup);
    const storageState = await signIn(browser, fb.base, fb.token);
    const pages: Target[] = [
      {
        name: "baseline",
        base: bl.base,
        path: "/incidents",
        listUrl: "/api/incidents.json",
        rows: seeded.rows,
      },
      {
        name: "Firebreak",
        base: fb.base,
        path: "/incidents",
        listUrl: "/api/v1/incidents?",
        storageState,
        rows: seeded.rows,
      },
    ];
    const series: Record<Target["name"], Series> = {
      baseline: { cold: [], warm: [] },
      Firebreak: { cold: [], warm: [] },
    };
    /** One round: each page once, in turns (who goes first alternates), so both share the drift. */
    const round = async (n: number, keep: boolean) => {
      for (const t of n % 2 ? pages : [...pages].reverse()) {
        const r = await loadPage(browser, t, reloads);
        if (!keep) continue;
        series[t.name].cold.push(r.cold);
        series[t.name].warm.push(...r.warm);
      }
    };
    note(`warm-up: ${warmups} loads of each page…`);
    for (let i = 0; i < warmups; i++) await round(i, false);
    note(`measuring: ${runs} loads of each page (cold, then ${reloads} reloads), taking turns…`);
    const cpuGroups: CpuGroups = {
      bench: { self: process.pid },
      ...(chromePid ? { chromium: { tree: chromePid } } : {}),
      ...(fb.child.proc.pid ? { server: { tree: fb.child.proc.pid } } : {}),
      ...(pgPid ? { postgres: { tree: pgPid } } : {}),
      ...(bl.child.proc.pid ? { baseline: { tree: bl.child.proc.pid } } : {}),
    };
    const measured = await runLoad(
      { clients: 1, warmupMs: 0, durationMs: maxMs, maxIterations: runs, maxErrors: 3, cpu: () => cpuGroups },
      (_client, _rec, n) => round(n, true),
    );

    note(`the schedule editor: ${editorRuns} cold loads (after 1 not counted), each with one edit…`);
    const target = { base: fb.base, storageState, ...(await seedSchedule(admin)) };
    await loadEditor(browser, target);
    const editor: EditorSample[] = [];
    for (let i = 0; i < editorRuns; i++) editor.push(await loadEditor(browser, target));
    const editorJs = await Promise.all(
      (editor[0]?.jsFiles ?? []).map(async (f) => ({
        ...f,
        gzip: (await bytesAs(`${fb.base}${f.path}`, "gzip")).bytes,
      })),
    );

    note("fetching the first load's JS again with Accept-Encoding: gzip and br…");
    const firstCold = series.Firebreak.cold[0];
    const jsFiles = await Promise.all(
      (firstCold?.jsFiles ?? []).map(async (f) => {
        const url = `${fb.base}${f.path}`;
        const [gzip, br] = [await bytesAs(url, "gzip"), await bytesAs(url, "br")];
        return {
          path: f.path,
          received: encodings.get(`Firebreak ${f.path}`) ?? "?",
          transfer: f.transfer,
          encoded: f.encoded,
          decoded: f.decoded,
          // Files under 512 bytes are sent uncompressed whatever is asked: their plain bytes count.
          gzip: gzip.encoding === "gzip" || gzip.encoding === "identity" ? gzip.bytes : Number.NaN,
          br: br.encoding === "br" || br.encoding === "identity" ? br.bytes : Number.NaN,
        };
      }),
    );
    const figures = figuresOf({
      settings: { runs, warmups, reloads, incidents: total, maxSeconds: maxMs / 1000 },
      db,
      seeded,
      rebuilt,
      series,
      jsFiles,
      baselineJs: series.baseline.cold[0]?.jsFiles ?? [],
      measured: { iterations: measured.iterations, errors: measured.errors, firstError: measured.firstError },
      cpu: measured.cpu,
      load: { start: loadStart, end: loadavg() },
      runSeconds: (performance.now() - began) / 1000,
      editor: { samples: editor, jsFiles: editorJs },
    });
    process.stdout.write(values.json ? `${JSON.stringify(figures, null, 2)}\n` : report(figures));
  } finally {
    await cleanup.run();
  }
}

// -- figures and the report ------------------------------------------------------------------------

type FigureInput = {
  settings: { runs: number; warmups: number; reloads: number; incidents: number; maxSeconds: number };
  db: BenchDatabase;
  seeded: Seeded;
  rebuilt: boolean;
  series: Record<Target["name"], Series>;
  jsFiles: {
    path: string;
    received: string;
    transfer: number;
    encoded: number;
    decoded: number;
    gzip: number;
    br: number;
  }[];
  baselineJs: Sample["jsFiles"];
  measured: { iterations: number; errors: number; firstError?: string };
  cpu: CpuShares | undefined;
  load: { start: number[]; end: number[] };
  runSeconds: number;
  editor: { samples: EditorSample[]; jsFiles: (EditorSample["jsFiles"][number] & { gzip: number })[] };
};

function stats(samples: Sample[]) {
  const of = (
    k: "screen" | "dom" | "app" | "html" | "domReady" | "list" | "listSent" | "requests" | "transfer",
  ) => summarize(samples.map((s) => s[k]));
  return {
    loads: samples.length,
    firstScreen: of("screen"),
    rowsInDom: of("dom"),
    appRows: of("app"),
    html: of("html"),
    domContentLoaded: of("domReady"),
    listSent: of("listSent"),
    listAnswered: of("list"),
    requests: of("requests"),
    transferBytes: of("transfer"),
    jsTransferBytes: summarize(samples.map((s) => s.jsFiles.reduce((a, f) => a + f.transfer, 0))),
  };
}

function medianLoad(samples: Sample[]) {
  const m = [...samples].sort((a, b) => a.screen - b.screen)[Math.floor((samples.length - 1) / 2)];
  return m
    ? {
        firstScreen: m.screen,
        domContentLoaded: m.domReady,
        rowsInDom: m.dom,
        appRows: m.app,
        timeline: m.timeline,
      }
    : undefined;
}

function figuresOf(f: FigureInput) {
  const fb = { cold: stats(f.series.Firebreak.cold), warm: stats(f.series.Firebreak.warm) };
  const bl = { cold: stats(f.series.baseline.cold), warm: stats(f.series.baseline.warm) };
  const sum = (k: "transfer" | "encoded" | "decoded" | "gzip" | "br") =>
    f.jsFiles.reduce((a, j) => a + j[k], 0);
  const js = {
    files: f.jsFiles.sort((a, b) => b.decoded - a.decoded),
    transfer: sum("transfer"),
    encoded: sum("encoded"),
    decoded: sum("decoded"),
    gzip: sum("gzip"),
    br: sum("br"),
    /** Whether every measured cold load fetched the same JS before its first screen. */
    sameEveryLoad: new Set(
      f.series.Firebreak.cold.map((s) =>
        s.jsFiles
          .map((j) => j.path)
          .sort()
          .join(" "),
      ),
    ).size,
    baseline: {
      files: f.baselineJs.length,
      transfer: f.baselineJs.reduce((a, j) => a + j.transfer, 0),
      decoded: f.baselineJs.reduce((a, j) => a + j.decoded, 0),
    },
  };
  const cpus = os.availableParallelism();
  const unreliable = [
    ...(f.load.start[0]! > cpus / 2 ? [`load average ${f.load.start[0]} at the start on ${cpus} CPUs`] : []),
    ...(f.cpu && f.cpu.other + f.cpu.steal > 0.1
      ? [
          `other processes (or the hypervisor) took ${Math.round((f.cpu.other + f.cpu.steal) * 100)}% of the machine while measuring`,
        ]
      : []),
  ];
  const coldP90 = fb.cold.firstScreen.p90;
  const ed = editorStats(f.editor.samples);
  const editorJsGzip = f.editor.jsFiles.reduce((a, j) => a + j.gzip, 0);
  const previewP90 = Math.max(ed.preview.p90, ed.previewAfterEdit.p90);
  return {
    benchmark: "webapp",
    date: new Date().toISOString(),
    machine: { ...machine(), postgres: f.db.version, database: f.db.kind },
    source: sourceVersion(),
    load: f.load,
    unreliable,
    runSeconds: f.runSeconds,
    settings: f.settings,
    webBuildRebuilt: f.rebuilt,
    seeded: {
      incidents: f.seeded.incidents,
      rows: f.seeded.rows,
      byState: f.seeded.byState,
      bySeverity: f.seeded.bySeverity,
      listJsonBytes: f.seeded.listJson.length,
    },
    measured: f.measured,
    firebreak: fb,
    baseline: bl,
    ratios: {
      coldP50: fb.cold.firstScreen.p50 / bl.cold.firstScreen.p50,
      warmP50: fb.warm.firstScreen.p50 / bl.warm.firstScreen.p50,
      coldP90: fb.cold.firstScreen.p90 / bl.cold.firstScreen.p90,
    },
    js,
    /** /schedules/{id}, cold: until the preview (3 layers, 10 people, 12 weeks) is rendered. */
    editor: {
      ...ed,
      coldP90OverBaseline: ed.firstScreen.p90 / bl.cold.firstScreen.p90,
      js: { files: f.editor.jsFiles, gzip: editorJsGzip },
    },
    /** The Firebreak cold load whose first screen was the median: its requests in order. */
    medianColdLoad: medianLoad(f.series.Firebreak.cold),
    cpu: f.cpu,
    targets: {
      firstScreen: {
        rule: `first screen p90 < ${targets.coldP90Ms / 1000} s, cold, on loopback`,
        value: coldP90,
        met: coldP90 < targets.coldP90Ms,
      },
      firstScreenFast: {
        rule: `first screen p90 < ${targets.firstScreenP90Ms} ms, cold, on loopback (issue 21)`,
        value: coldP90,
        met: coldP90 < targets.firstScreenP90Ms,
      },
      firstLoadJs: {
        rule: `first-load JS < ${kB(targets.jsGzipBytes)} gzip`,
        value: js.gzip,
        met: js.gzip < targets.jsGzipBytes && js.files.length > 0,
      },
      editorFirstScreen: {
        rule: `schedule editor, preview on screen p90 < ${targets.coldP90Ms / 1000} s, cold, on loopback`,
        value: ed.firstScreen.p90,
        met: ed.firstScreen.p90 < targets.coldP90Ms,
      },
      editorJs: {
        rule: `schedule editor first-load JS < ${kB(targets.jsGzipBytes)} gzip`,
        value: editorJsGzip,
        met: editorJsGzip < targets.jsGzipBytes && f.editor.jsFiles.length > 0,
      },
      preview: {
        rule: `schedule preview (3 layers, 10 people, 12 weeks) computed and rendered in < ${targets.previewMs} ms, p90, in the browser`,
        value: previewP90,
        met: previewP90 < targets.previewMs,
      },
    },
  };
}

type Figures = ReturnType<typeof figuresOf>;

function report(f: Figures): string {
  const m = f.machine;
  const s = f.settings;
  const times = (name: string, g: ReturnType<typeof stats>, over: number | null) => [
    name,
    String(g.loads),
    ms(g.firstScreen.p50),
    ms(g.firstScreen.p90),
    ms(g.firstScreen.max),
    ms(g.domContentLoaded.p50),
    ms(g.domContentLoaded.p90),
    ms(g.domContentLoaded.max),
    over === null ? "" : x(over),
  ];
  const steps = (name: string, g: ReturnType<typeof stats>) => [
    name,
    ms(g.html.p50),
    ms(g.domContentLoaded.p50),
    ms(g.listSent.p50),
    ms(g.listAnswered.p50),
    ms(g.rowsInDom.p50),
    ms(g.firstScreen.p50),
    ms(g.appRows.p50),
    String(g.requests.p50),
    kB(g.transferBytes.p50),
    kB(g.jsTransferBytes.p50),
  ];
  const seeded = f.seeded;
  const list = (r: Record<string, number>) =>
    Object.entries(r)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
  const lines = [
    "",
    `webapp — /incidents in headless Chromium, ${s.runs} loads of each page taking turns (after ${s.warmups} not counted), each in a new context (cookie only): cold, then ${s.reloads} reloads (warm)`,
    `source: ${f.source}${f.webBuildRebuilt ? " (web/dist rebuilt for this run)" : ""}`,
    `machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, PostgreSQL ${m.postgres} (${m.database}); run took ${f.runSeconds.toFixed(0)} s`,
    `load average (1/5/15 min): ${f.load.start.join(" ")} at the start, ${f.load.end.join(" ")} at the end`,
    `list: ${seeded.incidents} incidents seeded through the API, ${seeded.rows} rows on the screen; by state: ${list(seeded.byState)}; by severity: ${list(seeded.bySeverity)}; list JSON ${kB(seeded.listJsonBytes)}`,
    "",
    table([
      [
        "",
        "loads",
        "first screen p50 ms",
        "p90 ms",
        "max ms",
        "DOMContentLoaded p50 ms",
        "p90 ms",
        "max ms",
        "÷ baseline",
      ],
      times("cold: baseline node:http", f.baseline.cold, null),
      times("  Firebreak", f.firebreak.cold, f.ratios.coldP50),
      times("warm: baseline node:http", f.baseline.warm, null),
      times("  Firebreak", f.firebreak.warm, f.ratios.warmP50),
    ]),
    "",
    "the app's own rows (the server's HTML of the list gone, the app's there), ms from navigation start:",
    table([
      ["", "p50 ms", "p90 ms", "max ms"],
      ...(
        [
          ["cold: baseline node:http", f.baseline.cold],
          ["  Firebreak", f.firebreak.cold],
          ["warm: baseline node:http", f.baseline.warm],
          ["  Firebreak", f.firebreak.warm],
        ] as const
      ).map(([name, g]) => [name, ms(g.appRows.p50), ms(g.appRows.p90), ms(g.appRows.max)]),
    ]),
    "",
    "p50 of each step, ms from navigation start:",
    table([
      [
        "",
        "HTML",
        "DOMContentLoaded",
        "list API sent",
        "answered",
        "rows in DOM",
        "first screen",
        "app's rows",
        "requests",
        "transferred",
        "JS transferred",
      ],
      steps("cold: baseline node:http", f.baseline.cold),
      steps("  Firebreak", f.firebreak.cold),
      steps("warm: baseline node:http", f.baseline.warm),
      steps("  Firebreak", f.firebreak.warm),
    ]),
    "",
    'Times are taken in the page. first screen: the first animation frame with the heading "Incidents" and',
    `all ${seeded.rows} rows, whoever rendered them (the server's HTML of the list or the app); rows in DOM: when they`,
    "were first in the DOM; app's rows: the first frame with the app's own rows, the server's copy gone (the baseline",
    "has no copy: the same as its first screen); HTML: index.html's responseEnd; list API: the list request's",
    "startTime and responseEnd. ÷ baseline: of the first screen's p50. Requests and bytes: those finished before",
    "the app's rows, index.html included, headers included. Warm: a reload in the same context (the hashed assets",
    "from the cache; index.html revalidated, or sent again when it holds the list).",
    "",
    `first-load JS of Firebreak (finished before the app's rows): ${f.js.files.length} files`,
    table([
      ["", "Chromium got", "transferred", "encoded", "uncompressed", "gzip", "br"],
      ...f.js.files.map((j) => [
        `  ${j.path}`,
        j.received,
        String(j.transfer),
        String(j.encoded),
        String(j.decoded),
        String(j.gzip),
        String(j.br),
      ]),
      ["  total", "", kB(f.js.transfer), kB(f.js.encoded), kB(f.js.decoded), kB(f.js.gzip), kB(f.js.br)],
    ]),
    `baseline JS: ${f.js.baseline.files} file, ${f.js.baseline.decoded} bytes uncompressed (${f.js.baseline.transfer} bytes transferred, headers included)`,
    "(bytes; gzip, br: the same files fetched again with only that Accept-Encoding — files under 512 bytes come",
    "uncompressed whatever is asked, so their plain bytes; transferred includes headers; kB = 1,024 bytes)",
    "",
    `Firebreak ÷ baseline, first screen: cold p50 ${x(f.ratios.coldP50)}, cold p90 ${x(f.ratios.coldP90)}, warm p50 ${x(f.ratios.warmP50)}`,
  ];
  const median = f.medianColdLoad;
  if (median) {
    lines.push(
      "",
      `the median cold load of Firebreak (first screen at ${ms(median.firstScreen)} ms): its requests, ms from navigation start`,
      table([
        ["", "start", "end", "transferred"],
        ...median.timeline.map((r) => [
          `  ${r.path.slice(0, 60)}`,
          ms(r.start),
          ms(r.end),
          String(r.transfer),
        ]),
        ["  DOMContentLoaded", "", ms(median.domContentLoaded), ""],
        ["  rows in the DOM", "", ms(median.rowsInDom), ""],
        ["  first screen", "", ms(median.firstScreen), ""],
        ["  the app's rows", "", ms(median.appRows), ""],
      ]),
    );
  }
  const ed = f.editor;
  lines.push(
    "",
    `the schedule editor (/schedules/{id}: 3 layers, 10 people, 12 weeks previewed), ${ed.loads} cold loads, each in a new context, then one edit (a participant moved)`,
    table([
      ["", "p50 ms", "p90 ms", "max ms", "÷ baseline cold p90"],
      [
        "  preview on screen, from navigation start",
        ms(ed.firstScreen.p50),
        ms(ed.firstScreen.p90),
        ms(ed.firstScreen.max),
        x(ed.coldP90OverBaseline),
      ],
      [
        "  preview computed and rendered, on load",
        ms(ed.preview.p50),
        ms(ed.preview.p90),
        ms(ed.preview.max),
        "",
      ],
      [
        "  preview computed and rendered, after an edit",
        ms(ed.previewAfterEdit.p50),
        ms(ed.previewAfterEdit.p90),
        ms(ed.previewAfterEdit.max),
        "",
      ],
    ]),
    `its JS before the preview: ${ed.js.files.length} files, ${kB(ed.js.gzip)} gzip (${ed.js.files.map((j) => j.path.replace("/assets/", "")).join(", ")})`,
    '(the preview measures itself in the page: performance.measure("schedule-preview") from the render that computes it to',
    "the layout effect after React has put it in the DOM; read through page.evaluate)",
  );
  lines.push("");
  if (f.cpu) lines.push(`CPU while measuring (of all ${m.cpus} CPUs = 100%): ${formatCpu(f.cpu)}`);
  if (f.measured.iterations < s.runs)
    lines.push(
      `NOTE: only ${f.measured.iterations} of ${s.runs} rounds ran within --max-seconds ${s.maxSeconds}`,
    );
  if (f.measured.errors)
    lines.push(`PROBLEM: ${f.measured.errors} rounds failed (first: ${f.measured.firstError})`);
  if (f.js.sameEveryLoad > 1)
    lines.push(
      `NOTE: the cold loads did not all fetch the same JS before their first screen (${f.js.sameEveryLoad} sets)`,
    );
  for (const w of f.unreliable) lines.push(`WARNING: figures are unreliable — ${w}`);
  lines.push("");
  const verdict = (met: boolean) => (met ? "MET" : "MISSED");
  const t = f.targets;
  lines.push(
    `target (${t.firstScreen.rule}): ${verdict(t.firstScreen.met)} — p90 ${ms(t.firstScreen.value)} ms (the baseline's: ${ms(f.baseline.cold.firstScreen.p90)} ms)`,
    `target (${t.firstScreenFast.rule}): ${verdict(t.firstScreenFast.met)} — p90 ${ms(t.firstScreenFast.value)} ms`,
    `target (${t.firstLoadJs.rule}): ${verdict(t.firstLoadJs.met)} — ${kB(t.firstLoadJs.value)} gzip (${kB(f.js.br)} as brotli, which Chromium got; ${kB(f.js.decoded)} uncompressed)`,
    `target (${t.editorFirstScreen.rule}): ${verdict(t.editorFirstScreen.met)} — p90 ${ms(t.editorFirstScreen.value)} ms (${x(f.editor.coldP90OverBaseline)} the baseline's cold p90)`,
    `target (${t.editorJs.rule}): ${verdict(t.editorJs.met)} — ${kB(t.editorJs.value)} gzip in ${f.editor.js.files.length} files`,
    `target (${t.preview.rule}): ${verdict(t.preview.met)} — p90 ${ms(f.editor.preview.p90)} ms on load, ${ms(f.editor.previewAfterEdit.p90)} ms after an edit`,
    "",
  );
  return lines.join("\n");
}
