import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadPolicy, PolicyError, parsePolicy } from "./load.ts";
import { findSeverity, findType, severitiesOf } from "./model.ts";
import { actionSchema, conditionsSchema, ruleSchema } from "./rules-schema.ts";

describe("the shipped default policy", () => {
  const policy = loadPolicy();
  const severity = (id: string) => findSeverity(policy, id)!;
  const platform = () => severitiesOf(policy, "GitLab.com");

  it("has the handbook's four incident types and the severities S1–S4, most severe first", () => {
    expect(policy.incidentTypes.map((t) => t.name)).toEqual([
      "GitLab.com",
      "Dedicated",
      "SIRT",
      "Gameday",
      "Self-managed customer",
    ]);
    for (const type of ["GitLab.com", "Dedicated", "SIRT", "Gameday"])
      expect(severitiesOf(policy, type).map((s) => s.id)).toEqual(["S1", "S2", "S3", "S4"]);
  });

  it("COMM-6: has a customer incident type that takes Sev0 (many customers) and Sev1 (one) only", () => {
    expect(severitiesOf(policy, "Self-managed customer").map((s) => [s.id, s.name])).toEqual([
      ["Sev0", "Many customers"],
      ["Sev1", "One customer"],
    ]);
    expect(policy.customerUpdates?.maxIntervalMinutes).toEqual({ Sev0: 60 });
  });

  it("suggests S2 to a reporter who is unsure", () => {
    expect(policy.defaultSeverityWhenUnsure).toBe("S2");
  });

  it("makes only SIRT a security type", () => {
    expect(policy.incidentTypes.filter((t) => t.security).map((t) => t.name)).toEqual(["SIRT"]);
    expect(findType(policy, "SIRT")?.security).toBe(true);
  });

  it("marks S1/S2 as paging the incident manager, S3/S4 not", () => {
    expect(platform().map((s) => s.pagesIncidentManager)).toEqual([true, true, false, false]);
  });

  it("marks S1/S2 as blocking deployments, S3/S4 not", () => {
    expect(platform().map((s) => s.blocksDeployments)).toEqual([true, true, false, false]);
  });

  it("delays closing S1/S2 by 30 minutes", () => {
    expect([severity("S1").closeDelayMinutes, severity("S2").closeDelayMinutes]).toEqual([30, 30]);
    expect([severity("S3").closeDelayMinutes, severity("S4").closeDelayMinutes]).toEqual([0, 0]);
  });

  it("gives more severe incidents of each type updates at least as often", () => {
    for (const type of policy.incidentTypes) {
      const cadences = severitiesOf(policy, type.name).map((s) => s.updateCadenceMinutes);
      expect(cadences, type.name).toEqual([...cadences].sort((a, b) => a - b));
    }
  });

  it("makes a recurrence of S2/S3 within 180 minutes an S2", () => {
    expect(policy.recurrence).toEqual({ windowMinutes: 180, severities: ["S2", "S3"], upgradeTo: "S2" });
  });

  it("has the role catalogue, and escalations go to the IM", () => {
    expect(policy.roles.map((r) => r.name)).toEqual([
      "EOC",
      "IM",
      "CMOC",
      "Incident Lead",
      "Infrastructure Leader",
      "Infrastructure Liaison",
      "Security EOC",
      "Release Manager",
      "Incident Manager",
      "Incident Coordinator",
      "Incident Analyst",
      "Executive Sponsor",
      "Support Operations Specialist",
      "Support Fullstack Engineer",
      "Senior Support Manager",
    ]);
    expect(policy.incidentManagerRole).toBe("IM");
  });
});

// A small valid policy; tests replace numbered lines (1-based) and expect errors on those lines.
const valid = `version: 1
incidentTypes:
  - name: GitLab.com
  - name: SIRT
    security: true
severities:
  - id: S1
    name: Critical
    description: Down for everyone.
    pagesIncidentManager: true
    blocksDeployments: true
    closeDelayMinutes: 30
    updateCadenceMinutes: 15
  - id: S2
    name: High
    description: Down for some.
    pagesIncidentManager: true
    blocksDeployments: true
    closeDelayMinutes: 30
    updateCadenceMinutes: 30
  - id: S3
    name: Medium
    description: A nuisance.
    pagesIncidentManager: false
    blocksDeployments: false
    closeDelayMinutes: 0
    updateCadenceMinutes: 60
defaultSeverityWhenUnsure: S2
roles:
  - name: EOC
    description: Engineer on call.
  - name: IM
    description: Incident manager.
incidentManagerRole: IM
recurrence:
  windowMinutes: 180
  severities: [S2, S3]
  upgradeTo: S2
`;

