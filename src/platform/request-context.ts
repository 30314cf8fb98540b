/**
 * A value that follows one request's asynchronous work (AsyncLocalStorage), switched on only while
 * at least one request that set it is in flight.
 *
 * Why not a plain AsyncLocalStorage: on Node 20, once one has been used, every promise and every
 * async resource the process makes runs its hook from then on, for good. A single keyed POST from
 * the web app would make every later request pay for it — status page crowds and alert intake
 * included, which never use it. Counting the requests that do lets it switch off after the last.
 */
import { AsyncLocalStorage } from "node:async_hooks";

export type RequestContext<T> = {
  /** Runs `fn` (and the work it starts) with `value`; call the returned `leave` once it is done. */
  enter(value: T, fn: () => void): () => void;
  /** The value of the request whose work this is, if that request has not left. */
  get(): T | undefined;
  /** How many requests are in (entered and not left). */
  readonly inside: number;
};

export function requestContext<T>(): RequestContext<T> {
  const storage = new AsyncLocalStorage<T>();
  let inside = 0;
  return {
    enter(value, fn) {
      inside++;
      let left = false;
      const leave = () => {
        if (left) return;
        left = true;
        inside--;
        if (inside === 0) storage.disable();
      };
      try {
        storage.run(value, fn);
      } catch (err) {
        leave();
        throw err;
      }
      return leave;
    },
    get: () => (inside > 0 ? storage.getStore() : undefined),
    get inside() {
      return inside;
    },
  };
}
