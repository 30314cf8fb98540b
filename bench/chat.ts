/**
 * `npm run bench -- chat`: Slack → Firebreak, in named phases (issue 17).
 *
 * - `events` (channel message → timeline): a child `firebreak serve` with Slack configured against
 *   a local server speaking Slack's Web API; incidents are declared (each gets its channel), a
 *   reader follows each incident's live stream, and signed Events API `message` deliveries are
 *   posted to /integrations/slack/events at a fixed rate. Measured: from sending a delivery to its
 *   `chat-message` event arriving on the incident's SSE stream. Target p99 < 500 ms.
 * - Baseline, same run: a bare node:http handler verifying the same signature over the same
 *   bodies at the same rate (request → 200), so the ratio says what Firebreak adds.
 *
 * - `commands` (slash command → acknowledgement): signed `/inc #N note …` form posts to
 *   /integrations/slack/commands as Slack sends them, from a Slack user linked by email, at 50 a
 *   second (`--command-rate`); measured from sending to the HTTP answer (the outcome, or "working
 *   on it" when the command takes longer than 250 ms). Target p99 < 300 ms. Baseline: the same
 *   bare handler verifying the same form bodies at the same rate.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import pg from "pg";
import { slackSignatureOf } from "../src/chat/slack-signature.ts";
import { migrate } from "../src/platform/migrate.ts";
import { loadPolicy } from "../src/policy/load.ts";
import {
  BOT_TOKEN,
  eventCallback,
  SIGNING_SECRET,
  type SlackServer,
  startSlackServer,
} from "../test/support/slack.ts";
import {
  type BenchDatabase,
  Cleanup,
  httpClient,
  type LoadOptions,
  machine,
  ms,
  openBenchDatabase,
  positiveNumber,
  type Recorder,
  rate,
  runLoad,
  type Stats,
  say,
  sourceVersion,
  startFirebreakServer,
  table,
} from "./lib.ts";

export const description =
  "Slack message → timeline event on the incident's live stream (child `firebreak serve`) vs a bare signature-verifying handler";

const target = { p99Ms: 500 } as const;
/** Each phase's p99 target (issue 17). */
const targets: Record<string, number> = { events: target.p99Ms, commands: 300 };

const usage = `usage: npm run bench -- chat [options]
  --phase NAME    run only this phase (events, commands); default all
  --command-rate R  slash commands a second in the commands phase (default 50)
  --rate R        deliveries a second over all senders (default 20)
  --clients N     concurrent senders (default 10)
  --incidents N   incidents (channels) the messages are spread over, each with one stream reader (default 10)
  --seconds S     measured duration of each phase (default 10; plus --warmup)
  --warmup S      warm-up, not counted (default 2)
  --json          print the figures as JSON
`;

type Options = { load: LoadOptions; incidents: number; commandRate: number };
type PhaseResult = {
  name: string;
  firebreak: Stats;
  baseline: Stats;
  perSecond: number;
  errors: number;
  firstError?: string;
  late: number;
  note?: string;
};

/** A keep-alive POST of a Slack-signed body, as Slack delivers events. */
function signedPoster(base: string, connections: number) {
  const url = new URL(base);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  return {
    post: async (path: string, body: string, contentType = "application/json") =>
      (await answer(path, body, contentType)).status,
    answer,
    close: () => agent.destroy(),
  };
  function answer(path: string, body: string, contentType: string) {
    return new Promise<{ status: number; body: string }>((resolve, reject) => {
      const timestamp = String(Math.floor(Date.now() / 1000));
      const req = http.request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method: "POST",
          path,
          timeout: 10_000,
          headers: {
            "content-type": contentType,
            "content-length": Buffer.byteLength(body),
            "x-slack-request-timestamp": timestamp,
            "x-slack-signature": slackSignatureOf(SIGNING_SECRET, timestamp, body),
          },
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (text += c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error(`POST ${path}: no answer within 10 s`)));
      req.on("error", reject);
      req.end(body);
    });
  }
}

