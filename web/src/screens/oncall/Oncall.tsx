/**
 * On-call (PAGE-7): who is on call now and until when, each schedule's week (overrides applied)
 * with overrides made by form or by dragging, then escalation policies and services.
 * Times are the viewer's own.
 */
import { useQuery } from "@tanstack/react-query";
import { getRouteApi, Link } from "@tanstack/react-router";
import { oncallNowQuery, type Schedule, schedulesQuery } from "../../api/oncall.ts";
import { usersQuery } from "../../api/queries.ts";
import type { User } from "../../api/types.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { Time, useNow } from "../../components/Time.tsx";
import { namesList, personName } from "../../lib/oncall.ts";
import { dateTime } from "../../lib/time.ts";
import {
  addDays,
  fromLocalInput,
  startOfWeek,
  toLocalInput,
  viewerTimeZone,
  weekDays,
  weekLabel,
} from "../../lib/week.ts";
import { Policies } from "./Policies.tsx";
import { ScheduleCalendar } from "./ScheduleCalendar.tsx";

const route = getRouteApi("/app/oncall");

/** The `week` search param for a week: its Monday as YYYY-MM-DD, or nothing for this week. */
const weekParam = (weekStart: Date, thisWeek: Date) =>
  weekStart.getTime() === thisWeek.getTime() ? undefined : toLocalInput(weekStart).slice(0, 10);

function NowOnCall({ people }: { people: User[] }) {
  const now = useQuery(oncallNowQuery);
  return (
    <section aria-labelledby="now-heading" className="group">
      <h2 id="now-heading">On call now</h2>
      <ErrorNote error={now.error} />
      {now.isPending ? <p aria-busy="true">Loading who is on call…</p> : null}
      {now.data?.length === 0 ? <p className="empty">No schedules yet.</p> : null}
      <ul className="plain now-list">
        {now.data?.map((o) => (
          <li key={o.schedule.id} className="now-item">
            <span className="now-schedule">{o.schedule.name}</span>
            <strong>{namesList(o.userIds.map((id) => personName(people, id)))}</strong>
            <span className="muted">
              {o.until ? (
                <>
                  until {dateTime(o.until)} (<Time iso={o.until} />)
                </>
              ) : (
                "no hand-off ahead"
              )}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Schedules({ schedules, people }: { schedules: Schedule[]; people: User[] }) {
  const search = route.useSearch();
  const nowMs = useNow(60_000);
  const thisWeek = startOfWeek(new Date(nowMs));
  const chosen = search.week ? fromLocalInput(`${search.week}T12:00`) : null;
  const weekStart = chosen ? startOfWeek(chosen) : thisWeek;
  const days = weekDays(weekStart);
  return (
    <section aria-labelledby="schedules-heading" className="group">
      <div className="section-head">
        <h2 id="schedules-heading">Schedules</h2>
        <nav aria-label="Week" className="week-nav">
          <Link
            to="/oncall"
            search={{ week: weekParam(addDays(weekStart, -7), thisWeek) }}
            className="button"
          >
            Previous week
          </Link>
          <Link to="/oncall" search={{}} className="button" aria-current={chosen ? undefined : "date"}>
            This week
          </Link>
          <Link to="/oncall" search={{ week: weekParam(addDays(weekStart, 7), thisWeek) }} className="button">
            Next week
          </Link>
        </nav>
      </div>
      <p className="hint week-caption">
        <strong>{weekLabel(weekStart)}</strong> · times in your time zone ({viewerTimeZone()}). Drag across a
        calendar to pick a window for an override, or use <em>New override</em>.
      </p>
      {schedules.length === 0 ? (
        <p className="empty">
          No schedules yet: <Link to="/schedules/new">create one</Link>.
        </p>
      ) : (
        <p className="hint">
          <Link to="/schedules">Edit schedules</Link> (rotations, hand-offs, restrictions).
        </p>
      )}
      <div className="schedules">
        {schedules.map((s) => (
          <ScheduleCalendar key={s.id} schedule={s} days={days} people={people} now={nowMs} />
        ))}
      </div>
    </section>
  );
}

export function Oncall() {
  const schedules = useQuery(schedulesQuery);
  const users = useQuery(usersQuery);
  const people = users.data ?? [];
  return (
    <div className="page">
      <h1>On-call</h1>
      <ErrorNote error={users.error} />
      <NowOnCall people={people} />
      <ErrorNote error={schedules.error} />
      {schedules.isPending ? <p aria-busy="true">Loading schedules…</p> : null}
      {schedules.data ? <Schedules schedules={schedules.data} people={people} /> : null}
      <Policies schedules={schedules.data ?? []} people={people} />
    </div>
  );
}
