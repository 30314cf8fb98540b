/** Escalation policies (who is paged, in order, and when) and the services that use them; read-only. */
import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { servicesQuery } from "../../api/alerts.ts";
import { type EscalationPolicy, policiesQuery, type Schedule } from "../../api/oncall.ts";
import type { User } from "../../api/types.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { namesList, targetLabel, timeoutLabel, weekdaysLabel } from "../../lib/oncall.ts";

function Policy({
  policy,
  schedules,
  people,
}: {
  policy: EscalationPolicy;
  schedules: Schedule[];
  people: User[];
}) {
  const h = policy.businessHours;
  return (
    <li className="panel policy">
      <h3>
        <Link to="/escalation-policies/$id" params={{ id: policy.id }}>
          {policy.name}
        </Link>
      </h3>
      {policy.description ? <p className="muted">{policy.description}</p> : null}
      <ol className="levels">
        {policy.levels.map((level, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: levels have no id; their order is what they are
          <li key={i}>
            <strong>Level {i + 1}</strong>:{" "}
            {namesList(level.targets.map((t) => targetLabel(t, schedules, people)))}
            {i < policy.levels.length - 1 || policy.repeat > 0 ? (
              <span className="muted"> · next level after {timeoutLabel(level.timeoutMinutes)}</span>
            ) : null}
          </li>
        ))}
      </ol>
      <p className="hint policy-facts">
        {policy.repeat > 0
          ? `Runs again from level 1 up to ${policy.repeat} time${policy.repeat === 1 ? "" : "s"}. `
          : "Runs once. "}
        An acknowledged page re-opens after {policy.ackTimeoutMinutes} minutes unresolved. Low-urgency pages
        escalate only {weekdaysLabel(h.days)} {h.start}–{h.end} {h.timeZone}.
      </p>
    </li>
  );
}

export function Policies({ schedules, people }: { schedules: Schedule[]; people: User[] }) {
  const policies = useQuery(policiesQuery);
  const services = useQuery(servicesQuery);
  const policyName = (id: number) => policies.data?.find((p) => p.id === id)?.name ?? `policy #${id}`;
  return (
    <>
      <section aria-labelledby="policies-heading" className="group">
        <h2 id="policies-heading">Escalation policies</h2>
        <p className="hint">
          <Link to="/escalation-policies">Edit escalation policies</Link> and see who is notified when.
        </p>
        <ErrorNote error={policies.error} />
        {policies.data?.length === 0 ? <p className="empty">No escalation policies yet.</p> : null}
        <ul className="plain policy-list">
          {policies.data?.map((p) => (
            <Policy key={p.id} policy={p} schedules={schedules} people={people} />
          ))}
        </ul>
      </section>
      <section aria-labelledby="services-heading" className="group">
        <h2 id="services-heading">Services</h2>
        <ErrorNote error={services.error} />
        {services.data?.length === 0 ? (
          <p className="empty">
            No services yet: <Link to="/services">add one</Link> for alerts to page a policy.
          </p>
        ) : null}
        {services.data?.length ? (
          <table className="table">
            <caption className="visually-hidden">
              Services and the escalation policy their alerts page
            </caption>
            <thead>
              <tr>
                <th scope="col">Service</th>
                <th scope="col">Escalation policy</th>
              </tr>
            </thead>
            <tbody>
              {services.data.map((s) => (
                <tr key={s.id}>
                  <td>
                    {s.name}
                    {s.description ? <span className="muted"> · {s.description}</span> : null}
                  </td>
                  <td>{policyName(s.escalationPolicyId)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
    </>
  );
}
