import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

/**
 * Every setting Firebreak reads, with its default. `docs/configuration.md` is checked against this
 * table by a test, so the two cannot drift apart.
 */
export const settings = {
  PORT: { default: "8080", doc: "TCP port the HTTP server listens on." },
  HOST: { default: "0.0.0.0", doc: "Address the HTTP server binds to (`127.0.0.1` to keep it local)." },
  DATABASE_URL: {
    default: "",
    doc: "PostgreSQL to use. Empty: Firebreak starts and manages its own embedded PostgreSQL.",
  },
  FIREBREAK_DATA_DIR: {
    default: "./data",
    doc: "Where the embedded PostgreSQL keeps its files (unused with `DATABASE_URL`).",
  },
  FIREBREAK_BOOTSTRAP_TOKEN: {
    default: "",
    doc: "On first start, create the admin API token with this value. Empty: a random one is printed once.",
  },
  FIREBREAK_POLICY_FILE: {
    default: "",
    doc: "Policy file (YAML). Empty: the shipped default, the handbook's process. Watched: a good change applies without a restart (also on SIGHUP); a bad one is reported and changes nothing. See `docs/policy.md`.",
  },
  FIREBREAK_PUBLIC_URL: {
    default: "",
    doc: "Address people reach Firebreak at, used in links. Empty: `http://localhost:PORT`.",
  },
  FIREBREAK_CONFIG_FILE: {
    default: "",
    doc: "Optional YAML/JSON file with any of these settings; the environment wins over it.",
  },
  SMTP_URL: {
    default: "",
    doc: "SMTP server for email notifications, e.g. `smtp://user:pass@mail.example.com:587`. Empty: email is off.",
  },
  FIREBREAK_EMAIL_FROM: { default: "Firebreak <firebreak@localhost>", doc: "Sender of notification emails." },
  LOG_LEVEL: { default: "info", doc: "`fatal`, `error`, `warn`, `info`, `debug` or `trace`." },
  BODY_LIMIT_BYTES: { default: "1048576", doc: "Largest request body accepted; larger ones get 413." },
  DATABASE_POOL_SIZE: { default: "20", doc: "Connections each replica keeps to PostgreSQL." },
  STATUS_PAGE_AT_ROOT: {
    default: "",
    doc: "A status page slug (e.g. `default`) to serve at `/` too, for a host that is only a status page.",
  },
  ALERT_INTAKE_MAX_QUEUED: {
    default: "10000",
    doc: "Alert events a replica holds waiting to be written; beyond it senders get 429/503 with Retry-After.",
  },
  DATABASE_CONNECT_TIMEOUT_MS: {
    default: "5000",
    doc: "Longest wait for a database connection (a new one, or a free one from the pool); past it the request gets 503 with Retry-After.",
  },
  DATABASE_STATEMENT_TIMEOUT_MS: {
    default: "10000",
    doc: "Longest a database statement may run, enforced by PostgreSQL and, for a database that stops answering, by Firebreak; past it the request gets 503 with Retry-After.",
  },
  READYZ_TIMEOUT_MS: {
    default: "2000",
    doc: "Deadline of `/readyz`: a database that does not answer within it reads as not ready (503).",
  },
  OUTBOUND_ALLOWED_HOSTS: {
    default: "",
    doc: "Internal hosts that webhooks, chat messages and subscriber webhooks may reach although they are loopback, private or reserved addresses: comma-separated host names, IP addresses or CIDR ranges (e.g. `ntfy.internal,10.0.5.0/24`). Empty: only addresses on the public internet.",
  },
  TWILIO_ACCOUNT_SID: {
    default: "",
    doc: "SMS and voice pages through Twilio: the account SID (`AC…`). Empty: `sms` and `voice` contact methods fail saying Twilio is not configured. Set it with `TWILIO_AUTH_TOKEN` and `TWILIO_FROM`; see `docs/notifications.md`.",
  },
  TWILIO_AUTH_TOKEN: {
    default: "",
    doc: "Twilio's auth token: the password of its API (HTTP Basic with the account SID) and the key of the `X-Twilio-Signature` on Twilio's requests to `/integrations/twilio/…`.",
  },
  TWILIO_FROM: {
    default: "",
    doc: "The Twilio phone number pages are texted and called from (E.164, e.g. `+14155550100`); replies by SMS go to it.",
  },
  TWILIO_API_BASE: {
    default: "https://api.twilio.com",
    doc: "Base URL of Twilio's REST API (a test server speaking its format, or a regional edge). An internal host must also be on `OUTBOUND_ALLOWED_HOSTS`.",
  },
  MATTERMOST_COMMAND_TOKEN: {
    default: "",
    doc: "Mattermost: the token of the `/inc` slash command (Integrations > Slash Commands), which Mattermost sends with every command to `/integrations/mattermost/commands`. Empty: Mattermost's commands are refused (401). See `docs/chat.md`.",
  },
  MATTERMOST_URL: {
    default: "",
    doc: "Mattermost: the server's address, e.g. `https://chat.example.com`, to read a person's email (`GET /api/v4/users/{id}`) the first time they use a command. An internal host must also be on `OUTBOUND_ALLOWED_HOSTS`.",
  },
  MATTERMOST_TOKEN: {
    default: "",
    doc: "Mattermost: a bot or personal access token that may read users, for `MATTERMOST_URL`. Empty: people link their Mattermost account by hand (`/inc link`).",
  },
  SLACK_BOT_TOKEN: {
    default: "",
    doc: "Slack: the app's bot token (`xoxb-…`). Empty: Slack is off (no channels, announcements or chat events). See `docs/chat.md`.",
  },
  SLACK_SIGNING_SECRET: {
    default: "",
    doc: "Slack: the app's signing secret, the key of the `X-Slack-Signature` on Slack's requests to `/integrations/slack/…` (unsigned or stale requests get 401).",
  },
  SLACK_API_URL: {
    default: "https://slack.com/api/",
    doc: "Base URL of Slack's Web API (a test server speaking its format). An internal host must also be on `OUTBOUND_ALLOWED_HOSTS`.",
  },
  GITLAB_URL: {
    default: "https://gitlab.com",
    doc: "Tracker issues: your GitLab's address (its REST API is under `/api/v4`). An internal host must also be on `OUTBOUND_ALLOWED_HOSTS`. See `docs/trackers.md`.",
  },
  GITLAB_TOKEN: {
    default: "",
    doc: "Tracker issues: a GitLab access token with the `api` scope (Reporter or more on the projects named in the policy). Empty: incidents of types with a GitLab tracker say on their timeline that it is not set.",
  },
  GITHUB_API_URL: {
    default: "https://api.github.com",
    doc: "Tracker issues: GitHub's REST API (GitHub Enterprise Server: `https://HOST/api/v3`). An internal host must also be on `OUTBOUND_ALLOWED_HOSTS`.",
  },
  GITHUB_TOKEN: {
    default: "",
    doc: "Tracker issues: a GitHub token that may write issues in the repositories named in the policy (fine-grained: Issues read and write). Empty: incidents of types with a GitHub tracker say on their timeline that it is not set.",
  },
  PROMETHEUS_URL: {
    default: "",
    doc: "Status from service levels (STAT-4): the Prometheus server components' objectives are queried on, e.g. `http://prometheus.internal:9090`. Its host is allowed for these queries without `OUTBOUND_ALLOWED_HOSTS`. Empty: objectives are kept but not judged. See `docs/service-levels.md`.",
  },
  METRICS_TOKEN: {
    default: "",
    doc: "Bearer token Prometheus sends to read `/metrics` (at least 16 characters). Empty: `/metrics` answers admins' API tokens only, or no one on the main port when `METRICS_LISTEN` is set.",
  },
  METRICS_LISTEN: {
    default: "",
    doc: "A separate `host:port` (e.g. `127.0.0.1:9464`) serving only `/metrics`, without authentication; keep it on a network only Prometheus reaches.",
  },
  OIDC_ISSUER: {
    default: "",
    doc: "Single sign-on: the OpenID Connect provider's issuer URL (its discovery document is read from it). Empty: no single sign-on. See `docs/auth.md`.",
  },
  OIDC_CLIENT_ID: { default: "", doc: "Single sign-on: Firebreak's client id at the provider." },
  OIDC_CLIENT_SECRET: {
    default: "",
    doc: "Single sign-on: the client secret. Empty: a public client (PKCE only).",
  },
  OIDC_NAME: { default: "single sign-on", doc: "Single sign-on: the provider's name on the sign-in button." },
  OIDC_SCOPES: { default: "openid email profile", doc: "Single sign-on: the scopes asked for." },
  OIDC_ROLE_CLAIM: {
    default: "",
    doc: "Single sign-on: a claim (e.g. `groups`) whose values set a person's role at each sign-in, through `OIDC_ROLE_MAP`. Empty: roles are kept as set in Firebreak.",
  },
  OIDC_ROLE_MAP: {
    default: "",
    doc: "Single sign-on: claim values to roles, e.g. `sre-leads=admin,sre=responder`; the highest role a person's values map to wins. A claim value that is a role's own name (`admin`, `responder`, `viewer`) maps to it.",
  },
  OIDC_TEAMS_CLAIM: {
    default: "",
    doc: "Single sign-on: a claim (e.g. `groups`) whose values are team slugs; at each sign-in a person's teams become exactly the teams named (with their role in each). Empty: teams are managed in Firebreak.",
  },
  OIDC_DEFAULT_ROLE: {
    default: "viewer",
    doc: "Single sign-on: the role of a person created at first sign-in when the role claim maps to none.",
  },
  PASSWORD_SIGNIN: {
    default: "on",
    doc: "`off`: the web app takes only single sign-on; password and API-token sign-in are refused except for the break-glass admin (`BREAK_GLASS_ADMIN`). API tokens keep working for the API.",
  },
  BREAK_GLASS_ADMIN: {
    default: "admin",
    doc: "The username that may still sign in with a password when `PASSWORD_SIGNIN=off` (an admin, for when the provider is down).",
  },
  AUDIT_RETENTION_DAYS: {
    default: "365",
    doc: "How many days the audit log keeps its entries; older ones are deleted hourly.",
  },
  VAPID_PUBLIC_KEY: {
    default: "",
    doc: "Web Push: the VAPID public key (base64url, as `npx web-push generate-vapid-keys` prints it). Empty (with `VAPID_PRIVATE_KEY` empty too): a key pair is generated at first start and kept in the database. See `docs/notifications.md`.",
  },
  VAPID_PRIVATE_KEY: {
    default: "",
    doc: "Web Push: the VAPID private key that goes with `VAPID_PUBLIC_KEY` (set both or neither). Changing the pair makes every browser subscribe again.",
  },
  VAPID_SUBJECT: {
    default: "",
    doc: "Web Push: a `mailto:` or `https:` address push services may contact about Firebreak's messages. Empty: `FIREBREAK_PUBLIC_URL` when it is https, else `mailto:firebreak@localhost`.",
  },
  TRUSTED_PROXIES: {
    default: "",
    doc: "Load balancers and proxies in front of Firebreak whose `X-Forwarded-For` is believed: comma-separated IP addresses or CIDR ranges (e.g. `10.0.0.0/8`). The client's address (for sign-in throttling, rate limits and the audit log) is then the first address not on the list. Empty: the connecting address.",
  },
} as const;

