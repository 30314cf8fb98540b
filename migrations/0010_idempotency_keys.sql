-- Idempotency-Key (issue 14): a retried POST gets the first answer instead of doing it twice
-- (docs/decisions/0009-idempotency-keys.md). One row per caller, method, route and key, kept 24 hours.
CREATE TABLE idempotency_keys (
  user_id bigint NOT NULL,
  method text NOT NULL,
  route text NOT NULL, -- the route's pattern: /api/v1/incidents/:id/tasks
  key text NOT NULL,
  -- SHA-256 of the canonical JSON of path and body: the same key with another request is refused.
  fingerprint text NOT NULL,
  created_at timestamptz NOT NULL,
  -- The attempt holding the key: the command's transaction checks it (a fence) before committing.
  owner uuid NOT NULL,
  -- Until then an unanswered key is in flight (409); after it, an attempt that never committed died.
  locked_until timestamptz NOT NULL,
  -- Set in the command's own transaction: the command happened, so it is never run again.
  committed boolean NOT NULL DEFAULT false,
  -- The answer, once there is one (2xx and 4xx; never 5xx).
  status smallint,
  headers jsonb,
  body text,
  PRIMARY KEY (user_id, method, route, key)
);
-- The hourly sweep deletes what is older than 24 hours.
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
