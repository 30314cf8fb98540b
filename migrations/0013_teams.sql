-- Teams own schedules, escalation policies, services and status pages; a person has a role in each
-- team they belong to. An install from before teams becomes one default team that owns everything
-- and holds everyone, with the role each person already had.
CREATE TABLE teams (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name text NOT NULL,
  is_default boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);
-- One default team, never two.
CREATE UNIQUE INDEX teams_one_default ON teams (is_default) WHERE is_default;
INSERT INTO teams (slug, name, is_default) VALUES ('default', 'Default team', true);

CREATE FUNCTION firebreak_default_team() RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT id FROM teams WHERE is_default
$$;

CREATE TABLE team_members (
  team_id bigint NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
  user_id bigint NOT NULL REFERENCES users (id),
  role text NOT NULL CHECK (role IN ('viewer', 'responder', 'admin')),
  PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

INSERT INTO team_members (team_id, user_id, role)
SELECT firebreak_default_team(), id, role FROM users WHERE username NOT LIKE '@%';

-- Everyone joins the default team when created, and their role there follows the role an admin
-- gives them: a one-team install works as it did before teams.
CREATE FUNCTION users_join_default_team() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.username NOT LIKE '@%' THEN
    INSERT INTO team_members (team_id, user_id, role)
    VALUES (firebreak_default_team(), NEW.id, NEW.role)
    ON CONFLICT (team_id, user_id) DO UPDATE SET role = EXCLUDED.role;
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER users_join_default_team AFTER INSERT ON users
  FOR EACH ROW EXECUTE FUNCTION users_join_default_team();
CREATE TRIGGER users_role_in_default_team AFTER UPDATE OF role ON users
  FOR EACH ROW WHEN (OLD.role IS DISTINCT FROM NEW.role) EXECUTE FUNCTION users_join_default_team();

ALTER TABLE schedules ADD COLUMN team_id bigint NOT NULL DEFAULT firebreak_default_team() REFERENCES teams (id);
ALTER TABLE escalation_policies ADD COLUMN team_id bigint NOT NULL DEFAULT firebreak_default_team() REFERENCES teams (id);
ALTER TABLE services ADD COLUMN team_id bigint NOT NULL DEFAULT firebreak_default_team() REFERENCES teams (id);
ALTER TABLE status_pages ADD COLUMN team_id bigint NOT NULL DEFAULT firebreak_default_team() REFERENCES teams (id);
CREATE INDEX schedules_team ON schedules (team_id);
CREATE INDEX escalation_policies_team ON escalation_policies (team_id);
CREATE INDEX services_team ON services (team_id);
CREATE INDEX status_pages_team ON status_pages (team_id);