/** `valid` with some lines replaced; `null` deletes a line (later lines move up). */
function edited(lines: Record<number, string | null>): string {
  return valid
    .split("\n")
    .flatMap((text, i) => {
      const replacement = lines[i + 1];
      if (replacement === null) return [];
      return [replacement ?? text];
    })
    .join("\n");
}

function errorOf(text: string): PolicyError {
  try {
    parsePolicy(text, "/etc/firebreak/policy.yaml");
  } catch (err) {
    if (err instanceof PolicyError) return err;
    throw err;
  }
  throw new Error("expected a PolicyError");
}

describe("parsePolicy", () => {
  it("accepts the small valid policy", () => {
    expect(parsePolicy(valid, "test.yaml").severities).toHaveLength(3);
  });

  it("names the line, the key and what was expected for a wrong value", () => {
    const err = errorOf(edited({ 19: "    closeDelayMinutes: soon" }));
    expect([err.line, err.column]).toEqual([19, 5]);
    expect(err.message).toBe(
      'policy file /etc/firebreak/policy.yaml, line 19, column 5: severities[1].closeDelayMinutes: expected a whole number >= 0, got "soon"',
    );
    expect(err.problem).toBe('severities[1].closeDelayMinutes: expected a whole number >= 0, got "soon"');
  });

  it("says `yes` is not a boolean (YAML 1.2 reads it as text)", () => {
    const err = errorOf(edited({ 5: "    security: yes" }));
    expect(err.line).toBe(5);
    expect(err.problem).toBe('incidentTypes[1].security: expected true or false, got "yes"');
  });

  it("refuses a tracker of an unknown kind and a video bridge that is not an http(s) URL", () => {
    const tracker = errorOf(edited({ 5: "    tracker: { kind: jira, project: ops/incidents }" }));
    expect(tracker.line).toBe(5);
    expect(tracker.problem).toMatch(/^incidentTypes\[1\]\.tracker\.kind: expected "gitlab" or "github"/);
    const bridge = errorOf(edited({ 5: "    videoBridge: ftp://meet.example/{id}" }));
    expect(bridge.problem).toMatch(/^incidentTypes\[1\]\.videoBridge: expected an http\(s\) URL/);
  });

  it("points a missing key at its parent mapping", () => {
    const err = errorOf(edited({ 38: null }));
    expect(err.line).toBe(35);
    expect(err.problem).toMatch(/^recurrence: missing required key `upgradeTo`/);
  });

  it("points a key missing from a list item at the item", () => {
    const err = errorOf(edited({ 26: null }));
    expect([err.line, err.column]).toEqual([21, 5]);
    expect(err.problem).toMatch(/^severities\[2\]: missing required key `closeDelayMinutes`/);
  });

  it("names an unknown key and its line, suggesting the key that was meant", () => {
    const err = errorOf(edited({ 12: "    closeDelay: 30" }));
    expect([err.line, err.column]).toEqual([12, 5]);
    expect(err.problem).toBe("severities[0]: unknown key `closeDelay`; did you mean `closeDelayMinutes`?");
    expect(err.moreProblems).toEqual([]); // the typo, not also "closeDelayMinutes is missing"
  });

  it("lists the known keys when an unknown top-level key looks like none of them", () => {
    const err = errorOf(edited({ 1: "version: 1\nmitigatedStates: [monitoring]" }));
    expect(err.line).toBe(2);
    expect(err.problem).toMatch(/^unknown key `mitigatedStates`; expected one of version, incidentTypes/);
  });

  it("names the line of a recurrence severity that does not exist", () => {
    const err = errorOf(edited({ 37: "  severities:\n    - S2\n    - S9" }));
    expect(err.line).toBe(39);
    expect(err.problem).toBe('recurrence.severities[1]: unknown severity "S9"; expected one of S1, S2, S3');
  });

  it("names the line of an unsure-default that is not a severity", () => {
    const err = errorOf(edited({ 28: "defaultSeverityWhenUnsure: S4" }));
    expect([err.line, err.column]).toEqual([28, 1]);
    expect(err.problem).toMatch(/^defaultSeverityWhenUnsure: unknown severity "S4"/);
  });

  it("names the second of two severities with the same id", () => {
    const err = errorOf(edited({ 21: "  - id: S1" }));
    expect(err.line).toBe(21);
    expect(err.problem).toMatch(/^severities\[2\]\.id: duplicate severity id "S1"/);
  });

  it("reports YAML syntax errors at their line", () => {
    const err = errorOf(edited({ 37: "  severities: [S2, S3" }));
    expect(err.line).toBe(38);
    expect(err.problem).toMatch(/^YAML syntax error: /);
  });

  it("reports a key that appears twice in one mapping", () => {
    const err = errorOf(edited({ 34: "incidentManagerRole: IM\nincidentManagerRole: EOC" }));
    expect(err.line).toBe(35);
    expect(err.problem).toMatch(/unique/);
  });

  it("reports an alias to an anchor that does not exist", () => {
    const err = errorOf(edited({ 28: "defaultSeverityWhenUnsure: *unsure" }));
    expect(err.line).toBe(28);
    expect(err.problem).toMatch(/unsure/);
  });

  it("reports an empty file and a file that is not a mapping", () => {
    expect(errorOf("# nothing yet\n").problem).toMatch(/the file is empty/);
    expect(errorOf("- S1\n- S2\n").problem).toBe("expected a mapping of keys to values, got a list");
  });

  it("reports every problem, the first in the file leading", () => {
    const err = errorOf(edited({ 13: "    updateCadenceMinutes: 0", 36: "  windowMinutes: -5" }));
    expect(err.line).toBe(13);
    expect(err.moreProblems.map((p) => p.line)).toEqual([36]);
    expect(err.message).toContain(
      "\n  and line 36, column 3: recurrence.windowMinutes: expected a whole number >= 1",
    );
  });
});

