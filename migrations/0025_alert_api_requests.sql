-- Drop-in alert APIs (issue 19): Opsgenie answers every alert request with a request id whose
-- outcome its senders read back (GET /v2/alerts/requests/{id}); the outcomes are kept here.
CREATE TABLE alert_api_requests (
  request_id uuid PRIMARY KEY,
  key_id bigint NOT NULL REFERENCES integration_keys (id) ON DELETE CASCADE,
  action text NOT NULL,                -- Create | Close | Acknowledge | AddNote
  success boolean NOT NULL,
  status text NOT NULL,                -- e.g. "Created alert", "Alert does not exist"
  alert_id bigint,
  alias text NOT NULL DEFAULT '',
  processed_at timestamptz NOT NULL
);
-- Outcomes are kept for a week (Opsgenie's senders read them back within seconds): each key's
-- older ones are deleted as it records new ones.
CREATE INDEX alert_api_requests_key_age ON alert_api_requests (key_id, processed_at);
