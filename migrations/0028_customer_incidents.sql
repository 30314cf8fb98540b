-- Customer incidents (issue 20, COMM-6): the organisations Firebreak writes to when one of their
-- installations is affected, who is affected on each incident, and the updates sent to all of them
-- at once with each email's fate.

-- The directory of customers: an organisation and the addresses that hear about its incidents.
CREATE TABLE customers (
  id bigserial PRIMARY KEY,
  name text NOT NULL,
  contacts jsonb NOT NULL DEFAULT '[]',
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
-- "ACME" and "Acme" are one organisation.
CREATE UNIQUE INDEX customers_name ON customers (lower(name));

-- A customer affected by an incident, with the contacts told on this incident and its ticket there.
CREATE TABLE incident_customers (
  id bigserial PRIMARY KEY,
  incident_id bigint NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  customer_id bigint NOT NULL REFERENCES customers (id),
  contacts jsonb NOT NULL,
  ticket text NOT NULL,
  added_by bigint REFERENCES users (id),
  added_at timestamptz NOT NULL,
  UNIQUE (incident_id, customer_id)
);

-- One mass update: the same words to every affected customer, promising the next one.
CREATE TABLE customer_updates (
  id bigserial PRIMARY KEY,
  incident_id bigint NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  body text NOT NULL,
  next_update_at timestamptz NOT NULL,
  sent_by bigint REFERENCES users (id),
  sent_at timestamptz NOT NULL
);
CREATE INDEX customer_updates_incident ON customer_updates (incident_id, sent_at DESC);

-- Each email of an update: one per contact of each affected customer, sent by a durable job.
CREATE TABLE customer_update_deliveries (
  id bigserial PRIMARY KEY,
  update_id bigint NOT NULL REFERENCES customer_updates (id) ON DELETE CASCADE,
  customer_id bigint NOT NULL REFERENCES customers (id),
  customer_name text NOT NULL,
  ticket text NOT NULL,
  address text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed-retryable', 'failed-permanent')),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  sent_at timestamptz
);
CREATE INDEX customer_update_deliveries_update ON customer_update_deliveries (update_id);
