/**
 * GitLab (REST v4) and GitHub (REST, 2022-11-28) issues, through the guarded outbound client
 * (src/platform/outbound.ts): the API's base URL is the operator's setting, so an internal host
 * must be on OUTBOUND_ALLOWED_HOSTS like any other. Errors carry the status code, never the
 * token and never the tracker's text.
 */
import type { GuardedFetch } from "../platform/outbound.ts";
import { applyLabels, type IssueContent, type TrackerKind } from "./model.ts";

export type IssueRef = { number: number; url: string };

/** What a tracker did not do, and whether trying again later may help. */
export class TrackerError extends Error {
  override name = "TrackerError";
  constructor(
    message: string,
    readonly retry: boolean,
  ) {
    super(message);
  }
}

export type TrackerClient = {
  kind: TrackerKind;
  /** "GitLab" or "GitHub", for the timeline. */
  name: string;
  /** Null when it can be used; else what the operator must set. */
  missing: string | null;
  create(project: string, c: IssueContent): Promise<IssueRef>;
  /** The issue whose description holds `marker`, created since `since` (a lost answer's issue). */
  find(project: string, marker: string, search: string, since: Date): Promise<IssueRef | null>;
  /**
   * Brings the issue in step: title, state, Firebreak's labels (`managed`: those it put there
   * before), and the description and confidentiality when `rewrite` (the incident's visibility
   * changed).
   */
  update(project: string, n: number, c: IssueContent, managed: string[], rewrite: boolean): Promise<void>;
  /** Links issue `n` to `to` in the same project (GitHub: the reference in the body is the link). */
  link(project: string, n: number, to: number): Promise<void>;
  /** How an issue of the project is referred to in another issue's text. */
  reference(n: number): string;
};

export type ClientOptions = { fetch: GuardedFetch; token: string | undefined; timeoutMs?: number };

// biome-ignore lint/suspicious/noExplicitAny: the trackers' JSON answers are read field by field
type Json = any;

async function call(
  name: string,
  o: ClientOptions,
  what: string,
  url: string,
  init: { method: string; headers: Record<string, string>; body?: unknown },
  accept: (status: number) => boolean = (s) => s >= 200 && s < 300,
): Promise<{ status: number; body: Json }> {
  let res: Response;
  try {
    res = await o.fetch(url, {
      method: init.method,
      headers:
        init.body === undefined ? init.headers : { ...init.headers, "Content-Type": "application/json" },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
    });
  } catch (err) {
    const reason = err instanceof Error ? err.message.replace(/^fetch failed: /, "") : "network error";
    // The guard refused the address: it stays refused until the operator allows it.
    if (/not on the public internet|link-local|only http/.test(reason))
      throw new TrackerError(
        `${name} was not asked to ${what}: ${reason} (an internal tracker must be on OUTBOUND_ALLOWED_HOSTS)`,
        false,
      );
    throw new TrackerError(`${name} could not be reached to ${what} (${reason})`, true);
  }
  const text = await res.text().catch(() => "");
  if (!accept(res.status)) {
    const after = res.headers.get("retry-after");
    throw new TrackerError(
      `${name} answered ${res.status}${res.statusText ? ` ${res.statusText}` : ""} to ${what}${after ? ` (retry after ${after} s)` : ""}`,
      true,
    );
  }
  let body: Json = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    throw new TrackerError(`${name} answered ${what} with something that is not JSON`, true);
  }
  return { status: res.status, body };
}

const refOf = (name: string, what: string, body: Json, field: string, urlField: string): IssueRef => {
  const n = body?.[field];
  const url = body?.[urlField];
  if (!Number.isSafeInteger(n) || typeof url !== "string")
    throw new TrackerError(`${name} answered ${what} without the issue's ${field} and ${urlField}`, true);
  return { number: n, url };
};

