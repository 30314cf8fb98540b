-- Post-incident reviews and corrective actions (issue 18: LC-6, REV-1..3, FU-2, TL-4).

-- TL-4: how and when the problem was detected; detected_at is the base for time to detect.
ALTER TABLE incidents
  ADD COLUMN detection_source text
    CHECK (detection_source IN ('monitoring', 'customer', 'team', 'security')),
  ADD COLUMN detected_at timestamptz,
  -- REV-3: a near miss records the severity it would have had.
  ADD COLUMN near_miss_severity text;

-- One review per incident. `required` rows block closing (LC-6) until completed_at is set; a row
-- with required = false is a review someone keeps without the policy asking for it.
CREATE TABLE incident_reviews (
  incident_id bigint PRIMARY KEY REFERENCES incidents (id),
  required boolean NOT NULL,
  reason text NOT NULL CHECK (reason IN ('severity', 'requested', 'near-miss', 'support-criticality')),
  owner_id bigint REFERENCES users (id),
  reviewer_ids bigint[] NOT NULL DEFAULT '{}',
  due_at timestamptz,
  completed_at timestamptz,
  completed_by bigint REFERENCES users (id),
  meeting_at timestamptz,          -- optional synchronous meeting; async by default (REV-1)
  version integer NOT NULL DEFAULT 0,  -- the latest saved document version (0: never saved)
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX incident_reviews_open_due ON incident_reviews (due_at) WHERE completed_at IS NULL;

-- Every save of the review document is a new version, so no edit is ever lost.
CREATE TABLE incident_review_versions (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id bigint NOT NULL REFERENCES incident_reviews (incident_id),
  version integer NOT NULL,
  body text NOT NULL,              -- Markdown
  author_id bigint NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL,
  UNIQUE (incident_id, version)
);

-- FU-2: corrective actions are follow-ups marked corrective.
ALTER TABLE incident_tasks
  ADD COLUMN corrective boolean NOT NULL DEFAULT false,
  ADD COLUMN due_at timestamptz,
  ADD COLUMN severity text,
  ADD COLUMN priority text,
  ADD COLUMN labels text[] NOT NULL DEFAULT '{}',
  ADD COLUMN vague_reasons text[] NOT NULL DEFAULT '{}';
CREATE INDEX incident_tasks_corrective_due ON incident_tasks (due_at) WHERE corrective AND state = 'open';
