/**
 * Idempotency-Key over HTTP (issue 14, hole 7; decision 0009): a retried POST gets the first answer
 * and nothing is done twice; the key and the command commit or roll back together.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { expectProblem, type Json } from "./helpers.ts";

let t: TestApp;
let bob: Awaited<ReturnType<TestApp["user"]>>;
beforeAll(async () => {
  t = await startTestApp();
  bob = await t.user("bob", "responder");
});
afterAll(() => t?.close());

const body = (title: string) => ({ title, type: "GitLab.com", severity: "S3", status: "active" });
const keyed = (key: string) => ({ "idempotency-key": key });
const declare = (title: string, key: string, c = t.admin) =>
  c.request("POST", "/api/v1/incidents", body(title), keyed(key));

async function titled(title: string): Promise<Json[]> {
  const r = await t.admin.get(`/api/v1/incidents?q=${encodeURIComponent(title)}&limit=500`);
  expect(r.status).toBe(200);
  return r.body.incidents.filter((i: Json) => i.title === title);
}

async function keyRows(key: string) {
  const { rows } = await t.database.pool.query(
    "SELECT user_id, route, committed, status FROM idempotency_keys WHERE key = $1",
    [key],
  );
  return rows;
}

describe("Idempotency-Key on declaring an incident", () => {
  it("a retry with the same key and body gets the first answer, replayed; one incident exists", async () => {
    const first = await declare("Replayed checkout errors", "k-replay");
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();

    t.clock.advanceMinutes(5); // a later answer would show a different age; a replay does not
    const again = await declare("Replayed checkout errors", "k-replay");
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.headers.get("location")).toBe(`/api/v1/incidents/${first.body.id}`);
    expect(again.headers.get("content-type")).toMatch(/^application\/json/);
    expect(again.body).toEqual(first.body);
    expect(await titled("Replayed checkout errors")).toHaveLength(1);
  });

  it("accepts the draft's quoted form as the same key", async () => {
    const first = await declare("Quoted key", "k-quoted");
    const again = await declare("Quoted key", '"k-quoted"');
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.id).toBe(first.body.id);
  });

  it("the same key with a different body is a 422 naming the key; nothing is declared", async () => {
    expect((await declare("First use of a key", "k-other")).status).toBe(201);
    const r = await declare("Second use of a key", "k-other");
    const p = expectProblem(r, 422, "idempotency-key-reused");
    expect(p.detail).toMatch(/k-other.*different request/);
    expect(await titled("Second use of a key")).toHaveLength(0);
  });

  it("keys are per caller: another user's same key is a request of its own", async () => {
    const mine = await declare("Admin's incident", "k-shared");
    const bobs = await declare("Bob's incident", "k-shared", bob);
    expect(bobs.status, JSON.stringify(bobs.body)).toBe(201);
    expect(bobs.headers.get("idempotent-replayed")).toBeNull();
    expect(bobs.body.id).not.toBe(mine.body.id);
    expect((await keyRows("k-shared")).map((r) => Number(r.user_id)).sort()).toEqual([1, bob.id].sort());
  });

  it("keys are per route: the same key on another route is another request", async () => {
    const i = (await declare("Per-route key", "k-route")).body;
    const note = await t.admin.request(
      "POST",
      `/api/v1/incidents/${i.id}/notes`,
      { body: "a note" },
      keyed("k-route"),
    );
    expect(note.status, JSON.stringify(note.body)).toBe(201);
    expect(note.headers.get("idempotent-replayed")).toBeNull();
  });

  it("a malformed key is a 400 naming the header", async () => {
    for (const bad of ["a b", "x".repeat(256), '""']) {
      const r = await declare("Bad key", bad);
      const p = expectProblem(r, 400, "invalid-request");
      expect(p.field).toBe("Idempotency-Key");
      expect(p.detail).toMatch(/^Idempotency-Key: /);
    }
    expect((await declare("Longest key", "y".repeat(255))).status).toBe(201);
    expect(await titled("Bad key")).toHaveLength(0);
  });

  it("identical requests at once make one incident: the others get its answer or a 409 with Retry-After", async () => {
    const replies = await Promise.all(
      Array.from({ length: 8 }, () => declare("Raced declaration", "k-race")),
    );
    const created = replies.filter((r) => r.status === 201);
    const busy = replies.filter((r) => r.status === 409);
    expect(created.length + busy.length, JSON.stringify(replies.map((r) => r.body))).toBe(8);
    expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
    for (const r of busy) {
      expect(r.body.code).toBe("idempotency-key-in-flight");
      expect(r.headers.get("retry-after")).toBe("1");
    }
    expect(await titled("Raced declaration")).toHaveLength(1);
  });

  it("a key is kept 24 hours: after that the same request declares again", async () => {
    const first = await declare("Expiring key", "k-expiry");
    await t.advanceMinutes(23 * 60);
    expect((await declare("Expiring key", "k-expiry")).headers.get("idempotent-replayed")).toBe("true");
    await t.advanceMinutes(61); // the sweep (a due runner on the app's clock) deletes it
    expect(await keyRows("k-expiry")).toHaveLength(0);
    const later = await declare("Expiring key", "k-expiry");
    expect(later.status).toBe(201);
    expect(later.headers.get("idempotent-replayed")).toBeNull();
    expect(later.body.id).not.toBe(first.body.id);
  });

  it("without a key nothing changes: two declarations are two incidents", async () => {
    await t.admin.request("POST", "/api/v1/incidents", body("Unkeyed"));
    await t.admin.request("POST", "/api/v1/incidents", body("Unkeyed"));
    expect(await titled("Unkeyed")).toHaveLength(2);
  });
});

describe("the key commits with the command, or not at all", () => {
  it("a declaration's answer is written in the declaration's own transaction", async () => {
    const i = (await declare("Answer in the transaction", "k-atomic")).body;
    expect(await keyRows("k-atomic")).toEqual([
      expect.objectContaining({ route: "/api/v1/incidents", committed: true, status: 201 }),
    ]);
    // The same transaction wrote both rows last (xmin): the answer cannot be missing after a commit.
    const same = await t.database.pool.query(
      `SELECT k.xmin::text = i.xmin::text AS same FROM idempotency_keys k, incidents i
       WHERE k.key = 'k-atomic' AND i.id = $1`,
      [i.id],
    );
    expect(same.rows[0].same).toBe(true);
  });

  it("a command that fails inside its transaction leaves no incident and no committed key; a 4xx answer is kept", async () => {
    const r = await t.admin.request(
      "POST",
      "/api/v1/incidents",
      { ...body("Unknown owner"), owner: "nobody-such" },
      keyed("k-rolled-back"),
    );
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(await titled("Unknown owner")).toHaveLength(0);
    expect(await keyRows("k-rolled-back")).toEqual([
      expect.objectContaining({ committed: false, status: 400 }),
    ]);
    const again = await t.admin.request(
      "POST",
      "/api/v1/incidents",
      { ...body("Unknown owner"), owner: "nobody-such" },
      keyed("k-rolled-back"),
    );
    expect(again.status).toBe(400);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
  });

  it("a failure at commit time (5xx) rolls the command and the key back together; the retry succeeds once", async () => {
    // The database refuses this one declaration as the transaction ends (a deferred constraint).
    await t.database.pool.query(`
      CREATE FUNCTION refuse_flaky() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'refused at commit'; END $$;
      CREATE CONSTRAINT TRIGGER refuse_flaky AFTER INSERT ON incidents DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW WHEN (NEW.title = 'Flaky commit') EXECUTE FUNCTION refuse_flaky();`);
    try {
      const r = await declare("Flaky commit", "k-flaky");
      // The answer waits for the commit: a failed commit is a 503, never the 201 computed before it.
      expectProblem(r, 503, "unavailable");
      expect(r.headers.get("retry-after")).toBe("1");
      expect(await titled("Flaky commit")).toHaveLength(0);
      expect(await keyRows("k-flaky")).toHaveLength(0);
    } finally {
      await t.database.pool.query("DROP TRIGGER refuse_flaky ON incidents; DROP FUNCTION refuse_flaky()");
    }
    const retry = await declare("Flaky commit", "k-flaky");
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    expect(await titled("Flaky commit")).toHaveLength(1);
  });

  it("an attempt that died before committing is taken over once its lease has passed", async () => {
    const request = { ...body("Died before commit"), owner: "nobody-such" };
    const send = () => t.admin.request("POST", "/api/v1/incidents", request, keyed("k-died"));
    expect((await send()).status).toBe(400);
    // What a kill -9 before the commit leaves: the key reserved by an attempt gone, no answer.
    await t.database.pool.query(
      `UPDATE idempotency_keys SET status = NULL, headers = NULL, body = NULL, owner = gen_random_uuid(),
         locked_until = $1 WHERE key = 'k-died'`,
      [new Date(t.clock.now().getTime() + 30_000)],
    );
    const busy = await send();
    expectProblem(busy, 409, "idempotency-key-in-flight");
    expect(busy.headers.get("retry-after")).toBe("1");
    expectProblem(await declare("Another request", "k-died"), 422, "idempotency-key-reused");

    t.clock.advance(31_000);
    const retried = await send();
    expect(retried.status).toBe(400);
    expect(retried.headers.get("idempotent-replayed")).toBeNull();
  });

  it("a command that committed but whose answer was lost is never run again", async () => {
    // What a kill -9 between the commit and storing the answer would leave on a route whose answer
    // is stored after its transaction (declaring writes its answer in the transaction instead).
    const i = (await declare("Lost answer", "k-lost-0")).body;
    const note = () =>
      t.admin.request("POST", `/api/v1/incidents/${i.id}/notes`, { body: "lost" }, keyed("k-lost"));
    expect((await note()).status).toBe(201);
    expect(await keyRows("k-lost")).toEqual([expect.objectContaining({ committed: true, status: 201 })]);
    await t.database.pool.query(
      "UPDATE idempotency_keys SET status = NULL, headers = NULL, body = NULL WHERE key = 'k-lost'",
    );
    t.clock.advance(31_000);
    const r = await note();
    const p = expectProblem(r, 409, "conflict");
    expect(p.detail).toMatch(/carried out/);
    const events = (await t.admin.get(`/api/v1/incidents/${i.id}/timeline`)).body.events;
    expect(events.filter((e: Json) => e.kind === "note" && e.body === "lost")).toHaveLength(1);
  });
});
