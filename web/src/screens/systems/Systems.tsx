/**
 * The support systems catalogue (PAGE-8): each system with its criticality, the four levels'
 * times to resolve and escalation timetables, and where support escalations go. Admins add
 * systems, re-rate them and change the team channel and the roles paged.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { getRouteApi } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";
import {
  type Criticality,
  createSystem,
  rateSystem,
  supportSettingsQuery,
  systemKeys,
  systemsQuery,
  updateSupportSettings,
} from "../../api/systems.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";

const route = getRouteApi("/app/systems");

const every = (m: number) => (m % 60 === 0 ? `${m / 60} h` : `${m} min`);

function Levels({ criticalities }: { criticalities: Criticality[] }) {
  return (
    // On a phone the table scrolls sideways inside this box; the page itself does not.
    <div style={{ overflowX: "auto" }}>
      <table className="table">
        <caption>Criticality levels</caption>
        <thead>
          <tr>
            <th scope="col">Level</th>
            <th scope="col">Time to resolve</th>
            <th scope="col">Escalate every (no resolution path)</th>
            <th scope="col">Up to level</th>
          </tr>
        </thead>
        <tbody>
          {criticalities.map((c) => (
            <tr key={c.id}>
              <th scope="row">
                {c.rank}. {c.name}
              </th>
              <td>
                {c.resolveWithinHours.from}–{c.resolveWithinHours.to} h
              </td>
              <td>{every(c.escalateEveryMinutes)}</td>
              <td>
                {c.escalateUpTo}
                {c.level3WhenLate ? ", and 3 once past its time to resolve" : ""}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Settings({ admin }: { admin: boolean }) {
  const settings = useQuery(supportSettingsQuery);
  const queryClient = useQueryClient();
  const save = useMutation({
    mutationFn: updateSupportSettings,
    onSuccess: (s) => queryClient.setQueryData(systemKeys.settings, s),
  });
  const s = settings.data;
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    save.mutate({
      teamChannel: String(f.get("teamChannel") ?? "").trim() || null,
      specialistRole: String(f.get("specialistRole") ?? ""),
      engineerRole: String(f.get("engineerRole") ?? ""),
    });
  };
  return (
    <section className="group panel" aria-labelledby="escalation-heading">
      <h2 id="escalation-heading">Where escalations go</h2>
      <ErrorNote error={settings.error} />
      {s ? (
        <ol className="stack compact">
          <li>
            Level 1 asks the team for help: in Slack's{" "}
            {s.teamChannel ? <strong>#{s.teamChannel}</strong> : "(no channel)"} when Slack is set up, else by
            a notice to the people of both rotations, and on the incident's timeline.
          </li>
          <li>
            Level 2 pages the on-call <strong>{s.specialistRole}</strong>.
          </li>
          <li>
            Level 3 pages the on-call <strong>{s.engineerRole}</strong>.
          </li>
          <li>Level 4 pages the senior manager (the policy's reviews.seniorManagerRole).</li>
        </ol>
      ) : null}
      {admin && s ? (
        <form className="stack compact" onSubmit={submit} aria-label="Escalation settings">
          <label>
            Team channel (Slack)
            <input name="teamChannel" defaultValue={s.teamChannel ?? ""} maxLength={80} />
          </label>
          <label>
            Level 2 role
            <input name="specialistRole" defaultValue={s.specialistRole} maxLength={200} />
          </label>
          <label>
            Level 3 role
            <input name="engineerRole" defaultValue={s.engineerRole} maxLength={200} />
          </label>
          <ErrorNote error={save.error} />
          <div>
            <button type="submit" disabled={save.isPending}>
              Save escalation settings
            </button>{" "}
            <output className="hint" aria-live="polite">
              {save.isSuccess ? "Saved." : ""}
            </output>
          </div>
        </form>
      ) : null}
    </section>
  );
}

export function Systems() {
  const { me } = route.useRouteContext();
  const admin = me.role === "admin";
  const systems = useQuery(systemsQuery);
  const queryClient = useQueryClient();
  const [done, setDone] = useState("");
  const refresh = () => queryClient.invalidateQueries({ queryKey: systemKeys.all });
  const add = useMutation({
    mutationFn: createSystem,
    onSuccess: async (s, _v) => {
      setDone(`Added ${s.name} (${s.criticalityName}).`);
      await refresh();
    },
  });
  const rate = useMutation({
    mutationFn: (v: { id: number; criticality: string }) => rateSystem(v.id, v.criticality),
    onSuccess: async (s) => {
      setDone(`${s.name} is now ${s.criticalityName}; its open incidents were re-rated.`);
      await refresh();
    },
  });
  const criticalities = systems.data?.criticalities ?? [];
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const f = new FormData(form);
    add.mutate(
      { name: String(f.get("name") ?? ""), criticality: String(f.get("criticality") ?? "") },
      { onSuccess: () => form.reset() },
    );
  };

  return (
    <div className="page">
      <h1>Systems</h1>
      <p className="hint">
        The systems customer support operations runs, each with its criticality. An incident linked to several
        takes the highest; without a resolution path it escalates by that level's timetable.
      </p>
      <ErrorNote error={systems.error} />
      {systems.data ? (
        systems.data.systems.length === 0 ? (
          <p className="empty">No systems yet.</p>
        ) : (
          <table className="table systems-table">
            <caption className="visually-hidden">Systems</caption>
            <thead>
              <tr>
                <th scope="col">System</th>
                <th scope="col">Criticality</th>
              </tr>
            </thead>
            <tbody>
              {systems.data.systems.map((s) => (
                <tr key={s.id}>
                  <th scope="row">{s.name}</th>
                  <td>
                    {admin ? (
                      <select
                        aria-label={`Criticality of ${s.name}`}
                        value={s.criticality}
                        disabled={rate.isPending}
                        onChange={(e) => rate.mutate({ id: s.id, criticality: e.target.value })}
                      >
                        {criticalities.map((c) => (
                          <option key={c.id} value={c.id}>
                            {c.rank}. {c.name}
                          </option>
                        ))}
                      </select>
                    ) : (
                      `${s.criticalityRank}. ${s.criticalityName}`
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : systems.isPending ? (
        <p aria-busy="true">Loading systems…</p>
      ) : null}
      <ErrorNote error={rate.error} />
      {admin ? (
        <section aria-labelledby="new-system-heading" className="group panel">
          <h2 id="new-system-heading">New system</h2>
          {/* Only once the levels have arrived: the select's default applies to the options it mounts with. */}
          {criticalities.length === 0 ? (
            systems.isPending ? (
              <p aria-busy="true">Loading the criticality levels…</p>
            ) : null
          ) : (
            <form className="stack compact" onSubmit={submit}>
              <label>
                Name
                <input name="name" required maxLength={200} />
              </label>
              <label>
                Criticality
                <select name="criticality" defaultValue="business-operational">
                  {criticalities.map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.rank}. {c.name}
                    </option>
                  ))}
                </select>
              </label>
              <ErrorNote error={add.error} />
              <div>
                <button type="submit" disabled={add.isPending}>
                  Add system
                </button>
              </div>
            </form>
          )}
        </section>
      ) : (
        <p className="hint">Admins add systems and change their criticality.</p>
      )}
      <output className="hint" aria-live="polite">
        {done}
      </output>
      {criticalities.length ? <Levels criticalities={criticalities} /> : null}
      <Settings admin={admin} />
    </div>
  );
}
