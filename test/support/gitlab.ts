/**
 * A local server speaking the parts of GitLab's REST API v4 Firebreak calls, for tests
 * (https://docs.gitlab.com/ee/api/issues.html, issue_links.html): `POST /projects/:id/issues`,
 * `PUT /projects/:id/issues/:iid` (labels, add_labels, remove_labels, state_event, title,
 * description, confidential), `GET /projects/:id/issues` (search, in, created_after),
 * `GET /projects/:id/issues/:iid` and `POST /projects/:id/issues/:iid/links`. `:id` is a project's
 * URL-encoded path. Requests need the `PRIVATE-TOKEN`; answers are shaped like the documented
 * responses, errors like GitLab's (`{"message":"401 Unauthorized"}`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type GitLabIssue = {
  id: number;
  iid: number;
  project_id: number;
  title: string;
  description: string;
  state: "opened" | "closed";
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  closed_by: null;
  labels: string[];
  milestone: null;
  assignees: [];
  author: { id: number; username: string; name: string; state: string; avatar_url: null; web_url: string };
  assignee: null;
  user_notes_count: number;
  merge_requests_count: number;
  upvotes: number;
  downvotes: number;
  due_date: null;
  confidential: boolean;
  discussion_locked: null;
  issue_type: "issue";
  web_url: string;
  references: { short: string; relative: string; full: string };
  time_stats: {
    time_estimate: 0;
    total_time_spent: 0;
    human_time_estimate: null;
    human_total_time_spent: null;
  };
  has_tasks: boolean;
  _links: { self: string; notes: string; award_emoji: string; project: string };
};

export type Recorded = {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: Record<string, unknown>;
};

export type GitLabServer = {
  base: string;
  requests: Recorded[];
  /** Issues by project path. */
  issues(project: string): GitLabIssue[];
  links: { project: string; iid: number; targetIid: number }[];
  /** Answer the next `count` requests with this status (and Retry-After), doing nothing. */
  failNext(count: number, status: number, retryAfter?: string): void;
  /** How many of those failures are still to come. */
  failuresLeft(): number;
  /** Do the next create, then close the connection without an answer (a lost answer). */
  loseNextAnswer(): void;
  /** A person adds a label in GitLab. */
  addLabel(project: string, iid: number, label: string): void;
  close(): Promise<void>;
};

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  if (!text) return {};
  return req.headers["content-type"]?.includes("json")
    ? JSON.parse(text)
    : Object.fromEntries(new URLSearchParams(text));
}

const csv = (v: unknown) =>
  typeof v === "string"
    ? v
        .split(",")
        .map((l) => l.trim())
        .filter(Boolean)
    : [];

