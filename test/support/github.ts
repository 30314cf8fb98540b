/**
 * A local server speaking the parts of GitHub's REST API Firebreak calls, for tests
 * (https://docs.github.com/en/rest/issues/issues, API version 2022-11-28):
 * `POST /repos/{owner}/{repo}/issues`, `GET /repos/{owner}/{repo}/issues` (state, since, sort,
 * direction), `GET` and `PATCH /repos/{owner}/{repo}/issues/{number}` (title, body, labels, state,
 * state_reason). Requests need `Authorization: Bearer <token>`; answers are shaped like the
 * documented "Create an issue" response, errors like GitHub's (`{"message":"Bad credentials",…}`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

type Label = {
  id: number;
  node_id: string;
  url: string;
  name: string;
  description: string | null;
  color: string;
  default: boolean;
};
type User = {
  login: string;
  id: number;
  node_id: string;
  type: "User" | "Bot";
  site_admin: boolean;
  url: string;
  html_url: string;
};

export type GitHubIssue = {
  id: number;
  node_id: string;
  url: string;
  repository_url: string;
  labels_url: string;
  comments_url: string;
  events_url: string;
  html_url: string;
  number: number;
  state: "open" | "closed";
  state_reason: "completed" | "not_planned" | "reopened" | null;
  title: string;
  body: string | null;
  user: User;
  labels: Label[];
  assignee: null;
  assignees: [];
  milestone: null;
  locked: boolean;
  active_lock_reason: null;
  comments: number;
  closed_at: string | null;
  created_at: string;
  updated_at: string;
  closed_by: User | null;
  author_association: "OWNER" | "MEMBER" | "CONTRIBUTOR" | "NONE";
};

export type Recorded = {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: Record<string, unknown>;
};

export type GitHubServer = {
  base: string;
  requests: Recorded[];
  /** Issues by `owner/repo`. */
  issues(repo: string): GitHubIssue[];
  failNext(count: number, status: number, retryAfter?: string): void;
  /** How many of those failures are still to come. */
  failuresLeft(): number;
  /** A person adds a label on GitHub. */
  addLabel(repo: string, n: number, label: string): void;
  close(): Promise<void>;
};

const errors: Record<number, string> = {
  401: "Bad credentials",
  403: "API rate limit exceeded",
  429: "API rate limit exceeded",
  500: "Server Error",
};

export async function startGitHubServer(token: string): Promise<GitHubServer> {
  const repos = new Map<string, GitHubIssue[]>();
  const requests: Recorded[] = [];
  let failures: { status: number; retryAfter?: string }[] = [];
  let nextId = 1_000_000;
  let base = "";
  const bot: User = {
    login: "firebreak[bot]",
    id: 42,
    node_id: "BOT_kgDOAAAAKg",
    type: "Bot",
    site_admin: false,
    url: "",
    html_url: "",
  };
  const repoIssues = (repo: string) => {
    let list = repos.get(repo);
    if (!list) {
      list = [];
      repos.set(repo, list);
    }
    return list;
  };
  const label = (name: string): Label => ({
    id: nextId++,
    node_id: `LA_${nextId}`,
    url: `${base}/repos/x/labels/${encodeURIComponent(name)}`,
    name,
    description: null,
    color: "ededed",
    default: false,
  });
  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", ...headers });
    res.end(JSON.stringify(body));
  };

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const body: Record<string, unknown> = text ? JSON.parse(text) : {};
    requests.push({ method: req.method ?? "", path: url.pathname + url.search, headers: req.headers, body });
    const failure = failures.shift();
    if (failure)
      return send(
        res,
        failure.status,
        {
          message: errors[failure.status] ?? "Error",
          documentation_url: "https://docs.github.com/rest",
          status: String(failure.status),
        },
        failure.retryAfter ? { "Retry-After": failure.retryAfter } : {},
      );
    if (req.headers.authorization !== `Bearer ${token}`)
      return send(res, 401, {
        message: "Bad credentials",
        documentation_url: "https://docs.github.com/rest",
        status: "401",
      });
    const m = /^\/repos\/([^/]+)\/([^/]+)\/issues(?:\/(\d+))?$/.exec(url.pathname);
    if (!m)
      return send(res, 404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" });
    const repo = `${decodeURIComponent(m[1] ?? "")}/${decodeURIComponent(m[2] ?? "")}`;
    const list = repoIssues(repo);
    const n = m[3] ? Number(m[3]) : undefined;
    const issue = n === undefined ? undefined : list.find((i) => i.number === n);
    if (n !== undefined && !issue) return send(res, 404, { message: "Not Found" });
    const now = new Date().toISOString();
    const api = `${base}/repos/${repo}`;

    if (req.method === "POST" && n === undefined) {
      if (typeof body.title !== "string" || body.title === "")
        return send(res, 422, {
          message: "Validation Failed",
          errors: [{ resource: "Issue", code: "missing_field", field: "title" }],
        });
      const number = list.length + 1;
      const created: GitHubIssue = {
        id: nextId++,
        node_id: `I_kwDO${number}`,
        url: `${api}/issues/${number}`,
        repository_url: api,
        labels_url: `${api}/issues/${number}/labels{/name}`,
        comments_url: `${api}/issues/${number}/comments`,
        events_url: `${api}/issues/${number}/events`,
        html_url: `${base}/${repo}/issues/${number}`,
        number,
        state: "open",
        state_reason: null,
        title: body.title,
        body: typeof body.body === "string" ? body.body : null,
        user: bot,
        labels: (Array.isArray(body.labels) ? body.labels : []).map((l) => label(String(l))),
        assignee: null,
        assignees: [],
        milestone: null,
        locked: false,
        active_lock_reason: null,
        comments: 0,
        closed_at: null,
        created_at: now,
        updated_at: now,
        closed_by: null,
        author_association: "NONE",
      };
      list.push(created);
      return send(res, 201, created, { Location: created.url });
    }
    if (req.method === "GET" && n === undefined) {
      const since = url.searchParams.get("since");
      const state = url.searchParams.get("state") ?? "open";
      const found = list
        .filter((i) => state === "all" || i.state === state)
        .filter((i) => !since || i.updated_at >= new Date(since).toISOString())
        .slice()
        .reverse();
      return send(res, 200, found);
    }
    if (req.method === "GET" && issue) return send(res, 200, issue);
    if (req.method === "PATCH" && issue) {
      if (typeof body.title === "string") issue.title = body.title;
      if (typeof body.body === "string") issue.body = body.body;
      if (Array.isArray(body.labels)) issue.labels = body.labels.map((l) => label(String(l)));
      if (body.state === "closed" && issue.state === "open") {
        issue.state = "closed";
        issue.closed_at = now;
        issue.closed_by = bot;
        issue.state_reason = body.state_reason === "not_planned" ? "not_planned" : "completed";
      } else if (body.state === "open" && issue.state === "closed") {
        issue.state = "open";
        issue.closed_at = null;
        issue.closed_by = null;
        issue.state_reason = "reopened";
      }
      issue.updated_at = now;
      return send(res, 200, issue);
    }
    return send(res, 404, { message: "Not Found" });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    requests,
    issues: repoIssues,
    failuresLeft: () => failures.length,
    failNext(count, status, retryAfter) {
      failures = Array.from({ length: count }, () => ({ status, retryAfter }));
    },
    addLabel(repo, n, name) {
      const issue = repoIssues(repo).find((i) => i.number === n);
      if (!issue) throw new Error(`no issue ${repo}#${n}`);
      issue.labels.push(label(name));
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
