import Parser from "rss-parser";
import { describe, expect, it } from "vitest";
import { escapeXml, renderAtom, renderRss } from "./feeds.ts";
import type { IncidentUpdate, PageSnapshot, PublicIncident } from "./types.ts";

// rss-parser (xml2js on sax, strict mode) is independent of the renderer: a feed it cannot read fails.
const parser = new Parser();

const t = (iso: string) => new Date(iso);
const hostile = `<script>alert(1)</script> & "quoted" 'single' ]]> \u0001 https://example.test/a?b=1&c=2 javascript:alert(2)`;

function update(id: string, at: string, status: IncidentUpdate["status"], body: string): IncidentUpdate {
  return {
    id,
    status,
    body,
    createdAt: t(at),
    displayAt: t(at),
    affectedComponents: [
      { id: "2", name: "API & <Edge>", oldStatus: "operational", newStatus: "major_outage" },
    ],
  };
}

function incident(
  id: string,
  name: string,
  createdAt: string,
  over: Partial<PublicIncident> = {},
): PublicIncident {
  return {
    id,
    name,
    status: "resolved",
    impact: "minor",
    scheduledFor: null,
    scheduledUntil: null,
    createdAt: t(createdAt),
    updatedAt: t(createdAt),
    monitoringAt: null,
    resolvedAt: null,
    startedAt: t(createdAt),
    shortlink: "",
    updates: [],
    components: [{ id: "2", name: "API & <Edge>" }],
    ...over,
  };
}

function snapshot(): PageSnapshot {
  return {
    page: {
      id: "1",
      name: `Acme & "Co" <Status>`,
      slug: "default",
      url: "https://status.example.test/status/default",
      timeZone: "UTC",
      updatedAt: t("2026-11-01T00:00:00Z"),
    },
    generatedAt: t("2026-11-21T00:00:00Z"),
    components: [],
    incidents: [
      incident("42", `Errors on <API> & "edge"`, "2026-11-20T10:00:00Z", {
        status: "identified",
        impact: "major",
        updatedAt: t("2026-11-20T10:05:00Z"),
        updates: [
          update("u2", "2026-11-20T10:30:00Z", "identified", `${hostile}\nsecond line`),
          update("u1", "2026-11-20T10:00:00Z", "investigating", "Looking into it."),
        ],
      }),
      incident("7", "Old one", "2026-10-01T08:00:00Z", {
        resolvedAt: t("2026-10-01T09:00:00Z"),
        updates: [update("u0", "2026-10-01T09:00:00Z", "resolved", "Fixed.")],
      }),
    ],
    maintenances: [
      incident("50", "Database upgrade", "2026-11-15T12:00:00Z", {
        status: "scheduled",
        impact: "maintenance",
        scheduledFor: t("2026-11-25T01:00:00Z"),
        scheduledUntil: t("2026-11-25T03:00:00Z"),
      }),
    ],
    securityIssue: false,
    history: [],
  };
}

const base = "https://status.example.test/status/default";

describe("escapeXml", () => {
  it("escapes markup and drops characters XML 1.0 cannot carry", () => {
    expect(escapeXml(`<a b="c">'&'</a>\u0000\u0008\uFFFE\uD800x`)).toBe(
      "&lt;a b=&quot;c&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;x",
    );
    expect(escapeXml("tab\tnewline\n😀")).toBe("tab\tnewline\n😀");
  });
});