export async function startGitLabServer(token: string): Promise<GitLabServer> {
  const projects = new Map<string, { id: number; issues: GitLabIssue[] }>();
  const links: GitLabServer["links"] = [];
  const requests: Recorded[] = [];
  let failures: { status: number; retryAfter?: string }[] = [];
  let loseNext = false;
  let nextId = 1000;
  let base = "";

  const project = (path: string) => {
    let p = projects.get(path);
    if (!p) {
      p = { id: projects.size + 1, issues: [] };
      projects.set(path, p);
    }
    return p;
  };
  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "Content-Type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const body = await readBody(req);
    requests.push({ method: req.method ?? "", path: url.pathname + url.search, headers: req.headers, body });
    const failure = failures.shift();
    if (failure) {
      const message = { 401: "401 Unauthorized", 429: "Retry later", 500: "500 Internal Server Error" }[
        failure.status
      ];
      return send(
        res,
        failure.status,
        { message: message ?? `${failure.status}` },
        failure.retryAfter ? { "Retry-After": failure.retryAfter } : {},
      );
    }
    if (req.headers["private-token"] !== token) return send(res, 401, { message: "401 Unauthorized" });
    const m = /^\/api\/v4\/projects\/([^/]+)\/issues(?:\/(\d+))?(\/links)?$/.exec(url.pathname);
    if (!m) return send(res, 404, { error: "404 Not Found" });
    const path = decodeURIComponent(m[1] ?? "");
    const p = project(path);
    const iid = m[2] ? Number(m[2]) : undefined;
    const issue = iid === undefined ? undefined : p.issues.find((i) => i.iid === iid);
    if (iid !== undefined && !issue) return send(res, 404, { message: "404 Not found" });
    const now = new Date().toISOString();

    if (req.method === "POST" && iid === undefined) {
      if (typeof body.title !== "string" || body.title === "")
        return send(res, 400, { message: { title: ["can't be blank"] } });
      const n = p.issues.length + 1;
      const created: GitLabIssue = {
        id: nextId++,
        iid: n,
        project_id: p.id,
        title: body.title,
        description: typeof body.description === "string" ? body.description : "",
        state: "opened",
        created_at: now,
        updated_at: now,
        closed_at: null,
        closed_by: null,
        labels: csv(body.labels),
        milestone: null,
        assignees: [],
        author: {
          id: 1,
          username: "firebreak-bot",
          name: "Firebreak",
          state: "active",
          avatar_url: null,
          web_url: `${base}/firebreak-bot`,
        },
        assignee: null,
        user_notes_count: 0,
        merge_requests_count: 0,
        upvotes: 0,
        downvotes: 0,
        due_date: null,
        confidential: body.confidential === true || body.confidential === "true",
        discussion_locked: null,
        issue_type: "issue",
        web_url: `${base}/${path}/-/issues/${n}`,
        references: { short: `#${n}`, relative: `#${n}`, full: `${path}#${n}` },
        time_stats: {
          time_estimate: 0,
          total_time_spent: 0,
          human_time_estimate: null,
          human_total_time_spent: null,
        },
        has_tasks: false,
        _links: {
          self: `${base}/api/v4/projects/${p.id}/issues/${n}`,
          notes: `${base}/api/v4/projects/${p.id}/issues/${n}/notes`,
          award_emoji: `${base}/api/v4/projects/${p.id}/issues/${n}/award_emoji`,
          project: `${base}/api/v4/projects/${p.id}`,
        },
      };
      p.issues.push(created);
      if (loseNext) {
        loseNext = false;
        return req.socket.destroy();
      }
      return send(res, 201, created);
    }
    if (req.method === "GET" && iid === undefined) {
      const search = url.searchParams.get("search");
      const fields = (url.searchParams.get("in") ?? "title,description").split(",");
      const after = url.searchParams.get("created_after");
      const found = p.issues
        .filter(
          (i) => !search || fields.some((f) => (f === "title" ? i.title : i.description).includes(search)),
        )
        .filter((i) => !after || i.created_at >= new Date(after).toISOString())
        .reverse();
      return send(res, 200, found);
    }
    if (req.method === "GET" && issue) return send(res, 200, issue);
    if (req.method === "PUT" && issue) {
      if (body.labels !== undefined) issue.labels = csv(body.labels);
      const remove = new Set(csv(body.remove_labels));
      issue.labels = [...new Set([...issue.labels.filter((l) => !remove.has(l)), ...csv(body.add_labels)])];
      if (typeof body.title === "string") issue.title = body.title;
      if (typeof body.description === "string") issue.description = body.description;
      if (body.confidential !== undefined)
        issue.confidential = body.confidential === true || body.confidential === "true";
      if (body.state_event === "close" && issue.state === "opened") {
        issue.state = "closed";
        issue.closed_at = now;
      }
      if (body.state_event === "reopen") {
        issue.state = "opened";
        issue.closed_at = null;
      }
      issue.updated_at = now;
      return send(res, 200, issue);
    }
    if (req.method === "POST" && issue && m[3]) {
      const targetIid = Number(body.target_issue_iid);
      const target = projects.get(String(body.target_project_id))?.issues.find((i) => i.iid === targetIid);
      if (!target) return send(res, 404, { message: "404 Not found" });
      if (links.some((l) => l.project === path && l.iid === issue.iid && l.targetIid === targetIid))
        return send(res, 409, { message: "Issue(s) already assigned" });
      links.push({ project: path, iid: issue.iid, targetIid });
      return send(res, 201, { source_issue: issue, target_issue: target, link_type: "relates_to" });
    }
    return send(res, 405, { error: "405 Method Not Allowed" });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    requests,
    issues: (path) => project(path).issues,
    links,
    failuresLeft: () => failures.length,
    failNext(count, status, retryAfter) {
      failures = Array.from({ length: count }, () => ({ status, retryAfter }));
    },
    loseNextAnswer() {
      loseNext = true;
    },
    addLabel(path, iid, label) {
      const issue = project(path).issues.find((i) => i.iid === iid);
      if (!issue) throw new Error(`no issue ${path}#${iid}`);
      issue.labels.push(label);
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