export type SettingName = keyof typeof settings;

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535),
  HOST: z.string().min(1),
  DATABASE_URL: z
    .string()
    .refine((v) => v === "" || /^postgres(ql)?:\/\//.test(v), "expected a postgres:// or postgresql:// URL"),
  FIREBREAK_DATA_DIR: z.string().min(1),
  FIREBREAK_BOOTSTRAP_TOKEN: z
    .string()
    .refine((v) => v === "" || v.length >= 16, "expected at least 16 characters (it is an admin credential)"),
  FIREBREAK_POLICY_FILE: z.string(),
  FIREBREAK_PUBLIC_URL: z
    .string()
    .refine((v) => v === "" || /^https?:\/\//.test(v), "expected an http(s) URL"),
  FIREBREAK_CONFIG_FILE: z.string(),
  SMTP_URL: z
    .string()
    .refine((v) => v === "" || /^smtps?:\/\//.test(v), "expected an smtp:// or smtps:// URL"),
  FIREBREAK_EMAIL_FROM: z.string().min(3),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(1000),
  ALERT_INTAKE_MAX_QUEUED: z.coerce.number().int().min(1),
  STATUS_PAGE_AT_ROOT: z
    .string()
    .regex(/^([a-z0-9][a-z0-9-]{0,62})?$/, "expected a status page slug, e.g. default"),
  DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000),
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000),
  READYZ_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000),
  OUTBOUND_ALLOWED_HOSTS: z.string(),
  TWILIO_ACCOUNT_SID: z
    .string()
    .regex(/^(AC[0-9a-fA-F]{32})?$/, "expected an account SID: AC and 32 hex digits"),
  TWILIO_AUTH_TOKEN: z.string(),
  TWILIO_FROM: z.string().regex(/^(\+[1-9]\d{6,14})?$/, "expected an E.164 phone number, e.g. +14155550100"),
  TWILIO_API_BASE: z.string().regex(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, "expected an http(s) URL"),
  MATTERMOST_COMMAND_TOKEN: z.string().regex(/^\S*$/, "expected a token without spaces"),
  MATTERMOST_URL: z.string().regex(/^(https?:\/\/[^\s/]+(\/[^\s]*)?)?$/, "expected an http(s) URL"),
  MATTERMOST_TOKEN: z.string().regex(/^\S*$/, "expected a token without spaces"),
  SLACK_BOT_TOKEN: z.string().regex(/^(xox[a-z]-\S+)?$/, "expected a Slack bot token, e.g. xoxb-…"),
  SLACK_SIGNING_SECRET: z.string(),
  SLACK_API_URL: z.string().regex(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, "expected an http(s) URL"),
  GITLAB_URL: z.string().regex(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, "expected an http(s) URL"),
  GITLAB_TOKEN: z.string().regex(/^\S*$/, "expected a token without spaces"),
  GITHUB_API_URL: z.string().regex(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, "expected an http(s) URL"),
  GITHUB_TOKEN: z.string().regex(/^\S*$/, "expected a token without spaces"),
  PROMETHEUS_URL: z.string().regex(/^(https?:\/\/[^\s/]+(\/[^\s]*)?)?$/, "expected an http(s) URL"),
  METRICS_TOKEN: z
    .string()
    .refine((v) => v === "" || v.length >= 16, "expected at least 16 characters (it guards the metrics)"),
  METRICS_LISTEN: z
    .string()
    .refine(
      (v) => v === "" || /^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(v),
      "expected host:port, e.g. 127.0.0.1:9464",
    ),
  OIDC_ISSUER: z
    .string()
    .refine((v) => v === "" || /^https?:\/\/[^\s]+$/.test(v), "expected the issuer's http(s) URL"),
  OIDC_CLIENT_ID: z.string(),
  OIDC_CLIENT_SECRET: z.string(),
  OIDC_NAME: z.string().min(1).max(60),
  OIDC_SCOPES: z.string().refine((v) => v.split(/\s+/).includes("openid"), "the scopes must include openid"),
  OIDC_ROLE_CLAIM: z.string().max(100),
  OIDC_ROLE_MAP: z
    .string()
    .refine(
      (v) => v.trim() === "" || v.split(",").every((p) => /^[^=]+=(admin|responder|viewer)$/.test(p.trim())),
      "expected value=role pairs separated by commas, each role admin, responder or viewer",
    ),
  OIDC_TEAMS_CLAIM: z.string().max(100),
  OIDC_DEFAULT_ROLE: z.enum(["viewer", "responder", "admin"]),
  PASSWORD_SIGNIN: z.enum(["on", "off"]),
  BREAK_GLASS_ADMIN: z.string().min(1).max(64),
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500),
  VAPID_PUBLIC_KEY: z.string().regex(/^[A-Za-z0-9_-]*$/, "expected a base64url key"),
  VAPID_PRIVATE_KEY: z.string().regex(/^[A-Za-z0-9_-]*$/, "expected a base64url key"),
  VAPID_SUBJECT: z
    .string()
    .refine((v) => v === "" || /^(mailto:\S+|https:\/\/\S+)$/.test(v), "expected a mailto: or https: URL"),
  TRUSTED_PROXIES: z
    .string()
    .refine(
      (v) => v.split(",").every((p) => p.trim() === "" || isIP(p.trim().split("/")[0] ?? "") !== 0),
      "expected IP addresses or CIDR ranges separated by commas, e.g. 10.0.0.0/8,192.168.1.10",
    ),
});