describe("loadPolicy", () => {
  it("reads the file it is given", () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "firebreak-policy-")), "policy.yaml");
    writeFileSync(file, edited({ 28: "defaultSeverityWhenUnsure: S1" }));
    expect(loadPolicy(file).defaultSeverityWhenUnsure).toBe("S1");
  });

  it("names a file that does not exist, without a line", () => {
    const err = (() => {
      try {
        loadPolicy("/nonexistent/policy.yaml");
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(PolicyError);
    expect(err).toMatchObject({ file: "/nonexistent/policy.yaml", line: undefined, column: undefined });
    expect((err as PolicyError).message).toMatch(/^policy file \/nonexistent\/policy.yaml: file not found/);
  });
});

describe("docs/policy.md", () => {
  it("documents every key of the shipped default", () => {
    const doc = readFileSync(new URL("../../docs/policy.md", import.meta.url), "utf8");
    const policy = loadPolicy();
    const keys = new Set<string>(Object.keys(policy));
    for (const list of [
      policy.incidentTypes,
      policy.severities,
      policy.roles,
      [policy.recurrence],
      [policy.paging ?? {}],
      [policy.businessHours ?? {}],
      policy.escalationPolicies ?? [],
      (policy.escalationPolicies ?? []).flatMap((p) => p.levels),
      policy.roleConflicts ?? [],
      policy.duties ?? [],
      [policy.statusPage ?? {}, policy.statusPage?.setDirectly ?? {}],
      [policy.labels ?? {}],
    ])
      for (const item of list) for (const key of Object.keys(item)) keys.add(key);
    // Every key a rule can have, used by the shipped rules or not.
    for (const key of [
      ...Object.keys(ruleSchema.shape),
      ...Object.keys(conditionsSchema.shape),
      ...Object.keys(actionSchema.shape),
    ])
      keys.add(key);
    // As `key` or as the last part of a path such as `severities[].key`.
    const undocumented = [...keys].filter((key) => !new RegExp(`[\`.]${key}\``).test(doc));
    expect(undocumented).toEqual([]);
  });
});

describe("rules in the policy file", () => {
  // `valid` plus roles that can be paged and a few rules; line numbers counted from here.
  const withRules = (rules: string) =>
    valid.replace(
      "  - name: IM\n    description: Incident manager.\n",
      "  - name: IM\n    description: Incident manager.\n    rotation: IM\n    escalationPolicy: Incident Manager\n",
    ) +
    `escalationPolicies:
  - name: Incident Manager
    levels:
      - { rotation: IM, minutes: 15 }
rules:
${rules}`;
  const lineOf = (text: string, needle: string) => text.split("\n").findIndex((l) => l.includes(needle)) + 1;

  it("accepts event, clock and deadline rules", () => {
    const p = parsePolicy(
      withRules(`  - id: page-im
    description: S1 pages the IM.
    when: [declared]
    if: { severity: [S1] }
    do:
      - page: IM
  - id: late
    description: Still investigating.
    clock: { from: "engaged:EOC", after: 30, every: 10 }
    if: { state: [investigating] }
    do:
      - remind: [IM, EOC]
  - id: public
    description: Communicate publicly.
    deadline: { name: public post, from: started, after: 60, remindBefore: 15, metBy: public-post }
    do:
      - remind: IM
`),
      "rules.yaml",
    );
    expect(p.rules?.map((r) => r.id)).toEqual(["page-im", "late", "public"]);
  });

  it("names the line of a page for a role without an escalation policy", () => {
    const text = withRules(`  - id: bad
    description: x
    when: [declared]
    do:
      - page: EOC
`);
    const e = errorOf(text);
    expect(e.line).toBe(lineOf(text, "page: EOC"));
    expect(e.problem).toMatch(/role "EOC" has no escalationPolicy/);
  });

  it("names an unknown anchor, an unknown role in a condition, and an unknown template", () => {
    const text = withRules(`  - id: a
    description: x
    clock: { from: "engaged:Captain", after: 5 }
    if: { roleVacant: [Pilot] }
    do:
      - draft: memo
`);
    const e = errorOf(text);
    const all = [e.problem, ...e.moreProblems.map((m) => m.problem)].join("\n");
    expect(all).toMatch(/unknown role "Captain"/);
    expect(all).toMatch(/unknown role "Pilot"/);
    expect(all).toMatch(/there are no templates/);
    expect(e.line).toBe(lineOf(text, "engaged:Captain"));
  });

  it("wants exactly one trigger per rule and one action per entry", () => {
    const two = withRules(`  - id: two
    description: x
    when: [declared]
    clock: { from: declared, after: 5 }
    do:
      - page: IM
        note: and this
`);
    const e = errorOf(two);
    const all = [e.problem, ...e.moreProblems.map((m) => m.problem)].join("\n");
    expect(all).toMatch(/expected one trigger, got when and clock/);
    expect(all).toMatch(/expected one action per entry, got page and note/);
  });

  it("keeps maintenance rules to what a maintenance has", () => {
    const text = withRules(`  - id: m
    description: x
    on: maintenance
    clock: { from: maintenance-start, after: -30 }
    if: { severity: [S1] }
    do:
      - page: IM
`);
    const e = errorOf(text);
    const all = [e.problem, ...e.moreProblems.map((m) => m.problem)].join("\n");
    expect(all).toMatch(/a maintenance rule can check criticality and weekend only/);
    expect(all).toMatch(/a maintenance rule can only notify/);
  });

  it("refuses a negative clock except before a maintenance starts, and a duplicate rule id", () => {
    const text = withRules(`  - id: r
    description: x
    clock: { from: declared, after: -5 }
    do:
      - remind: IM
  - id: r
    description: y
    when: [declared]
    do:
      - remind: IM
`);
    const e = errorOf(text);
    const all = [e.problem, ...e.moreProblems.map((m) => m.problem)].join("\n");
    expect(all).toMatch(/only a maintenance start can be counted back from/);
    expect(all).toMatch(/duplicate rule id "r"/);
  });

  it("counts open incidents from 1 to 1000 and names the line of a count outside", () => {
    const text = withRules(`  - id: many
    description: x
    when: [declared]
    if: { openIncidents: { severity: [S1], atLeast: 5000 } }
    do:
      - remind: IM
`);
    const e = errorOf(text);
    expect(e.line).toBe(lineOf(text, "atLeast: 5000"));
    expect(e.problem).toMatch(/expected a whole number of incidents from 1 to 1000/);
  });
});
