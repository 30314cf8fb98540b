import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AppError } from "../platform/errors.ts";
import { loadPolicy } from "../policy/load.ts";
import { severityRank } from "../policy/model.ts";
import { editFields, merge, nextUpdateDue, postStatusUpdate, recordImpact } from "./fields.ts";
import {
  type Actor,
  type Context,
  changeSeverity,
  declare,
  deriveLabels,
  type Incident,
  nextStates,
  recurrenceUpgrade,
  type State,
  states,
  transition,
} from "./model.ts";
import { assignRole, changeOwner, escalateToIncidentManager } from "./people.ts";

const policy = loadPolicy();
const t0 = new Date("2026-03-02T10:00:00Z");
const alice: Actor = { id: 1, role: "responder" };
const bob: Actor = { id: 2, role: "responder" };
const admin: Actor = { id: 9, role: "admin" };
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
const ctx = (actor: Actor, minutes = 0): Context => ({ actor, now: at(minutes), policy });

function declared(severity = "S2", status: "triage" | "active" = "active", id = 7): Incident {
  const d = declare(
    {
      title: "API errors",
      type: "GitLab.com",
      severity,
      status,
      summary: "",
      visibility: "public",
      ownerId: 1,
      ownerChosen: false,
      blocksDeployments: false,
    },
    ctx(alice),
    [],
  );
  return { ...d.incident, id };
}

function walk(i: Incident, path: State[], actor = alice, minutes = 0): Incident {
  return path.reduce((cur, to) => transition(cur, { to }, ctx(actor, minutes)).incident, i);
}

function rejects(fn: () => unknown, code: string): AppError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe(code);
    return err as AppError;
  }
  throw new Error("expected a refusal");
}

describe("LC-1 workflow", () => {
  it("LC-1: an active declaration starts investigating; a triage one waits for accept or decline", () => {
    expect(declared("S3", "active").state).toBe("investigating");
    const triage = declared("S3", "triage");
    expect(triage.state).toBe("triage");
    expect(nextStates(triage)).toEqual(["investigating", "declined"]);
    const accepted = transition(triage, { to: "investigating", severity: "S2" }, ctx(alice));
    expect(accepted.incident.severity).toBe("S2");
    expect(accepted.incident.acceptedAt).toEqual(t0);
    expect(accepted.events.map((e) => e.kind)).toEqual(["status-changed", "severity-changed"]);
    expect(accepted.events[0]!.data.verb).toBe("accepted");
    expect(transition(triage, { to: "declined" }, ctx(alice)).incident.state).toBe("declined");
  });

  it("LC-1: the whole road to closed, with monitoring skippable", () => {
    const i = walk(declared("S3"), ["fixing", "monitoring", "resolved", "post-incident", "closed"]);
    expect(i.state).toBe("closed");
    expect(walk(declared("S3"), ["fixing", "resolved", "closed"]).state).toBe("closed");
  });

  it("LC-1: an impossible move is refused naming the current and allowed states", () => {
    const err = rejects(() => transition(declared(), { to: "closed" }, ctx(alice)), "invalid-transition");
    expect(err.extra.currentState).toBe("investigating");
    expect(err.extra.allowed).toEqual(["fixing", "monitoring", "resolved"]);
    expect(err.message).toMatch(/investigating.*fixing, monitoring, resolved.*not closed/);
  });

  it("LC-1: reopening a closed incident clears its resolution", () => {
    const closed = walk(declared("S3"), ["resolved", "closed"]);
    const reopened = transition(closed, { to: "investigating", reason: "came back" }, ctx(alice, 5));
    expect(reopened.incident.state).toBe("investigating");
    expect(reopened.incident.resolvedAt).toBeNull();
    expect(reopened.incident.closedAt).toBeNull();
    expect(reopened.events[0]!.data.verb).toBe("reopened");
  });
});

