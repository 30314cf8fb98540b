import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadPolicy } from "../policy/load.ts";
import {
  helpText,
  incidentOfChannelName,
  leadingName,
  parseCommand,
  parsePerson,
  settableStates,
} from "./model.ts";

const policy = loadPolicy();
const parse = (text: string) => parseCommand(text, policy);

describe("chat commands: parsing", () => {
  it("declares with severity, type, private and title in any order before the title", () => {
    expect(parse("declare S1 SIRT private Leaked token in logs")).toEqual({
      ok: true,
      incidentId: null,
      command: {
        kind: "declare",
        severity: "S1",
        type: "SIRT",
        visibility: "private",
        title: "Leaked token in logs",
      },
    });
    expect(parse("declare gitlab.com s3 Slow CI")).toMatchObject({
      ok: true,
      command: { severity: "S3", type: "GitLab.com", title: "Slow CI" },
    });
  });

  it("declares with the policy's defaults: the severity when unsure (DEC-4) and the first type", () => {
    expect(parse("declare Checkout errors")).toMatchObject({
      ok: true,
      command: { kind: "declare", severity: "S2", type: "GitLab.com", title: "Checkout errors" },
    });
  });

  it("COMM-6: a customer incident without a severity takes its type's most severe, Sev0; a given one stays", () => {
    expect(parse("declare Self-managed customer Installs down")).toMatchObject({
      ok: true,
      command: { kind: "declare", severity: "Sev0", type: "Self-managed customer", title: "Installs down" },
    });
    expect(parse("declare Sev1 Self-managed customer One install down")).toMatchObject({
      ok: true,
      command: { kind: "declare", severity: "Sev1", type: "Self-managed customer" },
    });
  });

  it("opens the form for a bare declare and refuses a declare with no title", () => {
    expect(parse("declare")).toMatchObject({ ok: true, command: { kind: "declare-form" } });
    const r = parse("declare S1");
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toContain("needs a title");
  });

  it("takes the incident from #123 before or after the verb", () => {
    expect(parse("#12 severity s1 customers hit")).toEqual({
      ok: true,
      incidentId: 12,
      command: { kind: "severity", severity: "S1", reason: "customers hit" },
    });
    expect(parse("note #7 rolled back deploy")).toEqual({
      ok: true,
      incidentId: 7,
      command: { kind: "note", text: "rolled back deploy" },
    });
  });

  it("splits a status update at | and says how when it is missing", () => {
    expect(parse("update Checkout failing for 5% | Rolling back")).toMatchObject({
      command: { kind: "update", impact: "Checkout failing for 5%", actions: "Rolling back" },
    });
    const r = parse("update everything is down");
    expect(!r.ok && r.error).toContain("update <impact> | <actions>");
  });

  it("assigns multi-word roles to a mention, a username or me", () => {
    expect(parse("assign Incident Lead <@U024BE7LH|bob>")).toMatchObject({
      command: { kind: "assign", role: "Incident Lead", who: { kind: "chat-user", id: "U024BE7LH" } },
    });
    expect(parse("assign im @alice")).toMatchObject({
      command: { role: "IM", who: { kind: "username", name: "alice" } },
    });
    expect(parse("assign EOC me")).toMatchObject({ command: { role: "EOC", who: { kind: "me" } } });
    const r = parse("assign Wizard @bob");
    expect(!r.ok && r.error).toContain("roles: EOC, IM");
  });

  it("names what is wrong in a bad severity, status, page or note", () => {
    const err = (t: string) => {
      const r = parse(t);
      return r.ok ? "" : r.error;
    };
    expect(err("severity S9")).toBe(
      "unknown severity S9; write /inc severity <Sev0, Sev1, S1, S2, S3, S4> [reason]",
    );
    expect(err("status done")).toContain("status <triage|investigating|fixing|monitoring|resolved");
    expect(err("page")).toContain("no role given");
    expect(err("note")).toBe("the note is empty; write /inc note <text>");
  });

  it("answers help for nothing, help, and an unknown command (named)", () => {
    expect(parse("")).toMatchObject({ ok: true, command: { kind: "help" } });
    expect(parse("frobnicate now")).toMatchObject({
      ok: true,
      command: { kind: "help", unknown: "frobnicate" },
    });
    expect(helpText(policy)).toContain("/inc declare");
  });

  it("resolve is the resolved status, ack and roles take no arguments", () => {
    expect(parse("resolve fixed by rollback")).toMatchObject({
      command: { kind: "status", to: "resolved", reason: "fixed by rollback" },
    });
    expect(parse("ack")).toMatchObject({ command: { kind: "ack" } });
    expect(parse("role")).toMatchObject({ command: { kind: "roles" } });
  });

  it("reads people and leading names", () => {
    expect(parsePerson("<@W123>")).toEqual({ kind: "chat-user", id: "W123" });
    expect(parsePerson("Me")).toEqual({ kind: "me" });
    expect(parsePerson("two words")).toBeNull();
    expect(leadingName(["Security EOC", "EOC"], "security eoc @x")).toEqual({
      name: "Security EOC",
      rest: "@x",
    });
    expect(leadingName(["EOC"], "EOCs")).toBeNull();
  });
});

describe("chat commands: properties", () => {
  it("never throws: any text is a command, help, or a reason naming what is wrong", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const r = parse(text);
        if (!r.ok) expect(r.error.length).toBeGreaterThan(10);
      }),
    );
  });

  it("a declare keeps the severity, type and title it was given", () => {
    const word = fc
      .stringMatching(/^[a-z][a-z0-9]{0,9}$/)
      .filter(
        (w) =>
          parse(`declare ${w}`).ok &&
          !["private"].includes(w) &&
          !policy.severities.some((s) => s.id.toLowerCase() === w) &&
          !policy.incidentTypes.some((t) => t.name.toLowerCase() === w),
      );
    fc.assert(
      fc.property(
        fc.constantFrom(...policy.severities.map((s) => s.id)),
        fc.constantFrom(...policy.incidentTypes.map((t) => t.name)),
        fc.array(word, { minLength: 1, maxLength: 6 }),
        (severity, type, words) => {
          const title = words.join(" ");
          const r = parse(`declare ${severity.toLowerCase()}   ${type} ${title}`);
          expect(r).toEqual({
            ok: true,
            incidentId: null,
            command: { kind: "declare", severity, type, title },
          });
        },
      ),
    );
  });

  it("every state but merged is settable by name, with the reason kept", () => {
    fc.assert(
      fc.property(fc.constantFrom(...settableStates), fc.string({ maxLength: 50 }), (to, reason) => {
        const r = parse(`status ${to.toUpperCase()} ${reason}`);
        expect(r).toMatchObject({ ok: true, command: { kind: "status", to, reason: reason.trim() } });
      }),
    );
  });
});

describe("chat commands: channels", () => {
  it("reads the incident from a channel named by the template, and nothing from others", () => {
    expect(incidentOfChannelName("inc-{id}-{slug}", "inc-12-checkout-errors")).toBe(12);
    expect(incidentOfChannelName("inc-{id}-{slug}", "inc-7")).toBe(7);
    expect(incidentOfChannelName("inc-{id}-{slug}", "town-square")).toBeNull();
    expect(incidentOfChannelName("incident_{id}", "incident_42")).toBe(42);
    expect(incidentOfChannelName("{slug}", "inc-42")).toBeNull();
  });
});
