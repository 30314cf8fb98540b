/**
 * Tracker issues end to end (DEC-2, FU-1): a real Firebreak server keeps a GitLab issue (types
 * GitLab.com and SIRT) or a GitHub issue (type Dedicated) per incident on local servers speaking
 * their REST formats, and a linked issue per follow-up. Jobs run when the test says so
 * (`runJobs`, `advanceMinutes`), so retries after a tracker failure are driven by the clock.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPolicy } from "../../src/policy/load.ts";
import type { Policy } from "../../src/policy/model.ts";
import { completeReview, declare, type Json, move, read, timeline } from "../api/helpers.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { type GitHubServer, startGitHubServer } from "../support/github.ts";
import { type GitLabServer, startGitLabServer } from "../support/gitlab.ts";
import { openStream } from "../web-api/helpers.ts";

const GITLAB_TOKEN = "glpat-Fb7Kq2Xw9LmN4pRt6VyZ";
const GITHUB_TOKEN = "github_pat_11AB2CD3E0fbTrackerTest9xY";
const PRODUCTION = "gitlab-com/gl-infra/production";
const SECURITY = "gitlab-com/security/incidents";
const DEDICATED = "acme/dedicated-incidents";

function policyWithTrackers(): Policy {
  const p = loadPolicy();
  const trackers: Record<string, { kind: "gitlab" | "github"; project: string }> = {
    "GitLab.com": { kind: "gitlab", project: PRODUCTION },
    SIRT: { kind: "gitlab", project: SECURITY },
    Dedicated: { kind: "github", project: DEDICATED },
  };
  return {
    ...p,
    incidentTypes: p.incidentTypes.map((type) => {
      const tracker = trackers[type.name];
      if (tracker) return { ...type, tracker };
      const { videoBridge: _none, ...rest } = type;
      return rest;
    }),
  };
}

let t: TestApp;
let gl: GitLabServer;
let gh: GitHubServer;

beforeAll(async () => {
  gl = await startGitLabServer(GITLAB_TOKEN);
  gh = await startGitHubServer(GITHUB_TOKEN);
  t = await startTestApp({
    // Retries back off on the database's clock: start near now.
    clockStart: new Date(),
    policy: policyWithTrackers(),
    trackers: {
      gitlab: { url: gl.base, token: GITLAB_TOKEN },
      github: { url: gh.base, token: GITHUB_TOKEN },
    },
  });
});
afterAll(async () => {
  await t?.close();
  await gl?.close();
  await gh?.close();
});

const kinds = (events: Json[], prefix = "tracker-") =>
  events.filter((e) => e.kind.startsWith(prefix)).map((e) => e.kind);
const issueOf = (project: string, url: string) => gl.issues(project).find((i) => i.web_url === url);

describe("GitLab issues", () => {
  it("DEC-2: declaring opens an issue with the title and labels; the incident shows it and its video bridge", async () => {
    const i = await declare(t.admin, {
      title: "Checkout errors",
      summary: "500s on the cart page",
      severity: "S2",
    });
    expect(i.trackerIssue).toBeNull(); // the job has not run yet
    expect(i.videoBridge).toBe(`https://meet.jit.si/firebreak-${i.id}-checkout-errors`);
    await t.runJobs();

    const issues = gl.issues(PRODUCTION).filter((x) => x.description.includes(`/incidents/${i.id}\n`));
    expect(issues).toHaveLength(1);
    const issue = issues[0]!;
    expect(issue.title).toBe(`Incident #${i.id}: Checkout errors`);
    expect(issue.description).toContain("500s on the cart page");
    expect(issue.description).toContain(`http://firebreak.test/incidents/${i.id}`);
    expect(issue.labels).toEqual(
      expect.arrayContaining(["incident", "Incident::Active", "severity::S2", "blocks deployments"]),
    );
    expect(issue.confidential).toBe(false);
    const create = gl.requests.find((r) => r.method === "POST" && r.body.title === issue.title);
    expect(create?.headers["private-token"]).toBe(GITLAB_TOKEN);

    const seen = await read(t.admin, i.id);
    expect(seen.trackerIssue).toEqual({
      kind: "gitlab",
      project: PRODUCTION,
      number: issue.iid,
      url: issue.web_url,
    });
    expect(seen.videoBridge).toBe(i.videoBridge);
    const listed = (await t.admin.get("/api/v1/incidents")).body.incidents.find((x: Json) => x.id === i.id);
    expect(listed.trackerIssue).toEqual(seen.trackerIssue);
    const events = await timeline(t.admin, i.id);
    expect(kinds(events)).toEqual(["tracker-issue-created"]);
    expect(events.find((e) => e.kind === "tracker-issue-created").data).toMatchObject({ url: issue.web_url });
  });

  it("the live incident stream shows the issue once it is opened", async () => {
    const i = await declare(t.admin, { title: "Live issue link", severity: "S3" });
    const stream = await openStream(t.base, `/api/v1/incidents/${i.id}/stream`, {
      authorization: `Bearer ${t.admin.token}`,
    });
    try {
      await stream.waitFor((e) => e.event === "incident" && e.data.trackerIssue === null, "the incident");
      await t.runJobs();
      const withIssue = await stream.waitFor(
        (e) => e.event === "incident" && e.data.trackerIssue !== null,
        "the incident with its issue",
      );
      expect(withIssue.data.trackerIssue).toEqual((await read(t.admin, i.id)).trackerIssue);
      expect(withIssue.data.videoBridge).toBe(`https://meet.jit.si/firebreak-${i.id}-live-issue-link`);
    } finally {
      stream.close();
    }
  });

  it("LC-3 LC-4: labels follow severity and state, labels people added stay; closed on close, reopened on reopen", async () => {
    const i = await declare(t.admin, { title: "Slow merges", severity: "S3" });
    await t.runJobs();
    const { url } = (await read(t.admin, i.id)).trackerIssue;
    gl.addLabel(PRODUCTION, issueOf(PRODUCTION, url)!.iid, "team::gitaly");

    const raised = await t.admin.request("POST", `/api/v1/incidents/${i.id}/severity`, {
      severity: "S2",
      reason: "more customers affected",
    });
    expect(raised.status, JSON.stringify(raised.body)).toBe(200);
    await t.runJobs();
    let issue = issueOf(PRODUCTION, url)!;
    expect(issue.labels).toContain("severity::S2");
    expect(issue.labels).not.toContain("severity::S3");
    expect(issue.labels).toContain("blocks deployments");
    expect(issue.labels).toContain("team::gitaly");

    await move(t.admin, i.id, "monitoring");
    await t.runJobs();
    issue = issueOf(PRODUCTION, url)!;
    expect(issue.labels).toContain("Incident::Mitigated");
    expect(issue.labels).not.toContain("Incident::Active");
    expect(issue.state).toBe("opened");

    await move(t.admin, i.id, "resolved");
    await move(t.admin, i.id, "post-incident");
    t.clock.advanceMinutes(31); // LC-5: an S2 closes after its stability delay
    await completeReview(t.admin, i.id); // LC-6: and its review
    await move(t.admin, i.id, "closed");
    await t.runJobs();
    issue = issueOf(PRODUCTION, url)!;
    expect(issue.state).toBe("closed");
    expect(issue.labels).toContain("Incident::Resolved");
    expect(issue.labels).toContain("team::gitaly");

    await move(t.admin, i.id, "investigating", { reason: "errors are back" });
    await t.runJobs();
    issue = issueOf(PRODUCTION, url)!;
    expect(issue.state).toBe("opened");
    expect(issue.labels).toContain("Incident::Active");
    expect(issue.labels).not.toContain("Incident::Resolved");
    // Still one issue for the incident.
    expect(gl.issues(PRODUCTION).filter((x) => x.description.includes(`/incidents/${i.id}\n`))).toHaveLength(
      1,
    );
  });

  it("FU-1: a follow-up opens an issue in the same project, linked to the incident's; done closes it", async () => {
    const i = await declare(t.admin, { title: "Disk filled on a Gitaly node", severity: "S3" });
    await t.runJobs();
    const incidentIssue = (await read(t.admin, i.id)).trackerIssue;
    const added = await t.admin.request("POST", `/api/v1/incidents/${i.id}/tasks`, {
      kind: "follow-up",
      title: "Alert on disk usage above 80%",
    });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    expect(added.body.trackerIssue).toBeNull();
    const action = await t.admin.request("POST", `/api/v1/incidents/${i.id}/tasks`, {
      kind: "action",
      title: "Move repositories off the node",
    });
    await t.runJobs();

    const tasks = (await t.admin.get(`/api/v1/incidents/${i.id}/tasks`)).body.tasks;
    const followUp = tasks.find((x: Json) => x.id === added.body.id);
    expect(followUp.trackerIssue).toMatchObject({ kind: "gitlab", project: PRODUCTION });
    expect(tasks.find((x: Json) => x.id === action.body.id).trackerIssue).toBeNull(); // actions stay here
    const issue = issueOf(PRODUCTION, followUp.trackerIssue.url)!;
    expect(issue.title).toBe("Alert on disk usage above 80%");
    expect(issue.description).toContain(`#${incidentIssue.number}`);
    expect(issue.description).toContain(`http://firebreak.test/incidents/${i.id}`);
    expect(gl.links).toContainEqual({ project: PRODUCTION, iid: issue.iid, targetIid: incidentIssue.number });
    const event = (await timeline(t.admin, i.id)).find((e) => e.kind === "tracker-follow-up-created");
    expect(event.data).toMatchObject({ taskId: added.body.id, url: issue.web_url });

    const done = await t.admin.request("PATCH", `/api/v1/incidents/${i.id}/tasks/${added.body.id}`, {
      state: "done",
    });
    expect(done.body.trackerIssue.url).toBe(issue.web_url);
    await t.runJobs();
    expect(issueOf(PRODUCTION, issue.web_url)!.state).toBe("closed");
    expect(gl.links.filter((l) => l.iid === issue.iid)).toHaveLength(1);
  });

  it("FU-2: a follow-up made a corrective action carries its labels on its issue; unmarked, they go and people's stay", async () => {
    const i = await declare(t.admin, { title: "Certificates expired", severity: "S3" });
    const added = await t.admin.request("POST", `/api/v1/incidents/${i.id}/tasks`, {
      kind: "follow-up",
      title: "Alert 14 days before any certificate expires",
    });
    await t.runJobs();
    const url = (await t.admin.get(`/api/v1/incidents/${i.id}/tasks`)).body.tasks.find(
      (x: Json) => x.id === added.body.id,
    ).trackerIssue.url as string;
    expect(issueOf(PRODUCTION, url)!.labels).toEqual([]);
    const me = (await t.admin.get("/api/v1/me")).body.id;
    const marked = await t.admin.request(
      "PUT",
      `/api/v1/incidents/${i.id}/tasks/${added.body.id}/corrective`,
      {
        corrective: true,
        assignee: me,
        dueAt: "2030-01-15T17:00:00Z",
      },
    );
    expect(marked.status, JSON.stringify(marked.body)).toBe(200);
    await t.runJobs();
    expect(issueOf(PRODUCTION, url)!.labels.sort()).toEqual(["corrective action", "infradev"]);
    issueOf(PRODUCTION, url)!.labels.push("team::reliability"); // a person's own label
    await t.admin.request("PUT", `/api/v1/incidents/${i.id}/tasks/${added.body.id}/corrective`, {
      corrective: false,
    });
    await t.runJobs();
    expect(issueOf(PRODUCTION, url)!.labels).toEqual(["team::reliability"]);
  });

  it("DATA-3: a private incident's issue is confidential and says nothing but its link", async () => {
    const i = await declare(t.admin, {
      type: "SIRT",
      title: "Suspicious sign-ins on the billing admin",
      summary: "Tokens of the billing team may be exposed",
      severity: "S2",
    });
    expect(i.visibility).toBe("private");
    await t.runJobs();
    const seen = await read(t.admin, i.id);
    const issue = issueOf(SECURITY, seen.trackerIssue.url)!;
    expect(issue.confidential).toBe(true);
    expect(issue.title).toBe(`Private incident #${i.id}`);
    expect(issue.description).not.toContain("billing");
    expect(issue.description).toContain(`http://firebreak.test/incidents/${i.id}`);
    const sent = JSON.stringify(gl.requests.filter((r) => r.path.includes(encodeURIComponent(SECURITY))));
    expect(sent).not.toContain("billing");

    // A follow-up of a private incident is confidential and untitled too.
    const fu = await t.admin.request("POST", `/api/v1/incidents/${i.id}/tasks`, {
      kind: "follow-up",
      title: "Rotate the billing team's tokens",
    });
    await t.runJobs();
    const tasks = (await t.admin.get(`/api/v1/incidents/${i.id}/tasks`)).body.tasks;
    const fuIssue = issueOf(SECURITY, tasks.find((x: Json) => x.id === fu.body.id).trackerIssue.url)!;
    expect(fuIssue.confidential).toBe(true);
    expect(fuIssue.title).not.toContain("billing");

    // Non-participants see neither the incident nor its issue.
    const eve = await t.user("eve-trackers");
    expect((await eve.get(`/api/v1/incidents/${i.id}`)).status).toBe(404);
    const listed = (await eve.get("/api/v1/incidents")).body.incidents;
    expect(JSON.stringify(listed)).not.toContain(issue.web_url);
  });
});

describe("GitHub issues", () => {
  it("DEC-2: an issue with GitHub's headers and the labels; people's labels stay; closed as completed", async () => {
    const i = await declare(t.admin, {
      type: "Dedicated",
      title: "Tenant upgrade stuck",
      summary: "One tenant is on the old version",
      severity: "S3",
    });
    await t.runJobs();
    const seen = await read(t.admin, i.id);
    expect(seen.trackerIssue).toMatchObject({ kind: "github", project: DEDICATED });
    const issue = gh.issues(DEDICATED).find((x) => x.number === seen.trackerIssue.number)!;
    expect(issue.html_url).toBe(seen.trackerIssue.url);
    expect(issue.title).toBe(`Incident #${i.id}: Tenant upgrade stuck`);
    expect(issue.labels.map((l) => l.name)).toEqual(
      expect.arrayContaining(["incident", "Incident::Active", "severity::S3"]),
    );
    const create = gh.requests.find((r) => r.method === "POST" && r.body.title === issue.title)!;
    expect(create.headers.authorization).toBe(`Bearer ${GITHUB_TOKEN}`);
    expect(create.headers.accept).toBe("application/vnd.github+json");
    expect(create.headers["x-github-api-version"]).toBe("2022-11-28");

    gh.addLabel(DEDICATED, issue.number, "customer-impact");
    await t.admin.request("POST", `/api/v1/incidents/${i.id}/severity`, {
      severity: "S1",
      reason: "tenant down",
    });
    await t.runJobs();
    let names = issue.labels.map((l) => l.name);
    expect(names).toContain("severity::S1");
    expect(names).not.toContain("severity::S3");
    expect(names).toContain("customer-impact");

    // An S1 needs its review before it closes (LC-5): decline is not allowed, so close the usual way.
    await move(t.admin, i.id, "resolved");
    await move(t.admin, i.id, "post-incident");
    t.clock.advanceMinutes(31);
    await completeReview(t.admin, i.id); // LC-6
    await move(t.admin, i.id, "closed");
    await t.runJobs();
    const closed = gh.issues(DEDICATED).find((x) => x.number === issue.number)!;
    expect(closed.state).toBe("closed");
    expect(closed.state_reason).toBe("completed");
    names = closed.labels.map((l) => l.name);
    expect(names).toContain("customer-impact");
    expect(names).toContain("Incident::Resolved");
  });

  it("a declined triage incident's issue is closed as not planned; a follow-up names the incident's issue", async () => {
    const i = await declare(t.admin, { type: "Dedicated", title: "Alert on queue depth", status: "triage" });
    await t.admin.request("POST", `/api/v1/incidents/${i.id}/tasks`, {
      kind: "follow-up",
      title: "Tune the queue alert",
    });
    await t.runJobs();
    const seen = await read(t.admin, i.id);
    const tasks = (await t.admin.get(`/api/v1/incidents/${i.id}/tasks`)).body.tasks;
    const fu = gh.issues(DEDICATED).find((x) => x.html_url === tasks[0].trackerIssue?.url)!;
    expect(fu.title).toBe("Tune the queue alert");
    expect(fu.body).toContain(`#${seen.trackerIssue.number}`);

    await move(t.admin, i.id, "declined", { reason: "false positive" });
    await t.runJobs();
    const issue = gh.issues(DEDICATED).find((x) => x.number === seen.trackerIssue.number)!;
    expect(issue).toMatchObject({ state: "closed", state_reason: "not_planned" });
  });

  it("DATA-3: made private, the issue's title and body are rewritten to say only its link", async () => {
    const i = await declare(t.admin, {
      type: "Dedicated",
      title: "Customer data in logs",
      summary: "Tenant 7 logs",
      severity: "S3",
    });
    await t.runJobs();
    const r = await t.admin.request("POST", `/api/v1/incidents/${i.id}/visibility`, {
      visibility: "private",
      reason: "customer data",
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    await t.runJobs();
    const issue = gh.issues(DEDICATED).find((x) => x.number === r.body.trackerIssue.number)!;
    expect(issue.title).toBe(`Private incident #${i.id}`);
    expect(issue.body).not.toContain("Tenant 7");
  });
});

describe("the tracker down", () => {
  it.each([500, 401, 429])(
    "GitLab answering %i: the incident is declared, the failure is on the timeline once, the issue comes with a retry",
    async (status) => {
      gl.failNext(3, status, status === 429 ? "1" : undefined);
      const i = await declare(t.admin, { title: `Outage while GitLab answers ${status}`, severity: "S3" });
      expect(i.state).toBe("investigating");
      await t.runJobs();
      expect((await read(t.admin, i.id)).trackerIssue).toBeNull();
      let events = await timeline(t.admin, i.id);
      expect(kinds(events)).toEqual(["tracker-failed"]);
      const failed = events.find((e) => e.kind === "tracker-failed");
      expect(failed.body).toContain(`GitLab answered ${status}`);
      expect(JSON.stringify(events)).not.toContain(GITLAB_TOKEN);

      expect(gl.failuresLeft()).toBe(2);

      // The retries fail twice more (the lookup of a lost create, then the create), unwritten, then work.
      await t.advanceMinutes(1);
      expect(gl.failuresLeft()).toBe(0);
      events = await timeline(t.admin, i.id);
      expect(kinds(events)).toEqual(["tracker-failed", "tracker-issue-created", "tracker-recovered"]);
      const seen = await read(t.admin, i.id);
      expect(seen.trackerIssue).toMatchObject({ kind: "gitlab", project: PRODUCTION });
      expect(
        gl.issues(PRODUCTION).filter((x) => x.description.includes(`/incidents/${i.id}\n`)),
      ).toHaveLength(1);
    },
  );

  it("GitHub answering 500: declared anyway, the issue comes with a retry", async () => {
    gh.failNext(1, 500);
    const i = await declare(t.admin, { type: "Dedicated", title: "Tenant backups late", severity: "S3" });
    await t.runJobs();
    expect(kinds(await timeline(t.admin, i.id))).toEqual(["tracker-failed"]);
    await t.advanceMinutes(1);
    expect(kinds(await timeline(t.admin, i.id))).toEqual([
      "tracker-failed",
      "tracker-issue-created",
      "tracker-recovered",
    ]);
    expect((await read(t.admin, i.id)).trackerIssue).toMatchObject({ kind: "github" });
  });

  it("a create whose answer is lost is found on retry, never created twice", async () => {
    gl.loseNextAnswer();
    const i = await declare(t.admin, { title: "Registry timeouts", severity: "S3" });
    await t.runJobs();
    const mine = () => gl.issues(PRODUCTION).filter((x) => x.description.includes(`/incidents/${i.id}\n`));
    expect(mine()).toHaveLength(1); // GitLab made it; Firebreak did not hear back
    expect((await read(t.admin, i.id)).trackerIssue).toBeNull();
    expect(kinds(await timeline(t.admin, i.id))).toEqual(["tracker-failed"]);

    await t.advanceMinutes(1);
    expect(mine()).toHaveLength(1);
    const seen = await read(t.admin, i.id);
    expect(seen.trackerIssue).toMatchObject({ number: mine()[0]!.iid, url: mine()[0]!.web_url });

    // More changes, more jobs: still the one issue.
    await t.admin.request("POST", `/api/v1/incidents/${i.id}/severity`, { severity: "S4", reason: "minor" });
    await t.runJobs();
    expect(mine()).toHaveLength(1);
    expect(mine()[0]!.labels).toContain("severity::S4");
  });
});

describe("the video bridge", () => {
  it("DEC-2: null for a type without a videoBridge template", async () => {
    const i = await declare(t.admin, { type: "Gameday", title: "Failover drill", severity: "S4" });
    expect(i.videoBridge).toBeNull();
    expect(i.trackerIssue).toBeNull();
    await t.runJobs();
    expect(kinds(await timeline(t.admin, i.id))).toEqual([]);
  });
});

describe("no token", () => {
  it("the timeline says once that GITLAB_TOKEN is not set; nothing is sent, nothing retried", async () => {
    const bare = await startTestApp({
      clockStart: new Date(),
      policy: policyWithTrackers(),
      trackers: { gitlab: { url: gl.base }, github: { url: gh.base } },
    });
    try {
      const sent = gl.requests.length;
      const i = await declare(bare.admin, { title: "Nobody set the token", severity: "S3" });
      await bare.runJobs();
      await move(bare.admin, i.id, "fixing");
      await bare.advanceMinutes(10);
      const events = await timeline(bare.admin, i.id);
      expect(kinds(events)).toEqual(["tracker-failed"]);
      expect(events.find((e) => e.kind === "tracker-failed").body).toContain("GITLAB_TOKEN is not set");
      expect((await read(bare.admin, i.id)).trackerIssue).toBeNull();
      expect(gl.requests.length).toBe(sent);
    } finally {
      await bare.close();
    }
  });
});

describe("the outbound guard", () => {
  it("a tracker on an internal address not on OUTBOUND_ALLOWED_HOSTS is never asked; said once, not retried", async () => {
    const guarded = await startTestApp({
      clockStart: new Date(),
      policy: policyWithTrackers(),
      outboundAllowedHosts: [],
      trackers: {
        gitlab: { url: gl.base, token: GITLAB_TOKEN },
        github: { url: gh.base, token: GITHUB_TOKEN },
      },
    });
    try {
      const sent = gl.requests.length;
      const i = await declare(guarded.admin, { title: "Tracker behind the guard", severity: "S3" });
      await guarded.runJobs();
      await guarded.advanceMinutes(10);
      const events = await timeline(guarded.admin, i.id);
      expect(kinds(events)).toEqual(["tracker-failed"]);
      expect(events.find((e) => e.kind === "tracker-failed").body).toContain("OUTBOUND_ALLOWED_HOSTS");
      expect(gl.requests.length).toBe(sent);
    } finally {
      await guarded.close();
    }
  });
});