export type OidcConfig = {
  issuer: string;
  clientId: string;
  clientSecret: string | undefined;
  name: string;
  scopes: string;
  roleClaim: string | undefined;
  /** Claim value → role. */
  roleMap: Record<string, "viewer" | "responder" | "admin">;
  /** A claim naming the person's teams by slug (their memberships follow it at each sign-in). */
  teamsClaim?: string;
  defaultRole: "viewer" | "responder" | "admin";
};

export type Config = {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  bootstrapToken: string | undefined;
  policyFile: string | undefined;
  publicUrl: string;
  smtpUrl: string | undefined;
  emailFrom: string;
  logLevel: z.infer<typeof schema>["LOG_LEVEL"];
  bodyLimitBytes: number;
  databasePoolSize: number;
  alertIntakeMaxQueued: number;
  statusPageAtRoot: string | undefined;
  databaseConnectTimeoutMs: number;
  databaseStatementTimeoutMs: number;
  readyzTimeoutMs: number;
  /** Host names, IP addresses and CIDR ranges outgoing requests may reach although internal. */
  outboundAllowedHosts: string[];
  /** TWILIO_*: SMS and voice calls; undefined when not configured. */
  twilio: { accountSid: string; authToken: string; from: string; apiBase: string } | undefined;
  /** MATTERMOST_*: its slash command's token, and its API for people's emails. */
  mattermost: { commandToken: string | undefined; url: string | undefined; token: string | undefined };
  /**
   * SLACK_*: the Slack app. No bot token: nothing is sent to Slack; no signing secret: every request
   * to /integrations/slack/… is refused (it cannot be verified).
   */
  slack: { botToken: string | undefined; signingSecret: string | undefined; apiUrl: string };
  /** GITLAB_*, GITHUB_*: tracker issues; a kind without a token says so on the timeline. */
  trackers: {
    gitlab: { url: string; token: string | undefined };
    github: { url: string; token: string | undefined };
  };
  /** PROMETHEUS_URL: where service-level objectives are judged (STAT-4); undefined when not set. */
  prometheusUrl: string | undefined;
  metricsToken: string | undefined;
  metricsListen: { host: string; port: number } | undefined;
  oidc: OidcConfig | undefined;
  passwordSignIn: boolean;
  breakGlassAdmin: string;
  auditRetentionDays: number;
  /** Web Push VAPID settings; empty keys: the pair kept in the database. */
  vapid: { publicKey?: string; privateKey?: string; subject?: string };
  /** Addresses and CIDR ranges of proxies whose X-Forwarded-For is believed. */
  trustedProxies: string[];
};

