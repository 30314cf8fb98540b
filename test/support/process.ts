/**
 * A Firebreak set up as `firebreak serve` sets it up (the policy file's rotations and escalation
 * policies), with people reachable by email on a real SMTP server, for tests that seed a scenario,
 * move the clock and expect the page, the reminder or the refusal (the process's rules).
 */
import { expect } from "vitest";
import type { Policy } from "../../src/policy/model.ts";
import type { PolicySource } from "../../src/policy/source.ts";
import { startTestApp, type TestApp } from "./app.ts";
import { startSmtp } from "./smtp.ts";

// biome-ignore lint/suspicious/noExplicitAny: JSON from the API, read loosely in assertions
export type Json = any;
export type Person = Awaited<ReturnType<TestApp["user"]>> & { email: string };

export async function startProcessApp(opts: { policy?: Policy | PolicySource; clockStart?: string } = {}) {
  const smtp = await startSmtp();
  // A Wednesday noon, near the wall clock: graphile-worker's retry back-off counts in real time.
  const t = await startTestApp({
    clockStart: opts.clockStart ?? "2026-11-18T12:00:00Z",
    smtpUrl: smtp.url,
    policy: opts.policy,
  });
  await t.seedOnCall();

  /** A responder (or admin) with an email contact method and a rule for every urgency. */
  async function person(username: string, role: "responder" | "admin" = "responder"): Promise<Person> {
    const p = await t.user(username, role);
    const email = `${username}@example.com`;
    const cm = await p.request("POST", "/api/v1/me/contact-methods", {
      kind: "email",
      label: "work",
      address: email,
    });
    expect(cm.status, JSON.stringify(cm.body)).toBe(201);
    for (const urgency of ["high", "low"])
      expect(
        (
          await p.request("POST", "/api/v1/me/notification-rules", {
            contactMethodId: cm.body.id,
            urgency,
            delayMinutes: 0,
          })
        ).status,
      ).toBe(201);
    return { ...p, email };
  }

  /** Puts these people on call in the rotation named `name` (weekly, in this order). */
  async function rotation(name: string, people: { id: number }[]) {
    const schedules: Json[] = (await t.admin.get("/api/v1/schedules")).body.schedules;
    const s = schedules.find((x) => x.name === name);
    expect(s, `rotation ${name}`).toBeDefined();
    const layer = { ...s.layers[0], participants: people.map((p) => p.id) };
    const r = await t.admin.request("PUT", `/api/v1/schedules/${s.id}`, {
      name,
      timeZone: s.timeZone,
      layers: [layer],
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  }

  async function declare(who: { request: TestApp["admin"]["request"] }, body: Json) {
    const r = await who.request("POST", "/api/v1/incidents", {
      type: "GitLab.com",
      status: "active",
      title: "x",
      severity: "S3",
      ...body,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    await t.runJobs();
    return r.body as Json;
  }

  const pages = async (incidentId: number): Promise<Json[]> =>
    (await t.admin.get(`/api/v1/pages?incident=${incidentId}&limit=500`)).body.pages;
  /** The open pages of an incident, as "role → who" for the roles paged (oldest first). */
  const paged = async (incidentId: number) =>
    (await pages(incidentId))
      .filter((p) => p.state !== "resolved")
      .reverse()
      .map((p) => `${p.role}:${p.assignedTo.join(",")}`);
  const timeline = async (incidentId: number): Promise<Json[]> =>
    (await t.admin.get(`/api/v1/incidents/${incidentId}/timeline`)).body.events;
  const clocks = async (incidentId: number): Promise<Json> =>
    (await t.admin.get(`/api/v1/incidents/${incidentId}/clocks`)).body;
  const read = async (incidentId: number): Promise<Json> =>
    (await t.admin.get(`/api/v1/incidents/${incidentId}`)).body;
  /** Mail to `p` whose subject matches. */
  const mails = (p: { email: string }, subject: RegExp = /./) =>
    smtp.to(p.email).filter((m) => subject.test(m.subject));

  /** Acknowledges `p`'s open page for `role` on the incident. */
  async function acknowledge(p: Person, incidentId: number, role: string) {
    const page = (await pages(incidentId)).find((x) => x.role === role && x.state === "triggered");
    expect(page, `an open page for ${role}`).toBeDefined();
    const r = await p.request("POST", `/api/v1/pages/${page.id}/acknowledge`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    await t.runJobs();
    return page;
  }

  return {
    t,
    smtp,
    person,
    rotation,
    declare,
    pages,
    paged,
    timeline,
    clocks,
    read,
    mails,
    acknowledge,
    async close() {
      await t.close();
      await smtp.close();
    },
  };
}

export type ProcessApp = Awaited<ReturnType<typeof startProcessApp>>;
