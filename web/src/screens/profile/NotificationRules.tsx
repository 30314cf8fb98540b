/**
 * Your notification rules: for pages of an urgency, which contact method to use how many minutes
 * in. Several rules make a chain (an email at once, a webhook after 5 minutes); acknowledging a
 * page stops the rest.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { ApiError } from "../../api/client.ts";
import {
  addRule,
  type ContactMethod,
  contactKeys,
  contactMethodsQuery,
  deleteRule,
  type NotificationRule,
  rulesQuery,
} from "../../api/contacts.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { delayText, parseRule, type RuleField, sortRules } from "../../lib/contacts.ts";
import { fieldProblems } from "../../lib/fields.ts";

const urgencyNames = { high: "High urgency", low: "Low urgency" } as const;

function methodName(methods: ContactMethod[], id: number): string {
  const m = methods.find((x) => x.id === id);
  return m ? `${m.label} (${m.kind})` : `contact method ${id}`;
}

function RuleRow({ rule, methods }: { rule: NotificationRule; methods: ContactMethod[] }) {
  const queryClient = useQueryClient();
  const remove = useMutation({
    mutationFn: () => deleteRule(rule.id),
    onSettled: () => queryClient.invalidateQueries({ queryKey: contactKeys.rules }),
  });
  const name = methodName(methods, rule.contactMethodId);
  return (
    <tr>
      <td>{urgencyNames[rule.urgency]}</td>
      <td>{delayText(rule.delayMinutes)}</td>
      <td>{name}</td>
      <td>
        <button
          type="button"
          className="danger"
          disabled={remove.isPending}
          aria-label={`Remove rule: ${rule.urgency} urgency, ${delayText(rule.delayMinutes)}, ${name}`}
          onClick={() => remove.mutate()}
        >
          Remove
        </button>
        <ErrorNote error={remove.error} />
      </td>
    </tr>
  );
}

const apiFields: Record<string, RuleField> = {
  contactMethodId: "contactMethodId",
  urgency: "urgency",
  delayMinutes: "delayMinutes",
};

function AddRule({ methods }: { methods: ContactMethod[] }) {
  const id = useId();
  const queryClient = useQueryClient();
  const [contactMethodId, setMethod] = useState(() => String(methods[0]?.id ?? ""));
  const [urgency, setUrgency] = useState("high");
  const [delayMinutes, setDelay] = useState("0");
  const [local, setLocal] = useState<Partial<Record<RuleField, string>>>({});
  const [added, setAdded] = useState("");
  const add = useMutation({
    mutationFn: addRule,
    onSuccess: (r) => {
      setAdded(
        `Added: ${r.urgency} urgency, ${delayText(r.delayMinutes)}, ${methodName(methods, r.contactMethodId)}.`,
      );
      void queryClient.invalidateQueries({ queryKey: contactKeys.rules });
    },
  });
  const refused = fieldProblems(add.error instanceof ApiError ? add.error : null, apiFields);
  const errors = { ...refused?.byField, ...local };
  const describe = (f: RuleField) => (errors[f] ? `${id}-${f}-error` : undefined);
  // A method chosen before it was removed falls back to the first one there is.
  const chosen = methods.some((m) => String(m.id) === contactMethodId)
    ? contactMethodId
    : String(methods[0]?.id ?? "");

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    setAdded("");
    const parsed = parseRule({ contactMethodId: chosen, urgency, delayMinutes });
    setLocal(parsed.ok ? {} : parsed.problems);
    if (!parsed.ok) return;
    add.mutate(parsed.rule);
  };

  return (
    <form className="stack" onSubmit={submit} noValidate aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Add a rule</h3>
      <div className="field-pair">
        <label>
          For pages of
          <select
            value={urgency}
            onChange={(e) => setUrgency(e.target.value)}
            aria-describedby={describe("urgency")}
          >
            <option value="high">High urgency</option>
            <option value="low">Low urgency</option>
          </select>
          {errors.urgency ? (
            <span id={`${id}-urgency-error`} className="field-error">
              {errors.urgency}
            </span>
          ) : null}
        </label>
        <label>
          Minutes after the page
          <input
            type="number"
            inputMode="numeric"
            min={0}
            max={1440}
            step={1}
            value={delayMinutes}
            onChange={(e) => setDelay(e.target.value)}
            aria-invalid={errors.delayMinutes ? true : undefined}
            aria-describedby={describe("delayMinutes")}
          />
          {errors.delayMinutes ? (
            <span id={`${id}-delayMinutes-error`} className="field-error">
              {errors.delayMinutes}
            </span>
          ) : null}
        </label>
      </div>
      <label>
        Use contact method
        <select
          value={chosen}
          onChange={(e) => setMethod(e.target.value)}
          aria-invalid={errors.contactMethodId ? true : undefined}
          aria-describedby={describe("contactMethodId")}
        >
          {methods.map((m) => (
            <option key={m.id} value={m.id}>
              {m.label} ({m.kind})
            </option>
          ))}
        </select>
        {errors.contactMethodId ? (
          <span id={`${id}-contactMethodId-error`} className="field-error">
            {errors.contactMethodId}
          </span>
        ) : null}
      </label>
      {refused?.rest.length ? (
        <div className="error-note" role="alert">
          <strong>{add.error instanceof ApiError ? add.error.title : "Refused"}</strong>
          <span> — {refused.rest.join("; ")}</span>
        </div>
      ) : refused ? null : (
        <ErrorNote error={add.error} />
      )}
      <output aria-live="polite">{added}</output>
      <div className="button-row">
        <button type="submit" className="primary" disabled={add.isPending}>
          {add.isPending ? "Adding…" : "Add rule"}
        </button>
      </div>
    </form>
  );
}

export function NotificationRules() {
  const rules = useQuery(rulesQuery);
  const methods = useQuery(contactMethodsQuery);
  const list = methods.data ?? [];
  const sorted = sortRules(rules.data ?? []);
  const noHigh = rules.data && !rules.data.some((r) => r.urgency === "high");
  return (
    <section aria-labelledby="rules-heading" id="notification-rules" className="profile-section">
      <h2 id="rules-heading">Notification rules</h2>
      <p className="hint">
        When you are paged, each rule for the page's urgency notifies you through its contact method, at once
        or some minutes in. Acknowledging stops the rest.
      </p>
      <ErrorNote error={rules.error} />
      {noHigh && list.length ? (
        <p className="banner banner-warn">You have no rule for high-urgency pages: they reach you nowhere.</p>
      ) : null}
      {sorted.length ? (
        <table className="table">
          <caption className="visually-hidden">Your notification rules, in the order they notify you</caption>
          <thead>
            <tr>
              <th scope="col">Urgency</th>
              <th scope="col">When</th>
              <th scope="col">Contact method</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sorted.map((r) => (
              <RuleRow key={r.id} rule={r} methods={list} />
            ))}
          </tbody>
        </table>
      ) : rules.data ? (
        <p className="empty">No notification rules yet.</p>
      ) : null}
      {list.length ? (
        <AddRule methods={list} />
      ) : methods.data ? (
        <p className="hint strong">Add a contact method first; rules say when to use it.</p>
      ) : null}
    </section>
  );
}
