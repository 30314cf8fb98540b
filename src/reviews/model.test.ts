import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadPolicy } from "../policy/load.ts";
import { inline, reviewDocument } from "./document.ts";
import {
  addBusinessDays,
  closeRefusal,
  highestSeverity,
  phaseNames,
  phasesOf,
  reminderTimes,
  requirementOf,
  smartReasons,
} from "./model.ts";

const policy = loadPolicy();
const base = { labels: [] as string[], extraLabels: [] as string[] };

describe("requirementOf", () => {
  it("LC-6 REV-1: S1 and S2 need a review by the shipped policy; S3/S4 only when asked", () => {
    expect(requirementOf(policy, { ...base, severity: "S1" }, null)).toEqual({
      required: true,
      reason: "severity",
    });
    expect(requirementOf(policy, { ...base, severity: "S2" }, null).required).toBe(true);
    expect(requirementOf(policy, { ...base, severity: "S4" }, null)).toEqual({
      required: false,
      reason: null,
    });
    expect(
      requirementOf(policy, { ...base, severity: "S4", extraLabels: ["review-requested"] }, null).reason,
    ).toBe("requested");
  });

  it("REV-3 REV-2: a Near Miss and a recorded support-criticality requirement", () => {
    expect(requirementOf(policy, { ...base, severity: "S4", extraLabels: ["Near Miss"] }, null).reason).toBe(
      "near-miss",
    );
    expect(
      requirementOf(policy, { ...base, severity: "S1" }, { required: true, reason: "support-criticality" })
        .reason,
    ).toBe("support-criticality");
  });
});

describe("closeRefusal", () => {
  const i = { id: 7, severity: "S2", state: "resolved" as const };
  const requirement = { required: true, reason: "severity" as const };
  it("LC-6: says why and what would be right; nothing once the review is complete", () => {
    const r = closeRefusal(i, { requirement, completedAt: null });
    expect(r).toMatch(/incident 7 cannot close/);
    expect(r).toMatch(/move it to post-incident/);
    expect(r).toMatch(/POST \/api\/v1\/incidents\/7\/review\/complete/);
    expect(closeRefusal(i, { requirement, completedAt: new Date() })).toBeNull();
    expect(closeRefusal(i, { requirement: { required: false, reason: null }, completedAt: null })).toBeNull();
  });
});

describe("addBusinessDays", () => {
  it("skips the weekend: Friday + 1 is Monday, Monday + 5 is the next Monday", () => {
    expect(addBusinessDays(new Date("2026-03-06T10:00:00Z"), 1).toISOString()).toBe(
      "2026-03-09T10:00:00.000Z",
    );
    expect(addBusinessDays(new Date("2026-03-02T10:00:00Z"), 5).toISOString()).toBe(
      "2026-03-09T10:00:00.000Z",
    );
  });

  it("always lands on a business day, n business days later, at the same time of day", () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date("2020-01-01"), max: new Date("2030-01-01"), noInvalidDate: true }),
        fc.integer({ min: 1, max: 30 }),
        (from, n) => {
          const at = addBusinessDays(from, n);
          expect([0, 6]).not.toContain(at.getUTCDay());
          expect(at.getTime() % 86_400_000).toBe(from.getTime() % 86_400_000);
          let count = 0;
          for (let d = new Date(from.getTime() + 86_400_000); d <= at; d = new Date(d.getTime() + 86_400_000))
            if (![0, 6].includes(d.getUTCDay())) count++;
          expect(count).toBe(n);
        },
      ),
    );
  });
});

describe("reminderTimes", () => {
  it("before the due date while that is ahead; always when overdue", () => {
    const due = new Date("2026-03-09T10:00:00Z");
    expect(reminderTimes(policy, due, new Date("2026-03-02T10:00:00Z")).before?.toISOString()).toBe(
      "2026-03-08T10:00:00.000Z",
    );
    expect(reminderTimes(policy, due, new Date("2026-03-08T12:00:00Z")).before).toBeNull();
    expect(reminderTimes(policy, due, new Date("2026-03-08T12:00:00Z")).overdue).toEqual(due);
  });
});

describe("smartReasons (FU-2)", () => {
  const owned = { assigneeId: 3, dueAt: new Date("2026-04-01T00:00:00Z") };
  it("a specific, measurable, owned, dated action passes", () => {
    expect(smartReasons({ title: "Add an alert when queue depth exceeds 10k", ...owned })).toEqual([]);
  });

  it("flags vague verbs, no measurable outcome, no owner and no date with the reason", () => {
    expect(smartReasons({ title: "Investigate the queue", ...owned })).toEqual([
      "vague verb: investigate",
      "no measurable outcome",
    ]);
    expect(smartReasons({ title: "Look into flaky deploys", ...owned })).toContain("vague verb: look into");
    expect(smartReasons({ title: "Consider monitoring", ...owned })).toContain("vague verb: consider");
    expect(smartReasons({ title: "Add a runbook", assigneeId: null, dueAt: null })).toEqual([
      "no owner",
      "no date",
    ]);
  });

  it("a vague verb is always flagged, whatever surrounds it; owner and date flags follow the fields", () => {
    const verbs = ["investigate", "look into", "consider", "monitor"];
    fc.assert(
      fc.property(
        fc.constantFrom(...verbs),
        fc.string({ maxLength: 30 }),
        fc.string({ maxLength: 30 }),
        fc.option(fc.integer({ min: 1 })),
        fc.option(fc.date({ noInvalidDate: true })),
        (verb, before, after, assigneeId, dueAt) => {
          const title = `${before} ${verb.toUpperCase()} ${after}`;
          const r = smartReasons({ title, assigneeId, dueAt });
          expect(r).toContain(`vague verb: ${verb}`);
          expect(r.includes("no owner")).toBe(assigneeId === null);
          expect(r.includes("no date")).toBe(dueAt === null);
        },
      ),
    );
  });
});

