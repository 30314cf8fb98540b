-- Who made each calendar feed, so its maker (or an admin) can list and revoke it. Feeds made before
-- this column existed have no maker recorded; admins can still revoke them.
ALTER TABLE calendar_feeds ADD COLUMN created_by bigint REFERENCES users (id);
CREATE INDEX calendar_feeds_created_by ON calendar_feeds (created_by);
