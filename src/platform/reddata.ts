/**
 * DATA-1: RED data is never stored on an incident. A command whose text contains RED data is refused
 * with a message saying what was found and where, and nothing is stored.
 *
 * This module is the scanner: pure functions over strings, no I/O. Each kind of RED data has one small
 * detector in `DETECTORS`. A detector returns the earliest place in a text where its kind occurs, or
 * null. Detectors favour precision: a refusal on ordinary incident text (timestamps, ids, metrics,
 * URLs) teaches people to work around the check, so every rule needs real evidence of a secret, such
 * as a vendor prefix, a label, a checksum or a decodable structure.
 *
 * Where a finding points: `offset` is where the thing to remove begins. For self-contained secrets
 * (keys, tokens, card numbers, webhook URLs) that is the secret's first character. For a secret behind
 * a label (`aws_secret_access_key = …`, `api_key: …`, `Authorization: Bearer …`) or inside a URL
 * (`scheme://user:password@host`) it is the secret value itself, not the label or the URL. A service
 * account key file points at its first identifying JSON key.
 */
import { AppError } from "./errors.ts";

export type RedDataKind =
  | "private-key"
  | "aws-access-key"
  | "aws-secret-key"
  | "gcp-service-account-key"
  | "github-token"
  | "gitlab-token"
  | "slack-token"
  | "stripe-secret-key"
  | "jwt"
  | "password-in-url"
  | "card-number"
  | "generic-api-key";

export type RedDataFinding = {
  /** The name of the scanned field, as the caller gave it. */
  field: string;
  kind: RedDataKind;
  /** Human words for what was found, e.g. "a PEM private key". Never contains the secret. */
  label: string;
  /** 0-based character index in that field where the RED data begins. */
  offset: number;
};

/**
 * Scans every named text field and returns the first finding, or null when there is none. Fields are
 * scanned in the object's key order (note that JavaScript puts integer-like keys first); within a field
 * the earliest offset wins, and at equal offsets the more specific kind (earlier in `DETECTORS`) wins.
 * Null, undefined and empty fields are skipped.
 */
export function findRedData(fields: Record<string, string | null | undefined>): RedDataFinding | null {
  for (const [field, text] of Object.entries(fields)) {
    if (!text) continue;
    let best: RedDataFinding | null = null;
    for (const detector of DETECTORS) {
      const hit = detector.find(text);
      if (hit && (best === null || hit.offset < best.offset)) {
        best = { field, kind: detector.kind, label: hit.label, offset: hit.offset };
      }
    }
    if (best) return best;
  }
  return null;
}

/**
 * A message a person can act on. It names the field, what was found and where, and never repeats the
 * secret. The position is given as a 1-based character number, the way an editor counts columns
 * (`offset` 0 is "character 1").
 */
export function describeRedData(f: RedDataFinding): string {
  // A card number is not "rotated" by the person typing the incident; the advice differs.
  const advice = f.kind === "card-number" ? "remove it" : "remove it (rotate the secret if it was real)";
  return (
    `${f.field} contains ${f.label} at character ${f.offset + 1}; ` +
    `RED data is never stored on an incident — ${advice} and try again`
  );
}

// ---------------------------------------------------------------------------------------------------
// The detectors

type Hit = { offset: number; label: string };
type Detector = { kind: RedDataKind; find: (text: string) => Hit | null };

/**
 * Ordered from most to least specific: when two detectors find something at the same offset, the
 * earlier one names it (a GitLab token in a URL's password slot is "a GitLab access token"; a JWT after
 * `access_token=` is "a JSON Web Token").
 */
