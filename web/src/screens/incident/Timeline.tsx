/**
 * The timeline, newest first, live from the incident's stream. New events are announced to screen
 * readers; pins mark the highlights, and "Highlights only" shows just those.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "../../api/client.ts";
import { mergeEvents } from "../../api/live.ts";
import { keys, timelineQuery, usersQuery } from "../../api/queries.ts";
import type { LiveState } from "../../api/stream.ts";
import type { TimelineEvent } from "../../api/types.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { LiveIndicator } from "../../components/LiveIndicator.tsx";
import { Time } from "../../components/Time.tsx";
import { describeEvent, type EventOf, isPinnable, type NameOf } from "../../lib/timeline.ts";
import { Composer } from "./Composer.tsx";

function EventItem({
  event,
  incidentId,
  nameOf,
  eventOf,
}: {
  event: TimelineEvent;
  incidentId: number;
  nameOf: NameOf;
  eventOf: EventOf;
}) {
  const queryClient = useQueryClient();
  const pin = useMutation({
    mutationFn: (pinned: boolean) =>
      api<TimelineEvent>(pinned ? "PUT" : "DELETE", `/incidents/${incidentId}/timeline/${event.id}/pin`),
    onSuccess: (e) =>
      queryClient.setQueryData<TimelineEvent[]>(keys.timeline(incidentId), (old) => mergeEvents(old, [e])),
  });
  const d = describeEvent(event, nameOf, eventOf);
  return (
    <li className={`event tone-${d.tone}${event.pinned ? " pinned" : ""}`}>
      <div className="event-head">
        <strong>{d.heading}</strong>
        <span className="muted">
          {event.actor ? `${event.actor.name} · ` : ""}
          <Time iso={event.at} />
          {event.incidentId !== incidentId ? ` · from #${event.incidentId}` : ""}
        </span>
        {event.pinned ? <span className="tag">highlight</span> : null}
        {isPinnable(event) ? (
          <button
            type="button"
            className="link-button"
            disabled={pin.isPending}
            aria-pressed={event.pinned}
            onClick={() => pin.mutate(!event.pinned)}
          >
            {event.pinned ? "Unpin" : "Pin"}
          </button>
        ) : null}
      </div>
      {d.text ? <p className="event-text">{d.text}</p> : null}
      {d.detail ? <p className="event-text">{d.detail}</p> : null}
      <ErrorNote error={pin.error} />
    </li>
  );
}

/** Announces events that arrive after the timeline was first shown. */
function useArrivals(events: TimelineEvent[] | undefined, nameOf: NameOf): string {
  const seen = useRef<number | null>(null);
  const [message, setMessage] = useState("");
  useEffect(() => {
    if (!events?.length) return;
    const newest = events[events.length - 1]!;
    if (seen.current !== null && newest.id > seen.current) {
      const d = describeEvent(newest, nameOf);
      setMessage(`New on the timeline: ${d.heading}${newest.actor ? ` by ${newest.actor.name}` : ""}`);
    }
    seen.current = Math.max(seen.current ?? 0, newest.id);
  }, [events, nameOf]);
  return message;
}

export function Timeline({ incidentId, live }: { incidentId: number; live: LiveState }) {
  const timeline = useQuery(timelineQuery(incidentId));
  const users = useQuery(usersQuery);
  const [highlights, setHighlights] = useState(false);
  const nameOf = useCallback<NameOf>(
    (id) => {
      const user = users.data?.find((u) => u.id === id);
      return user ? user.name : id === null || id === undefined ? "nobody" : `user ${String(id)}`;
    },
    [users.data],
  );
  const eventOf = useCallback<EventOf>((id) => timeline.data?.find((e) => e.id === id), [timeline.data]);
  const arrival = useArrivals(timeline.data, nameOf);
  const shown = (timeline.data ?? []).filter((e) => !highlights || e.pinned).reverse();

  return (
    <section className="timeline" aria-labelledby="timeline-heading">
      <div className="section-head">
        <h2 id="timeline-heading">Timeline</h2>
        <LiveIndicator state={live} />
        <label className="check">
          <input type="checkbox" checked={highlights} onChange={(e) => setHighlights(e.target.checked)} />
          Highlights only
        </label>
      </div>
      <Composer incidentId={incidentId} />
      <p className="visually-hidden" aria-live="polite">
        {arrival}
      </p>
      <ErrorNote error={timeline.error} />
      {timeline.isPending ? <p aria-busy="true">Loading the timeline…</p> : null}
      {timeline.data && shown.length === 0 ? (
        <p className="empty">{highlights ? "Nothing is pinned yet." : "Nothing on the timeline yet."}</p>
      ) : null}
      <ol className="events" reversed>
        {shown.map((e) => (
          <EventItem key={e.id} event={e} incidentId={incidentId} nameOf={nameOf} eventOf={eventOf} />
        ))}
      </ol>
    </section>
  );
}
