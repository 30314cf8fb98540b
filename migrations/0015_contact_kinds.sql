-- Phones and push: contact methods may be SMS, voice calls, ntfy topics and Web Push
-- subscriptions as well (each kind is offered by the API once its channel exists).
ALTER TABLE contact_methods DROP CONSTRAINT IF EXISTS contact_methods_kind_check;
ALTER TABLE contact_methods ADD CONSTRAINT contact_methods_kind_check
  CHECK (kind IN ('email', 'webhook', 'chat', 'sms', 'voice', 'ntfy', 'push'));