const DETECTORS: readonly Detector[] = [
  { kind: "gcp-service-account-key", find: findGcpServiceAccountKey },
  { kind: "private-key", find: findPrivateKey },
  {
    kind: "aws-access-key",
    // A key id is a 4-letter type prefix + 16 upper-case alphanumerics, as a whole word. AKIA (long-term)
    // and ASIA (temporary, STS) are credentials; the other prefixes are IAM unique ids (users, roles,
    // groups, policies …): identifiers rather than secrets, flagged as DATA-1's brief asks because
    // they tie an incident to one AWS account. Drop them from the list here if that proves noisy.
    find: (text) =>
      firstHit(text, AWS_KEY_ID, (m) => ({ offset: m.index, label: AWS_KEY_ID_LABELS[m[1] ?? ""] ?? "" })),
  },
  {
    kind: "aws-secret-key",
    // A secret access key is 40 base64 characters with nothing else to recognise it by: only trusted
    // when a label says what it is (config files, env vars, STS JSON/XML, `aws configure set`).
    find: (text) =>
      firstHit(text, AWS_SECRET, (m) => ({ offset: valueStart(m), label: "an AWS secret access key" })),
  },
  {
    kind: "github-token",
    // ghp_/gho_/ghu_/ghs_/ghr_ + 36 alphanumerics (GitHub may lengthen them, so "at least"), and
    // fine-grained tokens github_pat_ + 82 characters. The prefix is the evidence.
    find: (text) =>
      firstHit(text, GITHUB_TOKEN, (m) => ({ offset: m.index, label: GITHUB_LABELS[whichPrefix(m)] ?? "" })),
  },
  {
    kind: "gitlab-token",
    // GitLab's prefixed tokens (glpat- and friends) and legacy runner registration tokens (GR1348941).
    find: (text) =>
      firstHit(text, GITLAB_TOKEN, (m) => ({ offset: m.index, label: GITLAB_LABELS[whichPrefix(m)] ?? "" })),
  },
  {
    kind: "slack-token",
    // Tokens are xox?- followed by numeric ids and a random tail (`xoxb-<team>-<bot>-<secret>`). Requiring
    // the numeric ids keeps documentation placeholders like `xoxb-your-token` out. An incoming-webhook
    // URL is a credential on its own: anyone holding it can post to the channel.
    find: (text) =>
      earliest([
        firstHit(text, SLACK_TOKEN, (m) => ({ offset: m.index, label: "a Slack token" })),
        firstHit(text, SLACK_WEBHOOK, (m) => ({ offset: m.index, label: "a Slack webhook URL" })),
      ]),
  },
  {
    kind: "stripe-secret-key",
    // Live keys only: sk_live_ (secret) and rk_live_ (restricted). Test-mode keys move no money.
    find: (text) =>
      firstHit(text, STRIPE_KEY, (m) => ({
        offset: m.index,
        label: m[1] === "rk" ? "a Stripe live restricted key" : "a Stripe live secret key",
      })),
  },
  {
    kind: "jwt",
    // Three base64url segments whose first decodes to a JSON object with an "alg": the header of a
    // signed token. Decoding is what makes this precise: host names and dotted ids do not decode to
    // JSON. Every JSON object starts with "{", which base64-encodes to a first character "e".
    find: (text) =>
      firstHit(text, JWT_CANDIDATE, (m) =>
        isJwtHeader(m[1] ?? "") ? { offset: m.index, label: "a JSON Web Token (JWT)" } : null,
      ),
  },
  { kind: "card-number", find: findCardNumber },
  {
    kind: "password-in-url",
    // scheme://user:password@host. The user part may be empty (redis://:secret@host is common). The
    // character classes stop at "/", "?", "#" and "@", so `user@host` (no password),
    // `https://host:8080/path@x` and `https://host/path@x` do not match. A masked or templated password
    // (`***`, `<password>`, `${DB_PASSWORD}`) is not a secret.
    find: (text) =>
      firstHit(text, URL_PASSWORD, (m) => {
        const password = m.groups?.value ?? "";
        return isPlaceholder(password) || isPlaceholder(percentDecode(password))
          ? null
          : { offset: valueStart(m), label: "a password in a URL" };
      }),
  },
  { kind: "generic-api-key", find: findLabelledCredential },
];

// ---------------------------------------------------------------------------------------------------
// Patterns and labels