/** The baseline: node:http verifying the v0 signature over the raw body, then 200. */
async function bareVerifier(): Promise<{ base: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const ts = String(req.headers["x-slack-request-timestamp"] ?? "");
      const given = Buffer.from(String(req.headers["x-slack-signature"] ?? ""));
      const expected = Buffer.from(slackSignatureOf(SIGNING_SECRET, ts, body));
      const fresh = Math.abs(Date.now() / 1000 - Number(ts)) <= 300;
      const ok = fresh && given.length === expected.length && timingSafeEqual(given, expected);
      res.writeHead(ok ? 200 : 401, { "content-type": "application/json" }).end(ok ? '{"ok":true}' : "{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** The admin token each database was first served with; later servers on it must use the same. */
const adminTokens = new WeakMap<BenchDatabase, string>();

/**
 * A child `firebreak serve` with Slack configured against a fresh local server speaking Slack's Web
 * API, its admin linked to a Slack account by `email` (as responders are) and the policy's
 * announcement channels present.
 */
async function startWithSlack(db: BenchDatabase, cleanup: Cleanup, email: string) {
  const slack: SlackServer = await startSlackServer();
  cleanup.add("stop the Slack server", () => slack.close());
  const { child, base, token } = await startFirebreakServer({
    url: db.url,
    cleanup,
    token: adminTokens.get(db),
    env: () => ({
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      OUTBOUND_ALLOWED_HOSTS: "127.0.0.1",
    }),
  });
  adminTokens.set(db, token);
  const api = httpClient(base, { connections: 4, headers: { authorization: `Bearer ${token}` } });
  const me = JSON.parse((await api.request("GET", "/api/v1/me")).body) as { id: number };
  await api.request("PATCH", `/api/v1/users/${me.id}`, { email });
  const slackUser = slack.addUser({ email, name: "bench" });
  for (const name of loadPolicy().chat?.announcementChannels ?? []) slack.addChannel(name);
  return { slack, child, base, token, api, slackUser };
}

/** The same run's baseline: the bare verifier taking the same bodies at the same load. */
async function baselineRun(load: LoadOptions, body: (n: number) => string, contentType?: string) {
  const bare = await bareVerifier();
  const poster = signedPoster(bare.base, load.clients);
  try {
    return await runLoad(load, async (_client, rec, n) => {
      const status = await rec.time("verify", () => poster.post("/", body(n), contentType));
      if (status !== 200) throw new Error(`baseline: HTTP ${status}`);
    });
  } finally {
    poster.close();
    await bare.close();
  }
}

/** Follows an incident's live stream; calls `onChat(ts)` for each chat-message event as it arrives. */
function follow(base: string, token: string, incidentId: number, onChat: (ts: string) => void) {
  const url = new URL(base);
  const req = http.get({
    host: url.hostname,
    port: url.port,
    path: `/api/v1/incidents/${incidentId}/stream`,
    headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" },
  });
  const ready = new Promise<void>((resolve, reject) => {
    req.on("response", (res) => {
      if (res.statusCode !== 200) return reject(new Error(`stream ${incidentId}: HTTP ${res.statusCode}`));
      resolve();
      let buffer = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!frame.startsWith("event: timeline")) continue;
          const data = frame.split("\n").find((l) => l.startsWith("data: "));
          if (!data) continue;
          const e = JSON.parse(data.slice(6)) as { kind: string; data: { ts?: string } };
          if (e.kind === "chat-message" && e.data.ts) onChat(e.data.ts);
        }
      });
    });
    req.on("error", reject);
  });
  return { ready, close: () => req.destroy() };
}