describe("highestSeverity", () => {
  it("FU-2: the highest of the related incidents' severities; unknown ones ignored", () => {
    expect(highestSeverity(policy, ["S3", "S1", "S4"])).toBe("S1");
    expect(highestSeverity(policy, ["S4", "bogus"])).toBe("S4");
    expect(highestSeverity(policy, [])).toBeNull();
  });
});

describe("phasesOf (LC-7)", () => {
  const t0 = Date.parse("2026-03-02T10:00:00Z");
  const at = (m: number) => new Date(t0 + m * 60_000);

  it("detection, response, mitigation, resolution, review from the milestones", () => {
    const p = phasesOf({
      detectedAt: at(-10),
      impactStartedAt: at(-30),
      declaredAt: at(0),
      acceptedAt: at(0),
      mitigatedAt: at(40),
      resolvedAt: at(60),
      reviewCompletedAt: at(600),
      closedAt: null,
      transitions: [{ at: at(20), to: "fixing" }],
    });
    expect(p.map((x) => [x.name, x.startedAt, x.endedAt])).toEqual([
      ["detection", at(-30), at(0)],
      ["response", at(0), at(20)],
      ["mitigation", at(20), at(40)],
      ["resolution", at(40), at(60)],
      ["review", at(60), at(600)],
    ]);
  });

  it("phases are in order, contiguous, never negative, and only the last may be open", () => {
    const minute = fc.integer({ min: -120, max: 2000 });
    fc.assert(
      fc.property(
        fc.record({
          detected: fc.option(minute),
          impact: fc.option(minute),
          mitigated: fc.option(minute),
          resolved: fc.option(minute),
          completed: fc.option(minute),
          fixing: fc.option(minute),
        }),
        (m) => {
          const d = (x: number | null) => (x === null ? null : at(x));
          const phases = phasesOf({
            detectedAt: d(m.detected),
            impactStartedAt: d(m.impact),
            declaredAt: at(0),
            acceptedAt: at(0),
            mitigatedAt: d(m.mitigated),
            resolvedAt: m.mitigated === null ? null : d(m.resolved),
            reviewCompletedAt: d(m.completed),
            closedAt: null,
            transitions: m.fixing === null ? [] : [{ at: at(m.fixing), to: "fixing" }],
          });
          expect(phases.map((p) => p.name)).toEqual(phaseNames.slice(0, phases.length));
          expect(phases.length).toBeGreaterThanOrEqual(2);
          phases.forEach((p, n) => {
            if (p.endedAt) expect(p.endedAt.getTime()).toBeGreaterThanOrEqual(p.startedAt.getTime());
            const next = phases[n + 1];
            if (next) expect(p.endedAt).toEqual(next.startedAt);
            else if (p.name !== "review") expect(p.endedAt).toBeNull();
          });
        },
      ),
    );
  });
});

describe("reviewDocument", () => {
  it("escapes people's text: no HTML, no injected headings", () => {
    expect(inline("<script>x</script>\n# heading")).toBe("&lt;script&gt;x&lt;/script&gt; # heading");
    expect(inline("# not a heading")).toBe("\\# not a heading");
    const doc = reviewDocument({
      incident: {
        id: 1,
        title: "<img src=x onerror=alert(1)>",
        type: "GitLab.com",
        severity: "S2",
        state: "resolved",
        summary: "",
        declaredAt: at0,
        impactStartedAt: null,
        impactEndedAt: null,
        detectionSource: "monitoring",
        detectedAt: null,
        nearMissSeverity: null,
      },
      owner: { id: 1, name: "Ann", username: "ann" },
      roles: [],
      highlights: [],
      pages: [],
      changes: [],
      statusPosts: [],
      phases: [],
      correctiveActions: [
        {
          id: 4,
          title: "Investigate",
          state: "open",
          assignee: null,
          dueAt: null,
          severity: "S2",
          vagueReasons: ["no owner"],
        },
      ],
    });
    expect(doc).not.toContain("<img");
    expect(doc).toContain("Detected by: monitoring or alerting");
    expect(doc).toContain("- [ ] #4 Investigate — nobody, due not recorded, S2 (flagged: no owner)");
  });
});
const at0 = new Date("2026-03-02T10:00:00Z");
