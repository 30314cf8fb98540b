-- Web Push: the VAPID key pair Firebreak signs push messages with, generated once at first start
-- when VAPID_PUBLIC_KEY/VAPID_PRIVATE_KEY are not set (one row; every replica reads the same pair,
-- so a browser's subscription keeps working whichever replica sends).
CREATE TABLE push_vapid_keys (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  public_key text NOT NULL,
  private_key text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
