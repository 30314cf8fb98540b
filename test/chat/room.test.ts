/**
 * The built-in incident room, through the API on a real server and database: a message becomes a
 * `chat-message` on the timeline (as Slack's do), `@username` tells that person by their contact
 * methods (email on a loopback SMTP server), the same `/inc` commands run there, RED data is
 * refused, and a private incident is neither readable nor mentionable by outsiders.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Json, type Person, type ProcessApp, startProcessApp } from "../support/process.ts";

let p: ProcessApp;
let ann: Person;
let bo: Person;
let cy: Person;

beforeAll(async () => {
  p = await startProcessApp({ clockStart: new Date().toISOString() });
  ann = await p.person("ann");
  bo = await p.person("bo");
  cy = await p.person("cy");
});
afterAll(() => p?.close());

const say = (who: Person, id: number, text: string) =>
  who.request("POST", `/api/v1/incidents/${id}/room`, { text });

describe("the incident room", () => {
  it("keeps a message on the timeline as a chat message and tells the people it mentions", async () => {
    const i = await p.declare(ann, { title: "Checkout errors", severity: "S3" });
    const r = await say(ann, i.id, "@bo can you look at the payment gateway? ops@example.com has logs");
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({
      kind: "message",
      mentioned: [bo.id],
      event: {
        kind: "chat-message",
        body: "@bo can you look at the payment gateway? ops@example.com has logs",
      },
    });
    const timeline = await p.timeline(i.id);
    expect(timeline.filter((e: Json) => e.kind === "chat-message")).toHaveLength(1);

    await p.t.runJobs();
    const told = p.mails(bo, /mentioned you on incident/);
    expect(told).toHaveLength(1);
    expect(told[0]!.subject).toBe(`[Firebreak] ann mentioned you on incident #${i.id}: Checkout errors`);
    expect(told[0]!.body).toContain("can you look at the payment gateway");
    expect(p.mails(cy, /mentioned you/)).toHaveLength(0);

    // Pinned into the highlights like any message (TL-2).
    const pin = await ann.request("PUT", `/api/v1/incidents/${i.id}/timeline/${r.body.event.id}/pin`);
    expect(pin.status, JSON.stringify(pin.body)).toBe(201);
    const highlights = await ann.get(`/api/v1/incidents/${i.id}/timeline?pinned=true`);
    expect(highlights.body.events.map((e: Json) => e.id)).toEqual([r.body.event.id]);
  });

  it("runs the chat commands typed there, as the person who typed them", async () => {
    const i = await p.declare(ann, { title: "Slow search", severity: "S3" });
    const raised = await say(ann, i.id, "/inc severity S2");
    expect(raised.status, JSON.stringify(raised.body)).toBe(200);
    expect(raised.body.kind).toBe("command");
    expect((await p.read(i.id)).severity).toBe("S2");
    const help = await say(ann, i.id, "/inc frobnicate");
    expect(help.body.reply).toMatchObject({ visibility: "ephemeral" });
    expect(help.body.reply.text).toContain('Unknown command "frobnicate"');
    // Not a command: `/incident` is a message like any other.
    expect((await say(ann, i.id, "/incident is the wrong command")).status).toBe(201);
  });

  it("refuses RED data and stores nothing of it", async () => {
    const i = await p.declare(ann, { title: "Leaked key?" });
    const before = (await p.timeline(i.id)).length;
    const r = await say(ann, i.id, "the card is 4111 1111 1111 1111");
    expect(r.status).toBe(400);
    expect(r.body.type).toContain("red-data");
    expect(await p.timeline(i.id)).toHaveLength(before);
  });

  it("keeps a private incident's room to its participants (DATA-3)", async () => {
    const i = await p.declare(ann, { title: "Confidential", visibility: "private" });
    // An outsider can neither post nor learn it exists.
    const outsider = await say(cy, i.id, "hello?");
    expect(outsider.status).toBe(404);
    // Mentioning someone who cannot see it is refused: the mention would leak it.
    const leak = await say(ann, i.id, "@cy please help");
    expect(leak.status).toBe(400);
    expect(leak.body).toMatchObject({ field: "text" });
    expect(leak.body.detail).toContain("@cy cannot see this private incident");
    await p.t.runJobs();
    expect(p.mails(cy, /mentioned you/)).toHaveLength(0);
  });

  it("lets viewers read but not post", async () => {
    const i = await p.declare(ann, { title: "Read only" });
    const vi = await p.t.user("vi", "viewer");
    expect((await vi.request("POST", `/api/v1/incidents/${i.id}/room`, { text: "hi" })).status).toBe(403);
  });
});
