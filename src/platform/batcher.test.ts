import { describe, expect, it } from "vitest";
import { createBatcher, Overloaded } from "./batcher.ts";

/**
 * A write whose every call waits until the test settles it: the test decides when each batch
 * commits or fails, so the batcher's behaviour is driven by promises, never by timers.
 */
function controlledWrite<I>() {
  type Call = { items: I[]; commit: () => void; fail: (err: unknown) => void };
  const calls: Call[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let waiting: (() => void)[] = [];
  const write = (items: I[]) =>
    new Promise<string[]>((resolve, reject) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      calls.push({
        items,
        commit: () => {
          inFlight -= 1;
          resolve(items.map((i) => `ok:${String(i)}`));
        },
        fail: (err) => {
          inFlight -= 1;
          reject(err);
        },
      });
      const w = waiting;
      waiting = [];
      for (const wake of w) wake();
    });
  return {
    write,
    calls,
    batches: () => calls.map((c) => c.items),
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    /** Resolves once `write` has been called `n` times in all. */
    async called(n: number): Promise<void> {
      while (calls.length < n) await new Promise<void>((wake) => waiting.push(wake));
    },
    call(i: number) {
      const c = calls[i];
      if (!c) throw new Error(`write was called ${calls.length} times, not ${i + 1}`);
      return c;
    },
  };
}

const opts = (over: Partial<Parameters<typeof createBatcher>[1]> = {}) => ({
  what: "alert intake",
  maxBatch: 100,
  maxConcurrent: 1,
  maxQueued: 1000,
  ...over,
});

