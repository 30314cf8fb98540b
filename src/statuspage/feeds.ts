/**
 * RSS 2.0 and Atom 1.0 (RFC 4287) feeds of a page's public incidents and maintenance: pure
 * functions from a snapshot to XML. One item per incident, newest first, its updates in the
 * content as escaped HTML. An item's id is its incident page's URL, so it stays the same across
 * updates and renders; its updated time moves with each update, which is what feed readers watch.
 */
import { escapeHtml, textToHtml } from "../platform/html.ts";
import { componentStatusLabels, formatDateTime, impactLabels, pageLinks, stateLabels } from "./render.ts";
import type { PageSnapshot, PublicIncident } from "./types.ts";

/** How many incidents a feed carries by default: the newest ones. */
export const defaultFeedLimit = 50;

export type FeedOptions = { limit?: number };

// XML 1.0's Char production: anything else (most control characters, lone surrogates) cannot be carried.
const invalidXml = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Escapes text for XML content and attributes, dropping characters XML cannot carry. */
export function escapeXml(value: string): string {
  return escapeHtml(value.replace(invalidXml, ""));
}

const kindLabel = (inc: PublicIncident) => (inc.scheduledFor ? "Maintenance" : "Incident");

/** The newest public incidents and maintenance, newest first. */
function entries(s: PageSnapshot, opts: FeedOptions): PublicIncident[] {
  const limit = opts.limit ?? defaultFeedLimit;
  return [...s.incidents, ...s.maintenances]
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id.localeCompare(a.id))
    .slice(0, Math.max(0, limit));
}

/** When an incident last changed: its own updated time or its newest update, whichever is later. */
function updatedAt(inc: PublicIncident): Date {
  let t = inc.updatedAt.getTime();
  for (const u of inc.updates) t = Math.max(t, u.createdAt.getTime(), u.displayAt.getTime());
  return new Date(t);
}

/** When the feed last changed: deterministic (never the render time), so identical data gives identical bytes. */
function feedUpdatedAt(s: PageSnapshot, list: PublicIncident[]): Date {
  return new Date(Math.max(s.page.updatedAt.getTime(), ...list.map((i) => updatedAt(i).getTime())));
}

/** An incident's updates as HTML (to be escaped into the feed): newest first, each with its time. */
function contentHtml(inc: PublicIncident, timeZone: string): string {
  const parts: string[] = [];
  if (inc.scheduledFor && inc.scheduledUntil) {
    parts.push(
      `<p>Scheduled for ${escapeHtml(formatDateTime(inc.scheduledFor, timeZone))} until ${escapeHtml(formatDateTime(inc.scheduledUntil, timeZone))}</p>`,
    );
  }
  for (const u of inc.updates) {
    const affected = u.affectedComponents.length
      ? `<br>Affected: ${u.affectedComponents
          .map(
            (c) => `${escapeHtml(c.name)} (${escapeHtml(componentStatusLabels[c.newStatus] ?? c.newStatus)})`,
          )
          .join(", ")}`
      : "";
    parts.push(
      `<p><small>${escapeHtml(formatDateTime(u.displayAt, timeZone))}</small><br><strong>${escapeHtml(stateLabels[u.status] ?? u.status)}</strong> - ${textToHtml(u.body)}${affected}</p>`,
    );
  }
  if (inc.components.length) {
    parts.push(
      `<p>This ${kindLabel(inc).toLowerCase()} affected: ${inc.components.map((c) => escapeHtml(c.name)).join(", ")}.</p>`,
    );
  }
  return parts.join("\n");
}

function feedTitle(s: PageSnapshot): string {
  return `${s.page.name} status - Incident history`;
}

/** RSS 2.0 of the page's incident history. */
export function renderRss(s: PageSnapshot, opts: FeedOptions = {}): string {
  const links = pageLinks(s.page.url);
  const list = entries(s, opts);
  const items = list.map((inc) => {
    const link = links.incident(inc.id);
    const category = inc.scheduledFor ? "maintenance" : inc.impact;
    return `<item>
<title>${escapeXml(inc.name)}</title>
<link>${escapeXml(link)}</link>
<guid isPermaLink="true">${escapeXml(link)}</guid>
<pubDate>${inc.createdAt.toUTCString()}</pubDate>
<category>${escapeXml(impactLabels[category] ?? category)}</category>
<description>${escapeXml(contentHtml(inc, s.page.timeZone))}</description>
</item>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>${escapeXml(feedTitle(s))}</title>
<link>${escapeXml(links.home)}</link>
<description>${escapeXml(`Incidents and maintenance of ${s.page.name}`)}</description>
<language>en</language>
<lastBuildDate>${feedUpdatedAt(s, list).toUTCString()}</lastBuildDate>
<generator>Firebreak</generator>
<atom:link href="${escapeXml(links.rss)}" rel="self" type="application/rss+xml"/>
${items.join("\n")}
</channel>
</rss>
`;
}

/** Atom 1.0 (RFC 4287) of the page's incident history. */
export function renderAtom(s: PageSnapshot, opts: FeedOptions = {}): string {
  const links = pageLinks(s.page.url);
  const list = entries(s, opts);
  const items = list.map((inc) => {
    const link = links.incident(inc.id);
    return `<entry>
<id>${escapeXml(link)}</id>
<title type="text">${escapeXml(inc.name)}</title>
<published>${inc.createdAt.toISOString()}</published>
<updated>${updatedAt(inc).toISOString()}</updated>
<link rel="alternate" type="text/html" href="${escapeXml(link)}"/>
<content type="html">${escapeXml(contentHtml(inc, s.page.timeZone))}</content>
</entry>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
<id>${escapeXml(links.atom)}</id>
<title type="text">${escapeXml(feedTitle(s))}</title>
<updated>${feedUpdatedAt(s, list).toISOString()}</updated>
<link rel="self" type="application/atom+xml" href="${escapeXml(links.atom)}"/>
<link rel="alternate" type="text/html" href="${escapeXml(links.home)}"/>
<author><name>${escapeXml(s.page.name)}</name></author>
<generator>Firebreak</generator>
${items.join("\n")}
</feed>
`;
}
