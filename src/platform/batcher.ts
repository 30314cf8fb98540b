/**
 * Group commit (alert intake, audit entries). Requests hand in their items and wait; whatever
 * arrives while earlier batches are being written goes into the next batch, written in one
 * transaction. An idle server writes each request at once; a busy one writes hundreds per commit.
 * The queue is bounded: beyond it, callers are told to come back later (429/503 with Retry-After)
 * instead of being accepted and dropped.
 */

export class Overloaded extends Error {
  readonly retryAfterSeconds: number;
  constructor(what: string, retryAfterSeconds: number) {
    super(`${what} is overloaded; retry after ${retryAfterSeconds} s`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export type BatcherOptions = {
  /** What is batched, as a refusal names it ("alert intake", "the audit log"). */
  what: string;
  /** Events per transaction at most. */
  maxBatch: number;
  /** Transactions in flight at once (each holds a pooled connection). */
  maxConcurrent: number;
  /** Events waiting at most; more are refused with Overloaded. */
  maxQueued: number;
};

type Waiting<I, O> = { item: I; resolve: (o: O) => void; reject: (e: unknown) => void };

export function createBatcher<I, O>(write: (items: I[]) => Promise<O[]>, opts: BatcherOptions) {
  const queue: Waiting<I, O>[] = [];
  let running = 0;
  // Events written per second, smoothed: how long a queue takes to drain, for Retry-After.
  let rate = 0;
  let last = Date.now();

  async function run(batch: Waiting<I, O>[]): Promise<void> {
    try {
      const out = await write(batch.map((w) => w.item));
      batch.forEach((w, i) => {
        w.resolve(out[i] as O);
      });
      const now = Date.now();
      const instant = (batch.length * 1000) / Math.max(1, now - last);
      rate = rate === 0 ? instant : rate * 0.8 + instant * 0.2;
      last = now;
    } catch (err) {
      if (batch.length === 1) {
        batch[0]?.reject(err);
        return;
      }
      // One bad event must not fail its neighbours: write each alone, so only it fails.
      for (const w of batch) await run([w]);
    }
  }

  function pump(): void {
    while (running < opts.maxConcurrent && queue.length > 0) {
      const batch = queue.splice(0, opts.maxBatch);
      running += 1;
      last = Date.now();
      void run(batch).finally(() => {
        running -= 1;
        pump();
      });
    }
  }

  /** Come back when the queue has drained: its length at the rate batches are written, 1–60 s. */
  const refusal = () =>
    new Overloaded(opts.what, Math.min(Math.max(Math.ceil(queue.length / Math.max(rate, 1)), 1), 60));

  return {
    /** Resolves, per item, once its transaction has committed. */
    submit(items: I[]): Promise<O[]> {
      // A request larger than the whole queue is still taken when nothing waits, or it never could be.
      if (queue.length > 0 && queue.length + items.length > opts.maxQueued) throw refusal();
      const done = items.map(
        (item) => new Promise<O>((resolve, reject) => queue.push({ item, resolve, reject })),
      );
      pump();
      return Promise.all(done);
    },
    get queued() {
      return queue.length;
    },
    /** The refusal a sender gets while the queue is full (no event more fits), or null. */
    refusalWhenFull(): Overloaded | null {
      return queue.length >= opts.maxQueued ? refusal() : null;
    },
  };
}
