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