describe("LC-3 labels", () => {
  it.each([
    ["triage", ["incident", "severity::S3"]],
    ["investigating", ["incident", "Incident::Active", "severity::S3"]],
    ["fixing", ["incident", "Incident::Active", "severity::S3"]],
    ["monitoring", ["incident", "Incident::Mitigated", "severity::S3"]],
    ["resolved", ["incident", "Incident::Resolved", "severity::S3"]],
    ["post-incident", ["incident", "Incident::Resolved", "severity::S3"]],
    ["closed", ["incident", "Incident::Resolved", "severity::S3"]],
  ] as const)("LC-3: %s carries %j", (state, labels) => {
    expect(deriveLabels(policy, state, "S3", false)).toEqual(labels);
  });

  it("LC-4: S1/S2 and the Blocks Deployments field add both blocking labels", () => {
    expect(deriveLabels(policy, "investigating", "S1", false)).toContain("blocks deployments");
    expect(deriveLabels(policy, "investigating", "S2", false)).toContain("blocks feature-flags");
    expect(deriveLabels(policy, "investigating", "S3", false)).not.toContain("blocks deployments");
    expect(deriveLabels(policy, "investigating", "S4", true)).toContain("blocks deployments");
    const i = editFields(declared("S4"), { blocksDeployments: true }, ctx(alice)).incident;
    expect(i.labels).toContain("blocks feature-flags");
  });
});

describe("LC-5 closing delay", () => {
  it("LC-5: an S1 resolved 29 minutes ago cannot close; at 30 minutes it can", () => {
    const resolved = walk(declared("S1"), ["resolved"]);
    const err = rejects(() => transition(resolved, { to: "closed" }, ctx(alice, 29)), "invalid-transition");
    expect(err.extra.closableAt).toBe(at(30).toISOString());
    expect(transition(resolved, { to: "closed" }, ctx(alice, 30)).incident.state).toBe("closed");
  });

  it("LC-5: an S3 closes at once", () => {
    expect(walk(declared("S3"), ["resolved", "closed"]).state).toBe("closed");
  });
});

describe("OWN ownership", () => {
  it("OWN-2: only the owner resolves, not even an admin", () => {
    rejects(() => transition(declared(), { to: "resolved" }, ctx(bob)), "forbidden");
    rejects(() => transition(declared(), { to: "resolved" }, ctx(admin)), "forbidden");
    expect(transition(declared(), { to: "resolved" }, ctx(alice)).incident.state).toBe("resolved");
  });

  it("OWN-1: the owner or an admin hands over; another responder cannot", () => {
    rejects(() => changeOwner(declared(), 3, "", ctx(bob)), "forbidden");
    const handed = changeOwner(declared(), 2, "shift ends", ctx(alice));
    expect(handed.incident.ownerId).toBe(2);
    expect(handed.events[0]).toMatchObject({ kind: "owner-changed", data: { from: 1, to: 2 } });
    expect(changeOwner(declared(), 3, "", ctx(admin)).incident.ownerId).toBe(3);
  });

  it("OWN-1: escalating hands ownership to the IM once the role is held; with none, the caller pages", () => {
    expect(escalateToIncidentManager(declared(), "", ctx(alice))).toBeNull();
    rejects(() => escalateToIncidentManager(declared(), "", ctx(bob)), "forbidden");
    const withIm = assignRole(declared(), "IM", 5, ctx(alice)).incident;
    const escalated = escalateToIncidentManager(withIm, "need coordination", ctx(alice));
    expect(escalated?.incident.ownerId).toBe(5);
    expect(escalated?.incident.ownerDeliberate).toBe(true);
    expect(escalated?.events[0]?.data.escalatedTo).toBe("IM");
  });

  it("OWN-5: roles come from the policy and have one holder each", () => {
    const err = rejects(() => assignRole(declared(), "Captain", 2, ctx(alice)), "invalid-request");
    expect(err.message).toContain("EOC");
    const one = assignRole(declared(), "CMOC", 2, ctx(alice)).incident;
    const two = assignRole(one, "CMOC", 3, ctx(alice));
    expect(two.incident.roles.CMOC).toBe(3);
    expect(two.events[0]!.data).toEqual({ role: "CMOC", from: 2, to: 3 });
    expect(assignRole(two.incident, "CMOC", null, ctx(alice)).incident.roles).toEqual({});
  });
});

