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

/** The key's kept status, and whether its answer was written by the transaction of the last event. */
async function answerAndLastEvent(
  key: string,
  events: "timeline_events" | "page_events",
  of: "incident_id" | "page_id",
  id: number,
) {
  const { rows } = await t.database.pool.query(
    `SELECT k.status, k.xmin::text = e.xmin::text AS same FROM idempotency_keys k,
       (SELECT xmin FROM ${events} WHERE ${of} = $1 ORDER BY id DESC LIMIT 1) e
     WHERE k.key = $2`,
    [id, key],
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

  it("every keyed command on an incident writes its answer in its own transaction, and a retry replays it", async () => {
    const i = (await declare("Commands answered in their transaction", "k-cmd-0")).body;
    const other = (await declare("Merged away", "k-cmd-1")).body;
    const on = (id: number, rest: string) => `/api/v1/incidents/${id}${rest}`;
    // Escalating hands ownership to the IM holder (without one, and no policy to page, it is a 409).
    expect((await t.admin.request("PUT", on(i.id, "/roles/IM"), { user: "bob" })).status).toBe(200);
    const commands: [string, string, unknown, number][] = [
      ["status", on(i.id, "/status"), { status: "fixing" }, 200],
      ["severity", on(i.id, "/severity"), { severity: "S4", reason: "fewer customers" }, 200],
      ["escalate", on(i.id, "/escalate"), { reason: "needs coordination" }, 200],
      ["owner", on(i.id, "/owner"), { owner: 1, reason: "hand-back" }, 200],
      ["impact", on(i.id, "/impact"), { edge: "started" }, 200],
      ["labels", on(i.id, "/labels"), { label: "customer-facing" }, 200],
      ["visibility", on(i.id, "/visibility"), { visibility: "private", reason: "leaked key" }, 200],
      ["participants", on(i.id, "/participants"), { user: "bob" }, 201],
      ["notes", on(i.id, "/notes"), { body: "rolled back" }, 201],
      ["updates", on(i.id, "/updates"), { impact: "Some errors.", actions: "Rolling back." }, 201],
      ["tasks", on(i.id, "/tasks"), { kind: "action", title: "Roll back" }, 201],
      ["merge", on(other.id, "/merge"), { into: i.id, reason: "same cause" }, 200],
    ];
    for (const [name, path, body, status] of commands) {
      const key = `k-cmd-${name}`;
      const first = await t.admin.request("POST", path, body, keyed(key));
      expect(first.status, `${name}: ${JSON.stringify(first.body)}`).toBe(status);
      // The last timeline event and the key's answer were written by one transaction (xmin), so a
      // commit without its answer cannot happen.
      const incidentId = Number(/incidents\/(\d+)/.exec(path)?.[1]);
      expect(await answerAndLastEvent(key, "timeline_events", "incident_id", incidentId), name).toEqual([
        { status, same: true },
      ]);
      const again = await t.admin.request("POST", path, body, keyed(key));
      expect(again.headers.get("idempotent-replayed"), name).toBe("true");
      expect([again.status, again.body], name).toEqual([first.status, first.body]);
    }
    const after = (await t.admin.get(on(i.id, ""))).body;
    expect([after.state, after.visibility, after.owner.id]).toEqual(["fixing", "private", 1]);
    const events = (await t.admin.get(on(i.id, "/timeline"))).body.events as Json[];
    expect(events.filter((e) => e.kind === "note" && e.body === "rolled back")).toHaveLength(1);
  });

  it("keyed page commands (page, escalate, reassign, acknowledge, resolve) write their answer in their transaction", async () => {
    const policy = async (name: string) => {
      const r = await t.admin.request("POST", "/api/v1/escalation-policies", {
        name,
        levels: [0, 1].map(() => ({ timeoutMinutes: 15, targets: [{ kind: "user", id: bob.id }] })),
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.id as number;
    };
    const first = await policy("Keyed answers, first");
    const second = await policy("Keyed answers, second");
    const paged = await t.admin.request(
      "POST",
      "/api/v1/pages",
      { policyId: first, title: "Disk full" },
      keyed("k-page"),
    );
    expect(paged.status, JSON.stringify(paged.body)).toBe(201);
    const page = paged.body.id as number;
    const commands: [string, string, unknown][] = [
      ["k-page", "/api/v1/pages", { policyId: first, title: "Disk full" }],
      ["k-page-escalate", `/api/v1/pages/${page}/escalate`, {}],
      ["k-page-reassign", `/api/v1/pages/${page}/reassign`, { policyId: second }],
      ["k-page-ack", `/api/v1/pages/${page}/acknowledge`, {}],
      ["k-page-resolve", `/api/v1/pages/${page}/resolve`, {}],
    ];
    for (const [key, path, body] of commands) {
      const r = key === "k-page" ? paged : await t.admin.request("POST", path, body, keyed(key));
      expect(r.status, `${key}: ${JSON.stringify(r.body)}`).toBe(key === "k-page" ? 201 : 200);
      // The page's last event and the key's answer share one transaction (xmin).
      expect(await answerAndLastEvent(key, "page_events", "page_id", page), key).toEqual([
        { status: r.status, same: true },
      ]);
      const again = await t.admin.request("POST", path, body, keyed(key));
      expect(again.headers.get("idempotent-replayed"), key).toBe("true");
      expect(again.body, key).toEqual(r.body);
    }
    const after = await t.admin.get(`/api/v1/pages/${page}`);
    expect([after.body.state, after.body.policyId]).toEqual(["resolved", second]);
  });

  it("a command that committed but whose answer was lost is never run again", async () => {
    // What a kill -9 between the commit and storing the answer would leave where the answer is
    // stored after the transaction: on routes not held for their answer, and on every route while
    // half the pool is held already.
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
