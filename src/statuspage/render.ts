/**
 * The public status page as HTML: pure functions from a snapshot to a string (no I/O, no clock).
 * The pages work with JavaScript off, carry one inline <style> and no other asset, state every status
 * in words (colour only repeats it), and fit a phone. Messages are text: escaped, line breaks kept,
 * http(s) URLs linked (see textToHtml).
 */
import { escapeHtml, httpUrl, textToHtml } from "../platform/html.ts";
import type {
  Component,
  ComponentStatus,
  Impact,
  IncidentState,
  MaintenanceState,
  OverallStatus,
  PageSnapshot,
  PublicIncident,
} from "./types.ts";

/**
 * One day of a component's uptime bar. `uptime` is a share, 0..1 (as model.ts computes it);
 * `seconds`, when given, is the length of the day that counts and weighs the day in the mean.
 */
export type UptimeBar = {
  date: string;
  uptime: number;
  worst: ComponentStatus;
  noData: boolean;
  seconds?: number;
};

export const componentStatusLabels: Record<ComponentStatus, string> = {
  operational: "Operational",
  degraded_performance: "Degraded performance",
  partial_outage: "Partial outage",
  major_outage: "Full outage",
  under_maintenance: "Under maintenance",
};

export const stateLabels: Record<IncidentState | MaintenanceState, string> = {
  investigating: "Investigating",
  identified: "Identified",
  monitoring: "Monitoring",
  resolved: "Resolved",
  scheduled: "Scheduled",
  in_progress: "In progress",
  verifying: "Verifying",
  completed: "Completed",
};

export const impactLabels: Record<Impact, string> = {
  none: "No impact",
  minor: "Minor impact",
  major: "Major impact",
  critical: "Critical impact",
  maintenance: "Maintenance",
};

const statusRank: Record<ComponentStatus, number> = {
  operational: 0,
  under_maintenance: 1,
  degraded_performance: 2,
  partial_outage: 3,
  major_outage: 4,
};

/**
 * The public URLs of a page, all below its configured URL. A URL that is not http(s) is never put in
 * an `href`: the links then start at the site's root.
 */
export function pageLinks(url: string) {
  const base = (httpUrl(url) ?? "").replace(/\/+$/, "");
  return {
    home: base || "/",
    history: `${base}/history`,
    rss: `${base}/history.rss`,
    atom: `${base}/history.atom`,
    incident: (id: string) => `${base}/incidents/${encodeURIComponent(id)}`,
  };
}

const label = <K extends string>(labels: Record<K, string>, key: K): string => labels[key] ?? String(key);
// Class names come from fixed vocabularies; anything else (bad data) gets a neutral class.
const cls = (key: string, known: object): string => (Object.hasOwn(known, key) ? key : "unknown");

// --- Dates, in the page's time zone -------------------------------------------------------------

const formatters = new Map<string, { dateTime: Intl.DateTimeFormat; month: Intl.DateTimeFormat }>();

function formattersFor(timeZone: string) {
  let f = formatters.get(timeZone);
  if (!f) {
    let zone = timeZone;
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: zone });
    } catch {
      zone = "UTC"; // an unknown zone must not take the page down
    }
    f = {
      dateTime: new Intl.DateTimeFormat("en-US", {
        timeZone: zone,
        year: "numeric",
        month: "short",
        day: "numeric",
        hour: "2-digit",
        minute: "2-digit",
        hourCycle: "h23",
        timeZoneName: "short",
      }),
      month: new Intl.DateTimeFormat("en-US", { timeZone: zone, year: "numeric", month: "long" }),
    };
    formatters.set(timeZone, f);
  }
  return f;
}

/** "Nov 20, 2026, 14:05 UTC" in the page's time zone. */
export function formatDateTime(d: Date, timeZone: string): string {
  return formattersFor(timeZone).dateTime.format(d);
}

const time = (d: Date, timeZone: string) =>
  `<time datetime="${d.toISOString()}">${escapeHtml(formatDateTime(d, timeZone))}</time>`;