describe("SEV severity", () => {
  it("SEV-1: a change records from, to and why", () => {
    const d = changeSeverity(declared("S3"), "S1", "customers affected", ctx(alice));
    expect(d.incident.severity).toBe("S1");
    expect(d.events[0]).toMatchObject({
      kind: "severity-changed",
      body: "customers affected",
      data: { from: "S3", to: "S1" },
    });
  });

  it("SEV-2: lowering is fine before mitigation and refused after, raising always works", () => {
    expect(changeSeverity(declared("S1"), "S3", "smaller than feared", ctx(alice)).incident.severity).toBe(
      "S3",
    );
    const mitigated = walk(declared("S2"), ["monitoring"]);
    rejects(() => changeSeverity(mitigated, "S3", "calmer now", ctx(alice)), "invalid-transition");
    expect(changeSeverity(mitigated, "S1", "worse", ctx(alice)).incident.severity).toBe("S1");
    const reopened = walk(mitigated, ["resolved", "investigating"]);
    rejects(() => changeSeverity(reopened, "S4", "calm", ctx(alice)), "invalid-transition");
  });

  it("SEV-4: a closed S3 followed within 3 hours by an S3 makes the later one S2", () => {
    const closed = [{ id: 3, severity: "S3", closedAt: at(-179), visibility: "public" as const }];
    const d = declare(
      {
        title: "",
        type: "GitLab.com",
        severity: "S3",
        status: "active",
        summary: "",
        visibility: "public",
        ownerId: 1,
        ownerChosen: false,
        blocksDeployments: false,
      },
      ctx(alice),
      closed,
    );
    expect(d.incident.severity).toBe("S2");
    expect(d.events[1]).toMatchObject({
      kind: "severity-changed",
      data: { from: "S3", to: "S2", rule: "SEV-4", recurrenceOf: 3 },
    });
  });

  it("SEV-4: no upgrade after the window, for an S4, or for an S1", () => {
    const old = [{ id: 3, severity: "S2", closedAt: at(-181), visibility: "public" as const }];
    expect(recurrenceUpgrade(policy, "S3", t0, old)).toBeNull();
    const recent = [{ id: 3, severity: "S2", closedAt: at(-10), visibility: "public" as const }];
    expect(recurrenceUpgrade(policy, "S4", t0, recent)).toBeNull();
    expect(recurrenceUpgrade(policy, "S1", t0, recent)).toBeNull();
    expect(recurrenceUpgrade(policy, "S3", t0, recent)?.to).toBe("S2");
  });
});

describe("COMM-1 status updates", () => {
  it("COMM-1: an update is due one cadence after acceptance, then after each update; none once resolved", () => {
    const s2 = declared("S2");
    const cadence = policy.severities.find((x) => x.id === "S2")!.updateCadenceMinutes;
    expect(nextUpdateDue(policy, s2)).toEqual(at(cadence));
    const updated = postStatusUpdate(
      s2,
      { impact: "checkout slow", actions: "rolling back" },
      ctx(alice, 10),
    );
    expect(updated.events[0]).toMatchObject({
      kind: "status-update",
      data: { impact: "checkout slow", actions: "rolling back" },
    });
    expect(nextUpdateDue(policy, updated.incident)).toEqual(at(10 + cadence));
    expect(nextUpdateDue(policy, walk(updated.incident, ["resolved"]))).toBeNull();
    expect(nextUpdateDue(policy, declared("S2", "triage"))).toBeNull();
  });
});

describe("TL-3 and LC-2", () => {
  it("TL-3: impact cannot end before it starts", () => {
    rejects(() => recordImpact(declared(), "ended", at(1), ctx(alice)), "conflict");
    const started = recordImpact(declared(), "started", at(-10), ctx(alice)).incident;
    rejects(() => recordImpact(started, "ended", at(-11), ctx(alice)), "invalid-request");
    expect(recordImpact(started, "ended", at(0), ctx(alice)).incident.impactEndedAt).toEqual(at(0));
  });

  it("LC-2: a duplicate merges only into an open primary, never private into public", () => {
    const primary = declared("S2", "active", 1);
    const dup = declared("S3", "active", 2);
    const m = merge(dup, primary, "same outage", ctx(alice));
    expect(m.duplicate.incident).toMatchObject({ state: "merged", mergedInto: 1 });
    expect(m.primary.events[0]!.data.duplicate).toBe(2);
    rejects(() => merge(dup, walk(primary, ["resolved"]), "", ctx(alice)), "invalid-transition");
    rejects(() => merge(dup, dup, "", ctx(alice)), "invalid-request");
    rejects(() => merge({ ...dup, visibility: "private" }, primary, "", ctx(alice)), "conflict");
  });
});

