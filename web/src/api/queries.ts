/** Query keys and fetchers, so every screen reads and invalidates the same cache entries. */
import { queryOptions } from "@tanstack/react-query";
import { ApiError, api, withQuery } from "./client.ts";
import type {
  Incident,
  IncidentClocks,
  Policy,
  Session,
  StatusPage,
  StatusPost,
  Task,
  TimelineEvent,
  Token,
  User,
} from "./types.ts";

export const keys = {
  session: ["session"] as const,
  policy: ["policy"] as const,
  users: ["users"] as const,
  tokens: ["tokens"] as const,
  statusPages: ["status-pages"] as const,
  incidentLists: ["incidents"] as const,
  incidents: (query: Record<string, unknown>) => ["incidents", query] as const,
  incident: (id: number) => ["incident", id] as const,
  timeline: (id: number) => ["incident", id, "timeline"] as const,
  tasks: (id: number) => ["incident", id, "tasks"] as const,
  statusPosts: (id: number) => ["incident", id, "status-posts"] as const,
  clocks: (id: number) => ["incident", id, "clocks"] as const,
};

export const sessionQuery = queryOptions({
  queryKey: keys.session,
  // No session is an answer here, not an error: the app shows the sign-in screen.
  queryFn: async (): Promise<Session | null> => {
    try {
      return await api<Session>("GET", "/session", undefined, { quietUnauthenticated: true });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return null;
      throw err;
    }
  },
  staleTime: 5 * 60_000,
});

export const policyQuery = queryOptions({
  queryKey: keys.policy,
  queryFn: () => api<Policy>("GET", "/policy"),
  // The policy changes rarely (an operator edits its file); a few minutes old is fine for choices.
  staleTime: 5 * 60_000,
});

export const usersQuery = queryOptions({
  queryKey: keys.users,
  queryFn: async () => (await api<{ users: User[] }>("GET", "/users")).users,
  staleTime: 60_000,
});

export const tokensQuery = queryOptions({
  queryKey: keys.tokens,
  queryFn: async () => (await api<{ tokens: Token[] }>("GET", "/tokens")).tokens,
});

export const incidentsQuery = (query: Record<string, string | number | undefined>) =>
  queryOptions({
    queryKey: keys.incidents(query),
    queryFn: async () =>
      (await api<{ incidents: Incident[] }>("GET", withQuery("/incidents", query))).incidents,
  });

export const incidentQuery = (id: number) =>
  queryOptions({ queryKey: keys.incident(id), queryFn: () => api<Incident>("GET", `/incidents/${id}`) });

export const timelineQuery = (id: number) =>
  queryOptions({
    queryKey: keys.timeline(id),
    queryFn: async () => (await api<{ events: TimelineEvent[] }>("GET", `/incidents/${id}/timeline`)).events,
  });

export const tasksQuery = (id: number) =>
  queryOptions({
    queryKey: keys.tasks(id),
    queryFn: async () => (await api<{ tasks: Task[] }>("GET", `/incidents/${id}/tasks`)).tasks,
  });

/** The incident's clocks, with when the answer arrived (to count down on the server's time). */
export const clocksQuery = (id: number) =>
  queryOptions({
    queryKey: keys.clocks(id),
    queryFn: async () => ({
      ...(await api<IncidentClocks>("GET", `/incidents/${id}/clocks`)),
      receivedAt: Date.now(),
    }),
    // Clocks change with the incident (the stream says when); this catches a quiet rule firing.
    refetchInterval: 60_000,
  });

export const statusPagesQuery = queryOptions({
  queryKey: keys.statusPages,
  queryFn: async () => (await api<{ pages: StatusPage[] }>("GET", "/status-pages")).pages,
  staleTime: 5 * 60_000,
});

/** The public status posts about one incident, on every status page, drafts included. */
export const statusPostsQuery = (incidentId: number, pages: StatusPage[]) =>
  queryOptions({
    queryKey: [...keys.statusPosts(incidentId), pages.map((p) => p.slug)],
    queryFn: async () => {
      const perPage = await Promise.all(
        pages.map(async (page) => {
          const { incidents } = await api<{ incidents: StatusPost[] }>(
            "GET",
            `/status-pages/${encodeURIComponent(page.slug)}/incidents?drafts=true`,
          );
          return incidents.filter((p) => p.incidentId === incidentId).map((post) => ({ page, post }));
        }),
      );
      return perPage.flat();
    },
  });
