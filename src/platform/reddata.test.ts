import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { describeRedData, findRedData, type RedDataFinding, type RedDataKind } from "./reddata.ts";

// Every fake secret below is assembled at run time (prefix + generated characters), so this file holds
// no string that a secret scanner would flag, and no real card number.

const ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/** A deterministic, well-mixed string of n alphanumerics (step 7 walks all 62 characters). */
const mixed = (n: number, start = 3): string =>
  Array.from({ length: n }, (_, i) => ALNUM[(start + i * 7) % ALNUM.length]).join("");

const b64url = (s: string): string => Buffer.from(s, "utf8").toString("base64url");

function pemKey(type: string): string {
  const begin = `-----BEGIN ${type}PRIVATE KEY-----`;
  const end = `-----END ${type}PRIVATE KEY-----`;
  return `${begin}\nMII${mixed(61)}\n${mixed(64, 5)}\n${end}`;
}

/** Luhn check digit for a body, computed independently of the module under test. */
function luhnCheckDigit(body: string): string {
  let sum = 0;
  const digits = [...body].reverse().map(Number);
  digits.forEach((d, i) => {
    const v = i % 2 === 0 ? d * 2 : d; // the check digit will sit at position 0, so the body starts at 1
    sum += v > 9 ? v - 9 : v;
  });
  return String((10 - (sum % 10)) % 10);
}
const withCheckDigit = (body: string): string => body + luhnCheckDigit(body);
function luhnOk(digits: string): boolean {
  return luhnCheckDigit(digits.slice(0, -1)) === digits.slice(-1);
}

function scan(text: string): RedDataFinding | null {
  return findRedData({ summary: text });
}

function expectFinding(text: string, kind: RedDataKind, offset: number): void {
  expect(scan(text)).toMatchObject({ field: "summary", kind, offset });
}

