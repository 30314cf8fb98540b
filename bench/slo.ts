/**
 * `npm run bench -- slo`: 200 components with 3 objectives each (600 PromQL range queries) judged
 * every 30 s by Firebreak's durable job against a real Prometheus scraping a target that exposes
 * series for every component. Reports the evaluation lag (the cycle's due time → all 600 judged)
 * and Firebreak's CPU per cycle, beside a bare loop issuing the same 600 range queries with the
 * same concurrency in the same run, half an interval after each cycle.
 */
import os from "node:os";
import { parseArgs } from "node:util";
import { buildApp } from "../src/app.ts";
import { systemClock } from "../src/platform/clock.ts";
import { openDatabase } from "../src/platform/db.ts";
import { migrate } from "../src/platform/migrate.ts";
import { loadPolicy } from "../src/policy/load.ts";
import { serviceLevelQueries, startPrometheus, startServiceTarget } from "../test/support/prometheus.ts";
import {
  Cleanup,
  log,
  machine,
  ms,
  openBenchDatabase,
  positiveNumber,
  say,
  sourceVersion,
  summarize,
  table,
} from "./lib.ts";

export const description =
  "200 components × 3 objectives judged every 30 s against a real Prometheus: evaluation lag p99 and CPU per cycle vs a bare PromQL query loop";

const targets = { lagP99Ms: 5000 } as const;

const usage = `usage: npm run bench -- slo [options]
  --components N   components, 3 objectives each (default 200)
  --cycles N       measured cycles (default 10)
  --interval S     seconds between cycles (default 30)
  --json           print the figures as JSON
`;

