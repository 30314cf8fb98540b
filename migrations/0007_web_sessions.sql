-- The web app: browser sessions, sign-in throttling, and live incident updates. Timestamps come
-- from the application's clock so tests can drive time.

CREATE TABLE web_sessions (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id),
  secret_hash text NOT NULL UNIQUE, -- sha256 of the cookie's secret; the secret itself is never stored
  user_agent text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,  -- the absolute limit; the idle limit is last_seen_at + 12 h
  revoked_at timestamptz
);
CREATE INDEX web_sessions_user ON web_sessions (user_id) WHERE revoked_at IS NULL;

-- Sign-in attempts not (yet) known to have succeeded, per username and per client address; a
-- success removes its own. Counting them throttles guessing on every replica alike.
CREATE TABLE sign_in_attempts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  key text NOT NULL, -- 'user:<username>' or 'address:<ip>'
  at timestamptz NOT NULL
);
CREATE INDEX sign_in_attempts_key ON sign_in_attempts (key, at);
CREATE INDEX sign_in_attempts_at ON sign_in_attempts (at);

-- Live updates: every appended timeline event and every change to an incident row NOTIFYs
-- `firebreak_incidents` with the incident id. A trigger rather than application code, so no write
-- path can forget it; NOTIFY is delivered at commit (never for a rolled-back change) and
-- PostgreSQL folds identical payloads within a transaction into one.
CREATE FUNCTION notify_timeline_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('firebreak_incidents', e.incident_id::text)
    FROM (SELECT DISTINCT incident_id FROM appended) e;
  RETURN NULL;
END $$;
CREATE TRIGGER timeline_events_notify AFTER INSERT ON timeline_events
  REFERENCING NEW TABLE AS appended
  FOR EACH STATEMENT EXECUTE FUNCTION notify_timeline_events();

CREATE FUNCTION notify_incidents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('firebreak_incidents', i.id::text) FROM (SELECT DISTINCT id FROM changed) i;
  RETURN NULL;
END $$;
CREATE TRIGGER incidents_notify_insert AFTER INSERT ON incidents
  REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION notify_incidents();
CREATE TRIGGER incidents_notify_update AFTER UPDATE ON incidents
  REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION notify_incidents();
