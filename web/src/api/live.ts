/** Live updates wired into the query cache: streams tell what changed, the cache re-reads it. */
import { type QueryClient, useQueryClient } from "@tanstack/react-query";
import { useMemo } from "react";
import { keys } from "./queries.ts";
import { type LiveState, useEventStream } from "./stream.ts";
import type { Incident, TimelineEvent } from "./types.ts";

/**
 * Adds events to a cached timeline once each, in id order (the stream and a re-fetch may overlap).
 * A pin or unpin also marks the event it names, as a re-fetch would.
 */
export function mergeEvents(current: TimelineEvent[] | undefined, added: TimelineEvent[]): TimelineEvent[] {
  const byId = new Map((current ?? []).map((e) => [e.id, e]));
  for (const e of added) {
    byId.set(e.id, e);
    const target = byId.get(Number(e.data.eventId));
    if ((e.kind === "pinned" || e.kind === "unpinned") && target)
      byId.set(target.id, { ...target, pinned: e.kind === "pinned" });
  }
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

/** Runs `fn` at most once per `ms`: a burst of changes costs one re-fetch of the list. */
function throttled(fn: () => void, ms: number): () => void {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    setTimeout(() => {
      pending = false;
      fn();
    }, ms);
  };
}

/** The incidents list: `incident` events carry only an id; every list in the cache re-reads. */
export function useIncidentListStream(): LiveState {
  const queryClient = useQueryClient();
  const refreshLists = useMemo(
    () => throttled(() => void queryClient.invalidateQueries({ queryKey: keys.incidentLists }), 300),
    [queryClient],
  );
  return useEventStream("/api/v1/incidents/stream", {
    events: {
      incident: (data) => {
        const id = (data as { id?: unknown }).id;
        if (typeof id === "number")
          void queryClient.invalidateQueries({ queryKey: keys.incident(id), exact: true });
        refreshLists();
      },
    },
    onOpen: refreshLists,
    onRefused: refreshLists,
  });
}

function refetchIncident(queryClient: QueryClient, id: number) {
  void queryClient.invalidateQueries({ queryKey: keys.incident(id) });
}

/** One incident: timeline events are added as they come, the incident replaced when it changes. */
export function useIncidentStream(id: number): LiveState {
  const queryClient = useQueryClient();
  const refreshClocks = useMemo(
    () => throttled(() => void queryClient.invalidateQueries({ queryKey: keys.clocks(id) }), 300),
    [queryClient, id],
  );
  return useEventStream(`/api/v1/incidents/${id}/stream`, {
    events: {
      timeline: (data) => {
        const event = data as TimelineEvent;
        queryClient.setQueryData<TimelineEvent[]>(keys.timeline(id), (old) => mergeEvents(old, [event]));
        // What the rules did, or any change, may arm or stop clocks.
        refreshClocks();
        // Tasks and status posts are not streamed; their timeline events say when to re-read them.
        if (event.kind.startsWith("action-"))
          void queryClient.invalidateQueries({ queryKey: keys.tasks(id) });
        if (event.kind.startsWith("status-page-"))
          void queryClient.invalidateQueries({ queryKey: keys.statusPosts(id) });
      },
      incident: (data) => {
        queryClient.setQueryData<Incident>(keys.incident(id), data as Incident);
        void queryClient.invalidateQueries({ queryKey: keys.incidentLists });
        refreshClocks();
      },
    },
    onOpen: () => refetchIncident(queryClient, id),
    onRefused: () => refetchIncident(queryClient, id),
  });
}
