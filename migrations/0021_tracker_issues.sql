-- Tracker issues (DEC-2, FU-1): the GitLab or GitHub issue Firebreak keeps for an incident, and
-- one per follow-up, linked to the incident's. A row is written before the issue is created
-- (attempted_at), so a retried job looks the issue up instead of creating a second one; `number`
-- is stored the moment the tracker answers.
CREATE TABLE tracker_issues (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id bigint NOT NULL REFERENCES incidents (id),
  task_id bigint REFERENCES incident_tasks (id),  -- null: the incident's own issue
  kind text NOT NULL CHECK (kind IN ('gitlab', 'github')),
  project text NOT NULL,             -- GitLab `group/project` (or id), GitHub `owner/repo`
  number integer,                    -- GitLab iid, GitHub number; null until created
  url text,
  attempted_at timestamptz,          -- a create request was sent (its answer may have been lost)
  linked boolean NOT NULL DEFAULT false,  -- a follow-up's link to the incident's issue is made
  labels text[] NOT NULL DEFAULT '{}',    -- the labels Firebreak put on it (others are people's)
  visibility text,                   -- the incident's visibility when its text was last written
  failing_since timestamptz,         -- the tracker has been failing since; said once on the timeline
  last_error text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX tracker_issues_incident ON tracker_issues (incident_id) WHERE task_id IS NULL;
CREATE UNIQUE INDEX tracker_issues_task ON tracker_issues (task_id) WHERE task_id IS NOT NULL;