/** GitLab: https://docs.gitlab.com/ee/api/issues.html and issue_links.html. */
export function gitlabClient(o: ClientOptions & { baseUrl: string }): TrackerClient {
  const name = "GitLab";
  const base = o.baseUrl.replace(/\/+$/, "");
  const issues = (project: string) => `${base}/api/v4/projects/${encodeURIComponent(project)}/issues`;
  const headers = () => ({ "PRIVATE-TOKEN": o.token ?? "", Accept: "application/json" });
  return {
    kind: "gitlab",
    name,
    missing: o.token ? null : "GITLAB_TOKEN is not set",
    async create(project, c) {
      const what = `create an issue in ${project}`;
      const r = await call(name, o, what, issues(project), {
        method: "POST",
        headers: headers(),
        body: {
          title: c.title,
          description: c.description,
          labels: c.labels.join(","),
          confidential: c.confidential,
        },
      });
      return refOf(name, what, r.body, "iid", "web_url");
    },
    async find(project, marker, search, since) {
      const q = new URLSearchParams({
        search,
        in: "description",
        scope: "all",
        state: "all",
        created_after: since.toISOString(),
        order_by: "created_at",
        sort: "desc",
        per_page: "100",
      });
      const what = `look up an issue in ${project}`;
      const r = await call(name, o, what, `${issues(project)}?${q}`, { method: "GET", headers: headers() });
      const found = (Array.isArray(r.body) ? r.body : []).find(
        (i: Json) => typeof i?.description === "string" && i.description.includes(marker),
      );
      return found ? refOf(name, what, found, "iid", "web_url") : null;
    },
    async update(project, n, c, managed, rewrite) {
      const { add, remove } = { add: c.labels, remove: managed.filter((l) => !c.labels.includes(l)) };
      await call(name, o, `update issue #${n} in ${project}`, `${issues(project)}/${n}`, {
        method: "PUT",
        headers: headers(),
        body: {
          title: c.title,
          add_labels: add.join(","),
          remove_labels: remove.join(","),
          state_event: c.open ? "reopen" : "close",
          ...(rewrite ? { description: c.description, confidential: c.confidential } : {}),
        },
      });
    },
    async link(project, n, to) {
      // 409: the link is there already (a retried job).
      await call(
        name,
        o,
        `link issue #${n} to #${to} in ${project}`,
        `${issues(project)}/${n}/links`,
        {
          method: "POST",
          headers: headers(),
          body: { target_project_id: project, target_issue_iid: String(to) },
        },
        (s) => (s >= 200 && s < 300) || s === 409,
      );
    },
    reference: (n) => `#${n}`,
  };
}

/** GitHub: https://docs.github.com/en/rest/issues/issues. */
export function githubClient(o: ClientOptions & { baseUrl: string }): TrackerClient {
  const name = "GitHub";
  const base = o.baseUrl.replace(/\/+$/, "");
  const repo = (project: string) =>
    `${base}/repos/${project
      .split("/")
      .map((p) => encodeURIComponent(p))
      .join("/")}`;
  const headers = () => ({
    Authorization: `Bearer ${o.token ?? ""}`,
    Accept: "application/vnd.github+json",
    "X-GitHub-Api-Version": "2022-11-28",
  });
  return {
    kind: "github",
    name,
    missing: o.token ? null : "GITHUB_TOKEN is not set",
    async create(project, c) {
      const what = `create an issue in ${project}`;
      const r = await call(name, o, what, `${repo(project)}/issues`, {
        method: "POST",
        headers: headers(),
        body: { title: c.title, body: c.description, labels: c.labels },
      });
      return refOf(name, what, r.body, "number", "html_url");
    },
    async find(project, marker, _search, since) {
      const q = new URLSearchParams({
        state: "all",
        since: since.toISOString(),
        sort: "created",
        direction: "desc",
        per_page: "100",
      });
      const what = `look up an issue in ${project}`;
      const r = await call(name, o, what, `${repo(project)}/issues?${q}`, {
        method: "GET",
        headers: headers(),
      });
      const found = (Array.isArray(r.body) ? r.body : []).find(
        (i: Json) => !i?.pull_request && typeof i?.body === "string" && i.body.includes(marker),
      );
      return found ? refOf(name, what, found, "number", "html_url") : null;
    },
    async update(project, n, c, managed, rewrite) {
      // PATCH replaces the labels: read them first so people's labels stay.
      const url = `${repo(project)}/issues/${n}`;
      const current = await call(name, o, `read issue #${n} in ${project}`, url, {
        method: "GET",
        headers: headers(),
      });
      const names = (Array.isArray(current.body?.labels) ? current.body.labels : [])
        .map((l: Json) => (typeof l === "string" ? l : l?.name))
        .filter((l: unknown): l is string => typeof l === "string");
      await call(name, o, `update issue #${n} in ${project}`, url, {
        method: "PATCH",
        headers: headers(),
        body: {
          title: c.title,
          labels: applyLabels(names, managed, c.labels),
          state: c.open ? "open" : "closed",
          ...(c.open ? {} : { state_reason: c.reason ?? "completed" }),
          ...(rewrite ? { body: c.description } : {}),
        },
      });
    },
    async link() {
      // The follow-up's body names the incident's issue (#n): GitHub shows the reference on both.
    },
    reference: (n) => `#${n}`,
  };
}

/** GITLAB_URL, GITLAB_TOKEN, GITHUB_API_URL, GITHUB_TOKEN. */
export type TrackerSettings = {
  gitlab: { url: string; token?: string };
  github: { url: string; token?: string };
};

export const defaultTrackerSettings: TrackerSettings = {
  gitlab: { url: "https://gitlab.com" },
  github: { url: "https://api.github.com" },
};

export function trackerClients(fetch: GuardedFetch, s: TrackerSettings): Record<TrackerKind, TrackerClient> {
  return {
    gitlab: gitlabClient({ fetch, token: s.gitlab.token, baseUrl: s.gitlab.url }),
    github: githubClient({ fetch, token: s.github.token, baseUrl: s.github.url }),
  };
}
