-- A browser session opened with an API token (`POST /api/v1/session {token}`) remembers that
-- token: revoking the token ends the session with it. NULL for sessions opened with a password.
ALTER TABLE web_sessions ADD COLUMN token_id bigint REFERENCES api_tokens (id);
CREATE INDEX web_sessions_token ON web_sessions (token_id) WHERE token_id IS NOT NULL AND revoked_at IS NULL;