describe("renderRss", () => {
  it("parses as RSS 2.0 with the page's title, link and items newest first", async () => {
    const xml = renderRss(snapshot());
    const feed = await parser.parseString(xml);
    expect(feed.title).toBe(`Acme & "Co" <Status> status - Incident history`);
    expect(feed.link).toBe(base);
    expect(feed.feedUrl).toBe(`${base}/history.rss`);
    expect(feed.lastBuildDate).toBe("Fri, 20 Nov 2026 10:30:00 GMT");
    expect(feed.items.map((i) => i.title)).toEqual([
      `Errors on <API> & "edge"`,
      "Database upgrade",
      "Old one",
    ]);
    expect(feed.items.map((i) => i.link)).toEqual([
      `${base}/incidents/42`,
      `${base}/incidents/50`,
      `${base}/incidents/7`,
    ]);
    expect(feed.items.map((i) => i.guid)).toEqual(feed.items.map((i) => i.link));
    expect(feed.items.map((i) => i.isoDate)).toEqual([
      "2026-11-20T10:00:00.000Z",
      "2026-11-15T12:00:00.000Z",
      "2026-10-01T08:00:00.000Z",
    ]);
  });

  it("carries every update's text escaped, so it round-trips as text and never as markup", async () => {
    const feed = await parser.parseString(renderRss(snapshot()));
    const first = feed.items[0]!;
    // The description is HTML whose only tags are ours; the message's own markup is text in it.
    expect(first.content).toContain(
      "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot; &#39;single&#39;",
    );
    expect(first.content).not.toContain("<script");
    expect(first.content).toContain('<a href="https://example.test/a?b=1&amp;c=2"');
    expect(first.content).not.toMatch(/href="javascript/);
    // As text (tags stripped, entities decoded), the message reads exactly as typed, less the control character.
    expect(first.contentSnippet).toContain(hostile.replace("\u0001", ""));
    expect(first.contentSnippet).toContain("second line");
    expect(first.contentSnippet).toContain("Identified - ");
    expect(first.contentSnippet).toContain("Investigating - Looking into it.");
    expect(first.contentSnippet).toContain("Affected: API & <Edge> (Full outage)");
    expect(first.content!.indexOf("Identified")).toBeLessThan(first.content!.indexOf("Investigating"));
    expect(feed.items[1]!.contentSnippet).toContain(
      "Scheduled for Nov 25, 2026, 01:00 UTC until Nov 25, 2026, 03:00 UTC",
    );
  });

  it("is the same bytes for the same data, and limits its length", async () => {
    expect(renderRss(snapshot())).toBe(renderRss(snapshot()));
    const feed = await parser.parseString(renderRss(snapshot(), { limit: 1 }));
    expect(feed.items).toHaveLength(1);
    const empty = await parser.parseString(renderRss({ ...snapshot(), incidents: [], maintenances: [] }));
    expect(empty.items).toHaveLength(0);
    expect(empty.lastBuildDate).toBe("Sun, 01 Nov 2026 00:00:00 GMT");
  });
});

describe("renderAtom", () => {
  it("parses as Atom 1.0 with the page's title, links, ids and dates", async () => {
    const xml = renderAtom(snapshot());
    expect(xml).toContain('<feed xmlns="http://www.w3.org/2005/Atom"');
    const feed = await parser.parseString(xml);
    expect(feed.title).toBe(`Acme & "Co" <Status> status - Incident history`);
    expect(feed.link).toBe(base); // rel="alternate"
    expect(feed.lastBuildDate).toBe("2026-11-20T10:30:00.000Z");
    const items = feed.items as (Parser.Item & { id?: string })[];
    expect(items.map((i) => i.title)).toEqual([`Errors on <API> & "edge"`, "Database upgrade", "Old one"]);
    expect(items.map((i) => i.link)).toEqual([
      `${base}/incidents/42`,
      `${base}/incidents/50`,
      `${base}/incidents/7`,
    ]);
    expect(items.map((i) => i.id)).toEqual(items.map((i) => i.link));
    // rss-parser reports `published`; `updated` moves with the newest update.
    expect(items.map((i) => i.isoDate)).toEqual([
      "2026-11-20T10:00:00.000Z",
      "2026-11-15T12:00:00.000Z",
      "2026-10-01T08:00:00.000Z",
    ]);
    expect(xml).toContain("<updated>2026-11-20T10:30:00.000Z</updated>\n<link");
  });

  it("carries the updates as escaped HTML that round-trips", async () => {
    const feed = await parser.parseString(renderAtom(snapshot()));
    const first = feed.items[0]!;
    expect(first.content).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(first.content).not.toContain("<script");
    expect(first.contentSnippet).toContain(hostile.replace("\u0001", ""));
    expect(first.contentSnippet).toContain("This incident affected: API & <Edge>.");
  });

  it("gives an item the same id after more updates", async () => {
    const s = snapshot();
    const before = (await parser.parseString(renderAtom(s))).items[0] as Parser.Item & { id?: string };
    s.incidents[0]!.updates.unshift(update("u3", "2026-11-20T11:00:00Z", "resolved", "Done."));
    const after = (await parser.parseString(renderAtom(s))).items[0] as Parser.Item & { id?: string };
    expect(after.id).toBe(before.id);
    expect(renderAtom(s)).toContain("<updated>2026-11-20T11:00:00.000Z</updated>");
  });
});
