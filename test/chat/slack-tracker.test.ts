/** The Slack header links the incident's tracker issue, whichever of the two jobs runs first. */
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadPolicy } from "../../src/policy/load.ts";
import type { Policy } from "../../src/policy/model.ts";
import { declare } from "../api/helpers.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { type GitLabServer, startGitLabServer } from "../support/gitlab.ts";
import { BOT_TOKEN, SIGNING_SECRET, type SlackServer, startSlackServer } from "../support/slack.ts";

const GITLAB_TOKEN = "glpat-Fb7Kq2Xw9LmN4pRt6VyZ";
let t: TestApp;
let gl: GitLabServer;
let slack: SlackServer;

beforeAll(async () => {
  gl = await startGitLabServer(GITLAB_TOKEN);
  slack = await startSlackServer();
  for (const name of ["incidents", "incidents-dotcom"]) slack.addChannel(name);
  const p = loadPolicy();
  const policy: Policy = {
    ...p,
    incidentTypes: p.incidentTypes.map((type) =>
      type.name === "GitLab.com"
        ? { ...type, tracker: { kind: "gitlab", project: "gitlab-com/gl-infra/production" } }
        : type,
    ),
  };
  t = await startTestApp({
    clockStart: new Date(),
    policy,
    trackers: {
      gitlab: { url: gl.base, token: GITLAB_TOKEN },
      github: { url: "https://api.github.com", token: "" },
    },
    slack: { botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, apiUrl: slack.apiUrl },
  });
});
afterAll(async () => {
  await t?.close();
  await gl?.close();
  await slack?.close();
});

it("the pinned header links the tracker issue once it exists", async () => {
  const alice = await t.user("alice");
  const incident = await declare(alice, { title: "Registry errors", severity: "S2" });
  await t.runJobs();
  const channel = slack.channelNamed(`inc-${incident.id}-registry-errors`)!;
  const header = slack.messages.find((m) => m.channel === channel.id && m.ts === channel.pins[0])!;
  const said = JSON.stringify(header.blocks);
  expect(said).toContain("Tracker issue");
  expect(said).toMatch(/gitlab-com\/gl-infra\/production\/-\/issues\/\d+\|Tracker issue/);
});
