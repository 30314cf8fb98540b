import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { component } from "../../test/support/statuspage.ts";
import { escapeHtml, textToHtml } from "../platform/html.ts";
import {
  dayRuns,
  formatUptime,
  pageTitle,
  renderHistory,
  renderIncident,
  renderNotFound,
  renderPage,
  type UptimeBar,
} from "./render.ts";
import type { ComponentStatus, OverallStatus, PageSnapshot, PublicIncident } from "./types.ts";

const t = (iso: string) => new Date(iso);
const hostile = `<script>alert(1)</script> " onmouseover=alert(2) x=" ' <img src=x onerror=alert(3)>
see javascript:alert(4) and JAVASCRIPT://%0aalert(5) or data:text/html,<b>x</b>
details: https://example.test/a?b=1&c="2" and (https://example.test/wiki/Foo_(bar)).`;

function incident(id: string, over: Partial<PublicIncident> = {}): PublicIncident {
  return {
    id,
    name: `Incident ${id}`,
    status: "investigating",
    impact: "major",
    scheduledFor: null,
    scheduledUntil: null,
    createdAt: t("2026-11-20T10:00:00Z"),
    updatedAt: t("2026-11-20T10:30:00Z"),
    monitoringAt: null,
    resolvedAt: null,
    startedAt: t("2026-11-20T10:00:00Z"),
    shortlink: `https://status.example.test/i/${id}`,
    updates: [],
    components: [],
    ...over,
  };
}

function snapshot(): PageSnapshot {
  return {
    page: {
      id: "1",
      name: "Acme",
      slug: "default",
      url: "https://status.example.test/status/default/",
      timeZone: "Europe/Paris",
      updatedAt: t("2026-11-20T10:30:00Z"),
    },
    generatedAt: t("2026-11-20T10:31:00Z"),
    components: [
      component("1", "Platform", { group: true }),
      component("2", "API", { groupId: "1", status: "partial_outage" }),
      component("3", "Dashboard", { groupId: "1", description: "The web app" }),
      component("4", "Webhooks", { status: "degraded_performance" }),
      component("5", "Hidden when fine", { onlyShowIfDegraded: true }),
      component("6", "Empty group", { group: true }),
      component("7", "No bars", { showcase: false }),
    ],
    incidents: [
      incident("42", {
        name: `API errors <b>bold</b>`,
        status: "identified",
        components: [{ id: "2", name: "API" }],
        updates: [
          {
            id: "u2",
            status: "identified",
            body: hostile,
            createdAt: t("2026-11-20T10:30:00Z"),
            displayAt: t("2026-11-20T10:30:00Z"),
            affectedComponents: [
              { id: "2", name: "API", oldStatus: "operational", newStatus: "partial_outage" },
            ],
          },
          {
            id: "u1",
            status: "investigating",
            body: "We are looking into it.\nMore soon.",
            createdAt: t("2026-11-20T10:00:00Z"),
            displayAt: t("2026-11-20T10:00:00Z"),
            affectedComponents: [],
          },
        ],
      }),
      incident("41", {
        name: "Old outage",
        status: "resolved",
        impact: "critical",
        startedAt: t("2026-10-03T08:00:00Z"),
        createdAt: t("2026-10-03T08:00:00Z"),
        resolvedAt: t("2026-10-03T09:00:00Z"),
        updates: [
          {
            id: "u0",
            status: "resolved",
            body: "Fixed.",
            createdAt: t("2026-10-03T09:00:00Z"),
            displayAt: t("2026-10-03T09:00:00Z"),
            affectedComponents: [],
          },
        ],
      }),
      incident("40", {
        name: "Older outage",
        status: "resolved",
        startedAt: t("2026-09-10T08:00:00Z"),
        createdAt: t("2026-09-10T08:00:00Z"),
      }),
    ],
    maintenances: [
      incident("50", {
        name: "Database upgrade",
        status: "scheduled",
        impact: "maintenance",
        scheduledFor: t("2026-11-25T01:00:00Z"),
        scheduledUntil: t("2026-11-25T03:00:00Z"),
      }),
      incident("51", {
        name: "Network work",
        status: "in_progress",
        impact: "maintenance",
        scheduledFor: t("2026-11-20T09:00:00Z"),
        scheduledUntil: t("2026-11-20T12:00:00Z"),
      }),
    ],
    securityIssue: false,
    history: [],
  };
}

