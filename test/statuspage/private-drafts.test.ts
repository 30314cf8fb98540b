/**
 * DATA-3 on the status page's admin API: a draft of a public incident linked to a private internal
 * incident is seen only by the internal incident's participants and admins — not in the drafts
 * list, not among the incidents with `drafts=true`, and not by id (approve, discard, a further
 * update answer 404, as the incident API does).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem } from "../api/helpers.ts";
import { type Client, startTestApp, type TestApp } from "../support/app.ts";

// biome-ignore lint/suspicious/noExplicitAny: JSON from the API, read loosely in assertions
type Json = any;
type Person = Awaited<ReturnType<TestApp["user"]>>;

let t: TestApp;
let rita: Person; // declares the private incident: a participant
let pat: Person; // added to it as a participant
let nora: Person; // a responder who does not take part in it
let vic: Person; // a viewer who does not take part in it
let privateIncidentId: number;
let secretDraft: Json; // drafted for the private incident
let openDraft: Json; // drafted for a public incident, seen by everyone

const path = (p: string) => `/api/v1/status-pages/default${p}`;
const draftIds = async (c: Client) => {
  const r = await c.get(path("/drafts"));
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return (r.body.drafts as Json[]).map((d) => d.id);
};
const withDrafts = async (c: Client) => {
  const r = await c.get(path("/incidents?drafts=true"));
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.incidents as Json[];
};

beforeAll(async () => {
  t = await startTestApp({ clockStart: "2026-11-18T12:00:00Z" });
  rita = await t.user("rita", "responder");
  pat = await t.user("pat", "responder");
  nora = await t.user("nora", "responder");
  vic = await t.user("vic", "viewer");
  const secret = await rita.request("POST", "/api/v1/incidents", {
    title: "Credential leak",
    type: "GitLab.com",
    severity: "S2",
    status: "active",
    visibility: "private",
  });
  expect(secret.status, JSON.stringify(secret.body)).toBe(201);
  privateIncidentId = secret.body.id;
  const shared = await rita.request("POST", `/api/v1/incidents/${privateIncidentId}/participants`, {
    user: pat.id,
  });
  expect(shared.status, JSON.stringify(shared.body)).toBe(201);
  expect((await nora.get(`/api/v1/incidents/${privateIncidentId}`)).status).toBe(404);

  const d = await rita.request("POST", path("/incidents"), {
    name: "Leaked customer tokens",
    status: "investigating",
    body: "Tokens of customer accounts were exposed.",
    incidentId: privateIncidentId,
  });
  expect(d.status, JSON.stringify(d.body)).toBe(201);
  secretDraft = d.body;

  const open = await rita.request("POST", "/api/v1/incidents", {
    title: "Slow web",
    type: "GitLab.com",
    severity: "S3",
    status: "active",
  });
  expect(open.status, JSON.stringify(open.body)).toBe(201);
  const o = await rita.request("POST", path("/incidents"), {
    name: "Slow pages",
    status: "investigating",
    body: "Pages load slowly.",
    incidentId: open.body.id,
  });
  expect(o.status, JSON.stringify(o.body)).toBe(201);
  openDraft = o.body;
});
afterAll(() => t?.close());

describe("DATA-3: drafts of a private incident", () => {
  it("a responder or viewer who does not take part sees neither the draft nor its public incident", async () => {
    for (const outsider of [nora, vic]) {
      expect(await draftIds(outsider)).toEqual([openDraft.update.id]);
      const incidents = await withDrafts(outsider);
      expect(incidents.map((i) => i.id)).toEqual([openDraft.statusIncidentId]);
      const text = JSON.stringify(incidents);
      expect(text).not.toContain("Leaked customer tokens");
      expect(text).not.toContain("Tokens of customer accounts");
    }
  });

  it("its participants and admins see it in both lists", async () => {
    for (const insider of [rita, pat, t.admin]) {
      expect(await draftIds(insider)).toEqual([secretDraft.update.id, openDraft.update.id]);
      const incidents = await withDrafts(insider);
      const secret = incidents.find((i) => i.id === secretDraft.statusIncidentId);
      expect(secret).toMatchObject({ name: "Leaked customer tokens", incidentId: privateIncidentId });
      expect(secret.updates.map((u: Json) => u.body)).toEqual(["Tokens of customer accounts were exposed."]);
    }
  });

  it("by id, an outsider gets 404 (not 403) for approving, discarding or adding an update, and nothing changes", async () => {
    expectProblem(
      await nora.request("POST", path(`/drafts/${secretDraft.update.id}/approve`)),
      404,
      "not-found",
    );
    expectProblem(
      await nora.request("POST", path(`/drafts/${secretDraft.update.id}/discard`)),
      404,
      "not-found",
    );
    expectProblem(
      await nora.request("POST", path(`/incidents/${secretDraft.statusIncidentId}/updates`), {
        status: "identified",
        body: "Found it.",
      }),
      404,
      "not-found",
    );
    expect(await draftIds(rita)).toEqual([secretDraft.update.id, openDraft.update.id]);
    const timeline = (await t.admin.get(`/api/v1/incidents/${privateIncidentId}/timeline`)).body
      .events as Json[];
    expect(timeline.some((e) => e.actor?.id === nora.id || e.actorId === nora.id)).toBe(false);
    // A draft of a public incident is still refused the usual way (the outsider is no approver).
    expect((await nora.request("POST", path(`/drafts/${openDraft.update.id}/approve`))).status).toBe(403);
  });

  it("once published on purpose (COMM-4), the public incident is listed, but not its link nor later drafts", async () => {
    const security = await rita.request("POST", path("/incidents"), {
      name: "Security issue",
      status: "investigating",
      body: "We are investigating a security issue.",
      incidentId: privateIncidentId,
      security: true,
    });
    expect(security.status, JSON.stringify(security.body)).toBe(201);
    const published = await t.admin.request("POST", path(`/drafts/${security.body.update.id}/approve`));
    expect(published.status, JSON.stringify(published.body)).toBe(200);
    const next = await rita.request("POST", path(`/incidents/${security.body.statusIncidentId}/updates`), {
      status: "identified",
      body: "The leaked keys of tenant 7 were rotated.",
    });
    expect(next.status, JSON.stringify(next.body)).toBe(201);

    const seen = (await withDrafts(nora)).find((i) => i.id === security.body.statusIncidentId);
    expect(seen).toMatchObject({ name: "Security issue", published: true, incidentId: null });
    expect(seen.updates.map((u: Json) => u.state)).toEqual(["published"]);
    expect(await draftIds(nora)).toEqual([openDraft.update.id]);
    expectProblem(await nora.request("POST", path(`/drafts/${next.body.id}/discard`)), 404, "not-found");

    const insider = (await withDrafts(pat)).find((i) => i.id === security.body.statusIncidentId);
    expect(insider.incidentId).toBe(privateIncidentId);
    expect(insider.updates.map((u: Json) => u.state)).toEqual(["draft", "published"]);
    expect(await draftIds(pat)).toContain(next.body.id);
  });
});