describe("DATA-1: one example of each kind of RED data is found, with its field and offset", () => {
  it("DATA-1: PEM private keys (RSA, EC, OPENSSH, ENCRYPTED, plain PKCS#8)", () => {
    for (const type of ["RSA ", "EC ", "OPENSSH ", "ENCRYPTED ", ""]) {
      const lead = "Deploy key was: ";
      expectFinding(lead + pemKey(type), "private-key", lead.length);
    }
    expect(scan(`x ${pemKey("RSA ")}`)?.label).toBe("a PEM private key");
  });

  it("DATA-1: a PEM private key pasted JSON-escaped on one line", () => {
    const escaped = JSON.stringify(pemKey("")).slice(1, -1); // "\n" as two characters
    expectFinding(`key=${escaped}`, "private-key", 4);
  });

  it("DATA-1: an AWS access key id, as a whole word", () => {
    const id = `AKIA${"Z".repeat(16)}`;
    expectFinding(`creds leaked: ${id} in logs`, "aws-access-key", 14);
    expectFinding(`role ASIA${mixed(16).toUpperCase()}`, "aws-access-key", 5);
    expect(scan(`X${id}`)).toBeNull(); // part of a longer word
    expect(scan(`${id}Z`)).toBeNull(); // 17 characters after the prefix
  });

  it("DATA-1: an AWS secret access key, only when labelled", () => {
    const secret = `${mixed(38)}/+`;
    const line = `aws_secret_access_key = ${secret}`;
    expectFinding(line, "aws-secret-key", line.indexOf(secret));
    const json = `{"SecretAccessKey": "${secret}"}`;
    expectFinding(json, "aws-secret-key", json.indexOf(secret));
    const cli = `aws configure set aws_secret_access_key ${secret}`;
    expectFinding(cli, "aws-secret-key", cli.indexOf(secret));
    expect(scan(`checksum ${secret}`)).toBeNull(); // 40 base64 characters alone prove nothing
  });

  it("DATA-1: a GCP service-account key file points at its first identifying key", () => {
    const file = JSON.stringify(
      {
        type: `service_${"account"}`,
        project_id: "demo",
        private_key_id: "0123456789abcdef".repeat(2),
        private_key: `${pemKey("")}\n`,
        client_email: "ci@demo.iam.gserviceaccount.com",
      },
      null,
      2,
    );
    const text = `Found in the bucket: ${file}`;
    expectFinding(text, "gcp-service-account-key", text.indexOf('"type"'));
    // The same JSON pasted inside another string, quotes escaped.
    const nested = JSON.stringify({ log: file });
    expect(scan(nested)?.kind).toBe("gcp-service-account-key");
  });

  it("DATA-1: GitHub tokens, classic and fine-grained", () => {
    expectFinding(`token ghp_${mixed(36)} was pushed`, "github-token", 6);
    expectFinding(`GITHUB_TOKEN=ghs_${mixed(36)}`, "github-token", 13);
    expectFinding(`pat: github_pat_${mixed(22)}_${mixed(59, 9)}`, "github-token", 5);
    expect(scan(`ghp_${mixed(30)}`)).toBeNull(); // too short to be a token
  });

  it("DATA-1: GitLab tokens (glpat- and the other gl*- prefixes)", () => {
    expectFinding(`PRIVATE-TOKEN: glpat-${mixed(20)}`, "gitlab-token", 15);
    expectFinding(`runner glrt-${mixed(24)}`, "gitlab-token", 7);
    expectFinding(`deploy gldt-${mixed(26)}`, "gitlab-token", 7);
    expect(scan(`runner glrt-${mixed(24)}`)?.label).toBe("a GitLab runner authentication token");
  });

  it("DATA-1: Slack tokens and incoming-webhook URLs", () => {
    expectFinding(`bot xoxb-${"1".repeat(12)}-${"2".repeat(13)}-${mixed(24)}`, "slack-token", 4);
    const hook = `https://hooks.slack.com/services/T0${mixed(8).toUpperCase()}/B0${mixed(8, 7).toUpperCase()}/${mixed(24)}`;
    expectFinding(`alerts go to ${hook}`, "slack-token", 13);
    expect(scan(`alerts go to ${hook}`)?.label).toBe("a Slack webhook URL");
  });

  it("DATA-1: Stripe live secret and restricted keys", () => {
    expectFinding(`STRIPE_KEY=sk_live_${mixed(24)}`, "stripe-secret-key", 11);
    expectFinding(`rk_live_${mixed(24)}`, "stripe-secret-key", 0);
    expect(scan(`sk_test_${mixed(24)}`)).toBeNull(); // test mode moves no money
  });

  it("DATA-1: a JWT (three base64url segments, header JSON with alg)", () => {
    const jwt = `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url('{"sub":"42","name":"x"}')}.${mixed(43)}`;
    expectFinding(`cookie session=${jwt}; Path=/`, "jwt", 15);
  });

  it("DATA-1: a password in a URL points at the password", () => {
    const text = `DATABASE_URL=postgres://app:${"s3cr"}etPw9@db.internal:5432/app`;
    expectFinding(text, "password-in-url", text.indexOf("s3cr"));
    expectFinding(`redis://:${"hunter"}22@cache:6379`, "password-in-url", 9); // empty user
  });

  it("DATA-1: a payment card number, plain, grouped by spaces or dashes, and Amex 4-6-5", () => {
    const visa = withCheckDigit(`4${"1".repeat(14)}`);
    expectFinding(`charged card ${visa} twice`, "card-number", 13);
    const spaced = visa.replace(/(\d{4})(?=\d)/g, "$1 ");
    expectFinding(`card: ${spaced}`, "card-number", 6);
    const dashed = visa.replace(/(\d{4})(?=\d)/g, "$1-");
    expectFinding(`card:${dashed}`, "card-number", 5);
    const amex = withCheckDigit(`37${"2".repeat(12)}`);
    expectFinding(`amex ${amex.slice(0, 4)} ${amex.slice(4, 10)} ${amex.slice(10)}`, "card-number", 5);
    expect(scan(spaced)?.label).toBe("a payment card number (Visa)");
  });

  it("DATA-1: a card followed by its CVV or expiry is still found", () => {
    const mc = withCheckDigit(`5500${"0".repeat(11)}`);
    const spaced = mc.replace(/(\d{4})(?=\d)/g, "$1 ");
    expectFinding(`${spaced} 123`, "card-number", 0);
    expectFinding(`${spaced} 12/27`, "card-number", 0);
    expectFinding(`at 10:00 ${spaced}`, "card-number", 9);
  });

  it("DATA-1: a labelled API key, a Bearer token and Basic credentials", () => {
    const key = mixed(32);
    expectFinding(`curl ...?api_key=${key}`, "generic-api-key", 17);
    expectFinding(`"client_secret": "${key}"`, "generic-api-key", 18);
    const bearer = `-H "Authorization: Bearer ${key}"`;
    expectFinding(bearer, "generic-api-key", bearer.indexOf(key));
    const basic = `Authorization: Basic ${Buffer.from(`deploy:${mixed(12)}`).toString("base64")}`;
    expectFinding(basic, "generic-api-key", 21);
  });
});

