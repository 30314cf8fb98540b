/**
 * The app's one way to the API: same-origin requests that carry the session cookie and the
 * `x-firebreak-client: web` header the server asks of cookie-authenticated writes, and every
 * failure as an ApiError holding the problem document's title and detail to show where it happened.
 * Every POST carries an `Idempotency-Key` (decision 0009): one per user action, so a retried action
 * (pass the same `idempotencyKey`) is done once and answered as the first time.
 */

export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly code: string | undefined;
  readonly field: string | undefined;
  /** The whole problem document, for members a screen reads (e.g. `places` of a refused deactivation). */
  readonly problem: Record<string, unknown>;
  constructor(
    status: number,
    title: string,
    detail: string,
    code?: string,
    field?: string,
    problem: Record<string, unknown> = {},
  ) {
    super(detail ? `${title}: ${detail}` : title);
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.code = code;
    this.field = field;
    this.problem = problem;
  }
}

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
type Query = Record<string, string | number | boolean | undefined>;

let onUnauthenticated: (() => void) | undefined;
/** Called when a request is refused for want of a session (it expired, or was signed out elsewhere). */
export function whenUnauthenticated(handler: () => void): void {
  onUnauthenticated = handler;
}

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function problemOf(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => "");
  try {
    const p = JSON.parse(text) as { title?: string; detail?: string; code?: string; field?: string };
    return new ApiError(res.status, p.title ?? res.statusText, p.detail ?? "", p.code, p.field, p);
  } catch {
    return new ApiError(
      res.status,
      `The server answered ${res.status} ${res.statusText}`,
      text.slice(0, 300),
    );
  }
}

/** A key for one user action: send it again only to retry that action. */
/**
 * 128 random bits as hex. Not `crypto.randomUUID()`: browsers offer it only on https and
 * localhost, and Firebreak may be served over plain http on a private network.
 */
export const newIdempotencyKey = (): string =>
  Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");

export async function api<T>(
  method: Method,
  path: string,
  body?: unknown,
  opts: {
    quietUnauthenticated?: boolean;
    /** A POST's key; a new one per call unless the caller is retrying an action it already sent. */
    idempotencyKey?: string;
  } = {},
): Promise<T> {
  const key = method === "POST" ? (opts.idempotencyKey ?? newIdempotencyKey()) : undefined;
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      credentials: "same-origin",
      headers: {
        accept: "application/json",
        "x-firebreak-client": "web",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        // The draft's form: a Structured Field String.
        ...(key ? { "idempotency-key": `"${key}"` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(
      0,
      "Firebreak cannot be reached",
      "the request did not reach the server; check your connection and try again",
    );
  }
  if (!res.ok) {
    const err = await problemOf(res);
    if (res.status === 401 && !opts.quietUnauthenticated) onUnauthenticated?.();
    throw err;
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** A message for any thrown value: the problem's title and detail when it came from the API. */
export function messageOf(err: unknown): { title: string; detail: string } {
  if (err instanceof ApiError) return { title: err.title, detail: err.detail };
  if (err instanceof Error) return { title: "Something went wrong", detail: err.message };
  return { title: "Something went wrong", detail: String(err) };
}
