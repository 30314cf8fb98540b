-- Insights (issue 18, REV-4): the windows the figures are read over.
-- Incidents counted by when they were declared (duplicates merged into another are never counted).
CREATE INDEX incidents_declared_at ON incidents (declared_at) WHERE merged_into IS NULL;
-- On-call load: the pages people received, by when.
CREATE INDEX page_events_escalated_at ON page_events (at) WHERE kind = 'page-escalated';
-- Noise: alerts by when they were first seen.
CREATE INDEX alerts_first_seen_at ON alerts (first_seen_at);
-- Time to acknowledge: each page's first acknowledgement.
CREATE INDEX page_events_acknowledged ON page_events (page_id, at) WHERE kind = 'page-acknowledged';
