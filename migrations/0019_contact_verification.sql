-- Contact methods that reach a person's phone (SMS, voice calls, ntfy topics) are used only once
-- their owner has typed back a code sent through them: a mistyped number must not wake a stranger,
-- and a page must not go where nobody reads it.
ALTER TABLE contact_methods ADD COLUMN verified_at timestamptz;
-- Methods in use before verification existed keep working.
UPDATE contact_methods SET verified_at = created_at;

-- The code a method's owner must type back: kept hashed, short-lived, a few tries.
CREATE TABLE contact_method_codes (
  contact_method_id bigint PRIMARY KEY REFERENCES contact_methods (id) ON DELETE CASCADE,
  code_hash text NOT NULL,
  sent_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  status text NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
  error text
);
