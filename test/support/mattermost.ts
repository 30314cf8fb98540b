/**
 * A local server speaking the part of Mattermost's REST API Firebreak calls (API v4): GET
 * /api/v4/users/{user_id} with `Authorization: Bearer <token>`, answered with the user object as
 * Mattermost's API reference documents it, 401 for a bad token and 404 for an unknown user (with
 * Mattermost's error body: id, message, detailed_error, request_id, status_code).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export const MATTERMOST_TOKEN = "9xuqwrwgstrb3mzrxb83nb357a";
export const COMMAND_TOKEN = "xr3j5x3p4pfk7kk6ck7b4e6ghh";

export type MattermostServer = {
  url: string;
  /** Adds a user; returns its 26-character id. */
  addUser(u: { username: string; email: string }): string;
  requests: { path: string; authorization: string | undefined }[];
  close(): Promise<void>;
};

const error = (status: number, id: string, message: string) => ({
  id,
  message,
  detailed_error: "",
  request_id: "pzc3tyb4bfbs8mwfyr7k8krj4y",
  status_code: status,
});

export async function startMattermostServer(): Promise<MattermostServer> {
  const users = new Map<string, { username: string; email: string }>();
  const requests: MattermostServer["requests"] = [];
  let seq = 0;
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) =>
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    requests.push({ path: req.url ?? "", authorization: req.headers.authorization });
    if (req.headers.authorization !== `Bearer ${MATTERMOST_TOKEN}`)
      return send(
        401,
        error(
          401,
          "api.context.session_expired.app_error",
          "Invalid or expired session, please login again.",
        ),
      );
    const m = /^\/api\/v4\/users\/([a-z0-9]{26})$/.exec(req.url ?? "");
    const u = m ? users.get(m[1]!) : undefined;
    if (req.method !== "GET" || !m || !u)
      return send(404, error(404, "app.user.missing_account.const", "Unable to find the user."));
    return send(200, {
      id: m[1],
      create_at: 1_700_000_000_000,
      update_at: 1_700_000_000_000,
      delete_at: 0,
      username: u.username,
      auth_data: "",
      auth_service: "",
      email: u.email,
      email_verified: true,
      nickname: "",
      first_name: u.username,
      last_name: "",
      position: "",
      roles: "system_user",
      locale: "en",
      timezone: { automaticTimezone: "", manualTimezone: "", useAutomaticTimezone: "true" },
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    addUser(u) {
      const id =
        `${u.username.replace(/[^a-z0-9]/g, "")}${"x".repeat(26)}`.slice(0, 22) + String(1000 + ++seq);
      users.set(id, u);
      return id;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}