// ---------------------------------------------------------------------------------------------
// Property: any sequence of commands keeps the invariants.

const severities = policy.severities.map((s) => s.id);
const actors: Actor[] = [alice, bob, { id: 3, role: "responder" }, admin];
const command = fc.oneof(
  fc.record({
    op: fc.constant("transition" as const),
    to: fc.constantFrom(...states),
    severity: fc.option(fc.constantFrom(...severities), { nil: undefined }),
  }),
  fc.record({ op: fc.constant("severity" as const), to: fc.constantFrom(...severities) }),
  fc.record({ op: fc.constant("owner" as const), to: fc.constantFrom(1, 2, 3, 9) }),
  fc.record({
    op: fc.constant("role" as const),
    role: fc.constantFrom("IM", "CMOC", "EOC"),
    to: fc.option(fc.constantFrom(1, 2, 3), { nil: null }),
  }),
  fc.record({ op: fc.constant("escalate" as const) }),
  fc.record({ op: fc.constant("blocks" as const), value: fc.boolean() }),
);
const step = fc.record({
  actor: fc.constantFrom(...actors),
  minutes: fc.integer({ min: 0, max: 90 }),
  command,
});

type Step = typeof step extends fc.Arbitrary<infer S> ? S : never;

function apply(i: Incident, s: Step, now: number): Incident {
  const c = { actor: s.actor, now: at(now), policy };
  const cmd = s.command;
  switch (cmd.op) {
    case "transition":
      return transition(i, { to: cmd.to, severity: cmd.severity }, c).incident;
    case "severity":
      return changeSeverity(i, cmd.to, "because", c).incident;
    case "owner":
      return changeOwner(i, cmd.to, "", c).incident;
    case "role":
      return assignRole(i, cmd.role, cmd.to, c).incident;
    case "escalate":
      return escalateToIncidentManager(i, "", c)?.incident ?? i;
    case "blocks":
      return editFields(i, { blocksDeployments: cmd.value }, c).incident;
  }
}

/**
 * LC-3 and LC-4 written out from the handbook with the shipped label names, independently of
 * `deriveLabels`: the labels an incident in this state and severity must carry, in order.
 */
function handbookLabels(state: string, severity: string, blocksField: boolean): string[] {
  const stage =
    state === "investigating" || state === "fixing"
      ? ["Incident::Active"]
      : state === "monitoring"
        ? ["Incident::Mitigated"]
        : state === "resolved" || state === "post-incident" || state === "closed"
          ? ["Incident::Resolved"]
          : [];
  const blocking = severity === "S1" || severity === "S2" || blocksField;
  return [
    "incident",
    ...stage,
    `severity::${severity}`,
    ...(blocking ? ["blocks deployments", "blocks feature-flags"] : []),
  ];
}

describe("invariants under any sequence of commands", () => {
  it("LC-1 LC-3 LC-4 OWN-1 SEV-2: one owner, the handbook's labels for its state, no lowering after mitigation, closed changes only by reopen", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...severities),
        fc.constantFrom("triage" as const, "active" as const),
        fc.array(step, { maxLength: 40 }),
        (severity, status, steps) => {
          let i = declared(severity, status);
          let now = 0;
          for (const s of steps) {
            now += s.minutes;
            let next: Incident;
            try {
              next = apply(i, s, now);
            } catch (err) {
              if (!(err instanceof AppError)) throw err; // a refusal is fine; a crash is not
              continue;
            }
            expect(typeof next.ownerId).toBe("number");
            expect(next.labels).toEqual(handbookLabels(next.state, next.severity, next.blocksDeployments));
            expect(severityRank(policy, next.maxSeverity)).toBeLessThanOrEqual(
              severityRank(policy, next.severity),
            );
            if (i.mitigatedAt) {
              expect(severityRank(policy, next.severity)).toBeLessThanOrEqual(
                severityRank(policy, i.severity),
              );
            }
            if (next.state !== i.state) expect(nextStates(i)).toContain(next.state);
            if (i.state === "closed") {
              expect(next.state).toBe("investigating"); // the only way a closed incident changes
            }
            if (next.state === "closed") expect(next.closedAt).not.toBeNull();
            i = next;
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
