-- Configuration as code (issue 19): for every object `firebreak config apply` made match a file,
-- the fingerprint of its form right after that apply, and when and by whom. `plan` compares the
-- object's form now with it: a difference is drift, a change made in the web app or the API since.
CREATE TABLE config_applies (
  kind text NOT NULL,
  name text NOT NULL,
  fingerprint text NOT NULL,
  applied_at timestamptz NOT NULL,
  applied_by bigint REFERENCES users (id),
  PRIMARY KEY (kind, name)
);