function days(n: number, worst: ComponentStatus = "operational"): UptimeBar[] {
  return Array.from({ length: n }, (_, i) => {
    const date = new Date(Date.UTC(2026, 7, 23 + i)).toISOString().slice(0, 10);
    return {
      date,
      uptime: i === n - 1 ? 0.992 : 1,
      worst: i === n - 1 ? worst : "operational",
      noData: i < 2,
    };
  });
}

const overall: OverallStatus = { indicator: "major", description: "Partial Service Disruption" };
const bars = new Map([
  ["2", days(90, "partial_outage")],
  ["3", days(90)],
  ["4", days(90, "degraded_performance")],
  ["7", days(90)],
]);

/** Every start tag of a document (outside <style>), with its attribute names. */
function tags(html: string): { name: string; attrs: string[] }[] {
  const body = html.replace(/<style>[\s\S]*?<\/style>/, "");
  return [...body.matchAll(/<([a-zA-Z][\w-]*)((?:\s+[\w:-]+(?:="[^"]*")?)*)\s*\/?>/g)].map((m) => ({
    name: m[1]!.toLowerCase(),
    attrs: [...(m[2] ?? "").matchAll(/([\w:-]+)(?:="[^"]*")?/g)].map((a) => a[1]!.toLowerCase()),
  }));
}

const allowedTags = new Set(
  // form, label, input, button: the page's own subscribe form.
  "html head meta title link style body a header main footer div span section article h1 h2 h3 h4 p ol ul li strong br time form label input button".split(
    " ",
  ),
);

/** The markup is only ours: known tags, no event handlers, every href http(s) or fragment. */
function expectOnlyOurMarkup(html: string) {
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/<img/i);
  expect(html).not.toMatch(/<b>/i);
  for (const tag of tags(html)) {
    expect(allowedTags, tag.name).toContain(tag.name);
    for (const a of tag.attrs) expect(a, `${tag.name} ${a}`).not.toMatch(/^on/);
  }
  for (const m of html.matchAll(/\bhref="([^"]*)"/g)) expect(m[1]).toMatch(/^(https?:\/\/|#)/);
  // Every attribute is closed where it should be: a quote in data never ends one.
  for (const m of html.matchAll(/<[^>]*>/g)) expect((m[0].match(/"/g) ?? []).length % 2, m[0]).toBe(0);
}

describe("escapeHtml and textToHtml", () => {
  it("escapes the five characters", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  });

  it("keeps line breaks and links only http(s) URLs", () => {
    expect(textToHtml("a\r\nb\n\nc")).toBe("a<br>b<br><br>c");
    expect(textToHtml("go to https://x.test/a?b=1&c=2.")).toBe(
      'go to <a href="https://x.test/a?b=1&amp;c=2" rel="nofollow noopener noreferrer">https://x.test/a?b=1&amp;c=2</a>.',
    );
    expect(textToHtml("javascript:alert(1) ftp://x.test")).toBe("javascript:alert(1) ftp://x.test");
    expect(textToHtml("(see https://x.test/Foo_(bar))")).toContain('href="https://x.test/Foo_(bar)"');
    expect(textToHtml("(see https://x.test/foo)")).toContain('href="https://x.test/foo"');
    expect(textToHtml('https://x.test/"onmouseover="alert(1)')).toBe(
      '<a href="https://x.test/" rel="nofollow noopener noreferrer">https://x.test/</a>&quot;onmouseover=&quot;alert(1)',
    );
  });
});

describe("pageTitle", () => {
  it('says "<name> status", without doubling a name that already says status', () => {
    expect(pageTitle("Acme")).toBe("Acme status");
    expect(pageTitle("Status")).toBe("Status"); // the default page's name
    expect(pageTitle("System status")).toBe("System status");
    expect(pageTitle("Acme Status Page")).toBe("Acme Status Page");
    expect(pageTitle("  Acme  ")).toBe("Acme status");
    expect(pageTitle("Statuses")).toBe("Statuses status");
  });

  it("never ends in a doubled status, whatever the name", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (name) => {
        expect(pageTitle(name)).not.toMatch(/\bstatus\s+status$/i);
        expect(pageTitle(name).toLowerCase()).toMatch(/status(\s+page)?$/);
      }),
    );
  });

  it("is the heading and the title of the page, the incident and the history", () => {
    const s = { ...snapshot(), page: { ...snapshot().page, name: "Status" } };
    const page = renderPage(s, overall, bars);
    expect(page).toContain("<h1>Status</h1>");
    expect(page).toContain("<title>Status</title>");
    expect(page).not.toMatch(/Status status/i);
    expect(renderHistory(s)).toContain("<title>Incident history · Status</title>");
    expect(renderPage(snapshot(), overall, bars)).toContain("<h1>Acme status</h1>");
  });
});

describe("renderPage", () => {
  const html = renderPage(snapshot(), overall, bars);

  it("is one self-contained, accessible document", () => {
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(html).toContain('<meta name="viewport" content="width=device-width,initial-scale=1">');
    expect(html.match(/<style>/g)).toHaveLength(1);
    const names = tags(html).map((t) => t.name);
    expect(names).not.toContain("script");
    expect(names.filter((n) => n === "link")).toHaveLength(2); // the two feeds, no stylesheet
    expect(tags(html).some((t) => t.attrs.includes("src"))).toBe(false);
    for (const landmark of ["<header>", '<main id="main"', "<footer>"]) expect(html).toContain(landmark);
    // Headings never skip a level.
    const levels = [...html.matchAll(/<h([1-6])/g)].map((m) => Number(m[1]));
    expect(levels[0]).toBe(1);
    for (let i = 1; i < levels.length; i++) expect(levels[i]! - levels[i - 1]!).toBeLessThanOrEqual(1);
    expect(Buffer.byteLength(html)).toBeLessThan(100_000);
  });

  it("links the history and both feeds", () => {
    expect(html).toContain(
      '<link rel="alternate" type="application/rss+xml" title="Acme incident history (RSS)" href="https://status.example.test/status/default/history.rss">',
    );
    expect(html).toContain(
      '<link rel="alternate" type="application/atom+xml" title="Acme incident history (Atom)" href="https://status.example.test/status/default/history.atom">',
    );
    expect(html).toContain('href="https://status.example.test/status/default/history"');
  });

  it("states the overall status in words", () => {
    expect(html).toMatch(
      /<h2 id="overall"><span class="vh">Current status: <\/span>Partial Service Disruption<\/h2>/,
    );
    expect(html).toContain('class="overall i-major"');
  });

  it("shows components, groups with their members, and each status as text", () => {
    expect(html).toMatch(/<h3>Platform<\/h3><p class="st s-partial_outage">Partial outage<\/p>/);
    expect(html).toMatch(/<h4>API<\/h4><p class="st s-partial_outage">Partial outage<\/p>/);
    expect(html).toMatch(/<h4>Dashboard<\/h4><p class="st s-operational">Operational<\/p>/);
    expect(html).toContain('<p class="desc">The web app</p>');
    expect(html).toMatch(/<h3>Webhooks<\/h3><p class="st s-degraded_performance">Degraded performance<\/p>/);
    expect(html).not.toContain("Hidden when fine");
    expect(html).not.toContain("Empty group");
    // Members are inside their group's list, in position order.
    const group = html.slice(html.indexOf("<h3>Platform</h3>"), html.indexOf("<h3>Webhooks</h3>"));
    expect(group.indexOf("<h4>API</h4>")).toBeLessThan(group.indexOf("<h4>Dashboard</h4>"));
  });

  it("draws 90 labelled days per showcased component, days that read the same as one run", () => {
    const lists = [
      ...html.matchAll(/<ol class="bars" style="--days:90" aria-label="([^"]*)">([\s\S]*?)<\/ol>/g),
    ];
    expect(lists.map((l) => l[1])).toEqual([
      "API: uptime per day, last 90 days",
      "Dashboard: uptime per day, last 90 days",
      "Webhooks: uptime per day, last 90 days",
    ]);
    for (const l of lists) {
      const spans = [...l[2]!.matchAll(/<li [^>]*>/g)].map((m) =>
        Number(/grid-column:span (\d+)/.exec(m[0])?.[1] ?? 1),
      );
      expect(spans.reduce((a, b) => a + b, 0)).toBe(90);
    }
    const api = lists[0]![2]!;
    expect(api).toBe(
      [
        '<li class="nodata old" style="grid-column:span 2" title="2026-08-23 to 2026-08-24: no data"></li>',
        // Phones show the last 30 days: a run stops where they start (2026-10-22).
        '<li class="s-operational old" style="grid-column:span 58" title="2026-08-25 to 2026-10-21: 100% uptime, operational"></li>',
        '<li class="s-operational" style="grid-column:span 29" title="2026-10-22 to 2026-11-19: 100% uptime, operational"></li>',
        '<li class="s-partial_outage" title="2026-11-20: 99.2% uptime, partial outage"></li>',
      ].join(""),
    );
    // 87 days at 100% and one at 99.2%, the two without data left out.
    expect(html).toContain('<span class="d90">99.99% uptime</span><span class="d30">99.97% uptime</span>');
  });

  it("cuts bars into runs that cover every day once, in order, each reading as all its days", () => {
    const statuses: ComponentStatus[] = [
      "operational",
      "degraded_performance",
      "partial_outage",
      "major_outage",
    ];
    const day = fc.record({
      uptime: fc.constantFrom(1, 0.992, 0.5, 0),
      worst: fc.constantFrom(...statuses),
      noData: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(day, { maxLength: 120 }), (raw) => {
        const bars: UptimeBar[] = raw.map((d, i) => ({
          ...d,
          date: new Date(Date.UTC(2026, 0, 1 + i)).toISOString().slice(0, 10),
        }));
        const runs = dayRuns(bars);
        let i = 0;
        const phoneFrom = Math.max(0, bars.length - 30);
        for (const [k, r] of runs.entries()) {
          expect(r.from).toBe(bars[i]!.date);
          expect(r.to).toBe(bars[i + r.days - 1]!.date);
          const alone = dayRuns([bars[i]!])[0]!;
          for (let j = i; j < i + r.days; j++) {
            const one = dayRuns([bars[j]!])[0]!;
            expect([one.text, one.className]).toEqual([alone.text, alone.className]);
            expect(j < phoneFrom).toBe(r.older);
          }
          expect([r.text, r.className]).toEqual([alone.text, alone.className]);
          // Neighbours differ, unless the phone's first day parts them.
          const next = runs[k + 1];
          if (next && i + r.days !== phoneFrom)
            expect([next.text, next.className]).not.toEqual([r.text, r.className]);
          i += r.days;
        }
        expect(i).toBe(bars.length);
      }),
    );
  });

  it("formats uptime shares as percentages, weighting days by their seconds when given", () => {
    expect(formatUptime(1)).toBe("100%");
    expect(formatUptime(0.992)).toBe("99.2%");
    expect(formatUptime(0.99999)).toBe("99.99%");
    expect(formatUptime(0)).toBe("0%");
    expect(formatUptime(Number.NaN)).toBe("0%");
    const weighted: UptimeBar[] = [
      { date: "2026-03-28", uptime: 1, worst: "operational", noData: false, seconds: 86_400 },
      { date: "2026-03-29", uptime: 0, worst: "major_outage", noData: false, seconds: 82_800 },
      { date: "2026-03-30", uptime: 0.5, worst: "major_outage", noData: false, seconds: 0 },
      { date: "2026-03-31", uptime: 1, worst: "operational", noData: true, seconds: 0 },
    ];
    const out = renderPage(snapshot(), overall, new Map([["2", weighted]]));
    expect(out).toContain(`<span class="d90">${formatUptime(86_400 / (86_400 + 82_800))} uptime</span>`);
    expect(out).toContain('title="2026-03-29: 0% uptime, full outage"');
  });

  it("shows open incidents with all their updates, and maintenance", () => {
    expect(html).toContain(
      '<h3><a href="https://status.example.test/status/default/incidents/42">API errors &lt;b&gt;bold&lt;/b&gt;</a></h3>',
    );
    expect(html).toContain("<strong>Investigating</strong> — We are looking into it.<br>More soon.");
    expect(html).toContain("Affected: API (Partial outage)");
    expect(html).toContain('<time datetime="2026-11-20T10:30:00.000Z">Nov 20, 2026, 11:30 GMT+1</time>');
    expect(html).not.toContain("Old outage");
    const active = html.indexOf("Maintenance in progress");
    const upcoming = html.indexOf("Scheduled maintenance");
    expect(active).toBeGreaterThan(0);
    expect(html.indexOf("Network work")).toBeGreaterThan(active);
    expect(html.indexOf("Database upgrade")).toBeGreaterThan(upcoming);
    expect(html).toContain("Scheduled for <time");
  });

  it("lets no message markup through", () => {
    expectOnlyOurMarkup(html);
    expect(html).toContain(
      "&lt;script&gt;alert(1)&lt;/script&gt; &quot; onmouseover=alert(2) x=&quot; &#39;",
    );
    expect(html).toContain("javascript:alert(4)");
    expect(html).not.toMatch(/href="\s*javascript/i);
    expect(html).toContain(
      '<a href="https://example.test/a?b=1&amp;c=" rel="nofollow noopener noreferrer">https://example.test/a?b=1&amp;c=</a>&quot;2&quot;',
    );
    expect(html).toContain('href="https://example.test/wiki/Foo_(bar)"');
  });

  it("notes the data's age only when given", () => {
    expect(html).not.toContain("Showing the status as of");
    const stale = renderPage(snapshot(), overall, bars, { dataAge: { seconds: 300 } });
    expect(stale).toContain('<p class="note">Showing the status as of 5 minutes ago');
    expect(renderPage(snapshot(), overall, bars, { dataAge: { seconds: 60 } })).toContain(
      "as of 1 minute ago",
    );
    expect(renderPage(snapshot(), overall, bars, { dataAge: { seconds: 3 * 3600 } })).toContain(
      "as of 3 hours ago",
    );
  });

  it("renders a page without components, bars or incidents", () => {
    const s = { ...snapshot(), components: [], incidents: [], maintenances: [] };
    const empty = renderPage(s, { indicator: "none", description: "All Systems Operational" }, new Map());
    expect(empty).toContain("All Systems Operational");
    expect(empty).toContain("No components are listed on this page.");
    expect(empty).not.toContain("Current incidents");
  });

  it("escapes the page's own name and URL", () => {
    const s = snapshot();
    s.page.name = `<i>"Acme"</i>`;
    s.page.url = `https://x.test/"><script>`;
    const out = renderPage(s, overall, bars);
    expectOnlyOurMarkup(out);
    expect(out).toContain("<title>&lt;i&gt;&quot;Acme&quot;&lt;/i&gt; status</title>");
    s.page.url = "javascript:alert(1)//";
    const hrefs = [...renderPage(s, overall, bars).matchAll(/\bhref="([^"]*)"/g)].map((m) => m[1]);
    expect(hrefs).toContain("/history.rss");
    for (const href of hrefs) expect(href).toMatch(/^(https?:\/\/|#|\/)/);
  });
});

describe("renderIncident", () => {
  it("renders every update of a public incident", () => {
    const html = renderIncident(snapshot(), "42")!;
    expect(html).toContain("<h1>API errors &lt;b&gt;bold&lt;/b&gt;</h1>");
    expect(html).toContain("<strong>Identified</strong>");
    expect(html).toContain("<strong>Investigating</strong>");
    expect(html).toContain("Components: API");
    expectOnlyOurMarkup(html);
  });

  it("renders maintenance too, and null for an unknown id", () => {
    expect(renderIncident(snapshot(), "50")).toContain("Scheduled · Maintenance");
    expect(renderIncident(snapshot(), "nope")).toBeNull();
  });
});

describe("renderHistory", () => {
  it("lists resolved incidents by month, newest first", () => {
    const html = renderHistory(snapshot());
    expect(html).toContain("<h1>Incident history</h1>");
    const october = html.indexOf(">October 2026</h2>");
    const september = html.indexOf(">September 2026</h2>");
    expect(october).toBeGreaterThan(0);
    expect(september).toBeGreaterThan(october);
    expect(html.indexOf("Old outage")).toBeGreaterThan(october);
    expect(html.indexOf("Older outage")).toBeGreaterThan(september);
    expect(html).toContain("<p>Fixed.</p>");
    expect(html).not.toContain("API errors");
    expectOnlyOurMarkup(html);
  });

  it("says so when there is no history", () => {
    expect(renderHistory({ ...snapshot(), incidents: [], maintenances: [] })).toContain(
      "No incidents reported.",
    );
  });
});

describe("renderNotFound", () => {
  it("is a whole page that names what is missing and links back", () => {
    const html = renderNotFound('incident "<x>"', "https://status.example.test/status/default");
    expect(html).toContain("<h1>Not found</h1>");
    expect(html).toContain("We could not find incident &quot;&lt;x&gt;&quot;.");
    expect(html).toContain('<a href="https://status.example.test/status/default">Go to the status page</a>');
    expect(html).toContain("<style>");
    expectOnlyOurMarkup(html);
    expect(renderNotFound("status page “nope”")).not.toContain("Go to the status page");
  });
});
