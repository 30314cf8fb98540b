/**
 * What happens next, and when: the next status update due and every pending clock of the policy's
 * rules (the page it will send, the reminder, the deadline), as live countdowns on the server's
 * time; deadlines met or missed; and what the rules did already.
 */
import { useQuery } from "@tanstack/react-query";
import { clocksQuery } from "../../api/queries.ts";
import type { Incident } from "../../api/types.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { useNow } from "../../components/Time.tsx";
import { bySoonest, countdown, skewOf } from "../../lib/clocks.ts";
import { dateTime } from "../../lib/time.ts";

function Countdown({ dueAt, serverNow }: { dueAt: string; serverNow: number }) {
  const c = countdown(dueAt, serverNow);
  return (
    <time className={c.overdue ? "countdown overdue" : "countdown"} dateTime={dueAt} title={dateTime(dueAt)}>
      {c.text}
    </time>
  );
}

export function Clocks({ incident }: { incident: Incident }) {
  const clocks = useQuery(clocksQuery(incident.id));
  const now = useNow(1_000);
  const data = clocks.data;
  const serverNow = data ? now + skewOf(data.now, data.receivedAt) : now;
  const pending = data ? bySoonest(data.clocks) : [];
  return (
    <section className="panel clocks" aria-labelledby="clocks-heading">
      <h2 id="clocks-heading">What happens next</h2>
      <ErrorNote error={clocks.error} />
      {incident.nextUpdateDueAt ? (
        <p className="due">
          Next status update <Countdown dueAt={incident.nextUpdateDueAt} serverNow={serverNow} />
        </p>
      ) : null}
      {data && pending.length === 0 ? <p className="muted">No clocks are running.</p> : null}
      {pending.length ? (
        <ol className="clock-list" aria-label="Pending clocks">
          {pending.map((c) => (
            <li key={`${c.ruleId}:${c.kind}:${c.dueAt}`}>
              <Countdown dueAt={c.dueAt} serverNow={serverNow} />{" "}
              <span
                className="tag"
                title={c.rule && c.rule !== c.ruleId ? `${c.ruleId} (${c.rule})` : c.ruleId}
              >
                {c.rule ?? c.ruleId}
              </span>{" "}
              <span className="clock-fires">{c.fires}</span>
              <br />
              <small className="muted">{c.why}</small>
            </li>
          ))}
        </ol>
      ) : null}
      {data?.deadlines.length ? (
        <>
          <h3>Deadlines</h3>
          <ul className="clock-list" aria-label="Deadlines">
            {data.deadlines.map((d) => (
              <li key={`${d.ruleId}:${d.dueAt}`}>
                <span className={`tag outcome-${d.outcome}`}>{d.outcome}</span> {d.name}, due{" "}
                <time dateTime={d.dueAt}>{dateTime(d.dueAt)}</time>
                {d.outcome === "pending" ? (
                  <>
                    {" "}
                    (<Countdown dueAt={d.dueAt} serverNow={serverNow} />)
                  </>
                ) : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {data?.fired.length ? (
        <details>
          <summary>What the rules did ({data.fired.length})</summary>
          <ul className="clock-list">
            {data.fired.map((f) => (
              <li key={`${f.ruleId}:${f.at}:${f.did}`}>
                <time dateTime={f.at}>{dateTime(f.at)}</time>{" "}
                <span className="tag">{f.rule ?? f.ruleId}</span> {f.did}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </section>
  );
}
