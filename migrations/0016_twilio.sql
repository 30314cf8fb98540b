-- SMS and voice calls through Twilio.
-- What Twilio last reported about a delivery's message or call (its status callbacks): the
-- message's or call's sid, its status as Twilio names it (queued, sent, delivered, undelivered,
-- failed; or initiated, ringing, in-progress, completed, busy, no-answer, canceled), Twilio's
-- error code when there is one, and when the callback came.
ALTER TABLE deliveries ADD COLUMN provider_id text;
ALTER TABLE deliveries ADD COLUMN receipt_status text;
ALTER TABLE deliveries ADD COLUMN receipt_error_code text;
ALTER TABLE deliveries ADD COLUMN receipt_at timestamptz;

-- Each number's recent SMS, for the per-number rate limit (1 per 10 s, 30 an hour).
CREATE TABLE twilio_sms_sends (
  number text NOT NULL,
  sent_at timestamptz NOT NULL
);
CREATE INDEX twilio_sms_sends_number ON twilio_sms_sends (number, sent_at DESC);
