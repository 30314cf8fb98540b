/**
 * Your contact methods: where pages and reminders reach you. Add an email, a signed webhook, a
 * chat webhook, an ntfy topic or a phone number (verified with the code sent to it), remove one,
 * and send yourself a test notification through each: its outcome (delivered, or failed with the
 * channel's short reason) is announced beside the method.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { ApiError } from "../../api/client.ts";
import {
  addContactMethod,
  type ContactMethod,
  type ContactTest,
  contactKeys,
  contactMethodsQuery,
  deleteContactMethod,
  readTest,
  sendTest,
} from "../../api/contacts.ts";
import { CopyButton } from "../../components/CopyButton.tsx";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { Time } from "../../components/Time.tsx";
import {
  type ContactField,
  type ContactKind,
  contactProblems,
  isPhoneKind,
  kindNames,
  outcomeWords,
} from "../../lib/contacts.ts";
import { fieldProblems } from "../../lib/fields.ts";
import { PushDevice } from "./PushDevice.tsx";
import { TestPageButton } from "./TestPage.tsx";
import { VerifyMethod } from "./VerifyMethod.tsx";

/** How often, and how long, a `pending` test is read again. */
const POLL_MS = 2_000;
const POLL_FOR_MS = 60_000;

const sourceNames = { test: "test", page: "page", notice: "notice" } as const;

function FieldError({ id, message }: { id: string; message: string | undefined }) {
  return message ? (
    <span id={id} className="field-error">
      {message}
    </span>
  ) : null;
}

function MethodItem({ method }: { method: ContactMethod }) {
  const queryClient = useQueryClient();
  const [outcome, setOutcome] = useState<ContactTest | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: contactKeys.methods });
  const test = useMutation({
    mutationFn: async () => {
      let t = await sendTest(method.id);
      setOutcome(t);
      const until = Date.now() + POLL_FOR_MS;
      while (t.status === "pending" && Date.now() < until) {
        await new Promise((r) => setTimeout(r, POLL_MS));
        t = await readTest(method.id, t.id);
        setOutcome(t);
      }
      return t;
    },
    onMutate: () => setOutcome(null),
    onSettled: refresh,
  });
  const remove = useMutation({
    mutationFn: () => deleteContactMethod(method.id),
    onSettled: () => {
      void refresh();
      void queryClient.invalidateQueries({ queryKey: contactKeys.rules });
    },
  });
  const last = method.lastDelivery;
  return (
    <li className="contact-item" aria-label={`${method.label} (${method.kind})`}>
      <div className="contact-head">
        <strong>{method.label}</strong> <span className="tag">{method.kind}</span>
        {method.verified ? null : (
          <>
            {" "}
            <span className="tag tag-warn">unverified</span>
          </>
        )}
      </div>
      <div className="contact-address">
        <code>{method.address}</code>
      </div>
      {method.kind === "ntfy" && method.secret ? (
        <div className="contact-secret">
          <span className="hint strong">Access token:</span> <code>{method.secret}</code>
        </div>
      ) : method.secret ? (
        <div className="contact-secret">
          <span className="hint strong">Signing secret:</span> <code>{method.secret}</code>{" "}
          <CopyButton text={method.secret} label={`Copy signing secret of ${method.label}`} />
        </div>
      ) : null}
      <p className="contact-last">
        {last ? (
          <>
            Last message ({sourceNames[last.source]}):{" "}
            <span className={`outcome-${last.status}`}>{outcomeWords(last)}</span> <Time iso={last.at} />
          </>
        ) : (
          <span className="muted">Nothing sent through it yet.</span>
        )}
      </p>
      {method.verified ? null : <VerifyMethod method={method} />}
      <div className="button-row">
        {method.verified ? (
          <button
            type="button"
            onClick={() => test.mutate()}
            disabled={test.isPending}
            aria-label={`Send me a test notification through ${method.label}`}
          >
            {test.isPending ? "Sending…" : "Send me a test notification"}
          </button>
        ) : null}
        <button
          type="button"
          className="danger"
          disabled={remove.isPending}
          aria-label={`Remove ${method.label}`}
          onClick={() => {
            if (window.confirm(`Remove “${method.label}”? Its notification rules go with it.`))
              remove.mutate();
          }}
        >
          Remove
        </button>
      </div>
      <output className="contact-outcome" aria-live="polite">
        {outcome ? (
          <span className={`outcome-${outcome.status}`}>
            Test notification to {method.label}: {outcomeWords(outcome)}
          </span>
        ) : null}
      </output>
      <ErrorNote error={test.error} />
      <ErrorNote error={remove.error} />
    </li>
  );
}

