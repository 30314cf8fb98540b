-- Single sign-on (OpenID Connect). A person is linked to the provider's account by the issuer and
-- the subject, which never change, not by the email, which may.
CREATE TABLE user_identities (
  issuer text NOT NULL,
  subject text NOT NULL,
  user_id bigint NOT NULL REFERENCES users (id),
  email text,
  created_at timestamptz NOT NULL,
  last_sign_in_at timestamptz NOT NULL,
  PRIMARY KEY (issuer, subject)
);
CREATE INDEX user_identities_user ON user_identities (user_id);

-- A sign-in on its way through the provider: what the callback must find to finish it. Only the
-- hash of the state is kept (the browser holds the state in a cookie); rows live ten minutes and
-- are used once.
CREATE TABLE oidc_logins (
  state_hash text PRIMARY KEY,
  nonce text NOT NULL,
  code_verifier text NOT NULL,
  return_to text NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX oidc_logins_created ON oidc_logins (created_at);

-- How a browser session was opened, so signing out of one opened by single sign-on can end the
-- provider's session too.
ALTER TABLE web_sessions ADD COLUMN via text NOT NULL DEFAULT 'password'
  CHECK (via IN ('password', 'token', 'sso'));