/** "5 minutes ago" for a data age in seconds. */
function ago(seconds: number): string {
  const minutes = Math.round(Math.max(0, seconds) / 60);
  if (minutes < 1) return "less than a minute ago";
  if (minutes < 120) return `${minutes} minute${minutes === 1 ? "" : "s"} ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} hours ago`;
  return `${Math.round(hours / 24)} days ago`;
}

/** A share as a percentage: 0.992 → "99.2%", 0.99999 → "99.99%" (never rounded up to a perfect 100%). */
export function formatUptime(uptime: number): string {
  const u = Math.min(1, Math.max(0, Number.isFinite(uptime) ? uptime : 0));
  // The epsilon keeps binary fractions (0.992 × 10 000 = 9919.999…) from losing a hundredth.
  return `${Math.floor(u * 10_000 + 1e-6) / 100}%`;
}

// --- Layout ---------------------------------------------------------------------------------------

const css = `:root{color-scheme:light;--ok:#1a7f37;--minor:#9a6700;--major:#bc4c00;--crit:#cf222e;--maint:#0969da;--nodata:#818b98;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:#fff;overflow-wrap:break-word}
a{color:#0550ae}
.wrap{max-width:48rem;margin:0 auto;padding:0 1rem}
header{border-bottom:1px solid var(--line);padding:.75rem 0}
header a{font-weight:600;font-size:1.125rem;text-decoration:none;color:var(--fg)}
footer{border-top:1px solid var(--line);margin-top:2rem;padding:1rem 0;color:var(--muted);font-size:.875rem}
footer a{margin-right:1rem}
h1{font-size:1.5rem;margin:1.25rem 0 .5rem}
h2{font-size:1.25rem;margin:1.5rem 0 .5rem}
h3,h4{font-size:1rem;margin:0}
.skip{position:absolute;left:-9999px}
.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem;z-index:1}
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
.overall{border:1px solid var(--line);border-left:.5rem solid var(--c);background:#f6f8fa;border-radius:.375rem;padding:1rem;margin:1rem 0}
.overall h2{margin:0;font-size:1.375rem}
.note{background:#fff8c5;border:1px solid #d4a72c;border-radius:.375rem;padding:.5rem 1rem}
.card{border:1px solid var(--line);border-left:.25rem solid var(--c);border-radius:.375rem;padding:.75rem 1rem;margin:.75rem 0}
.card p{margin:.25rem 0}
.meta{color:var(--muted);font-size:.875rem}
.updates{list-style:none;padding:0;margin:.5rem 0 0}
.updates>li{margin:.75rem 0}
.comps,.members{list-style:none;padding:0;margin:0}
.comps{border:1px solid var(--line);border-radius:.375rem}
.comps>li{padding:.75rem 1rem;border-top:1px solid var(--line)}
.comps>li:first-child{border-top:0}
.members>li{margin:.75rem 0 0 1rem}
.row{display:flex;flex-wrap:wrap;justify-content:space-between;gap:0 1rem;align-items:baseline}
.row p{margin:0}
.st{color:var(--c);font-weight:600}
.desc{color:var(--muted);font-size:.875rem;margin:0}
.bars{display:grid;grid-auto-flow:column;grid-auto-columns:1fr;column-gap:2px;position:relative;list-style:none;padding:0;margin:.5rem 0 0;height:2rem;--gaps:var(--days)}
.bars li{min-width:0;background:var(--c)}
.bars::after{content:"";position:absolute;top:0;bottom:0;left:0;right:-2px;pointer-events:none;background:repeating-linear-gradient(90deg,transparent 0 calc(100%/var(--gaps) - 2px),#fff 0 calc(100%/var(--gaps)))}
.range{display:flex;justify-content:space-between;gap:.5rem;color:var(--muted);font-size:.8125rem;margin:.25rem 0 0}
.d30{display:none}
@media (max-width:40rem){.bars .old{display:none}.bars{--gaps:min(var(--days),30)}.d90{display:none}.d30{display:inline}}
.s-operational,.i-none{--c:var(--ok)}
.s-degraded_performance,.i-minor{--c:var(--minor)}
.s-partial_outage,.i-major{--c:var(--major)}
.s-major_outage,.i-critical{--c:var(--crit)}
.s-under_maintenance,.i-maintenance{--c:var(--maint)}
.s-unknown,.i-unknown,.nodata{--c:var(--nodata)}
.history{list-style:none;padding:0}`;

