/** Small helpers shared by the incident API integration tests. Assertions, not conveniences that hide them. */
import { expect } from "vitest";
import type { Client, Reply } from "../support/app.ts";

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
export type Json = any;

export type DeclareInput = {
  title?: string;
  type?: string;
  severity?: string;
  status?: "triage" | "active";
  summary?: string;
  visibility?: "public" | "private";
  owner?: number | string;
  blocksDeployments?: boolean;
};

/** Declares an incident and insists it was created exactly as asked (so SEV-4 cannot sneak in unnoticed). */
export async function declare(c: Client, input: DeclareInput = {}): Promise<Json> {
  const body = {
    title: "Elevated errors on web",
    type: "GitLab.com",
    severity: "S3",
    status: "active",
    ...input,
  };
  const r = await c.request("POST", "/api/v1/incidents", body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  expect(r.body.severity, "declared severity (a SEV-4 upgrade would change it)").toBe(body.severity);
  return r.body;
}

/** POST /status and insist it worked. */
export async function move(c: Client, id: number, status: string, extra: Record<string, unknown> = {}) {
  const r = await c.request("POST", `/api/v1/incidents/${id}/status`, { status, ...extra });
  expect(r.status, `→ ${status}: ${JSON.stringify(r.body)}`).toBe(200);
  expect(r.body.state).toBe(status);
  return r.body as Json;
}

/** Reads an incident and insists on 200. */
export async function read(c: Client, id: number): Promise<Json> {
  const r = await c.get(`/api/v1/incidents/${id}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

/** The visible timeline, insisting on 200. */
export async function timeline(c: Client, id: number, query = ""): Promise<Json[]> {
  const r = await c.get(`/api/v1/incidents/${id}/timeline${query}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.events;
}

/** Every error is RFC 9457 problem+json with a human `detail` and the status repeated in the body. */
export function expectProblem(r: Reply, status: number, code?: string): Json {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(r.headers.get("content-type") ?? "").toMatch(/^application\/problem\+json/);
  expect(typeof r.body).toBe("object");
  expect(r.body.status).toBe(status);
  expect(typeof r.body.detail).toBe("string");
  expect(r.body.detail.length).toBeGreaterThan(0);
  if (code) expect(r.body.code).toBe(code);
  return r.body;
}

/** Events without the derived `pinned` flag: what must never change once written (TL-1). */
export function frozen(events: Json[]): Json[] {
  return events.map(({ pinned: _pinned, ...rest }) => rest);
}

/** Label helpers for LC-3. */
export const workflowLabels = (labels: string[]) => labels.filter((l) => l.startsWith("Incident::"));

/**
 * The kinds of the events a command itself wrote, without what the policy's rules added in its
 * wake (pages, reminders, drafts): for tests about the command, not about the rules.
 */
export const commandKinds = (events: Json[]): string[] =>
  events.map((e) => e.kind as string).filter((k) => !/^(page|rule|notice)-/.test(k));

/** LC-6, REV-1: an S1/S2 (or a review-requested incident) closes once its review is complete. */
export async function completeReview(c: Client, id: number): Promise<void> {
  const r = await c.request("POST", `/api/v1/incidents/${id}/review/complete`);
  expect(r.status, `completing the review: ${JSON.stringify(r.body)}`).toBe(200);
}
