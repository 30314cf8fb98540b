/**
 * A local server speaking ntfy's publish API (https://docs.ntfy.sh/publish/), for tests: `POST
 * /<topic>` with the message as the body and the options as headers (Title, Priority, Tags, Click,
 * Actions, Authorization), answered as ntfy answers — the message as JSON, or ntfy's JSON errors.
 * Headers are read the way ntfy reads them: RFC 2047 encoded words decoded, priorities by number
 * or name, tags comma-separated, actions in the short format (`http, Label, url, method=POST,
 * clear=true`, several separated by `;`).
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type NtfyAction = {
  action: string;
  label: string;
  url: string;
  method?: string;
  clear?: boolean;
  body?: string;
};

/** A published message as ntfy keeps it (and answers it), plus what the test wants to see. */
export type NtfyMessage = {
  id: string;
  time: number;
  event: "message";
  topic: string;
  message: string;
  title?: string;
  priority?: number;
  tags?: string[];
  click?: string;
  actions?: NtfyAction[];
  /** The raw request, for assertions on what went over the wire. */
  authorization: string | undefined;
  headers: IncomingMessage["headers"];
};

export type NtfyServer = {
  base: string;
  messages: NtfyMessage[];
  /** Topics that need `Authorization: Bearer <token>` (ntfy's access control). */
  protect(topic: string, token: string): void;
  close(): Promise<void>;
};

/** RFC 2047 encoded words (`=?UTF-8?B?…?=`, `=?UTF-8?Q?…?=`), as ntfy decodes header values. */
function decodeWords(value: string): string {
  return value.replace(/=\?utf-8\?([bq])\?([^?]*)\?=/gi, (_m, enc: string, text: string) =>
    enc.toLowerCase() === "b"
      ? Buffer.from(text, "base64").toString("utf8")
      : Buffer.from(
          text
            .replace(/_/g, " ")
            .replace(/=([0-9a-f]{2})/gi, (_x, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
          "latin1",
        ).toString("utf8"),
  );
}

const priorities: Record<string, number> = { min: 1, low: 2, default: 3, high: 4, max: 5, urgent: 5 };

function parsePriority(value: string): number | null {
  if (/^[1-5]$/.test(value)) return Number(value);
  return priorities[value.toLowerCase()] ?? null;
}

/** ntfy's short action format. */
function parseActions(value: string): NtfyAction[] {
  return value
    .split(";")
    .map((a) => a.trim())
    .filter(Boolean)
    .map((a) => {
      const parts = a.split(",").map((p) => p.trim());
      const [action = "", label = "", url = ""] = parts;
      const out: NtfyAction = { action, label, url };
      for (const p of parts.slice(3)) {
        const [k, v = ""] = p.split("=", 2);
        if (k === "method") out.method = v;
        if (k === "clear") out.clear = v === "true";
        if (k === "body") out.body = v;
      }
      return out;
    });
}

const header = (req: IncomingMessage, ...names: string[]) => {
  for (const n of names) {
    const v = req.headers[n.toLowerCase()];
    if (typeof v === "string") return decodeWords(v);
  }
  return undefined;
};

export async function startNtfyServer(): Promise<NtfyServer> {
  const messages: NtfyMessage[] = [];
  const tokens = new Map<string, string>();
  const error = (res: import("node:http").ServerResponse, http: number, code: number, text: string) =>
    res
      .writeHead(http, { "content-type": "application/json" })
      .end(`${JSON.stringify({ code, http, error: text })}\n`);

  const server: Server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const topic = (req.url ?? "/").split("?")[0]!.split("/").pop() ?? "";
      if ((req.method !== "POST" && req.method !== "PUT") || !/^[-_A-Za-z0-9]{1,64}$/.test(topic))
        return error(res, 404, 40401, "page not found");
      const authorization = req.headers.authorization;
      const needed = tokens.get(topic);
      if (needed !== undefined) {
        if (authorization === undefined) return error(res, 403, 40301, "forbidden");
        if (authorization !== `Bearer ${needed}`) return error(res, 401, 40101, "unauthorized");
      }
      const priorityText = header(req, "X-Priority", "Priority", "prio", "p");
      const priority = priorityText === undefined ? null : parsePriority(priorityText);
      if (priorityText !== undefined && priority === null) return error(res, 400, 40007, "invalid priority");
      const tags = header(req, "X-Tags", "Tags", "tag", "ta");
      const actions = header(req, "X-Actions", "Actions", "action");
      const m: NtfyMessage = {
        id: randomBytes(6).toString("base64url"),
        time: Math.floor(Date.now() / 1000),
        event: "message",
        topic,
        message: body,
        ...(header(req, "X-Title", "Title", "t") !== undefined
          ? { title: header(req, "X-Title", "Title", "t") }
          : {}),
        ...(priority !== null ? { priority } : {}),
        ...(tags ? { tags: tags.split(",").map((t) => t.trim()) } : {}),
        ...(header(req, "X-Click", "Click") ? { click: header(req, "X-Click", "Click") } : {}),
        ...(actions ? { actions: parseActions(actions) } : {}),
        authorization,
        headers: req.headers,
      };
      messages.push(m);
      const { authorization: _a, headers: _h, ...answer } = m;
      res.writeHead(200, { "content-type": "application/json" }).end(`${JSON.stringify(answer)}\n`);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    messages,
    protect: (topic, token) => tokens.set(topic, token),
    close: () => new Promise((r) => server.close(() => r())),
  };
}