type Links = ReturnType<typeof pageLinks>;

function layout(o: { title: string; siteName: string; links?: Links; main: string }): string {
  const { links } = o;
  const feeds = links
    ? `<link rel="alternate" type="application/rss+xml" title="${escapeHtml(`${o.siteName} incident history (RSS)`)}" href="${escapeHtml(links.rss)}">
<link rel="alternate" type="application/atom+xml" title="${escapeHtml(`${o.siteName} incident history (Atom)`)}" href="${escapeHtml(links.atom)}">
`
    : "";
  const brand = links
    ? `<a href="${escapeHtml(links.home)}">${escapeHtml(o.siteName)}</a>`
    : `<span>${escapeHtml(o.siteName)}</span>`;
  const footer = links
    ? `<a href="${escapeHtml(links.history)}">Incident history</a><a href="${escapeHtml(links.rss)}">RSS feed</a><a href="${escapeHtml(links.atom)}">Atom feed</a>`
    : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(o.title)}</title>
${feeds}<style>${css}</style>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header><div class="wrap">${brand}</div></header>
<main id="main" class="wrap">
${o.main}
</main>
<footer><div class="wrap">${footer}<span>Powered by Firebreak</span></div></footer>
</body>
</html>
`;
}

// --- Pieces ---------------------------------------------------------------------------------------

function statusText(status: ComponentStatus): string {
  return `<p class="st s-${cls(status, statusRank)}">${escapeHtml(label(componentStatusLabels, status))}</p>`;
}

function updatesHtml(inc: PublicIncident, timeZone: string): string {
  if (inc.updates.length === 0) return "";
  const items = inc.updates.map((u) => {
    const affected = u.affectedComponents.length
      ? ` · Affected: ${u.affectedComponents
          .map((c) => `${escapeHtml(c.name)} (${escapeHtml(label(componentStatusLabels, c.newStatus))})`)
          .join(", ")}`
      : "";
    return `<li><p><strong>${escapeHtml(label(stateLabels, u.status))}</strong> — ${textToHtml(u.body)}</p>
<p class="meta">${time(u.displayAt, timeZone)}${affected}</p></li>`;
  });
  return `<ol class="updates">\n${items.join("\n")}\n</ol>`;
}

function windowText(inc: PublicIncident, timeZone: string): string {
  if (!inc.scheduledFor || !inc.scheduledUntil) return "";
  return `<p class="meta">Scheduled for ${time(inc.scheduledFor, timeZone)} until ${time(inc.scheduledUntil, timeZone)}</p>`;
}

function componentsText(inc: PublicIncident): string {
  if (inc.components.length === 0) return "";
  return `<p class="meta">Components: ${inc.components.map((c) => escapeHtml(c.name)).join(", ")}</p>`;
}

/** An incident or maintenance as a card on the status page. */
function card(inc: PublicIncident, links: Links, timeZone: string): string {
  const impact = inc.scheduledFor ? "maintenance" : inc.impact;
  return `<article class="card i-${cls(impact, impactLabels)}">