const AWS_KEY_ID_LABELS: Readonly<Record<string, string>> = {
  AKIA: "an AWS access key ID",
  ASIA: "an AWS temporary access key ID",
  ABIA: "an AWS STS service bearer token ID",
  ACCA: "an AWS context-specific credential ID",
  AGPA: "an AWS IAM group ID",
  AIDA: "an AWS IAM user ID",
  AIPA: "an AWS EC2 instance profile ID",
  ANPA: "an AWS managed policy ID",
  ANVA: "an AWS managed policy version ID",
  APKA: "an AWS public key ID",
  AROA: "an AWS IAM role ID",
  ASCA: "an AWS certificate ID",
};
const AWS_KEY_ID = new RegExp(
  `(?<![A-Za-z0-9])(${Object.keys(AWS_KEY_ID_LABELS).join("|")})[A-Z0-9]{16}(?![A-Za-z0-9])`,
  "g",
);

// Label, then `=`, `:`, `=>`, `>` (XML) or whitespace (CLI), optional quotes, then exactly 40 characters.
const AWS_SECRET =
  /(?<![A-Za-z0-9])(?:(?:aws[_ -]?)?secret[_ -]?access[_ -]?key|aws[_ -]?secret[_ -]?key)["']?(?:\s*(?:=>|[:=>])\s*|\s+)["']?(?<value>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/dgi;

const GITHUB_LABELS: Readonly<Record<string, string>> = {
  ghp: "a GitHub personal access token",
  gho: "a GitHub OAuth access token",
  ghu: "a GitHub user access token",
  ghs: "a GitHub installation access token",
  ghr: "a GitHub refresh token",
  github_pat: "a GitHub fine-grained personal access token",
};
const GITHUB_TOKEN = /(?<![A-Za-z0-9])(?:(gh[pousr])_[A-Za-z0-9]{36,255}|(github_pat)_[A-Za-z0-9_]{82,255})/g;

const GITLAB_LABELS: Readonly<Record<string, string>> = {
  glpat: "a GitLab access token",
  gloas: "a GitLab OAuth application secret",
  gldt: "a GitLab deploy token",
  glrt: "a GitLab runner authentication token",
  glcbt: "a GitLab CI/CD job token",
  glptt: "a GitLab pipeline trigger token",
  glft: "a GitLab feed token",
  glimt: "a GitLab incoming email token",
  glagent: "a GitLab agent token",
  glsoat: "a GitLab SCIM token",
  glffct: "a GitLab feature flags client token",
  GR1348941: "a GitLab runner registration token",
};
// Prefix + at least 20 token characters ("." appears in newer routable tokens). The legacy runner
// registration prefix GR1348941 has no dash.
const GITLAB_TOKEN = new RegExp(
  `(?<![A-Za-z0-9])(?:(${Object.keys(GITLAB_LABELS)
    .filter((p) => p.startsWith("gl"))
    .join("|")})-[A-Za-z0-9_.-]{20,}|(GR1348941)[A-Za-z0-9_-]{20,})`,
  "g",
);

const SLACK_TOKEN = /(?<![A-Za-z0-9])xox[abeprs]-(?:[0-9]+-)+[A-Za-z0-9]{8,}/g;
const SLACK_WEBHOOK =
  /(?:https?:\/\/)?hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9]+\/[A-Za-z0-9]+\/[A-Za-z0-9]{8,}/g;

const STRIPE_KEY = /(?<![A-Za-z0-9])(sk|rk)_live_[A-Za-z0-9]{20,}/g;

const JWT_CANDIDATE = /(?<![A-Za-z0-9_-])(e[A-Za-z0-9_-]{9,})\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}/g;

