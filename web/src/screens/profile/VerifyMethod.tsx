/**
 * An SMS, voice or ntfy method carries pages only once verified: its owner types back the code
 * sent through it. Shown in place of the test button until then, with where the code stands (sent,
 * or failed with the channel's reason) and a way to ask for a new one.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { ApiError } from "../../api/client.ts";
import {
  type ContactMethod,
  contactKeys,
  resendVerificationCode,
  verifyContactMethod,
} from "../../api/contacts.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { Time } from "../../components/Time.tsx";

export function VerifyMethod({ method }: { method: ContactMethod }) {
  const queryClient = useQueryClient();
  const [code, setCode] = useState("");
  const inputId = useId();
  const errorId = useId();
  const refresh = () => queryClient.invalidateQueries({ queryKey: contactKeys.methods });
  const verify = useMutation({
    mutationFn: () => verifyContactMethod(method.id, code),
    onSuccess: () => setCode(""),
    onSettled: refresh,
  });
  const resend = useMutation({ mutationFn: () => resendVerificationCode(method.id), onSettled: refresh });
  const v = method.verification;
  const codeProblem =
    verify.error instanceof ApiError && verify.error.field === "code" ? verify.error.detail : undefined;
  function submit(e: FormEvent) {
    e.preventDefault();
    if (code.trim()) verify.mutate();
  }
  return (
    <div className="contact-verify">
      <p className="hint">
        {v?.status === "failed" ? (
          <span className="outcome-failed">
            The code could not be sent: {v.error}. Check the address, then send a new code.
          </span>
        ) : v ? (
          <>
            Not verified yet: pages skip it until you type the code sent to it (valid until{" "}
            <Time iso={v.expiresAt} />
            {v.triesLeft < 5 ? `, ${v.triesLeft} ${v.triesLeft === 1 ? "try" : "tries"} left` : ""}).
          </>
        ) : (
          "Not verified yet: pages skip it. Send a code to it, then type the code here."
        )}
      </p>
      <form className="inline-form" onSubmit={submit} noValidate>
        <label htmlFor={inputId}>Code sent to {method.label}</label>
        <input
          id={inputId}
          value={code}
          onChange={(e) => setCode(e.target.value)}
          inputMode="numeric"
          autoComplete="one-time-code"
          maxLength={20}
          aria-invalid={codeProblem ? true : undefined}
          aria-describedby={codeProblem ? errorId : undefined}
        />
        <button type="submit" disabled={verify.isPending || !code.trim()}>
          {verify.isPending ? "Checking…" : "Verify"}
        </button>
        <button type="button" onClick={() => resend.mutate()} disabled={resend.isPending}>
          {resend.isPending ? "Sending…" : "Send a new code"}
        </button>
      </form>
      {codeProblem ? (
        <span id={errorId} className="field-error">
          {codeProblem}
        </span>
      ) : (
        <ErrorNote error={verify.error} />
      )}
      <ErrorNote error={resend.error} />
    </div>
  );
}