const sleep = (msec: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, msec)));

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      components: { type: "string" },
      cycles: { type: "string" },
      interval: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    process.stdout.write(usage);
    return;
  }
  const components = positiveNumber("components", values.components, 200);
  const cycles = positiveNumber("cycles", values.cycles, 10);
  const intervalMs = positiveNumber("interval", values.interval, 30) * 1000;
  const cleanup = new Cleanup();
  try {
    const names = Array.from({ length: components }, (_, i) => `c${String(i).padStart(3, "0")}`);
    const target = await startServiceTarget(names);
    cleanup.add("the metrics target", () => target.close());
    // A few components misbehave, so breaches open and drafts are written during the run.
    for (const n of names.slice(0, 5)) target.set(n, { errorRatio: 0.5 });
    const prometheus = await startPrometheus({ targets: [target.address], scrapeInterval: "5s" });
    cleanup.add("prometheus", () => prometheus.stop());
    say(`prometheus ${prometheus.url} scraping ${components} components every 5 s`);

    const bdb = await openBenchDatabase();
    cleanup.add("the database", () => bdb.stop());
    const database = openDatabase(bdb.url, 20);
    cleanup.add("the pool", () => database.close());
    await migrate(database.pool);
    const built = await buildApp({
      database,
      clock: systemClock,
      policy: loadPolicy(),
      log,
      bodyLimitBytes: 1024 * 1024,
      serviceLevels: { prometheusUrl: prometheus.url, settings: { intervalMs } },
    });
    cleanup.add("the app", () => built.app.close());
    const boot = await built.services.users.bootstrap();
    const auth = { authorization: `Bearer ${boot?.secret}` };
    const page = "/api/v1/status-pages/default/components";
    const ids: number[] = [];
    for (const name of names) {
      const r = await built.app.inject({ method: "POST", url: page, headers: auth, payload: { name } });
      if (r.statusCode !== 201) throw new Error(`creating ${name}: ${r.body}`);
      ids.push(JSON.parse(r.body).id);
    }
    // Queries as a production set-up writes them: rates over a minute, a few scrapes.
    const queries: string[] = [];
    for (const [i, name] of names.entries()) {
      const q = serviceLevelQueries(name, "1m");
      const objectives = [
        { kind: "apdex", query: q.apdex, threshold: 0.9 },
        { kind: "error_ratio", query: q.errorRatio, threshold: 0.05 },
        { kind: "outage", query: q.outage, threshold: 0.3 },
      ];
      queries.push(...objectives.map((o) => o.query));
      const r = await built.app.inject({
        method: "PUT",
        url: `${page}/${ids[i]}/objectives`,
        headers: auth,
        payload: { objectives },
      });
      if (r.statusCode !== 200) throw new Error(`objectives of ${name}: ${r.body}`);
    }
    say(`${components} components, ${queries.length} objectives; cycles every ${intervalMs / 1000} s`);
    await built.jobs.start();
    cleanup.add("the jobs", () => built.jobs.stop());
    const levels = built.services.serviceLevels;

    // The bare loop: the same range queries, same window and step, same concurrency, plain fetch.
    const s = levels.settings;
    async function bareCycle() {
      const at = Date.now();
      const cpu = process.cpuUsage();
      let next = 0;
      const params = (query: string) =>
        new URLSearchParams({
          query,
          start: ((at - s.sustainMs) / 1000).toFixed(3),
          end: (at / 1000).toFixed(3),
          step: (s.stepMs / 1000).toFixed(3),
        });
      const worker = async () => {
        while (next < queries.length) {
          const q = queries[next++] as string;
          const res = await fetch(`${prometheus.url}/api/v1/query_range?${params(q)}`);
          const body = (await res.json()) as { status: string };
          if (body.status !== "success") throw new Error(`bare query failed: ${JSON.stringify(body)}`);
        }
      };
      await Promise.all(Array.from({ length: s.concurrency }, worker));
      const used = process.cpuUsage(cpu);
      return { wallMs: Date.now() - at, cpuMs: (used.user + used.system) / 1000 };
    }

    const firstDue = levels.recentCycles().length;
    const bare: { wallMs: number; cpuMs: number }[] = [];
    const loads: number[][] = [];
    // Cycle 0 (armed at set-up) is a warm-up; then `cycles` measured ones, a bare loop between each.
    let seen = firstDue;
    const deadline = Date.now() + (cycles + 3) * intervalMs + 60_000;
    while (levels.recentCycles().length < firstDue + cycles + 1) {
      if (Date.now() > deadline) throw new Error("the cycles did not run on time");
      await sleep(200);
      const n = levels.recentCycles().length;
      if (n > seen) {
        seen = n;
        loads.push(os.loadavg());
        if (n > firstDue + 1 && n <= firstDue + cycles) {
          await sleep(intervalMs / 2 - 1000);
          bare.push(await bareCycle());
        }
        say(`cycle ${n - firstDue} judged`);
      }
    }
    const measured = levels.recentCycles().slice(firstDue + 1, firstDue + 1 + cycles);
    const lag = summarize(measured.map((c) => c.finishedAt - c.due.getTime()));
    const work = summarize(measured.map((c) => c.finishedAt - c.startedAt));
    const cpu = summarize(measured.map((c) => c.cpuMicros / 1000));
    const bareWall = summarize(bare.map((b) => b.wallMs));
    const bareCpu = summarize(bare.map((b) => b.cpuMs));
    const breaches = measured.reduce((n, c) => n + c.changes, 0);
    const judgedAll = measured.every((c) => c.judged === queries.length);
    const figures = {
      version: sourceVersion(),
      machine: machine(),
      database: { kind: bdb.kind, version: bdb.version },
      components,
      objectives: queries.length,
      intervalSeconds: intervalMs / 1000,
      cycles: measured.length,
      judgedAll,
      breachChanges: breaches,
      lagMs: lag,
      cycleWallMs: work,
      firebreakCpuMsPerCycle: cpu,
      bareWallMs: bareWall,
      bareCpuMsPerCycle: bareCpu,
      cpuRatio: cpu.mean / bareCpu.mean,
      loadavg: { start: loads[0], end: loads.at(-1), now: os.loadavg() },
      passed: lag.p99 < targets.lagP99Ms && judgedAll,
    };
    if (values.json) {
      process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
      return;
    }
    process.stdout.write(
      `${table([
        ["", "p50", "p99", "max", "mean"],
        ["evaluation lag (due → 600 judged), ms", ms(lag.p50), ms(lag.p99), ms(lag.max), ms(lag.mean)],
        ["Firebreak cycle wall time, ms", ms(work.p50), ms(work.p99), ms(work.max), ms(work.mean)],
        ["Firebreak CPU per cycle, ms", ms(cpu.p50), ms(cpu.p99), ms(cpu.max), ms(cpu.mean)],
        [
          "bare query loop wall time, ms",
          ms(bareWall.p50),
          ms(bareWall.p99),
          ms(bareWall.max),
          ms(bareWall.mean),
        ],
        ["bare query loop CPU, ms", ms(bareCpu.p50), ms(bareCpu.p99), ms(bareCpu.max), ms(bareCpu.mean)],
      ])}\n` +
        `Firebreak CPU ÷ bare loop CPU: ${figures.cpuRatio.toFixed(2)}; breach changes acted on: ${breaches}; every objective judged every cycle: ${judgedAll}\n` +
        `load average (1/5/15 min) at the first cycle ${loads[0]?.map((l) => l.toFixed(2)).join(" ")}, at the end ${os
          .loadavg()
          .map((l) => l.toFixed(2))
          .join(" ")}\n` +
        `target: lag p99 < ${targets.lagP99Ms} ms — ${figures.passed ? "met" : "NOT met"}\n`,
    );
  } finally {
    await cleanup.run();
  }
}
