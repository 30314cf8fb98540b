/** Passwords and session secrets never reach the logs, even at the most verbose level. */
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browser, startCustomApp } from "./helpers.ts";

const lines: string[] = [];
let app: Awaited<ReturnType<typeof startCustomApp>>;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  app = await startCustomApp({ log: pino({ level: "trace" }, sink) });
});
afterAll(() => app.close());

describe("logs", () => {
  it("hold no password, current password or session secret", async () => {
    const password = "log-canary-password-1";
    const newPassword = "log-canary-password-2";
    const created = await app.admin.request("POST", "/api/v1/users", {
      username: "logged",
      name: "Logged",
      role: "responder",
      password,
    });
    expect(created.status).toBe(201);
    const b = browser(app.base);
    expect((await b.signIn({ username: "logged", password: "log-canary-wrong" })).status).toBe(401);
    expect((await b.signIn({ username: "logged", password })).status).toBe(200);
    const secret = b.cookie!.split("=")[1]!;
    const changed = await b.request("PUT", `/api/v1/users/${created.body.id}/password`, {
      password: newPassword,
      currentPassword: password,
    });
    expect(changed.status).toBe(204);
    // A request that fails validation must not echo the body into the logs either.
    await b.request("PUT", `/api/v1/users/${created.body.id}/password`, { password: "log-canary" });
    expect((await b.request("DELETE", "/api/v1/session")).status).toBe(204);

    const all = lines.join("");
    expect(all.length, "the trace logger wrote the requests").toBeGreaterThan(0);
    expect(all).toContain("/api/v1/session");
    for (const secretText of [password, newPassword, "log-canary-wrong", "log-canary", secret]) {
      expect(all).not.toContain(secretText);
    }
    // Sign-in over https: the cookie is Secure.
    const again = browser(app.base);
    const r = await again.signIn({ username: "logged", password: newPassword });
    expect(r.headers.get("set-cookie")).toContain("; Secure");
  });
});
