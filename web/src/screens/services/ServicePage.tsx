/**
 * One service: what it is and the policy it pages (admins change or delete it), its integration
 * keys with the set-up for every sender, heartbeats, maintenance windows and its last alerts.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { getRouteApi, Link, useNavigate } from "@tanstack/react-router";
import { useState } from "react";
import { policiesQuery } from "../../api/oncall.ts";
import {
  deleteService,
  type ServiceFields,
  serviceKeys,
  serviceQuery,
  updateService,
} from "../../api/services.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { Heartbeats } from "./Heartbeats.tsx";
import { Keys } from "./Keys.tsx";
import { LastAlerts } from "./LastAlerts.tsx";
import { Maintenance } from "./Maintenance.tsx";
import { takeNewKey } from "./newKeys.ts";
import { ServiceForm } from "./ServiceForm.tsx";

const route = getRouteApi("/app/services/$id");

function Settings({ serviceId }: { serviceId: number }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const service = useQuery(serviceQuery(serviceId));
  const save = useMutation({
    mutationFn: (body: ServiceFields) => updateService(serviceId, body),
    onSuccess: (s) => {
      queryClient.setQueryData(serviceKeys.one(serviceId), s);
      void queryClient.invalidateQueries({ queryKey: serviceKeys.all, exact: true });
    },
  });
  const remove = useMutation({
    mutationFn: () => deleteService(serviceId),
    onSuccess: async () => {
      queryClient.removeQueries({ queryKey: serviceKeys.one(serviceId) });
      await queryClient.invalidateQueries({ queryKey: serviceKeys.all, exact: true });
      await navigate({ to: "/services" });
    },
  });
  if (!service.data) return null;
  const s = service.data;
  return (
    <details className="disclosure group">
      <summary>
        <h2>Settings</h2>
      </summary>
      <ServiceForm
        service={s}
        submitLabel="Save changes"
        pending={save.isPending}
        error={save.error}
        done={save.isSuccess ? "Saved." : ""}
        onSubmit={(body) => save.mutate(body)}
      />
      <p className="actions">
        <button
          type="button"
          className="danger"
          disabled={remove.isPending}
          onClick={() => {
            if (
              window.confirm(
                `Delete the service “${s.name}”, its keys and its alerts? This cannot be undone.`,
              )
            )
              remove.mutate();
          }}
        >
          Delete service
        </button>
      </p>
      <ErrorNote error={remove.error} />
    </details>
  );
}

export function ServicePage() {
  const { id } = route.useParams();
  const { me } = route.useRouteContext();
  const service = useQuery(serviceQuery(id));
  const policies = useQuery(policiesQuery);
  // A key made with the service (or just before) is shown once, here.
  const [justMade] = useState(() => takeNewKey(id));
  const admin = me.role === "admin";
  const s = service.data;
  const policy = s && policies.data?.find((p) => p.id === s.escalationPolicyId);

  return (
    <div className="page service-page">
      <p>
        <Link to="/services">← Services</Link>
      </p>
      <ErrorNote error={service.error} />
      {s ? (
        <>
          <h1>{s.name}</h1>
          {s.description ? <p>{s.description}</p> : null}
          <dl className="facts">
            <dt>Pages</dt>
            <dd>{policy ? policy.name : `escalation policy ${s.escalationPolicyId}`}</dd>
            <dt>Groups alerts</dt>
            <dd>arriving within {s.groupingWindowMinutes} minutes of the last into one incident</dd>
            <dt>Flapping</dt>
            <dd>
              more than {s.flapChanges} changes in {s.flapWindowMinutes} minutes
            </dd>
          </dl>
          {admin ? <Settings serviceId={id} /> : null}
          {admin ? (
            <Keys serviceId={id} justMade={justMade} />
          ) : (
            <p className="hint">Admins see and make this service's integration keys.</p>
          )}
          <Heartbeats serviceId={id} canChange={admin} />
          <Maintenance serviceId={id} canChange={me.role !== "viewer"} />
          <LastAlerts serviceId={id} />
        </>
      ) : service.isPending ? (
        <p aria-busy="true">Loading the service…</p>
      ) : null}
    </div>
  );
}
