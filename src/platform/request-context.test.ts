import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { requestContext } from "./request-context.ts";

/** A promise and its resolve, to step async work by hand. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((r) => {
    open = r;
  });
  return { open, opened };
}

describe("a request's context", () => {
  it("follows each request's async work while it is in, even after another request has left", async () => {
    const ctx = requestContext<string>();
    const later = gate();
    let seenByB: string | undefined;
    let bDone: Promise<void> = Promise.resolve();
    const leaveA = ctx.enter("a", () => {});
    const leaveB = ctx.enter("b", () => {
      bDone = (async () => {
        await later.opened;
        seenByB = ctx.get();
      })();
    });
    leaveA();
    expect(ctx.inside).toBe(1);
    later.open();
    await bDone;
    expect(seenByB).toBe("b");
    leaveB();
    expect(ctx.inside).toBe(0);
  });

  it("gives nothing once every request has left, and works again for the next", async () => {
    const ctx = requestContext<string>();
    const resume = gate();
    let seenAfter: string | undefined = "unset";
    let done: Promise<void> = Promise.resolve();
    const leave = ctx.enter("a", () => {
      done = (async () => {
        await resume.opened;
        seenAfter = ctx.get();
      })();
    });
    leave();
    leave(); // twice is once
    expect(ctx.inside).toBe(0);
    resume.open();
    await done;
    expect(seenAfter).toBeUndefined();

    let seenNext: string | undefined;
    const leaveNext = ctx.enter("b", () => {
      seenNext = ctx.get();
    });
    expect(seenNext).toBe("b");
    leaveNext();
    expect(ctx.inside).toBe(0);
  });

  it("leaves a request whose start throws", () => {
    const ctx = requestContext<string>();
    expect(() =>
      ctx.enter("a", () => {
        throw new Error("no");
      }),
    ).toThrow("no");
    expect(ctx.inside).toBe(0);
  });

  it("in any order of entering and leaving, each request's work sees its own value until it leaves", async () => {
    // Each request enters at a step and leaves at a later one; at every step in between, its work
    // (resumed from a promise) asks for the value.
    const requests = fc.array(
      fc.tuple(fc.nat(12), fc.integer({ min: 1, max: 8 })).map(([from, span]) => ({ from, to: from + span })),
      { minLength: 1, maxLength: 6 },
    );
    await fc.assert(
      fc.asyncProperty(requests, async (rs) => {
        const ctx = requestContext<number>();
        const last = Math.max(...rs.map((r) => r.to));
        const steps = Array.from({ length: last + 1 }, () => gate());
        const leaves = new Map<number, () => void>();
        const seen: { request: number; step: number; value: number | undefined }[] = [];
        const works: Promise<void>[] = [];
        for (let step = 0; step <= last; step++) {
          for (const [i, r] of rs.entries()) {
            if (r.from !== step) continue;
            const leave = ctx.enter(i, () => {
              works.push(
                (async () => {
                  for (let s = r.from + 1; s < r.to; s++) {
                    await steps[s]?.opened;
                    seen.push({ request: i, step: s, value: ctx.get() });
                  }
                })(),
              );
            });
            leaves.set(i, leave);
          }
          for (const [i, r] of rs.entries()) if (r.to === step) leaves.get(i)?.();
          steps[step]?.open();
          await new Promise((r) => setImmediate(r)); // every work waiting on this step has asked
        }
        await Promise.all(works);
        expect(ctx.inside).toBe(0);
        for (const s of seen) expect(s.value, `request ${s.request} at step ${s.step}`).toBe(s.request);
        expect(seen).toHaveLength(rs.reduce((n, r) => n + Math.max(0, r.to - r.from - 1), 0));
      }),
    );
  });
});
