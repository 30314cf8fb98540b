-- The audit log: who did what, when, from where. Append-only like the timeline: no row is ever
-- changed, and rows are deleted only by the retention sweep, which says so in its transaction
-- (SET LOCAL firebreak.audit_expiry = 'on') and only for rows past the retention it names.
CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL,
  action text NOT NULL,
  actor_id bigint REFERENCES users (id),
  -- The name as given: for a failed sign-in, the username tried (the person may not exist).
  actor_name text,
  target text,
  method text,
  route text,
  status integer,
  network text NOT NULL,
  request_id text,
  detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_actor ON audit_log (actor_id, at DESC);
CREATE INDEX audit_log_action ON audit_log (action, at DESC);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE'
     AND current_setting('firebreak.audit_expiry', true) = 'on'
     AND OLD.at < current_setting('firebreak.audit_expire_before', true)::timestamptz THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'the audit log is append-only: rows are never changed, and removed only by the retention sweep';
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
-- TRUNCATE skips row triggers: refuse it too.
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