const URL_PASSWORD =
  /(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,30}:\/\/[^\s:/?#@]*:(?<value>[^\s/?#@]+)@[^\s/?#@]/dg;

// ---------------------------------------------------------------------------------------------------
// Detectors too long to sit in the table

// The header names the key type (RSA, EC, DSA, OPENSSH, ENCRYPTED, PGP … or none). A header alone is not
// a secret (people write about key formats; `<redacted>` bodies are common), so key material must
// follow before the END line: a run of 40+ base64 characters. 40 is above the 32 hex characters of a
// legacy encrypted key's DEK-Info IV, so headers with a redacted body stay clean. JSON-escaped keys
// ("\n" between lines) still count: the "n" simply joins the run.
const PEM_HEADER = /-----BEGIN ((?:[A-Z0-9]+ ){0,3})PRIVATE KEY(?: BLOCK)?-----/g;
const PEM_BODY_WINDOW = 1000;

function findPrivateKey(text: string): Hit | null {
  return firstHit(text, PEM_HEADER, (m) => {
    const after = text.slice(m.index + m[0].length, m.index + m[0].length + PEM_BODY_WINDOW);
    const body = after.split("-----END")[0] ?? "";
    if (!/[A-Za-z0-9+/]{40}/.test(body)) return null;
    const label = m[1]?.includes("PGP") ? "a PGP private key" : "a PEM private key";
    return { offset: m.index, label };
  });
}

// A service account key file is JSON with a PEM private key plus markers saying what it is. Reporting it
// as such (rather than as a bare PEM key) tells the person which key to revoke, and points at the start
// of the file. Quotes may be backslash-escaped when the JSON was pasted inside another string.
const GCP_PRIVATE_KEY = /\\?"private_key\\?"\s*:\s*\\?"-----BEGIN/;
const GCP_KEY_ID = /\\?"private_key_id\\?"\s*:/;
const GCP_TYPE = /\\?"type\\?"\s*:\s*\\?"service_account\\?"/;

function findGcpServiceAccountKey(text: string): Hit | null {
  const key = GCP_PRIVATE_KEY.exec(text);
  if (!key) return null;
  const markers = [GCP_KEY_ID.exec(text), GCP_TYPE.exec(text)].filter((m) => m !== null);
  if (markers.length === 0) return null;
  const offset = Math.min(key.index, ...markers.map((m) => m.index));
  return { offset, label: "a Google Cloud service-account key" };
}

// A credential with no vendor prefix is only recognisable by the label in front of it, and then only if
// the value looks random (see `looksLikeSecretValue`). Labels must be whole names: `api_key_id=` or
// `api_key_rotation` do not count. `Authorization: Basic` carries base64 "user:password" and is checked
// by decoding it.
const CREDENTIAL_LABEL =
  /(?<![A-Za-z0-9])(?:api[_-]?(?:key|secret|token)|access[_-]?token|auth[_-]?token|refresh[_-]?token|client[_-]?secret|private[_-]?token|secret[_-]?key)["']?\s*(?:=>|[:=])\s*["']?(?<value>[A-Za-z0-9_\-+/.~]{20,}=*)/dgi;
const AUTHORIZATION_HEADER =
  /(?<![A-Za-z0-9])authorization["']?\s*[:=]\s*["']?(?<scheme>bearer|token|basic)\s+(?<value>[A-Za-z0-9_\-+/.~]+=*)/dgi;

function findLabelledCredential(text: string): Hit | null {
  return earliest([
    firstHit(text, CREDENTIAL_LABEL, (m) =>
      looksLikeSecretValue(m.groups?.value ?? "")
        ? { offset: valueStart(m), label: "an API key or token" }
        : null,
    ),
    firstHit(text, AUTHORIZATION_HEADER, (m) => {
      const value = m.groups?.value ?? "";
      const ok =
        m.groups?.scheme?.toLowerCase() === "basic" ? isBasicCredential(value) : looksLikeSecretValue(value);
      return ok ? { offset: valueStart(m), label: "a credential in an Authorization header" } : null;
    }),
  ]);
}

// ---------------------------------------------------------------------------------------------------
// Payment card numbers
//
// A card number is 13–19 digits, written either as one run or in groups joined by single spaces or by
// single dashes (not a mix). It must pass the Luhn check, start with a real issuer prefix and have a
// length that issuer uses. Luhn alone passes 1 number in 10; the issuer table and the grouping rules
// below are what keep metrics, ids and timestamps out.

type CardIssuer = {
  name: string;
  prefixes: readonly (readonly [string, string])[];
  lengths: readonly number[];
};

const CARD_ISSUERS: readonly CardIssuer[] = [
  { name: "Visa", prefixes: [["4", "4"]], lengths: [13, 16, 19] },
  {
    name: "Mastercard",
    prefixes: [
      ["51", "55"],
      ["2221", "2720"],
    ],
    lengths: [16],
  },
  {
    name: "American Express",
    prefixes: [
      ["34", "34"],
      ["37", "37"],
    ],
    lengths: [15],
  },
  {
    name: "Discover",
    prefixes: [
      ["6011", "6011"],
      ["644", "649"],
      ["65", "65"],
    ],
    lengths: [16, 17, 18, 19],
  },
  { name: "JCB", prefixes: [["3528", "3589"]], lengths: [16, 17, 18, 19] },
  {
    name: "Diners Club",
    prefixes: [
      ["300", "305"],
      ["36", "36"],
      ["38", "38"],
    ],
    lengths: [14, 15, 16, 17, 18, 19],
  },
  { name: "UnionPay", prefixes: [["62", "62"]], lengths: [16, 17, 18, 19] },
];

// Prefix ranges compare as strings of equal length, so "2221" <= "2500" <= "2720" works digit-wise.
function cardIssuer(digits: string): CardIssuer | null {
  for (const issuer of CARD_ISSUERS) {
    if (!issuer.lengths.includes(digits.length)) continue;
    for (const [from, to] of issuer.prefixes) {
      const head = digits.slice(0, from.length);
      if (head >= from && head <= to) return issuer;
    }
  }
  return null;
}

function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * How card numbers are written: one run of 13–19 digits; groups of four with a shorter last group
 * (4-4-4-4, 4-4-4-1, 4-4-4-4-3); or American Express / Diners 4-6-5 and 4-6-4. Lists of small numbers
 * ("412 380 295 410 388 ms") do not have this shape.
 */
function cardShaped(sizes: readonly number[]): boolean {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total < 13 || total > 19) return false;
  if (sizes.length === 1) return true;
  const last = sizes[sizes.length - 1] ?? 0;
  if (sizes.slice(0, -1).every((s) => s === 4) && last <= 4) return true;
  return sizes.length === 3 && sizes[0] === 4 && sizes[1] === 6 && (last === 5 || last === 4);
}

// A number right after an id label or "#" is an identifier (order ids, decimal trace/span ids), which
// can pass Luhn by chance. The label must be a whole word followed by a separator ("order id 4…",
// "trace_id=4…", "\"span_id\": \"4…"): after "paid 4…" or "id4…" a number can still be a card.
const ID_LABEL_BEFORE = /(?:^|[^A-Za-z0-9])(?:[A-Za-z]+[_.-])?ids?["']?(?:\s*[:=#]\s*|\s+)["']?$|#\s*$/i;

type DigitGroup = { start: number; end: number; digits: string };

function findCardNumber(text: string): Hit | null {
  const groups: DigitGroup[] = [];
  for (const m of text.matchAll(/[0-9]+/g)) {
    groups.push({ start: m.index, end: m.index + m[0].length, digits: m[0] });
  }
  const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";

  /** The single space or dash joining group i to group i + 1, or null when they are not joined so. */
  const joiner = (i: number): string | null => {
    const a = groups[i];
    const b = groups[i + 1];
    if (!a || !b || b.start !== a.end + 1) return null;
    const c = text[a.end];
    return c === " " || c === "-" ? c : null;
  };

  for (let i = 0; i < groups.length; i++) {
    const first = groups[i];
    if (!first) continue;
    // A card is one run of 13–19 digits or starts with a group of four; skip anything else cheaply.
    const firstSize = first.digits.length;
    if (firstSize !== 4 && (firstSize < 13 || firstSize > 19)) continue;
    // Not a card start: "+4915…" is a phone number, "0.4532…" a decimal fraction, and "order id 4…" or
    // "#4…" an identifier.
    const before = text[first.start - 1];
    if (before === "+" || (before === "." && isDigit(text[first.start - 2]))) continue;
    if (ID_LABEL_BEFORE.test(text.slice(Math.max(0, first.start - 40), first.start))) continue;

    // Grow the candidate one group at a time, all groups joined by the same separator.
    const separator = joiner(i);
    const sizes: number[] = [];
    let digits = "";
    for (let j = i; j < groups.length; j++) {
      if (j > i && (separator === null || joiner(j - 1) !== separator)) break;
      const group = groups[j];
      if (!group) break;
      digits += group.digits;
      sizes.push(group.digits.length);
      if (digits.length > 19) break;
      if (!cardShaped(sizes)) continue;
      // The card must not continue a card-shaped number from the left ("1234 4111 1111 1111 1" reads as
      // one 17-digit number, not a card at "4111"). Digits after a complete card are allowed: a CVV or
      // an expiry often follows ("4111 1111 1111 1111 123").
      const previous = groups[i - 1];
      const leftJoiner = joiner(i - 1);
      if (previous && leftJoiner !== null && (j === i || leftJoiner === separator)) {
        if (cardShaped([previous.digits.length, ...sizes])) continue;
      }
      if (text[group.end] === "." && isDigit(text[group.end + 1])) continue;
      const issuer = cardIssuer(digits);
      if (issuer && luhnValid(digits)) {
        return { offset: first.start, label: `a payment card number (${issuer.name})` };
      }
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------
// Helpers

/**
 * The first match of `pattern` (which must have the g flag) that `check` accepts. After a rejected
 * candidate the search resumes one character later, so a false candidate cannot hide an overlapping
 * real one.
 */
function firstHit(text: string, pattern: RegExp, check: (m: RegExpExecArray) => Hit | null): Hit | null {
  const re = new RegExp(pattern); // a fresh copy: lastIndex is per call, never shared
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const hit = check(m);
    if (hit) return hit;
    re.lastIndex = m.index + 1;
  }
  return null;
}

/** GitHub and GitLab patterns have two alternatives, each capturing its prefix: whichever matched. */
function whichPrefix(m: RegExpExecArray): string {
  return m[1] ?? m[2] ?? "";
}

function earliest(hits: readonly (Hit | null)[]): Hit | null {
  let best: Hit | null = null;
  for (const hit of hits) if (hit && (best === null || hit.offset < best.offset)) best = hit;
  return best;
}

/** Where the named group `value` starts (patterns using it carry the d flag), else the match start. */
function valueStart(m: RegExpExecArray): number {
  return m.indices?.groups?.value?.[0] ?? m.index;
}

function isJwtHeader(segment: string): boolean {
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
  } catch {
    return false;
  }
  return typeof header === "object" && header !== null && "alg" in header && typeof header.alg === "string";
}

/**
 * Values people write instead of a secret: masks (`***`, `xxxx`), templates (`<password>`, `${VAR}`,
 * `{{ var }}`, `%s`), bracketed notes (`[REDACTED]`) and the usual words.
 */
const PLACEHOLDER =
  /^(?:[*xX•.#_-]+|…|<[^>]*>|\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\{\{[^}]*\}\}|%[sv]|%\([^)]*\)s|\[[^\]]*\]|redacted|filtered|masked|hidden|removed|password|passwd|pass|pwd|secret|example|placeholder)$/i;
const PLACEHOLDER_INSIDE = /redacted|example|placeholder|your[_-]|xxxx|\*\*\*/i;

function isPlaceholder(value: string): boolean {
  return PLACEHOLDER.test(value);
}

function percentDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * A labelled value counts as a credential when it looks random: at least 20 characters, letters and
 * digits mixed, not a placeholder, and at least 3 bits of entropy per character (real tokens have about
 * 4; `abc123abc123abc123ab` has 2.6).
 */
function looksLikeSecretValue(value: string): boolean {
  return (
    value.length >= 20 &&
    /[A-Za-z]/.test(value) &&
    /[0-9]/.test(value) &&
    !PLACEHOLDER_INSIDE.test(value) &&
    shannonEntropy(value) >= 3
  );
}

/** HTTP Basic credentials are base64 of "user:password" with both parts non-empty. */
function isBasicCredential(value: string): boolean {
  if (value.length < 8 || !/^[A-Za-z0-9+/]+=*$/.test(value) || isPlaceholder(value)) return false;
  const decoded = Buffer.from(value, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  return colon > 0 && colon < decoded.length - 1 && !/[\u0000-\u001f\ufffd]/.test(decoded);
}

function shannonEntropy(value: string): number {
  const counts = new Map<string, number>();
  for (const c of value) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / value.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** DATA-1: refuses RED data before anything is written or sent, naming the field and the kind. */
export function assertNoRedData(fields: Record<string, string | null | undefined>): void {
  const found = findRedData(fields);
  if (found) {
    throw new AppError("red-data", describeRedData(found), { field: found.field, found: found.kind });
  }
}