<h3><a href="${escapeHtml(links.incident(inc.id))}">${escapeHtml(inc.name)}</a></h3>
<p class="meta">${escapeHtml(label(stateLabels, inc.status))} · ${escapeHtml(label(impactLabels, impact))}</p>
${windowText(inc, timeZone)}${componentsText(inc)}${updatesHtml(inc, timeZone)}
</article>`;
}

/** Days a phone shows of a bar chart (the stylesheet hides the older ones). */
const PHONE_DAYS = 30;

/** A run of consecutive days that read the same: one element of a bar chart. */
export type DayRun = {
  from: string;
  to: string;
  days: number;
  className: string;
  text: string;
  older: boolean;
};

/**
 * Consecutive days with the same status and uptime as one run: most days of most components read
 * "100% uptime, operational", and one element per run instead of per day keeps the page small (a
 * crowd downloads it again and again in an outage). A run never crosses the first of the last 30
 * days, so phones hide whole runs (`older`).
 */
export function dayRuns(bars: UptimeBar[]): DayRun[] {
  const runs: DayRun[] = [];
  const phoneFrom = Math.max(0, bars.length - PHONE_DAYS);
  bars.forEach((b, i) => {
    const text = b.noData
      ? "no data"
      : `${formatUptime(b.uptime)} uptime, ${label(componentStatusLabels, b.worst).toLowerCase()}`;
    const className = b.noData ? "nodata" : `s-${cls(b.worst, statusRank)}`;
    const last = runs[runs.length - 1];
    if (last && last.text === text && last.className === className && i !== phoneFrom) {
      last.to = b.date;
      last.days++;
    } else runs.push({ from: b.date, to: b.date, days: 1, className, text, older: i < phoneFrom });
  });
  return runs;
}

function barsHtml(name: string, bars: UptimeBar[]): string {
  if (bars.length === 0) return "";
  const items = dayRuns(bars).map((r) => {
    const when = r.days === 1 ? r.from : `${r.from} to ${r.to}`;
    const c = r.older ? `${r.className} old` : r.className;
    const span = r.days === 1 ? "" : ` style="grid-column:span ${r.days}"`;
    // The title is the tooltip and, with no other name, what screen readers announce.
    return `<li class="${c}"${span} title="${escapeHtml(`${when}: ${r.text}`)}"></li>`;
  });
  const n = bars.length;
  const short = Math.min(n, PHONE_DAYS);
  // Phones show the last 30 days (see the stylesheet), so the range and the mean follow.
  return `<ol class="bars" style="--days:${n}" aria-label="${escapeHtml(`${name}: uptime per day, last ${n} days`)}">${items.join("")}</ol>
<p class="range"><span><span class="d90">${n} days ago</span><span class="d30">${short} days ago</span></span><span><span class="d90">${meanUptime(bars)}</span><span class="d30">${meanUptime(bars.slice(-short))}</span></span><span>Today</span></p>`;
}

/** The mean uptime of the days that have data, each weighted by its counted seconds when known, as text. */
function meanUptime(bars: UptimeBar[]): string {
  let total = 0;
  let up = 0;
  for (const b of bars) {
    const weight = b.seconds ?? 1;
    if (b.noData || !(weight > 0)) continue;
    total += weight;
    up += b.uptime * weight;
  }
  return total === 0 ? "No data yet" : `${formatUptime(up / total)} uptime`;
}

function worst(statuses: ComponentStatus[]): ComponentStatus {
  return statuses.reduce<ComponentStatus>(
    (w, s) => ((statusRank[s] ?? 0) > (statusRank[w] ?? 0) ? s : w),
    "operational",
  );
}

const visible = (c: Component) => !(c.onlyShowIfDegraded && c.status === "operational");
const byPosition = (a: Component, b: Component) => a.position - b.position || a.name.localeCompare(b.name);

function componentHtml(c: Component, bars: Map<string, UptimeBar[]>, heading: "h3" | "h4"): string {
  const desc = c.description ? `\n<p class="desc">${textToHtml(c.description)}</p>` : "";
  const bar = c.showcase ? barsHtml(c.name, bars.get(c.id) ?? []) : "";
  return `<li><div class="row"><${heading}>${escapeHtml(c.name)}</${heading}>${statusText(c.status)}</div>${desc}${bar ? `\n${bar}` : ""}</li>`;
}

function componentsHtml(components: Component[], bars: Map<string, UptimeBar[]>): string {
  const groups = new Map(components.filter((c) => c.group).map((c) => [c.id, c]));
  const members = new Map<string, Component[]>();
  const top: Component[] = [];
  for (const c of components) {
    if (c.group) {
      top.push(c);
    } else if (c.groupId !== null && groups.has(c.groupId)) {
      if (!visible(c)) continue;
      const list = members.get(c.groupId) ?? [];
      list.push(c);
      members.set(c.groupId, list);
    } else if (visible(c)) {
      top.push(c);
    }
  }
  const items: string[] = [];
  for (const c of top.sort(byPosition)) {
    if (!c.group) {
      items.push(componentHtml(c, bars, "h3"));
      continue;
    }
    const list = (members.get(c.id) ?? []).sort(byPosition);
    if (list.length === 0) continue; // an empty group says nothing
    const status = worst(list.map((m) => m.status));
    items.push(`<li><div class="row"><h3>${escapeHtml(c.name)}</h3>${statusText(status)}</div>