describe("DATA-1: which finding is reported", () => {
  const token = `ghp_${mixed(36)}`;

  it("DATA-1: fields are scanned in order; null, undefined and empty fields are skipped", () => {
    const f = findRedData({
      name: "DB down",
      summary: null,
      notes: undefined,
      update: "",
      body: `see ${token}`,
    });
    expect(f).toEqual({
      field: "body",
      kind: "github-token",
      label: "a GitHub personal access token",
      offset: 4,
    });
    expect(findRedData({ a: `x ${token}`, b: token })?.field).toBe("a");
    expect(findRedData({})).toBeNull();
  });

  it("DATA-1: within a field the earliest offset wins, whatever the kind", () => {
    const text = `stripe sk_live_${mixed(24)} then ${token}`;
    expect(scan(text)).toMatchObject({ kind: "stripe-secret-key", offset: 7 });
    const card = withCheckDigit(`4${"2".repeat(14)}`);
    expect(scan(`${card} ${token}`)).toMatchObject({ kind: "card-number", offset: 0 });
  });

  it("DATA-1: at the same offset the specific kind beats the generic one", () => {
    expect(scan(`access_token=${token}`)?.kind).toBe("github-token");
    const jwt = `${b64url('{"alg":"RS256"}')}.${b64url('{"sub":"1"}')}.${mixed(40)}`;
    expect(scan(`Authorization: Bearer ${jwt}`)?.kind).toBe("jwt");
    expect(scan(`https://oauth2:glpat-${mixed(20)}@gitlab.example.com/g/p.git`)?.kind).toBe("gitlab-token");
  });
});

