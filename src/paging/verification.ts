/**
 * Contact methods verified before use: SMS, voice and ntfy methods carry pages only once their
 * owner typed back a code sent through them (model.ts says why these kinds). The code goes through
 * the channel pages take (the same send as a test notification), is stored hashed, lives
 * CODE_TTL_MINUTES and allows CODE_ATTEMPTS wrong tries; a new one at most every
 * CODE_RESEND_SECONDS, counted in the database so every replica shares the limit.
 */
import { createHash, randomInt, timingSafeEqual } from "node:crypto";
import type { Actor } from "../platform/auth.ts";
import type { Clock } from "../platform/clock.ts";
import { AppError, invalid } from "../platform/errors.ts";
import type { Logger } from "../platform/logger.ts";
import { destinationOf, ownContactMethod, TEST_DEADLINE_MS, withinDeadline } from "./contact-test.ts";
import type { OutgoingNotification, SendResult } from "./engine.ts";
import {
  CODE_ATTEMPTS,
  CODE_DIGITS,
  CODE_RESEND_SECONDS,
  CODE_TTL_MINUTES,
  needsVerification,
  normalizeCode,
  verificationMessage,
} from "./model.ts";
import type { ContactMethod, PagingDb, VerificationCode } from "./store.ts";
import * as store from "./store.ts";

const hashOf = (methodId: number, code: string) =>
  createHash("sha256").update(`${methodId}:${code}`).digest("hex");

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && timingSafeEqual(x, y);
}

export function createContactVerification(deps: {
  db: PagingDb;
  clock: Clock;
  log: Logger;
  send: (n: OutgoingNotification) => Promise<SendResult>;
  deadlineMs?: number;
}) {
  const { db, clock, log } = deps;
  const deadlineMs = deps.deadlineMs ?? TEST_DEADLINE_MS;

  const ownMethod = (actor: Actor, id: number) => ownContactMethod(db, actor, id);

  async function deliver(cm: ContactMethod, code: string): Promise<VerificationCode | null> {
    const { subject, text } = verificationMessage(cm.kind, code);
    let result: SendResult;
    try {
      result = await deps.send({
        idempotencyKey: `verify:${cm.id}:${clock.now().getTime()}`,
        to: destinationOf(cm),
        subject,
        text,
        links: [],
        pages: [],
        type: "notice",
      });
    } catch (err) {
      result = { status: "failed-retryable", reason: (err as Error).message };
    }
    const failed = result.status === "delivered" ? null : result.reason;
    try {
      return await store.finishVerificationCode(db, cm.id, failed);
    } catch (err) {
      log.warn({ contactMethod: cm.id, err }, "could not record a verification code's outcome");
      return null;
    }
  }

  /**
   * Sends a new code through the method (its earlier code stops working); answers the code's
   * state once sent, failed, or still sending after the deadline.
   */
  async function sendCode(cm: ContactMethod): Promise<VerificationCode> {
    const code = String(randomInt(0, 10 ** CODE_DIGITS)).padStart(CODE_DIGITS, "0");
    const now = clock.now();
    const row = await db.transaction().execute(async (tx) => {
      const last = await store.lockVerificationCode(tx, cm.id);
      if (last) {
        const wait = Math.ceil((last.sent_at.getTime() + CODE_RESEND_SECONDS * 1000 - now.getTime()) / 1000);
        if (wait > 0)
          throw new AppError(
            "rate-limited",
            `a code was sent to this contact method less than ${CODE_RESEND_SECONDS} s ago; ask for another in ${wait} s`,
            { retryAfterSeconds: wait },
          );
      }
      return store.putVerificationCode(tx, {
        contact_method_id: cm.id,
        code_hash: hashOf(cm.id, code),
        sent_at: now,
        expires_at: new Date(now.getTime() + CODE_TTL_MINUTES * 60_000),
        status: "sending",
        error: null,
      });
    });
    return (await withinDeadline(deliver(cm, code), deadlineMs)) ?? row;
  }

  type Checked = { ok: true; method: ContactMethod } | { ok: false; error: AppError };

  return {
    /** After a method is added: its first code, when its kind needs one. */
    async start(cm: ContactMethod): Promise<VerificationCode | null> {
      return needsVerification(cm.kind) && !cm.verified_at ? sendCode(cm) : null;
    },

    async resend(actor: Actor, id: number): Promise<{ method: ContactMethod; code: VerificationCode }> {
      const cm = await ownMethod(actor, id);
      if (cm.verified_at)
        throw new AppError("invalid-transition", `contact method ${id} is verified already; nothing to send`);
      if (!needsVerification(cm.kind))
        throw new AppError("invalid-transition", `${cm.kind} contact methods need no verification code`);
      return { method: cm, code: await sendCode(cm) };
    },

    /** Checks a typed code; a verified method stays verified (a repeated request answers the same). */
    async verify(actor: Actor, id: number, typed: string): Promise<ContactMethod> {
      const cm = await ownMethod(actor, id);
      if (cm.verified_at) return cm;
      const now = clock.now();
      const ask = "ask for a new one (POST /api/v1/me/contact-methods/{id}/verification-code)";
      // A wrong try is counted even though the answer is an error: the count must commit.
      const checked: Checked = await db.transaction().execute(async (tx) => {
        const code = await store.lockVerificationCode(tx, id);
        if (!code || code.status === "failed")
          return { ok: false, error: invalid("code", `no code is waiting for this contact method; ${ask}`) };
        if (code.expires_at <= now)
          return {
            ok: false,
            error: invalid("code", `the code expired at ${code.expires_at.toISOString()}; ${ask}`),
          };
        if (code.attempts >= CODE_ATTEMPTS)
          return { ok: false, error: invalid("code", `${CODE_ATTEMPTS} wrong codes were typed; ${ask}`) };
        if (!sameHash(code.code_hash, hashOf(id, normalizeCode(typed)))) {
          const left = CODE_ATTEMPTS - (await store.countWrongCode(tx, id));
          const more = left > 0 ? `${left} ${left === 1 ? "try" : "tries"} left` : ask;
          return {
            ok: false,
            error: invalid("code", `wrong code: expected the ${CODE_DIGITS} digits sent to it; ${more}`),
          };
        }
        return { ok: true, method: await store.markVerified(tx, id, now) };
      });
      if (!checked.ok) throw checked.error;
      return checked.method;
    },

    /** The waiting codes of these methods (never the code itself). */
    pending: (methodIds: number[]) => store.verificationCodes(db, methodIds),
  };
}

export type ContactVerification = ReturnType<typeof createContactVerification>;
