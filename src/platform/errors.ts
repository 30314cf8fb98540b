/**
 * The one catalogue of error codes. Every failure a person can see is an AppError with a code from
 * here; the HTTP layer turns it into application/problem+json (RFC 9457) in one place.
 */
export const errorCatalogue = {
  "invalid-request": { status: 400, title: "The request is not valid" },
  "red-data": { status: 400, title: "The request contains RED data, which is never stored" },
  unauthenticated: { status: 401, title: "Authentication is required" },
  forbidden: { status: 403, title: "Your role does not allow this" },
  "missing-client-header": { status: 403, title: "A browser change needs the web app's header" },
  "not-found": { status: 404, title: "Not found" },
  "invalid-transition": { status: 409, title: "That change is not possible in the current state" },
  conflict: { status: 409, title: "The request conflicts with the current state" },
  "idempotency-key-in-flight": {
    status: 409,
    title: "A request with this Idempotency-Key is still being carried out",
  },
  "body-too-large": { status: 413, title: "The request body is too large" },
  "uri-too-long": { status: 414, title: "The URL is too long" },
  "unsupported-media-type": { status: 415, title: "Unsupported content type" },
  "idempotency-key-reused": {
    status: 422,
    title: "The Idempotency-Key was used for a different request",
  },
  "invalid-document": { status: 422, title: "The configuration document cannot be applied" },
  "rate-limited": { status: 429, title: "Too many requests" },
  "headers-too-large": { status: 431, title: "The request line and headers are too large" },
  internal: { status: 500, title: "Internal error" },
  unavailable: { status: 503, title: "Service unavailable" },
} as const;

export type ErrorCode = keyof typeof errorCatalogue;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Extra members of the problem document (e.g. `currentState`, `allowed`, `field`). */
  readonly extra: Record<string, unknown>;
  constructor(code: ErrorCode, detail: string, extra: Record<string, unknown> = {}) {
    super(detail);
    this.code = code;
    this.status = errorCatalogue[code].status;
    this.extra = extra;
  }
}

export type Problem = {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance?: string;
  [key: string]: unknown;
};

export function problemOf(err: AppError, instance?: string): Problem {
  return {
    type: `urn:firebreak:problem:${err.code}`,
    title: errorCatalogue[err.code].title,
    status: err.status,
    detail: err.message,
    code: err.code,
    ...(instance ? { instance } : {}),
    ...err.extra,
  };
}

export const invalid = (field: string, detail: string) =>
  new AppError("invalid-request", `${field}: ${detail}`, { field });
export const notFound = (what: string, id: string | number) =>
  new AppError("not-found", `${what} ${id} does not exist or is not visible to you`);
export const forbidden = (detail: string) => new AppError("forbidden", detail);
