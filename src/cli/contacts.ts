/**
 * `firebreak contact`: your own contact methods (where pages reach you): list them with how their
 * last message went, add one, remove one, and send yourself a test notification through one. A
 * test that fails exits 1 with the channel's short reason, so a script can check a method works.
 */
import { type Call, type Command, id, write } from "./args.ts";
import { UsageError } from "./client.ts";
import { clip, table, when } from "./format.ts";

type Outcome = { status: "delivered" | "failed" | "pending"; error?: string; at: string };
type Test = Outcome & { id: number; contactMethodId: number };
type Method = {
  id: number;
  kind: "email" | "webhook" | "chat" | "ntfy" | "sms" | "voice" | "push";
  label: string;
  address: string;
  secret: string | null;
  verified?: boolean;
  verification?: { status: "sending" | "sent" | "failed"; error?: string; expiresAt: string } | null;
  lastDelivery?: (Outcome & { source: "test" | "page" | "notice" }) | null;
};

const kinds = ["email", "webhook", "chat", "ntfy", "sms", "voice"] as const;
/** How long `contact test` waits for an outcome the server answered `pending` (202). */
const POLL_MS = 30_000;

export function outcomeText(o: Outcome | null | undefined): string {
  if (!o) return "-";
  if (o.status === "failed") return `failed ${when(o.at)}: ${o.error ?? ""}`.trimEnd();
  return `${o.status} ${when(o.at)}`;
}

export function methodsTable(methods: Method[]): string {
  if (methods.length === 0)
    return "no contact methods (add one: firebreak contact create email you@example.com)";
  return table(
    ["ID", "KIND", "LABEL", "ADDRESS", "LAST MESSAGE"],
    methods.map((m) => [
      String(m.id),
      m.kind,
      clip(m.label, 30),
      clip(m.address, 50),
      m.verified === false
        ? `unverified: firebreak contact verify ${m.id} CODE`
        : m.lastDelivery
          ? `${m.lastDelivery.source} ${outcomeText(m.lastDelivery)}`
          : "-",
    ]),
  );
}

async function list(c: Call): Promise<number> {
  const r = await c.api.request<{ contactMethods: Method[] }>("GET", "/me/contact-methods");
  return c.print(r, () => methodsTable(r.contactMethods));
}

async function create(c: Call): Promise<number> {
  const kind = c.must("TARGET");
  if (!(kinds as readonly string[]).includes(kind))
    throw new UsageError(
      `KIND must be email, webhook, chat, ntfy, sms or voice, not ${JSON.stringify(kind)}`,
    );
  const address = c.must("ADDRESS");
  const label = c.opt("label") ?? (kind === "email" ? address : kind);
  // An ntfy access token is read from a variable, so it stays out of shell history and `ps`.
  const tokenEnv = c.opt("token-env");
  if (tokenEnv !== undefined && kind !== "ntfy") throw new UsageError("--token-env is for ntfy methods only");
  const accessToken = tokenEnv === undefined ? undefined : process.env[tokenEnv];
  if (tokenEnv !== undefined && !accessToken)
    throw new UsageError(`the variable ${tokenEnv} is empty or not set`);
  const m = await c.api.request<Method>("POST", "/me/contact-methods", {
    kind,
    label,
    address,
    ...(accessToken ? { accessToken } : {}),
  });
  return c.print(m, () =>
    [
      `added ${m.kind} contact method ${m.id} (${m.label}) → ${m.address}`,
      ...(m.kind === "webhook" && m.secret
        ? [`signing secret (verify Firebreak-Signature with it): ${m.secret}`]
        : []),
      ...(m.kind === "ntfy" && m.secret ? [`access token: ${m.secret}`] : []),
      ...(m.verified === false ? [codeText(m)] : [`send yourself a test: firebreak contact test ${m.id}`]),
    ].join("\n"),
  );
}

/** Where the method's verification code stands, and what to type next. */
function codeText(m: Method): string {
  const v = m.verification;
  if (v?.status === "failed")
    return `the verification code could not be sent: ${v.error ?? "no reason given"}; fix it, then: firebreak contact resend-code ${m.id}`;
  return `a verification code was sent to it (valid until ${when(v?.expiresAt ?? "")}); pages use it once you run: firebreak contact verify ${m.id} CODE`;
}

async function verify(c: Call): Promise<number> {
  const methodId = id(c.must("TARGET"));
  const code = c.must("ADDRESS");
  const m = await c.api.request<Method>("POST", `/me/contact-methods/${methodId}/verify`, { code });
  return c.print(m, `contact method ${m.id} (${m.label}) is verified: pages and reminders use it now`);
}

async function resendCode(c: Call): Promise<number> {
  const methodId = id(c.must("TARGET"));
  const m = await c.api.request<Method>("POST", `/me/contact-methods/${methodId}/verification-code`);
  if (c.json) return c.print(m, "");
  const failed = m.verification?.status === "failed";
  if (failed) await write(process.stderr, `firebreak: ${codeText(m)}`);
  else await c.print(m, codeText(m));
  return failed ? 1 : 0;
}

async function remove(c: Call): Promise<number> {
  const methodId = id(c.must("TARGET"));
  await c.api.request("DELETE", `/me/contact-methods/${methodId}`);
  return c.print({ deleted: methodId }, `deleted contact method ${methodId}`);
}

async function test(c: Call): Promise<number> {
  const methodId = id(c.must("TARGET"));
  let t = await c.api.request<Test>("POST", `/me/contact-methods/${methodId}/test`);
  const until = Date.now() + POLL_MS;
  while (t.status === "pending" && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 1000));
    t = await c.api.request<Test>("GET", `/me/contact-methods/${methodId}/test/${t.id}`);
  }
  if (c.json) await c.print(t, "");
  else if (t.status === "delivered") await c.print(t, `test notification delivered ${when(t.at)}`);
  else if (t.status === "pending")
    await write(
      process.stderr,
      `firebreak: test notification ${t.id} still pending after ${POLL_MS / 1000} s`,
    );
  else await write(process.stderr, `firebreak: test notification failed: ${t.error ?? "no reason given"}`);
  return t.status === "delivered" ? 0 : 1;
}

export const contactCommands: Record<string, Command> = {
  contact: {
    summary:
      "Your contact methods: list, create, delete, verify with the code sent to it, or send yourself a test notification.",
    synopsis: [
      "list",
      "create KIND ADDRESS [--label TEXT] [--token-env NAME]",
      "delete ID",
      "verify ID CODE",
      "resend-code ID",
      "test ID",
    ],
    args: ["ACTION", "TARGET?", "ADDRESS?"],
    flags: {
      label: { value: "TEXT", help: "create: a name for it (default: the address, or the kind)" },
      "token-env": { value: "NAME", help: "create ntfy: read the topic's access token from this variable" },
    },
    async run(c) {
      const action = c.must("ACTION");
      if (action === "list") return list(c);
      if (action === "create") return create(c);
      if (action === "delete") return remove(c);
      if (action === "test") return test(c);
      if (action === "verify") return verify(c);
      if (action === "resend-code") return resendCode(c);
      throw new UsageError(
        `unknown action ${JSON.stringify(action)}; expected list, create, delete, verify, resend-code or test`,
      );
    },
  },
};