describe("createBatcher", () => {
  it("writes a request at once when idle, and resolves it only when its write commits", async () => {
    const w = controlledWrite<string>();
    const b = createBatcher(w.write, opts());
    let done = false;
    const p = b.submit(["a", "b"]).then((r) => {
      done = true;
      return r;
    });
    expect(w.batches()).toEqual([["a", "b"]]);
    await Promise.resolve();
    expect(done).toBe(false);
    w.call(0).commit();
    expect(await p).toEqual(["ok:a", "ok:b"]);
    expect(b.queued).toBe(0);
  });

  it("items submitted while a batch runs go into the next batch together, and each caller gets its own results", async () => {
    const w = controlledWrite<string>();
    const b = createBatcher(w.write, opts());
    const first = b.submit(["a"]);
    const second = b.submit(["b", "c"]);
    const third = b.submit(["d"]);
    expect(w.batches()).toEqual([["a"]]);
    expect(b.queued).toBe(3);

    w.call(0).commit();
    await w.called(2);
    expect(w.batches()).toEqual([["a"], ["b", "c", "d"]]);
    expect(b.queued).toBe(0);
    w.call(1).commit();
    expect(await first).toEqual(["ok:a"]);
    expect(await second).toEqual(["ok:b", "ok:c"]);
    expect(await third).toEqual(["ok:d"]);
  });

  it("never puts more than maxBatch items in one write", async () => {
    const w = controlledWrite<number>();
    const b = createBatcher(w.write, opts({ maxBatch: 3 }));
    const first = b.submit([0]);
    const rest = b.submit([1, 2, 3, 4, 5, 6, 7]);
    w.call(0).commit();
    await w.called(2);
    w.call(1).commit();
    await w.called(3);
    w.call(2).commit();
    await w.called(4);
    w.call(3).commit();
    await Promise.all([first, rest]);
    expect(w.batches()).toEqual([[0], [1, 2, 3], [4, 5, 6], [7]]);
  });

  it("a request larger than maxBatch, submitted when idle, is split across writes", async () => {
    const w = controlledWrite<number>();
    const b = createBatcher(w.write, opts({ maxBatch: 2, maxConcurrent: 4 }));
    const p = b.submit([1, 2, 3, 4, 5]);
    expect(w.batches()).toEqual([[1, 2], [3, 4], [5]]);
    for (const c of w.calls) c.commit();
    expect(await p).toEqual(["ok:1", "ok:2", "ok:3", "ok:4", "ok:5"]);
  });

  it("never runs more than maxConcurrent writes at once, and starts the next as one finishes", async () => {
    const w = controlledWrite<number>();
    const b = createBatcher(w.write, opts({ maxBatch: 1, maxConcurrent: 2 }));
    const all = [1, 2, 3, 4, 5].map((n) => b.submit([n]));
    expect(w.batches()).toEqual([[1], [2]]);
    expect(w.inFlight).toBe(2);
    expect(b.queued).toBe(3);

    w.call(1).commit(); // the second finishes first: the third starts
    await w.called(3);
    expect(w.batches()).toEqual([[1], [2], [3]]);
    expect(w.inFlight).toBe(2);
    w.call(0).commit();
    await w.called(4);
    w.call(2).commit();
    await w.called(5);
    w.call(3).commit();
    w.call(4).commit();
    expect(await Promise.all(all)).toEqual([["ok:1"], ["ok:2"], ["ok:3"], ["ok:4"], ["ok:5"]]);
    expect(w.maxInFlight).toBe(2);
  });

  it("a failing item does not fail its neighbours: the batch is re-run one item at a time, and only it fails", async () => {
    const w = controlledWrite<string>();
    const b = createBatcher(w.write, opts());
    const first = b.submit(["x"]);
    const good1 = b.submit(["a"]);
    const bad = b.submit(["bad"]);
    const good2 = b.submit(["c"]);
    w.call(0).commit();
    await first;
    await w.called(2);
    expect(w.call(1).items).toEqual(["a", "bad", "c"]);

    const boom = new Error("check constraint violated by bad");
    w.call(1).fail(boom);
    await w.called(3);
    expect(w.call(2).items).toEqual(["a"]); // alone, one after another, in order
    w.call(2).commit();
    await w.called(4);
    expect(w.call(3).items).toEqual(["bad"]);
    w.call(3).fail(boom);
    await w.called(5);
    expect(w.call(4).items).toEqual(["c"]);
    w.call(4).commit();

    expect(await good1).toEqual(["ok:a"]);
    await expect(bad).rejects.toBe(boom);
    expect(await good2).toEqual(["ok:c"]);
    expect(w.calls).toHaveLength(5);
  });

  it("a failing single-item batch fails its caller, and the batcher carries on", async () => {
    const w = controlledWrite<string>();
    const b = createBatcher(w.write, opts());
    const p = b.submit(["only"]);
    const err = new Error("database unavailable");
    w.call(0).fail(err);
    await expect(p).rejects.toBe(err);
    const next = b.submit(["next"]);
    await w.called(2);
    w.call(1).commit();
    expect(await next).toEqual(["ok:next"]);
  });

  it("refuses with Overloaded (retryAfterSeconds between 1 and 60) beyond maxQueued, queueing nothing of the refused request", async () => {
    const w = controlledWrite<number>();
    const b = createBatcher(w.write, opts({ maxQueued: 3 }));
    const running = b.submit([0]); // taken at once: not queued
    const queued = b.submit([1, 2]);
    expect(b.queued).toBe(2);
    const more = b.submit([3]); // exactly full
    expect(b.queued).toBe(3);

    let refused: unknown;
    try {
      void b.submit([4]);
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(Overloaded);
    const o = refused as Overloaded;
    expect(o.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(o.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(Number.isInteger(o.retryAfterSeconds)).toBe(true);
    expect(o.message).toMatch(/overloaded; retry after \d+ s/);
    expect(() => b.submit([5, 6])).toThrow(Overloaded);
    expect(b.queued).toBe(3);

    // Once the queue drains, requests are taken again.
    w.call(0).commit();
    await w.called(2);
    expect(b.queued).toBe(0);
    const later = b.submit([7]);
    w.call(1).commit();
    await w.called(3);
    w.call(2).commit();
    expect(await Promise.all([running, queued, more, later])).toEqual([
      ["ok:0"],
      ["ok:1", "ok:2"],
      ["ok:3"],
      ["ok:7"],
    ]);
    expect(w.batches()).toEqual([[0], [1, 2, 3], [7]]);
  });

  it("takes a request larger than maxQueued when nothing waits (it could never fit otherwise)", async () => {
    const w = controlledWrite<number>();
    const b = createBatcher(w.write, opts({ maxQueued: 2, maxBatch: 2 }));
    const big = b.submit([1, 2, 3, 4, 5]);
    expect(w.batches()).toEqual([[1, 2]]);
    expect(b.queued).toBe(3);
    expect(() => b.submit([6])).toThrow(Overloaded);
    w.call(0).commit();
    await w.called(2);
    w.call(1).commit();
    await w.called(3);
    w.call(2).commit();
    expect(await big).toEqual(["ok:1", "ok:2", "ok:3", "ok:4", "ok:5"]);
  });

  it("an empty request resolves at once without writing", async () => {
    const w = controlledWrite<number>();
    const b = createBatcher(w.write, opts());
    expect(await b.submit([])).toEqual([]);
    expect(w.calls).toHaveLength(0);
  });
});
