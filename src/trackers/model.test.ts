import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { declare, type Incident, states } from "../incidents/model.ts";
import type { Task } from "../incidents/tasks-store.ts";
import { loadPolicy } from "../policy/load.ts";
import { applyLabels, followUpIssue, incidentIssue, labelChange, markerOf, trackerOf } from "./model.ts";

const policy = loadPolicy();
const now = new Date("2026-03-02T10:00:00Z");

function incident(over: Partial<Incident> = {}): Incident {
  const d = declare(
    {
      title: "Checkout errors",
      type: "GitLab.com",
      severity: "S2",
      status: "active",
      summary: "500s on the cart page",
      visibility: "public",
      ownerId: 1,
      ownerChosen: false,
      blocksDeployments: false,
    },
    { actor: { id: 1, role: "responder" }, now, policy },
    [],
  );
  return { ...d.incident, id: 42, ...over };
}

const task = (over: Partial<Task> = {}): Task => ({
  id: 7,
  incidentId: 42,
  kind: "follow-up",
  title: "Alert on cart errors",
  assigneeId: null,
  state: "open",
  createdBy: 1,
  createdAt: now,
  updatedAt: now,
  ...over,
});

describe("tracker issues", () => {
  it("a type has a tracker only when the policy names one", () => {
    expect(trackerOf(policy, "GitLab.com")).toBeNull();
    const withTracker = {
      ...policy,
      incidentTypes: policy.incidentTypes.map((t) => ({
        ...t,
        tracker: { kind: "github" as const, project: "a/b" },
      })),
    };
    expect(trackerOf(withTracker, "GitLab.com")).toEqual({ kind: "github", project: "a/b" });
  });

  it("DEC-2 LC-3 LC-4: an incident's issue has its title, summary, link, labels; closed when it ended", () => {
    const c = incidentIssue(policy, incident(), "https://fb.example");
    expect(c.title).toBe("Incident #42: Checkout errors");
    expect(c.description).toContain("500s on the cart page");
    expect(c.description).toContain("https://fb.example/incidents/42");
    expect(c.description).toContain(markerOf("https://fb.example/incidents/42"));
    expect(c.labels).toEqual([
      "incident",
      "Incident::Active",
      "severity::S2",
      "blocks deployments",
      "blocks feature-flags",
    ]);
    expect(c).toMatchObject({ open: true, reason: null, confidential: false });
    expect(incidentIssue(policy, incident({ state: "resolved" }), "x").open).toBe(true);
    expect(incidentIssue(policy, incident({ state: "closed" }), "x")).toMatchObject({
      open: false,
      reason: "completed",
    });
    expect(incidentIssue(policy, incident({ state: "declined" }), "x")).toMatchObject({
      open: false,
      reason: "not_planned",
    });
    expect(incidentIssue(policy, incident({ state: "merged" }), "x")).toMatchObject({
      open: false,
      reason: "not_planned",
    });
    expect(incidentIssue(policy, incident({ title: "  " }), "x").title).toBe("Incident #42");
  });

  it("DATA-3: a private incident's issues say nothing of its title, summary or follow-ups", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 4, maxLength: 60 }).filter((s) => /^[a-z]+$/.test(s)),
        fc.constantFrom(...states),
        (secret, state) => {
          const i = incident({ title: `t ${secret}`, summary: `s ${secret}`, visibility: "private", state });
          const issue = incidentIssue(policy, i, "https://fb.example");
          const fu = followUpIssue(i, task({ title: `f ${secret}` }), "https://fb.example", "#3");
          for (const c of [issue, fu]) {
            expect(c.confidential).toBe(true);
            expect(c.title + c.description).not.toContain(secret);
          }
        },
      ),
    );
  });

  it("FU-1: a follow-up's issue names the incident's issue and follows the follow-up's state", () => {
    const c = followUpIssue(incident(), task(), "https://fb.example", "#12");
    expect(c.title).toBe("Alert on cart errors");
    expect(c.description).toContain("#12");
    expect(c.description).toContain(markerOf("https://fb.example/incidents/42", 7));
    expect(followUpIssue(incident(), task({ state: "done" }), "x", "#1")).toMatchObject({
      open: false,
      reason: "completed",
    });
    expect(followUpIssue(incident(), task({ state: "cancelled" }), "x", "#1")).toMatchObject({
      open: false,
      reason: "not_planned",
    });
  });

  it("labels: Firebreak's follow the incident, people's stay, nothing twice", () => {
    const label = fc.constantFrom("a", "b", "c", "d", "e", "f", "severity::S1", "severity::S2");
    fc.assert(
      fc.property(fc.array(label), fc.array(label), fc.array(label), (current, managed, wanted) => {
        const after = applyLabels(current, managed, wanted);
        for (const l of wanted) expect(after).toContain(l);
        for (const l of managed) if (!wanted.includes(l)) expect(after).not.toContain(l);
        // People's labels: on the issue, never put there by Firebreak.
        for (const l of current) if (!managed.includes(l)) expect(after).toContain(l);
        expect(new Set(after).size).toBe(after.length);
        const { add, remove } = labelChange(managed, wanted);
        expect(add.filter((l) => remove.includes(l))).toEqual([]);
      }),
    );
  });
});
