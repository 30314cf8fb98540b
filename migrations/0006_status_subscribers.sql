-- Status page subscribers: email (double opt-in) and webhooks (confirmed by a call back), each
-- published update delivered to each confirmed subscriber exactly once, and subscribe rate limits
-- that hold across replicas.

CREATE TABLE status_subscribers (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  page_id bigint NOT NULL REFERENCES status_pages (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('email', 'webhook')),
  address text NOT NULL,            -- the email address (lowercase), or the webhook URL
  secret text,                      -- webhooks: the HMAC key that signs every POST (sent to the URL once)
  confirm_requests integer NOT NULL DEFAULT 1,  -- how often a confirmation was asked for
  confirmed_at timestamptz,
  unsubscribed_at timestamptz,
  created_at timestamptz NOT NULL,
  created_ip text NOT NULL,
  CHECK ((kind = 'webhook') = (secret IS NOT NULL))
);
-- One active subscription per address and page; after unsubscribing, the address may subscribe again.
CREATE UNIQUE INDEX status_subscribers_active ON status_subscribers (page_id, kind, address)
  WHERE unsubscribed_at IS NULL;
CREATE INDEX status_subscribers_confirmed ON status_subscribers (page_id, id)
  WHERE confirmed_at IS NOT NULL AND unsubscribed_at IS NULL;

-- The tokens of confirm and unsubscribe links: 32 random bytes each, only their SHA-256 kept.
-- Every message carries a fresh unsubscribe token, and each stays valid, so a link in an old mail
-- still works; confirm tokens expire and are deleted when the subscription is confirmed.
CREATE TABLE status_subscriber_tokens (
  token_hash text PRIMARY KEY,
  subscriber_id bigint NOT NULL REFERENCES status_subscribers (id) ON DELETE CASCADE,
  purpose text NOT NULL CHECK (purpose IN ('confirm', 'unsubscribe')),
  created_at timestamptz NOT NULL,
  expires_at timestamptz
);
CREATE INDEX status_subscriber_tokens_subscriber ON status_subscriber_tokens (subscriber_id, purpose);

-- One row per (subscriber, published update): the unique key makes the delivery happen once.
CREATE TABLE status_subscriber_deliveries (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  subscriber_id bigint NOT NULL REFERENCES status_subscribers (id) ON DELETE CASCADE,
  update_id bigint NOT NULL REFERENCES status_updates (id) ON DELETE CASCADE,
  status text NOT NULL CHECK (status IN ('pending', 'sending', 'delivered', 'failed-retryable',
                                          'failed-permanent', 'cancelled')),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  created_at timestamptz NOT NULL,
  sent_at timestamptz,
  UNIQUE (subscriber_id, update_id)
);
CREATE INDEX status_subscriber_deliveries_update ON status_subscriber_deliveries (update_id);

-- Subscribe requests of the last hour, per client network and per address (both as SHA-256 keys).
CREATE TABLE status_subscribe_attempts (
  key text NOT NULL,
  at timestamptz NOT NULL
);
CREATE INDEX status_subscribe_attempts_key ON status_subscribe_attempts (key, at);
CREATE INDEX status_subscribe_attempts_at ON status_subscribe_attempts (at);