/** Phase `events`: a channel message → its timeline event on the stream. */
async function eventsPhase(db: BenchDatabase, o: Options, cleanup: Cleanup): Promise<PhaseResult> {
  const { slack, child, base, token, api, slackUser } = await startWithSlack(
    db,
    cleanup,
    "bench@example.com",
  );
  const type =
    loadPolicy().incidentTypes.find((t) => !t.security && !t.announcementChannels)?.name ?? "Gameday";
  const channels: { incidentId: number; channel: string }[] = [];
  const ids = await declareIncidents(api, o.incidents, { title: "Bench chat", type, severity: "S3" });
  for (const [n, id] of ids.entries()) {
    const deadline = performance.now() + 30_000;
    const channelOf = () => slack.channelNamed(`inc-${id}-bench-chat-${n}`)?.id;
    while (!channelOf()) {
      if (performance.now() > deadline)
        throw new Error(`incident ${id}'s channel was not made within 30 s:\n${child.output()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    channels.push({ incidentId: id, channel: channelOf() as string });
  }
  api.close();
  say(`events: ${o.incidents} incidents with their channels; following their streams`);
  const sent = new Map<string, { start: number; rec: Recorder }>();
  const streams = channels.map((c) =>
    follow(base, token, c.incidentId, (ts) => {
      const s = sent.get(ts);
      if (!s) return;
      sent.delete(ts);
      s.rec.add("message→stream", s.start, performance.now());
    }),
  );
  cleanup.add("close the streams", () => {
    for (const s of streams) s.close();
  });
  await Promise.all(streams.map((s) => s.ready));
  const poster = signedPoster(base, o.load.clients);
  let seq = 0;
  const body = (n: number) => {
    const c = channels[n % channels.length]!;
    const ts = `${Math.floor(Date.now() / 1000)}.${String(++seq).padStart(6, "0")}`;
    const event = {
      type: "message",
      channel: c.channel,
      user: slackUser,
      text: `bench message ${n}: error rate back to normal`,
      ts,
      event_ts: ts,
      channel_type: "channel",
    };
    return {
      ts,
      raw: JSON.stringify(eventCallback(event, `EvBench${seq}${randomBytes(3).toString("hex")}`)),
    };
  };
  const fb = await runLoad(o.load, async (_client, rec, n) => {
    const { ts, raw } = body(n);
    const start = performance.now();
    sent.set(ts, { start, rec });
    const status = await poster.post("/integrations/slack/events", raw);
    if (status !== 200) throw new Error(`events: HTTP ${status}`);
  });
  // Deliveries still in flight when the window closed are waited for briefly.
  const drain = performance.now() + 5_000;
  while (sent.size > 0 && performance.now() < drain) await new Promise((r) => setTimeout(r, 20));
  const lost = [...sent.values()].filter(
    (s) => s.start >= fb.recorder.from && s.start < fb.recorder.until,
  ).length;
  poster.close();
  for (const s of streams) s.close();
  await child.stop();

  say(`baseline: bare node:http verifying the same signature, same rate`);
  const bl = await baselineRun(o.load, (n) => body(n).raw);
  return phaseResult("events", "message→stream", fb, bl, {
    lost: lost ? { count: lost, why: `${lost} messages never reached the stream` } : undefined,
  });
}

/** Declares `count` active incidents through the API, titled "`title` n"; their ids in order. */
async function declareIncidents(
  api: Awaited<ReturnType<typeof startWithSlack>>["api"],
  count: number,
  o: { title: string; type: string; severity: string },
): Promise<number[]> {
  const ids: number[] = [];
  for (let n = 0; n < count; n++) {
    const r = await api.request("POST", "/api/v1/incidents", {
      title: `${o.title} ${n}`,
      type: o.type,
      severity: o.severity,
      status: "active",
    });
    if (r.status !== 201) throw new Error(`declare: HTTP ${r.status}: ${r.body}`);
    ids.push((JSON.parse(r.body) as { id: number }).id);
  }
  return ids;
}

type LoadRun = Awaited<ReturnType<typeof runLoad>>;

/** A phase's figures: Firebreak's `label` timings beside the bare verifier's, errors of both summed. */
function phaseResult(
  name: string,
  label: string,
  fb: LoadRun,
  bl: LoadRun,
  extra: { lost?: { count: number; why: string }; note?: string },
): PhaseResult {
  return {
    name,
    firebreak: fb.recorder.stats(label),
    baseline: bl.recorder.stats("verify"),
    perSecond: fb.recorder.rate(label),
    errors: fb.errors + bl.errors + (extra.lost?.count ?? 0),
    firstError: fb.firstError ?? bl.firstError ?? extra.lost?.why,
    late: fb.late,
    ...(extra.note ? { note: extra.note } : {}),
  };
}

/** Phase `commands`: a signed slash command → Slack's HTTP answer (the acknowledgement). */
async function commandsPhase(db: BenchDatabase, o: Options, cleanup: Cleanup): Promise<PhaseResult> {
  // The sender is linked by email, as responders are (the first command makes the link).
  const { slack, child, base, api, slackUser } = await startWithSlack(
    db,
    cleanup,
    "bench-commands@example.com",
  );
  const ids = await declareIncidents(api, o.incidents, {
    title: "Bench commands",
    type: "Gameday",
    severity: "S4",
  });
  api.close();
  // A slash command's fields as Slack posts them (https://api.slack.com/interactivity/slash-commands).
  const form = (n: number) =>
    new URLSearchParams({
      token: "gIkuvaNzQIHg97ATvDxqgjtO",
      team_id: "T0FIREBRK",
      team_domain: "firebreak-bench",
      channel_id: "C0GENERAL1",
      channel_name: "general",
      user_id: slackUser,
      user_name: "bench",
      command: "/inc",
      text: `#${ids[n % ids.length]} note bench command ${n}: error rate back to normal`,
      api_app_id: "A0FIREBRK",
      is_enterprise_install: "false",
      response_url: slack.responseUrl("bench"),
      trigger_id: `13345224609.738474920.${n}`,
    }).toString();
  const formType = "application/x-www-form-urlencoded";
  const poster = signedPoster(base, o.load.clients);
  if ((await poster.post("/integrations/slack/commands", form(0), formType)) !== 200)
    throw new Error(`commands: the first command failed:\n${child.output()}`);
  say(`commands: ${o.incidents} incidents; /inc notes at ${o.commandRate}/s`);
  const load = { ...o.load, rate: o.commandRate };
  let deferred = 0;
  const fb = await runLoad(load, async (_client, rec, n) => {
    const a = await rec.time("command→answer", () =>
      poster.answer("/integrations/slack/commands", form(n), formType),
    );
    if (a.status !== 200) throw new Error(`commands: HTTP ${a.status}: ${a.body.slice(0, 200)}`);
    const text = String((JSON.parse(a.body) as { text?: string }).text ?? "");
    if (text.startsWith("Working on it")) deferred++;
    else if (!text.startsWith("Note added")) throw new Error(`commands: ${text.slice(0, 200)}`);
  });
  poster.close();
  await child.stop();

  say("baseline: bare node:http verifying the same signature over the same forms, same rate");
  const bl = await baselineRun(load, form, formType);
  return phaseResult("commands", "command→answer", fb, bl, {
    note: `${deferred} answered "working on it" (their outcome went to response_url)`,
  });
}

/** The phases, by name, in the order they run. */
const phases: Record<string, (db: BenchDatabase, o: Options, cleanup: Cleanup) => Promise<PhaseResult>> = {
  events: eventsPhase,
  commands: commandsPhase,
};

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      phase: { type: "string" },
      rate: { type: "string" },
      clients: { type: "string" },
      incidents: { type: "string" },
      "command-rate": { type: "string" },
      seconds: { type: "string" },
      warmup: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(usage);
    return;
  }
  const names = values.phase ? [values.phase] : Object.keys(phases);
  for (const n of names)
    if (!phases[n]) throw new Error(`--phase: expected one of ${Object.keys(phases).join(", ")}`);
  const o: Options = {
    load: {
      clients: Math.round(positiveNumber("clients", values.clients, 10)),
      warmupMs: positiveNumber("warmup", values.warmup, 2) * 1000,
      durationMs: positiveNumber("seconds", values.seconds, 10) * 1000,
      maxIterations: 1_000_000,
      rate: positiveNumber("rate", values.rate, 20),
    },
    incidents: Math.round(positiveNumber("incidents", values.incidents, 10)),
    commandRate: positiveNumber("command-rate", values["command-rate"], 50),
  };
  const cleanup = new Cleanup();
  try {
    say("starting PostgreSQL…");
    const db = await openBenchDatabase();
    cleanup.add("stop PostgreSQL", db.stop);
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    await migrate(pool);
    await pool.end();
    const results: PhaseResult[] = [];
    for (const n of names) results.push(await phases[n]!(db, o, cleanup));
    const figures = {
      benchmark: "chat",
      date: new Date().toISOString(),
      machine: { ...machine(), postgres: db.version, database: db.kind },
      source: sourceVersion(),
      settings: {
        rate: o.load.rate,
        clients: o.load.clients,
        incidents: o.incidents,
        commandRate: o.commandRate,
        warmupSeconds: o.load.warmupMs / 1000,
        seconds: o.load.durationMs / 1000,
      },
      targets,
      phases: results.map((r) => ({
        ...r,
        targetP99Ms: targets[r.name] ?? target.p99Ms,
        ratioP99: r.firebreak.p99 / r.baseline.p99,
        meetsTarget: r.firebreak.p99 < (targets[r.name] ?? target.p99Ms) && r.errors === 0,
      })),
    };
    if (values.json) process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
    else {
      const rows = [["phase", "", "count", "p50 ms", "p90 ms", "p99 ms", "max ms"]];
      for (const r of figures.phases) {
        rows.push([
          r.name,
          "firebreak",
          String(r.firebreak.count),
          ms(r.firebreak.p50),
          ms(r.firebreak.p90),
          ms(r.firebreak.p99),
          ms(r.firebreak.max),
        ]);
        rows.push([
          "",
          "baseline",
          String(r.baseline.count),
          ms(r.baseline.p50),
          ms(r.baseline.p90),
          ms(r.baseline.p99),
          ms(r.baseline.max),
        ]);
      }
      const lines = [
        `chat benchmark — ${figures.machine.cpus} × ${figures.machine.cpuModel}, PostgreSQL ${db.version} (${db.kind}), ${figures.source}`,
        `open loop at ${o.load.rate}/s (commands: ${o.commandRate}/s) over ${o.load.clients} senders, ${o.incidents} incidents, ${o.load.warmupMs / 1000} s warm-up + ${o.load.durationMs / 1000} s`,
        "",
        table(rows),
        "",
        ...figures.phases.map(
          (r) =>
            `${r.name}: ${rate(r.perSecond)}/s ${r.name === "events" ? "reached the stream" : "answered"}; p99 ${ms(r.firebreak.p99)} ms vs baseline ${ms(r.baseline.p99)} ms (×${r.ratioP99.toFixed(1)}); target p99 < ${r.targetP99Ms} ms: ${r.meetsTarget ? "MET" : "MISSED"}${r.errors ? ` (${r.errors} errors: ${r.firstError})` : ""}${r.late ? `, ${r.late} sends late` : ""}${r.note ? `; ${r.note}` : ""}`,
        ),
      ];
      process.stdout.write(`${lines.join("\n")}\n`);
    }
  } finally {
    await cleanup.run();
  }
}