describe("DATA-1: ordinary incident text is not RED data", () => {
  const negatives = [
    "500 errors in 10 minutes after deploy v2.14.3 at 2024-06-01T10:15:00.123456789Z",
    "Request 550e8400-e29b-41d4-a716-446655440000 failed on 10.0.12.7:8443 and [2001:db8::1]:443",
    "Rolled back to 9fceb02d0ae598e95dc970b74767f19372d61af8 (short 9fceb02), MR !12345, issue #100234",
    'http_requests_total{job="api",code="500",instance="10.0.0.12:9100"} 1.2e+03 @1717171717.123',
    'rate(http_request_duration_seconds_bucket{le="0.5",env="prod"}[5m]) > 0.95',
    "Dashboard https://grafana.example.com/d/abc123/api?orgId=1&from=now-6h&to=now&var-env=prod&refresh=30s",
    "https://gitlab.com/gitlab-org/gitlab/-/issues/12345#note_987654321 and ssh://git@gitlab.com:2222/g/p.git",
    "Mail oncall@example.com; profile https://medium.com/@alice/post-1 and https://example.com/path@x",
    "postgres://app@db.internal:5432/app (no password) and redis://cache:6379/0 and https://host:8080/a@b",
    `postgres://app:***@db/app, mysql://root:<password>@db, amqp://u:\${RABBIT_PASSWORD}@mq, smtp://u:%2A%2A@m`,
    "Customer called from +1 415-555-0132, +44 20 7946 0958, (415) 555-0132 ext. 1234",
    "Order #100234, order id 55501234, ORD-2024-000123, invoice INV-000042 refunded",
    "p99 latency 412 380 295 410 388 ms; 1234 5678 9012 3456 7890 requests",
    "Epoch 1717171717171 ms, 1717171717171717171 ns; build 20240601.123456; ISBN 978-0-306-40615-7",
    "api.v2.internal, foo.bar.baz, eu-west-1.compute.amazonaws.com, example.com.au",
    "events-processor.production.svc.cluster.local and eventbridge-rule.eu-central-1.amazonaws.com",
    "Pod api-7d9f8c6b5-x2x9z restarted 14 times; node ip-10-0-1-23.ec2.internal NotReady",
    "We rotated the aws_secret_access_key and the ghp_ tokens; glpat- and xoxb-your-token are placeholders",
    "api_key=abc123abc123abc123abc123 (low entropy), client_secret: your_client_secret_here_2",
    `api_key_id=12345, api_key: <redacted>, access_token=***, client_secret=\${CLIENT_SECRET}`,
    "Authorization: Bearer <token>, Authorization: Basic <base64>",
    "The cert starts with -----BEGIN CERTIFICATE----- and that is fine",
    "Header only: -----BEGIN RSA PRIVATE KEY-----\n<redacted>\n-----END RSA PRIVATE KEY-----",
    "version 1.2.3-rc.1+build.20240601, chart firebreak-0.14.2, go1.22.4, node v20.19.0",
    "Error budget burn 14.4x over 1h; SLO 99.95% over 28d; apdex 0.9312",
    "Dates: 2024-06-01 10:30:00 UTC, 01/06/2024, 06-01-2024 and Mon Jun  3 10:30:00 2024",
    "The private key rotation job failed; see the runbook for the service account and JWT signing",
  ];

  it.each(negatives)("DATA-1: not RED: %s", (text) => {
    expect(scan(text)).toBeNull();
  });

  it("DATA-1: Luhn-valid digits that are not card numbers", () => {
    const visa16 = withCheckDigit(`4${"3".repeat(14)}`);
    const cases = [
      `error_ratio 0.${visa16}`, // a decimal fraction
      `call +${withCheckDigit("491511234567")}`, // E.164 phone number (13 digits)
      `trace_id=${withCheckDigit(`4${"7".repeat(17)}`)}`, // a decimal trace id
      `"span_id": "${withCheckDigit(`4${"8".repeat(17)}`)}"`,
      `order id ${visa16}`,
      `order #${visa16}`,
      `run 9${visa16}`, // part of a longer digit run
      `${visa16}0`, // 17 digits: Visa uses 13, 16 or 19
      withCheckDigit(`1${"2".repeat(14)}`), // Luhn-valid, no issuer starts with 1
      withCheckDigit(`34${"5".repeat(13)}`), // Amex prefix, but 16 digits
      `latencies ${visa16.slice(0, 4)} ${(visa16.slice(4).match(/\d{3}/g) ?? []).join(" ")} ms`, // 4-3-3-3-3
      `${visa16.slice(0, 4)}-${visa16.slice(4, 8)} ${visa16.slice(8, 12)}-${visa16.slice(12)}`, // mixed separators
    ];
    for (const text of cases) expect(scan(text), text).toBeNull();
  });

  it("DATA-1: a card number with a wrong check digit is not found", () => {
    const body = `4${"6".repeat(14)}`;
    const good = withCheckDigit(body);
    const bad = body + String((Number(good.slice(-1)) + 1) % 10);
    expect(scan(good)).not.toBeNull();
    expect(scan(bad)).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------------
// Properties

/**
 * Text made of words without digits or secret prefixes. The words "id"/"ids" are left out: a number
 * right after them is read as an identifier, not a card (see the module), which property (b) would trip.
 */
const vocabulary = [
  "deploy",
  "rollback",
  "database",
  "latency",
  "errors",
  "customers",
  "Postgres",
  "Redis",
  "primary",
  "replica",
  "failover",
  "paged",
  "mitigated",
  "resolved",
  "token",
  "password",
  "secret",
  "key",
  "Bearer",
  "card",
  "Visa",
  "AWS",
  "GitLab",
  "Slack",
  "webhook",
  "private",
  "BEGIN",
  "https",
  "user",
  "host",
];
const wordArb = fc
  .oneof(fc.stringMatching(/^[A-Za-z]{1,12}$/), fc.constantFrom(...vocabulary))
  .filter((w) => !/^ids?$/i.test(w));
const joinerArb = fc.constantFrom(" ", " ", " ", ", ", ". ", "; ", ": ", "\n", " — ", " (", ") ", "! ", "? ");
const textArb = fc
  .array(fc.tuple(wordArb, joinerArb), { maxLength: 40 })
  .map((parts) => parts.map(([w, j]) => w + j).join(""));

const num = (min: number, max: number): fc.Arbitrary<string> => fc.integer({ min, max }).map(String);
const range = (min: number, max: number): number[] =>
  Array.from({ length: max - min + 1 }, (_, i) => min + i);

/** Issuer prefixes and lengths as DATA-1 states them, written out here independently of the module. */
const issuers: { prefix: fc.Arbitrary<string>; lengths: number[] }[] = [
  { prefix: fc.constant("4"), lengths: [13, 16, 19] }, // Visa
  { prefix: fc.oneof(num(51, 55), num(2221, 2720)), lengths: [16] }, // Mastercard
  { prefix: fc.constantFrom("34", "37"), lengths: [15] }, // American Express
  { prefix: fc.oneof(fc.constant("6011"), num(644, 649), fc.constant("65")), lengths: range(16, 19) }, // Discover
  { prefix: num(3528, 3589), lengths: range(16, 19) }, // JCB
  { prefix: fc.oneof(num(300, 305), fc.constantFrom("36", "38")), lengths: range(14, 19) }, // Diners Club
  { prefix: fc.constant("62"), lengths: range(16, 19) }, // UnionPay
];

const cardDigitsArb = fc.oneof(
  ...issuers.map(({ prefix, lengths }) =>
    fc.tuple(prefix, fc.constantFrom(...lengths)).chain(([p, length]) =>
      fc
        .array(fc.integer({ min: 0, max: 9 }), {
          minLength: length - p.length - 1,
          maxLength: length - p.length - 1,
        })
        .map((ds) => withCheckDigit(p + ds.join(""))),
    ),
  ),
);

type CardStyle = "plain" | "spaces" | "dashes" | "4-6";
function render(digits: string, style: CardStyle): string {
  if (style === "plain") return digits;
  if (style === "4-6" && (digits.length === 14 || digits.length === 15)) {
    return `${digits.slice(0, 4)} ${digits.slice(4, 10)} ${digits.slice(10)}`;
  }
  return (digits.match(/\d{1,4}/g) ?? []).join(style === "dashes" ? "-" : " ");
}
const cardArb = fc.record({
  digits: cardDigitsArb,
  style: fc.constantFrom<CardStyle>("plain", "spaces", "dashes", "4-6"),
});

const insert = (text: string, at: number, s: string): string => text.slice(0, at) + s + text.slice(at);

describe("DATA-1: properties", () => {
  it("DATA-1: (a) text of words without digits or secret prefixes has no finding", () => {
    fc.assert(
      fc.property(textArb, (text) => {
        expect(scan(text)).toBeNull();
      }),
    );
  });

  it("DATA-1: (b) a valid card inserted anywhere is found as card-number at that offset", () => {
    fc.assert(
      fc.property(textArb, cardArb, fc.nat(), (text, card, n) => {
        const at = n % (text.length + 1);
        expect(scan(insert(text, at, render(card.digits, card.style)))).toMatchObject({
          field: "summary",
          kind: "card-number",
          offset: at,
        });
      }),
    );
  });

  it("DATA-1: (c) the same card with its check digit changed is not found", () => {
    fc.assert(
      fc.property(textArb, cardArb, fc.integer({ min: 1, max: 9 }), fc.nat(), (text, card, k, n) => {
        const last = Number(card.digits.slice(-1));
        const changed = card.digits.slice(0, -1) + String((last + k) % 10);
        // One deliberate exception: a 17–19-digit number written in groups of four whose first 16
        // digits are themselves a valid card reads as a card followed by a CVV/expiry, and is reported.
        fc.pre(!(card.style !== "plain" && changed.length > 16 && luhnOk(changed.slice(0, 16))));
        const at = n % (text.length + 1);
        expect(scan(insert(text, at, render(changed, card.style)))).toBeNull();
      }),
    );
  });

  const alnum = (min: number, max: number): fc.Arbitrary<string> =>
    fc.stringMatching(new RegExp(`^[A-Za-z0-9]{${min},${max}}$`));
  const secretArb: fc.Arbitrary<{ text: string; secret: string }> = fc.oneof(
    fc.stringMatching(/^[A-Z0-9]{16}$/).map((s) => ({ text: `AKIA${s}`, secret: s })),
    alnum(36, 40).map((s) => ({ text: `ghp_${s}`, secret: s })),
    alnum(20, 30).map((s) => ({ text: `glpat-${s}`, secret: s })),
    alnum(24, 40).map((s) => ({ text: `sk_live_${s}`, secret: s })),
    fc
      .tuple(num(100000, 999999999), num(100000, 999999999), alnum(24, 24))
      .map(([a, b, s]) => ({ text: `xoxb-${a}-${b}-${s}`, secret: s })),
    alnum(6, 20).map((s) => ({ text: `https://deploy:P9${s}@db.example.com/`, secret: `P9${s}` })),
    cardArb.map((c) => ({ text: render(c.digits, c.style), secret: c.digits })),
  );

  it("DATA-1: (d) describeRedData never repeats the secret", () => {
    fc.assert(
      fc.property(textArb, secretArb, textArb, (before, { text, secret }, after) => {
        const finding = scan(`${before} ${text} ${after}`);
        expect(finding).not.toBeNull();
        if (!finding) return;
        const message = describeRedData(finding);
        expect(message).not.toContain(secret);
        expect(message).not.toContain(text);
        expect(message).toContain(`summary contains ${finding.label} at character ${finding.offset + 1}`);
      }),
    );
  });
});

describe("DATA-1: the refusal message", () => {
  it("DATA-1: says what was found, where, and what to do", () => {
    const text = `Deploy key: ${pemKey("RSA ")}`;
    const finding = scan(text);
    expect(finding).not.toBeNull();
    if (!finding) return;
    expect(describeRedData(finding)).toBe(
      "summary contains a PEM private key at character 13; RED data is never stored on an incident — " +
        "remove it (rotate the secret if it was real) and try again",
    );
  });

  it("DATA-1: card numbers are not 'rotated'", () => {
    const finding = scan(withCheckDigit(`4${"5".repeat(14)}`));
    expect(finding && describeRedData(finding)).toMatch(
      /^summary contains a payment card number \(Visa\) at/,
    );
    expect(finding && describeRedData(finding)).not.toContain("rotate");
  });
});
