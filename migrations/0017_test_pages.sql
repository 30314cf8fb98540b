-- Test pages ("prove paging works"): a page sent to every contact method of one person through
-- the same delivery jobs and channels as a real page, on no incident and no escalation policy,
-- resolved as soon as each method has answered (or the deadline passed). Its deliveries are rows
-- of `deliveries` that name the test page instead of pages.
CREATE TABLE test_pages (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id),
  requested_by bigint REFERENCES users (id),  -- null when the scheduled self-test sent it
  created_at timestamptz NOT NULL,
  resolved_at timestamptz
);
CREATE INDEX test_pages_user ON test_pages (user_id, created_at DESC);

ALTER TABLE deliveries ADD COLUMN test_page_id bigint REFERENCES test_pages (id);

-- Source silence: an integration key may say how long its sender may stay quiet before one alert
-- "no alerts from <service>/<key> for N minutes" is raised (resolved when events arrive again).
ALTER TABLE integration_keys
  ADD COLUMN silence_minutes integer CHECK (silence_minutes BETWEEN 1 AND 10080),
  ADD COLUMN silence_since timestamptz,  -- when silence_minutes was set: quiet counts from here at the earliest
  ADD COLUMN last_event_at timestamptz,  -- the latest event on the key (written at most every 30 s per replica)
  ADD COLUMN silent_at timestamptz;      -- when the silence alert was raised; null while events arrive
