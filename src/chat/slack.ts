/**
 * The Slack side that follows incidents (issue 17): channels, headers, announcements, reminders
 * (slack-rooms.ts) and the Events API (slack-events.ts), wired to the incident service here so
 * app.ts stays a list of capabilities.
 */
import type { IncidentService } from "../incidents/service.ts";
import type { IncidentDb } from "../incidents/store.ts";
import { listParticipants } from "../incidents/store.ts";
import { listTasks } from "../incidents/tasks-store.ts";
import type { Clock } from "../platform/clock.ts";
import type { Jobs } from "../platform/jobs.ts";
import type { Logger } from "../platform/logger.ts";
import type { PolicySource } from "../policy/source.ts";
import type { SlackApi } from "./slack-api.ts";
import { createSlackEvents } from "./slack-events.ts";
import { createSlackRooms } from "./slack-rooms.ts";
import type { ChatDb } from "./store.ts";

export type SlackDeps = {
  db: ChatDb;
  clock: Clock;
  jobs: Jobs;
  log: Logger;
  api: SlackApi | undefined;
  signingSecret: string | undefined;
  policy: PolicySource;
  publicUrl: string;
  incidents: IncidentService;
};

const asIncidentDb = (db: ChatDb) => db as unknown as IncidentDb;

export function createSlack(deps: SlackDeps) {
  const port = deps.incidents.rulesPort;
  const record = (db: ChatDb, id: number, drafts: Parameters<typeof port.record>[2]) =>
    port.record(asIncidentDb(db), id, drafts, deps.clock.now());
  const rooms = createSlackRooms({
    ...deps,
    incidents: {
      get: (db, id) => port.get(asIncidentDb(db), id),
      participants: (db, id) => listParticipants(asIncidentDb(db), id),
      tasks: (db, id) => listTasks(asIncidentDb(db), id),
      record: (db, id, e) => record(db, id, [e]),
    },
  });
  const events = createSlackEvents({
    ...deps,
    incidents: {
      record,
      async find(db, id, kind, data) {
        const timeline = await port.timeline(asIncidentDb(db), id);
        return timeline
          .filter((e) => e.kind === kind && Object.entries(data).every(([k, v]) => e.data[k] === v))
          .map((e) => ({ id: e.id, internal: e.internal }));
      },
      async pinned(db, id, eventId) {
        // TL-2: pinned when its last pin or unpin is a pin (as work.ts reads it).
        let pinned = false;
        for (const e of await port.timeline(asIncidentDb(db), id))
          if ((e.kind === "pinned" || e.kind === "unpinned") && Number(e.data.eventId) === eventId)
            pinned = e.kind === "pinned";
        return pinned;
      },
    },
  });
  return {
    rooms,
    events,
    register(): void {
      rooms.register();
      events.register();
    },
  };
}

export type Slack = ReturnType<typeof createSlack>;
