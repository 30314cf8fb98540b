/**
 * The incidents list as plain HTML inside index.html (decision 0012): a signed-in browser loading
 * `/` or `/incidents` sees its list as soon as the page and its stylesheet arrive, instead of after
 * the app's JavaScript has been parsed, run and has rendered. The app still renders the real screen
 * (hidden) and swaps it in for this one once its list is there (web/src/lib/first-screen.ts).
 *
 * It is built only from what the API answered that browser (routes.ts asks the API itself, with the
 * browser's cookie), so it shows exactly what the app would: the same authorization, the same
 * private incidents left out. Every text is escaped; nothing here is script.
 */
import { states } from "../incidents/states.ts";
import { escapeHtml as escapeText } from "../platform/html.ts";

/** Text and attribute values (always written in double quotes); ids are numbers. */
const escapeHtml = (value: string | number): string => escapeText(String(value));

/** The parts of the API's answers the list shows (GET /session, /policy, /incidents). */
export type FirstScreenData = {
  session: { user: { username: string; name: string } };
  policy: { severities: { id: string; name: string; description?: string }[] };
  incidents: {
    id: number;
    title: string;
    type: string;
    severity: string;
    state: string;
    visibility: string;
    owner: { username: string; name: string };
    declaredAt: string;
    blocks: { deployments: boolean };
  }[];
};

// The web app's words and order (web/src/lib/incidents.ts, which the app's own screen uses).
const stateLabel: Record<string, string> = {
  triage: "Triage",
  investigating: "Investigating",
  fixing: "Fixing",
  monitoring: "Monitoring",
  resolved: "Resolved",
  "post-incident": "Post-incident",
  closed: "Closed",
  declined: "Declined",
  merged: "Merged",
};
const openStates = new Set(["triage", "investigating", "fixing", "monitoring"]);
const tones = ["critical", "high", "medium"];

const units: [Intl.RelativeTimeFormatUnit, number][] = [
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
];
const relativeFormats = new Map<string, Intl.RelativeTimeFormat>();

/** The browser's first language that Intl knows, else English: the app formats in the browser's. */
export function pageLocale(acceptLanguage: string | undefined): string {
  for (const part of (acceptLanguage ?? "").split(",")) {
    const tag = part.split(";")[0]?.trim();
    if (!tag || tag === "*") continue;
    try {
      const [supported] = Intl.RelativeTimeFormat.supportedLocalesOf(tag);
      if (supported) return supported;
    } catch {
      // not a language tag
    }
  }
  return "en";
}

/** As the app's `relative` (web/src/lib/time.ts): "just now", "5 minutes ago". */
function relative(iso: string, now: number, locale: string): string {
  const diff = Date.parse(iso) - now;
  if (!Number.isFinite(diff)) return "";
  if (Math.abs(diff) < 45_000) return "just now";
  let format = relativeFormats.get(locale);
  if (!format) {
    format = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
    relativeFormats.set(locale, format);
  }
  for (const [unit, ms] of units)
    if (Math.abs(diff) >= ms || unit === "minute") return format.format(Math.trunc(diff / ms), unit);
  return "";
}

/** The markup of the app's Shell and Incidents screen, for the rows only: no filters, no buttons. */
export function renderFirstScreen(data: FirstScreenData, now: number, locale: string): string {
  const severities = data.policy.severities;
  const order = severities.map((s) => s.id);
  const rank = (id: string) => (order.includes(id) ? order.indexOf(id) : order.length);
  const me = data.session.user;
  const row = (i: FirstScreenData["incidents"][number]) => {
    const severity = severities.find((s) => s.id === i.severity);
    const tone = tones[order.indexOf(i.severity)] ?? "low";
    const title = i.title.trim() || "(untitled)";
    return [
      '<li class="incident-row"><div class="incident-main">',
      `<span class="badge severity-${tone}"${severity?.description ? ` title="${escapeHtml(severity.description)}"` : ""}>${escapeHtml(i.severity)}`,
      severity ? `<span class="badge-name"> ${escapeHtml(severity.name)}</span>` : "",
      "</span>",
      `<a href="/incidents/${escapeHtml(i.id)}" class="incident-link"><span class="muted">#${escapeHtml(i.id)}</span> ${escapeHtml(title)}</a>`,
      '</div><div class="incident-meta">',
      `<span class="badge state state-${escapeHtml(i.state)}">${escapeHtml(stateLabel[i.state] ?? i.state)}</span>`,
      `<span>${escapeHtml(i.type)}</span>`,
      `<span>owner ${escapeHtml(i.owner.name || i.owner.username)}</span>`,
      `<span>declared <time datetime="${escapeHtml(i.declaredAt)}">${escapeHtml(relative(i.declaredAt, now, locale))}</time></span>`,
      i.visibility === "private" ? '<span class="tag">private</span>' : "",
      i.blocks.deployments && openStates.has(i.state)
        ? '<span class="tag tag-warn">blocks deployments</span>'
        : "",
      "</div></li>",
    ].join("");
  };
  const groups = states
    .map((state) => ({
      state,
      incidents: data.incidents
        .filter((i) => i.state === state)
        .sort((a, b) => rank(a.severity) - rank(b.severity) || b.id - a.id),
    }))
    .filter((g) => g.incidents.length > 0)
    .map(
      (g) =>
        `<section aria-labelledby="first-group-${g.state}" class="group"><h2 id="first-group-${g.state}">${escapeHtml(stateLabel[g.state] ?? g.state)} <span class="count">(${g.incidents.length})</span></h2><ul class="incident-list">${g.incidents.map(row).join("")}</ul></section>`,
    );
  return [
    // No id="main" and no skip link: the app's own are in the document beside these.
    '<div id="first-screen"><header class="top"><nav aria-label="Main" class="top-nav"><span class="brand">Firebreak</span><ul></ul></nav>',
    `<div class="top-user"><a href="/profile" title="Signed in as ${escapeHtml(me.username)}">${escapeHtml(me.name || me.username)}</a></div></header>`,
    '<main><div class="page"><div class="page-head"><h1>Incidents</h1></div>',
    groups.length
      ? `<div class="groups">${groups.join("")}</div>`
      : '<p class="empty">No incidents yet. Good.</p>',
    "</div></main></div>",
  ].join("");
}