export class ConfigError extends Error {
  override name = "ConfigError";
}

function readConfigFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(`FIREBREAK_CONFIG_FILE ${file}: cannot read it (${(err as Error).message})`);
  }
  const parsed: unknown = parseYaml(text);
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ConfigError(`FIREBREAK_CONFIG_FILE ${file}: expected a mapping of setting names to values`);
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!(key in settings)) {
      throw new ConfigError(
        `FIREBREAK_CONFIG_FILE ${file}: unknown setting ${key}; known settings: ${Object.keys(settings).join(", ")}`,
      );
    }
    out[key] = String(value);
  }
  return out;
}

/** Reads settings from the environment (and the optional file) and checks them; throws ConfigError. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const fileName = env.FIREBREAK_CONFIG_FILE;
  const fromFile = fileName ? readConfigFile(fileName) : {};
  const raw: Record<string, string> = {};
  for (const [name, setting] of Object.entries(settings)) {
    raw[name] = env[name] ?? fromFile[name] ?? setting.default;
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map(
      (i) => `${String(i.path[0])}=${JSON.stringify(raw[String(i.path[0])])}: ${i.message}`,
    );
    throw new ConfigError(`invalid configuration: ${problems.join("; ")}`);
  }
  const c = result.data;
  const twilioSet = [c.TWILIO_ACCOUNT_SID, c.TWILIO_AUTH_TOKEN, c.TWILIO_FROM].filter(Boolean).length;
  if (twilioSet > 0 && twilioSet < 3)
    throw new ConfigError(
      "invalid configuration: set all of TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM, or none",
    );
  if (c.OIDC_ISSUER && !c.OIDC_CLIENT_ID)
    throw new ConfigError("invalid configuration: OIDC_ISSUER is set but OIDC_CLIENT_ID is empty; set both");
  if (c.PASSWORD_SIGNIN === "off" && !c.OIDC_ISSUER)
    throw new ConfigError(
      "invalid configuration: PASSWORD_SIGNIN=off needs single sign-on (OIDC_ISSUER), or nobody but the break-glass admin could sign in",
    );
  return {
    port: c.PORT,
    host: c.HOST,
    databaseUrl: c.DATABASE_URL || undefined,
    dataDir: path.resolve(c.FIREBREAK_DATA_DIR),
    bootstrapToken: c.FIREBREAK_BOOTSTRAP_TOKEN || undefined,
    policyFile: c.FIREBREAK_POLICY_FILE || undefined,
    publicUrl: (c.FIREBREAK_PUBLIC_URL || `http://localhost:${c.PORT}`).replace(/\/$/, ""),
    smtpUrl: c.SMTP_URL || undefined,
    emailFrom: c.FIREBREAK_EMAIL_FROM,
    logLevel: c.LOG_LEVEL,
    bodyLimitBytes: c.BODY_LIMIT_BYTES,
    databasePoolSize: c.DATABASE_POOL_SIZE,
    alertIntakeMaxQueued: c.ALERT_INTAKE_MAX_QUEUED,
    statusPageAtRoot: c.STATUS_PAGE_AT_ROOT || undefined,
    databaseConnectTimeoutMs: c.DATABASE_CONNECT_TIMEOUT_MS,
    databaseStatementTimeoutMs: c.DATABASE_STATEMENT_TIMEOUT_MS,
    readyzTimeoutMs: c.READYZ_TIMEOUT_MS,
    outboundAllowedHosts: c.OUTBOUND_ALLOWED_HOSTS.split(",")
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
    twilio: c.TWILIO_ACCOUNT_SID
      ? {
          accountSid: c.TWILIO_ACCOUNT_SID,
          authToken: c.TWILIO_AUTH_TOKEN,
          from: c.TWILIO_FROM,
          apiBase: c.TWILIO_API_BASE,
        }
      : undefined,
    mattermost: {
      commandToken: c.MATTERMOST_COMMAND_TOKEN || undefined,
      url: c.MATTERMOST_URL.replace(/\/+$/, "") || undefined,
      token: c.MATTERMOST_TOKEN || undefined,
    },
    slack: {
      botToken: c.SLACK_BOT_TOKEN || undefined,
      signingSecret: c.SLACK_SIGNING_SECRET || undefined,
      apiUrl: c.SLACK_API_URL.endsWith("/") ? c.SLACK_API_URL : `${c.SLACK_API_URL}/`,
    },
    trackers: {
      gitlab: { url: c.GITLAB_URL, token: c.GITLAB_TOKEN || undefined },
      github: { url: c.GITHUB_API_URL, token: c.GITHUB_TOKEN || undefined },
    },
    prometheusUrl: c.PROMETHEUS_URL || undefined,
    metricsToken: c.METRICS_TOKEN || undefined,
    metricsListen: c.METRICS_LISTEN ? splitHostPort(c.METRICS_LISTEN) : undefined,
    oidc: c.OIDC_ISSUER
      ? {
          issuer: c.OIDC_ISSUER,
          clientId: c.OIDC_CLIENT_ID,
          clientSecret: c.OIDC_CLIENT_SECRET || undefined,
          name: c.OIDC_NAME,
          scopes: c.OIDC_SCOPES,
          roleClaim: c.OIDC_ROLE_CLAIM || undefined,
          roleMap: Object.fromEntries(
            c.OIDC_ROLE_MAP.split(",")
              .map((p) => p.trim())
              .filter(Boolean)
              .map((p) => {
                const at = p.lastIndexOf("=");
                return [p.slice(0, at).trim(), p.slice(at + 1) as "viewer" | "responder" | "admin"];
              }),
          ),
          defaultRole: c.OIDC_DEFAULT_ROLE,
          teamsClaim: c.OIDC_TEAMS_CLAIM || undefined,
        }
      : undefined,
    passwordSignIn: c.PASSWORD_SIGNIN === "on",
    breakGlassAdmin: c.BREAK_GLASS_ADMIN.toLowerCase(),
    auditRetentionDays: c.AUDIT_RETENTION_DAYS,
    vapid: {
      publicKey: c.VAPID_PUBLIC_KEY || undefined,
      privateKey: c.VAPID_PRIVATE_KEY || undefined,
      subject: c.VAPID_SUBJECT || undefined,
    },
    trustedProxies: c.TRUSTED_PROXIES.split(",")
      .map((p) => p.trim())
      .filter(Boolean),
  };
}

/** "127.0.0.1:9464" or "[::1]:9464" → host and port. */
function splitHostPort(v: string): { host: string; port: number } {
  const at = v.lastIndexOf(":");
  return { host: v.slice(0, at).replace(/^\[|\]$/g, ""), port: Number(v.slice(at + 1)) };
}
