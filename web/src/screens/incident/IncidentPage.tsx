/** One incident: its state and next steps, people, details, and the live timeline. */
import { useQuery } from "@tanstack/react-query";
import { getRouteApi, Link } from "@tanstack/react-router";
import { useEffect } from "react";
import { useIncidentStream } from "../../api/live.ts";
import { incidentQuery } from "../../api/queries.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { incidentTitle, isOpen } from "../../lib/incidents.ts";
import { Clocks } from "./Clocks.tsx";
import { Customers } from "./Customers.tsx";
import { Details } from "./Details.tsx";
import { Header } from "./Header.tsx";
import { Merge } from "./Merge.tsx";
import { Pages } from "./Pages.tsx";
import { People } from "./People.tsx";
import { StatusPost } from "./StatusPost.tsx";
import { Systems } from "./Systems.tsx";
import { Tasks } from "./Tasks.tsx";
import { Timeline } from "./Timeline.tsx";

const route = getRouteApi("/app/incidents/$id");

export function IncidentPage() {
  const { id } = route.useParams();
  const incident = useQuery(incidentQuery(id));
  const live = useIncidentStream(id);
  const title = incident.data ? incidentTitle(incident.data) : null;
  useEffect(() => {
    document.title = title ? `#${id} ${title} · Firebreak` : "Firebreak";
    return () => {
      document.title = "Firebreak";
    };
  }, [id, title]);

  if (incident.error)
    return (
      <div className="page">
        <ErrorNote error={incident.error} />
        <p>
          <Link to="/incidents">Back to the incidents</Link>
        </p>
      </div>
    );
  if (!incident.data)
    return (
      <p className="page" aria-busy="true">
        Loading incident #{id}…
      </p>
    );
  const i = incident.data;
  return (
    <div className="page incident">
      <Header incident={i} />
      {i.blocks.deployments && isOpen(i.state) ? (
        <div className="banner banner-warn" role="status">
          <strong>Deployments and feature-flag changes are blocked</strong> while this incident is open.
        </div>
      ) : null}
      <div className="incident-grid">
        <Timeline incidentId={i.id} live={live} />
        <aside className="side" aria-label="Incident details">
          <People incident={i} />
          <Pages incident={i} />
          <Clocks incident={i} />
          <Systems incident={i} />
          <Customers incident={i} />
          <Details incident={i} />
          <Tasks incidentId={i.id} />
          <section className="panel" aria-labelledby="review-link">
            <h2 id="review-link">Post-incident review</h2>
            <p>
              <Link to="/incidents/$id/review" params={{ id: i.id }}>
                Open the review
              </Link>{" "}
              — the document, detection, phases and corrective actions.
            </p>
          </section>
          <StatusPost incident={i} />
          <Merge incident={i} />
        </aside>
      </div>
    </div>
  );
}
