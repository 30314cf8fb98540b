/**
 * A local server speaking Twilio's REST API as its documentation describes it, for tests:
 * `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` and `…/Calls.json`, form-encoded with
 * HTTP Basic auth (account sid : auth token), answered `201 Created` with the Message or Call
 * resource as JSON (`sid`, `status: "queued"`, …), or Twilio's JSON error (`401` code 20003
 * "Authenticate", `400` code 21211 for a `To` that is not a phone number). And the other
 * direction: requests as Twilio makes them to Firebreak, form-encoded and signed with
 * X-Twilio-Signature.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { twilioSignature } from "../../src/notify/twilio.ts";
import { startTestApp, type TestApp } from "./app.ts";

export const ACCOUNT_SID = `AC${"0123456789abcdef".repeat(2)}`;
export const AUTH_TOKEN = "12345678901234567890123456789012";
export const FROM = "+15005550006";

export type TwilioRequest = {
  resource: "Messages" | "Calls";
  form: Record<string, string>;
  authorization: string | undefined;
  contentType: string | undefined;
  sid: string;
};

export type TwilioServer = {
  base: string;
  requests: TwilioRequest[];
  close(): Promise<void>;
};

const sidOf = (prefix: string) => `${prefix}${randomBytes(16).toString("hex")}`;
const rfc2822 = (d: Date) => d.toUTCString().replace("GMT", "+0000");

function error(res: ServerResponse, status: number, code: number, message: string) {
  res
    .writeHead(status, { "content-type": "application/json" })
    .end(JSON.stringify({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }));
}

export async function startTwilioServer(): Promise<TwilioServer> {
  const requests: TwilioRequest[] = [];
  const expected = `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString("base64")}`;
  const server = createServer((req: IncomingMessage, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const m = /^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})\/(Messages|Calls)\.json$/.exec(req.url ?? "");
      if (req.method !== "POST" || !m) return error(res, 404, 20404, "The requested resource was not found");
      if (req.headers.authorization !== expected || m[1] !== ACCOUNT_SID)
        return error(res, 401, 20003, "Authenticate");
      const form = Object.fromEntries(new URLSearchParams(body));
      const resource = m[2] as "Messages" | "Calls";
      if (!/^\+[1-9]\d{6,14}$/.test(form.To ?? ""))
        return error(res, 400, 21211, `Invalid 'To' Phone Number: ${form.To ?? ""}`);
      const sid = sidOf(resource === "Messages" ? "SM" : "CA");
      requests.push({
        resource,
        form,
        authorization: req.headers.authorization,
        contentType: req.headers["content-type"],
        sid,
      });
      const now = rfc2822(new Date());
      const uri = `/2010-04-01/Accounts/${ACCOUNT_SID}/${resource}/${sid}.json`;
      const answer =
        resource === "Messages"
          ? {
              account_sid: ACCOUNT_SID,
              api_version: "2010-04-01",
              body: form.Body,
              date_created: now,
              date_sent: null,
              date_updated: now,
              direction: "outbound-api",
              error_code: null,
              error_message: null,
              from: form.From,
              messaging_service_sid: null,
              num_media: "0",
              num_segments: "1",
              price: null,
              price_unit: null,
              sid,
              status: "queued",
              subresource_uris: { media: uri.replace(".json", "/Media.json") },
              to: form.To,
              uri,
            }
          : {
              account_sid: ACCOUNT_SID,
              annotation: null,
              answered_by: null,
              api_version: "2010-04-01",
              caller_name: null,
              date_created: null,
              date_updated: null,
              direction: "outbound-api",
              duration: null,
              end_time: null,
              forwarded_from: null,
              from: form.From,
              from_formatted: form.From,
              parent_call_sid: null,
              phone_number_sid: null,
              price: null,
              price_unit: "USD",
              sid,
              start_time: null,
              status: "queued",
              to: form.To,
              to_formatted: form.To,
              uri,
            };
      res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/**
 * A request as Twilio makes it to Firebreak: form-encoded, signed over the public URL Firebreak
 * is configured with (`publicUrl` + `path`), sent to where the test server listens (`base`).
 * `signature` replaces the computed one (a forged request); null sends none.
 */
export async function twilioPost(
  base: string,
  publicUrl: string,
  path: string,
  params: Record<string, string>,
  signature?: string | null,
): Promise<{ status: number; body: string; type: string | null }> {
  const sig =
    signature === undefined ? twilioSignature(AUTH_TOKEN, `${publicUrl}${path}`, params) : signature;
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "user-agent": "TwilioProxy/1.1",
      ...(sig === null ? {} : { "x-twilio-signature": sig }),
    },
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, body: await res.text(), type: res.headers.get("content-type") };
}

/** The verification code in the latest text or call to `number` (a call reads it digit by digit). */
export function codeSentTo(twilio: TwilioServer, number: string): string {
  const last = twilio.requests.filter((r) => r.form.To === number).at(-1);
  const text = last?.form.Body ?? last?.form.Twiml ?? "";
  const m = /verification code is ([\d, ]+)/.exec(text);
  if (!m?.[1]) throw new Error(`no verification code was sent to ${number}: ${text}`);
  return m[1].replace(/[^\d]/g, "").slice(0, 6);
}

/** Whether a request to Twilio carried a verification code (not a page or a notice). */
export const isVerificationCode = (r: TwilioRequest) =>
  /verification code is/.test(r.form.Body ?? r.form.Twiml ?? "");

/** A Firebreak test app whose Twilio settings point at a fresh local Twilio server, clock at now. */
export async function startAppWithTwilio(): Promise<{ t: TestApp; twilio: TwilioServer }> {
  const twilio = await startTwilioServer();
  try {
    const t = await startTestApp({
      clockStart: new Date(),
      twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, from: FROM, apiBase: twilio.base },
    });
    return { t, twilio };
  } catch (err) {
    await twilio.close();
    throw err;
  }
}