const apiFields: Record<string, ContactField> = {
  kind: "kind",
  label: "label",
  address: "address",
  accessToken: "accessToken",
};
const placeholders: Record<ContactKind, string> = {
  email: "you@example.com",
  webhook: "https://hooks.example.com/firebreak",
  chat: "https://hooks.slack.com/services/…",
  ntfy: "https://ntfy.sh/firebreak-your-long-secret-topic",
  sms: "+14155550100",
  voice: "+14155550100",
};

function AddMethod() {
  const id = useId();
  const queryClient = useQueryClient();
  const [kind, setKind] = useState<ContactKind>("email");
  const [label, setLabel] = useState("");
  const [address, setAddress] = useState("");
  const [accessToken, setAccessToken] = useState("");
  const [local, setLocal] = useState<Partial<Record<ContactField, string>>>({});
  const [added, setAdded] = useState("");
  const add = useMutation({
    mutationFn: addContactMethod,
    onSuccess: (m) => {
      setAdded(
        m.verified
          ? `Added ${m.label}. Send yourself a test notification to see it arrive.`
          : `Added ${m.label}. Type the code sent to it to verify it: pages skip it until then.`,
      );
      setLabel("");
      setAddress("");
      setAccessToken("");
      void queryClient.invalidateQueries({ queryKey: contactKeys.methods });
    },
  });
  const refused = fieldProblems(add.error instanceof ApiError ? add.error : null, apiFields);
  const errors = { ...refused?.byField, ...local };
  const describe = (f: ContactField) => (errors[f] ? `${id}-${f}-error` : undefined);

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    setAdded("");
    const token = kind === "ntfy" ? accessToken.trim() : "";
    const draft = {
      kind,
      label: label.trim(),
      address: address.trim(),
      ...(token ? { accessToken: token } : {}),
    };
    const problems = contactProblems(draft);
    setLocal(problems);
    if (Object.keys(problems).length) {
      const first = (["label", "address", "accessToken"] as const).find((f) => problems[f]);
      if (first) document.getElementById(`${id}-${first}`)?.focus();
      return;
    }
    add.mutate(draft);
  };

  return (
    <form className="stack" onSubmit={submit} noValidate aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Add a contact method</h3>
      <label>
        Kind
        <select value={kind} onChange={(e) => setKind(e.target.value as ContactKind)}>
          {(Object.keys(kindNames) as ContactKind[]).map((k) => (
            <option key={k} value={k}>
              {kindNames[k]}
            </option>
          ))}
        </select>
      </label>
      <label>
        Label
        <input
          id={`${id}-label`}
          value={label}
          maxLength={100}
          onChange={(e) => setLabel(e.target.value)}
          placeholder={
            kind === "email"
              ? "Work mail"
              : kind === "webhook"
                ? "Pager bridge"
                : kind === "ntfy"
                  ? "Phone (ntfy)"
                  : isPhoneKind(kind)
                    ? "Mobile"
                    : "Team chat"
          }
          aria-invalid={errors.label ? true : undefined}
          aria-describedby={describe("label")}
        />
        <FieldError id={`${id}-label-error`} message={errors.label} />
      </label>
      <label>
        {kind === "email"
          ? "Email address"
          : kind === "ntfy"
            ? "Topic URL"
            : isPhoneKind(kind)
              ? "Phone number (E.164: + and country code)"
              : "URL"}
        <input
          id={`${id}-address`}
          value={address}
          type={kind === "email" ? "email" : isPhoneKind(kind) ? "tel" : "url"}
          inputMode={kind === "email" ? "email" : isPhoneKind(kind) ? "tel" : "url"}
          autoComplete={kind === "email" ? "email" : isPhoneKind(kind) ? "tel" : "off"}
          maxLength={2000}
          onChange={(e) => setAddress(e.target.value)}
          placeholder={placeholders[kind]}
          aria-invalid={errors.address ? true : undefined}
          aria-describedby={describe("address")}
        />
        <FieldError id={`${id}-address-error`} message={errors.address} />
      </label>
      {kind === "ntfy" ? (
        <>
          <label>
            Access token (optional)
            <input
              id={`${id}-accessToken`}
              value={accessToken}
              type="password"
              autoComplete="off"
              maxLength={200}
              onChange={(e) => setAccessToken(e.target.value)}
              placeholder="tk_…"
              aria-invalid={errors.accessToken ? true : undefined}
              aria-describedby={describe("accessToken")}
            />
            <FieldError id={`${id}-accessToken-error`} message={errors.accessToken} />
          </label>
          <p className="hint">
            Subscribe to the topic in the ntfy app. A topic on ntfy.sh can be read by anyone who knows its
            name: choose a long one, or a server with access control and a token (shown back only as its last
            four characters). Pages come with an Acknowledge button.
          </p>
        </>
      ) : null}
      {isPhoneKind(kind) ? (
        <p className="hint">
          {kind === "sms"
            ? "Pages come as a text with a code: reply ACK and the code to acknowledge, RES to resolve."
            : "Pages come as a call that reads the page: press 1 to acknowledge."}{" "}
          Sent through Twilio, when your administrator has set it up.
        </p>
      ) : null}
      {kind === "webhook" ? (
        <p className="hint">
          Firebreak signs each request with a secret shown here once it is added (header Firebreak-Signature).
        </p>
      ) : null}
      {refused ? (
        refused.rest.length ? (
          <div className="error-note" role="alert">
            <strong>{add.error instanceof ApiError ? add.error.title : "Refused"}</strong>
            <span> — {refused.rest.join("; ")}</span>
          </div>
        ) : (
          <p className="visually-hidden" role="alert">
            The contact method was refused: see the messages at the fields.
          </p>
        )
      ) : (
        <ErrorNote error={add.error} />
      )}
      <output aria-live="polite">{added}</output>
      <div className="button-row">
        <button type="submit" className="primary" disabled={add.isPending}>
          {add.isPending ? "Adding…" : "Add contact method"}
        </button>
      </div>
    </form>
  );
}

export function ContactMethods() {
  const methods = useQuery(contactMethodsQuery);
  return (
    <section aria-labelledby="contact-methods-heading" id="contact-methods" className="profile-section">
      <h2 id="contact-methods-heading">Contact methods</h2>
      <p className="hint">
        Where pages and reminders reach you. Notification rules below say which to use when.
      </p>
      <ErrorNote error={methods.error} />
      {methods.data ? (
        methods.data.length ? (
          <ul className="contact-list" aria-label="Your contact methods">
            {methods.data.map((m) => (
              <MethodItem key={m.id} method={m} />
            ))}
          </ul>
        ) : (
          <p className="empty">No contact methods yet: pages cannot reach you until you add one.</p>
        )
      ) : methods.isPending ? (
        <p aria-busy="true">Loading contact methods…</p>
      ) : null}
      {methods.data?.length ? <TestPageButton /> : null}
      <AddMethod />
      <PushDevice />
    </section>
  );
}