<ul class="members" aria-label="${escapeHtml(c.name)}">
${list.map((m) => componentHtml(m, bars, "h4")).join("\n")}
</ul></li>`);
  }
  if (items.length === 0) return `<p>No components are listed on this page.</p>`;
  return `<ul class="comps">\n${items.join("\n")}\n</ul>`;
}

const isOpenMaintenance = (m: PublicIncident) => m.status !== "completed";
const isOpenIncident = (i: PublicIncident) => i.status !== "resolved";

// --- Pages ----------------------------------------------------------------------------------------

/**
 * What a page calls itself: "Acme status", or the name alone when it already says status ("Status",
 * "Acme Status Page", "System status") — the default page is named "Status", and "Status status"
 * read as a stutter.
 */
export function pageTitle(name: string): string {
  const trimmed = name.trim();
  return /\bstatus(\s+page)?$/i.test(trimmed) ? trimmed : `${trimmed} status`;
}

/** The status page: overall status, maintenance, open incidents, components with their uptime. */
export function renderPage(
  s: PageSnapshot,
  overall: OverallStatus,
  bars: Map<string, UptimeBar[]>,
  opts: { dataAge?: { seconds: number } } = {},
): string {
  const links = pageLinks(s.page.url);
  const tz = s.page.timeZone;
  const parts: string[] = [`<h1>${escapeHtml(pageTitle(s.page.name))}</h1>`];
  if (opts.dataAge) {
    parts.push(
      `<p class="note">Showing the status as of ${ago(opts.dataAge.seconds)} (${time(s.generatedAt, tz)}): current information is temporarily unavailable.</p>`,
    );
  }
  parts.push(`<section class="overall i-${cls(overall.indicator, impactLabels)}" aria-labelledby="overall">
<h2 id="overall"><span class="vh">Current status: </span>${escapeHtml(overall.description)}</h2>
</section>`);

  const incidents = s.incidents.filter(isOpenIncident);
  if (incidents.length) {
    parts.push(`<section aria-labelledby="incidents">
<h2 id="incidents">Current incidents</h2>
${incidents.map((i) => card(i, links, tz)).join("\n")}
</section>`);
  }
  const maintenances = s.maintenances.filter(isOpenMaintenance);
  const active = maintenances.filter((m) => m.status !== "scheduled");
  const upcoming = maintenances.filter((m) => m.status === "scheduled");
  if (active.length) {
    parts.push(`<section aria-labelledby="maintenance-active">
<h2 id="maintenance-active">Maintenance in progress</h2>
${active.map((m) => card(m, links, tz)).join("\n")}
</section>`);
  }
  if (upcoming.length) {
    parts.push(`<section aria-labelledby="maintenance-upcoming">
<h2 id="maintenance-upcoming">Scheduled maintenance</h2>
${upcoming.map((m) => card(m, links, tz)).join("\n")}
</section>`);
  }
  parts.push(`<section aria-labelledby="components">
<h2 id="components">Components</h2>
${componentsHtml(s.components, bars)}
</section>`);
  parts.push(`<p><a href="${escapeHtml(links.history)}">Incident history</a></p>`);
  // An absolute path, so the form also works when the page is served at / (STATUS_PAGE_AT_ROOT).
  parts.push(`<section aria-labelledby="subscribe">
