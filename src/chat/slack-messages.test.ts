import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  announcementMessage,
  askMessage,
  headerMessage,
  POST_STATUS_UPDATE,
  reminderMessage,
} from "./slack-messages.ts";
import { retryDelaySeconds } from "./slack-rooms.ts";

const incident = {
  id: 42,
  title: "Checkout <!channel> & <https://evil.example|your bank>",
  state: "investigating" as const,
  severity: "S2",
  type: "GitLab.com",
  visibility: "public" as const,
  mergedInto: null,
};
const all = (m: { text: string; blocks: unknown[] }) => m.text + JSON.stringify(m.blocks);
/** What Slack reads as markup: mrkdwn texts and the fallback text (plain_text shows `<…>` as typed). */
const markup = (m: { text: string; blocks: Record<string, unknown>[] }) =>
  m.text + JSON.stringify(m.blocks.filter((b) => b.type !== "header"));

describe("Slack messages", () => {
  it("escape people's text: a title cannot mention @channel or fake a link", () => {
    const h = headerMessage({
      incident,
      owner: { name: "Mallory <@U999>" },
      ownerRole: "Incident Lead",
      roles: [{ role: "IM" }, { role: "CMOC", holder: { name: "bo", slackId: "U0BO" } }],
      incidentUrl: "https://firebreak.example/incidents/42",
      videoBridge: null,
      trackerUrl: null,
    });
    const a = announcementMessage({
      incident,
      incidentUrl: "https://firebreak.example/incidents/42",
      channelId: "C1",
    });
    for (const m of [h, a]) {
      const s = markup(m);
      expect(s).not.toContain("<!channel>");
      expect(s).not.toContain("<https://evil.example");
      expect(s).not.toContain("<@U999>");
    }
    expect(all(h)).toContain("*CMOC:* <@U0BO>");
    expect(all(h)).toContain("*IM:* _nobody_");
  });

  it("a private incident is announced and asked for without its title, type or channel (DATA-3)", () => {
    const secret = { ...incident, title: "Stolen laptop", visibility: "private" as const };
    const a = all(
      announcementMessage({
        incident: secret,
        incidentUrl: "https://f.example/incidents/42",
        channelId: "G1",
      }),
    );
    const ask = all(
      askMessage({
        incident: secret,
        role: "IM",
        incidentUrl: "https://f.example/incidents/42",
        channelId: "G1",
      }),
    );
    for (const s of [a, ask]) {
      expect(s).not.toContain("Stolen");
      expect(s).not.toContain("G1");
      expect(s).toContain("https://f.example/incidents/42");
    }
    expect(a).not.toContain("GitLab.com");
  });

  it("a status update reminder carries the post_status_update button with the incident id (COMM-1)", () => {
    const r = reminderMessage({
      incidentId: 42,
      message: "A status update is due.",
      statusUpdate: true,
      incidentUrl: "https://f.example/incidents/42",
    });
    const actions = r.blocks.find((b) => b.type === "actions") as { elements: Record<string, unknown>[] };
    expect(actions.elements[0]).toMatchObject({ action_id: POST_STATUS_UPDATE, value: "42" });
    expect(
      reminderMessage({ incidentId: 42, message: "x", statusUpdate: false, incidentUrl: "u" }).blocks,
    ).toHaveLength(1);
  });

  it("the retry delay grows, never passes an hour unless Slack asks for longer, and honours Retry-After", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: undefined }),
        (n, after) => {
          const d = retryDelaySeconds(n, after);
          expect(d).toBeGreaterThanOrEqual(after ?? 0);
          expect(d).toBeGreaterThanOrEqual(30);
          expect(d).toBeLessThanOrEqual(Math.max(3600, after ?? 0));
          expect(retryDelaySeconds(n + 1, after)).toBeGreaterThanOrEqual(d);
        },
      ),
    );
  });
});