<h2 id="subscribe">Get updates by email</h2>
<form method="post" action="/status/${encodeURIComponent(s.page.slug)}/subscriptions"><label>Email <input type="email" name="email" required maxlength="254" autocomplete="email"></label> <button type="submit">Subscribe</button></form>
<p class="meta">We send a link to confirm first. Every email has a one-click unsubscribe link.</p>
</section>`);
  return layout({ title: pageTitle(s.page.name), siteName: s.page.name, links, main: parts.join("\n") });
}

/** The page of one public incident or maintenance with all its updates; null when there is none. */
export function renderIncident(s: PageSnapshot, incidentId: string): string | null {
  const inc = [...s.incidents, ...s.maintenances].find((i) => i.id === incidentId);
  if (!inc) return null;
  const links = pageLinks(s.page.url);
  const tz = s.page.timeZone;
  const impact = inc.scheduledFor ? "maintenance" : inc.impact;
  const main = `<article class="card i-${cls(impact, impactLabels)}">
<h1>${escapeHtml(inc.name)}</h1>
<p class="meta">${escapeHtml(label(stateLabels, inc.status))} · ${escapeHtml(label(impactLabels, impact))}</p>
${windowText(inc, tz)}${componentsText(inc)}<h2>Updates</h2>
${updatesHtml(inc, tz) || "<p>No updates yet.</p>"}
</article>
<p><a href="${escapeHtml(links.home)}">Current status</a> · <a href="${escapeHtml(links.history)}">Incident history</a></p>`;
  return layout({ title: `${inc.name} · ${pageTitle(s.page.name)}`, siteName: s.page.name, links, main });
}

/** Resolved incidents and completed maintenance, newest first, grouped by month (page's time zone). */
export function renderHistory(s: PageSnapshot): string {
  const links = pageLinks(s.page.url);
  const tz = s.page.timeZone;
  const month = formattersFor(tz).month;
  const past = [
    ...s.incidents.filter((i) => !isOpenIncident(i)),
    ...s.maintenances.filter((m) => !isOpenMaintenance(m)),
  ].sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime());
  const months = new Map<string, PublicIncident[]>();
  for (const inc of past) {
    const key = month.format(inc.startedAt);
    months.set(key, [...(months.get(key) ?? []), inc]);
  }
  const sections = [...months].map(([name, list], n) => {
    const items = list.map((inc) => {
      const impact = inc.scheduledFor ? "maintenance" : inc.impact;
      const end = inc.resolvedAt ? ` to ${time(inc.resolvedAt, tz)}` : "";
      const last = inc.updates[0];
      const summary = last ? `\n<p>${textToHtml(last.body)}</p>` : "";
      return `<li class="card i-${cls(impact, impactLabels)}"><h3><a href="${escapeHtml(links.incident(inc.id))}">${escapeHtml(inc.name)}</a></h3>
<p class="meta">${escapeHtml(label(impactLabels, impact))} · ${time(inc.startedAt, tz)}${end}</p>${summary}</li>`;
    });
    return `<section aria-labelledby="m${n}">
<h2 id="m${n}">${escapeHtml(name)}</h2>
<ul class="history">
${items.join("\n")}
</ul>
</section>`;
  });
  const main = `<h1>Incident history</h1>
${sections.length ? sections.join("\n") : "<p>No incidents reported.</p>"}
<p><a href="${escapeHtml(links.home)}">Current status</a></p>`;
  return layout({
    title: `Incident history · ${pageTitle(s.page.name)}`,
    siteName: s.page.name,
    links,
    main,
  });
}

/** A 404 page that still looks like the status page; `what` is a noun phrase ("incident 42"). */
export function renderNotFound(what: string, pageUrl?: string): string {
  const links = pageUrl ? pageLinks(pageUrl) : undefined;
  const back = links ? `\n<p><a href="${escapeHtml(links.home)}">Go to the status page</a></p>` : "";
  const main = `<h1>Not found</h1>
<p>We could not find ${escapeHtml(what)}. It may have been removed, or the address may be mistyped.</p>${back}`;
  return layout({ title: "Not found · Status", siteName: "Status", links, main });
}

/** The page shown when nothing was rendered yet and the database is away (503). */
export function renderUnavailable(): string {
  const main = `<h1>Status temporarily unavailable</h1>
<p>The status page cannot be shown right now. Please try again in a minute.</p>`;
  return layout({ title: "Temporarily unavailable · Status", siteName: "Status", links: undefined, main });
}
