/**
 * The services alerts come from: each with the escalation policy it pages. Admins create one
 * here (it comes with its first integration key, shown once on its page).
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { getRouteApi, Link, useNavigate } from "@tanstack/react-router";
import { servicesQuery } from "../../api/alerts.ts";
import { policiesQuery } from "../../api/oncall.ts";
import { createService, type ServiceFields, serviceKeys } from "../../api/services.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { holdNewKey } from "./newKeys.ts";
import { ServiceForm } from "./ServiceForm.tsx";

const route = getRouteApi("/app/services");

export function Services() {
  const { me } = route.useRouteContext();
  const services = useQuery(servicesQuery);
  const policies = useQuery(policiesQuery);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const create = useMutation({
    mutationFn: (body: ServiceFields) => createService(body),
    onSuccess: async (s) => {
      // The first key comes with the service, once: its page shows it with the set-up snippets.
      holdNewKey({
        id: 0,
        serviceId: s.id,
        name: "default",
        keyHint: s.integrationKey.slice(-4),
        mapping: null,
        createdAt: s.createdAt,
        silenceMinutes: null,
        lastEventAt: null,
        integrationKey: s.integrationKey,
      });
      await queryClient.invalidateQueries({ queryKey: serviceKeys.all });
      await navigate({ to: "/services/$id", params: { id: s.id } });
    },
  });
  const policyName = (id: number) => policies.data?.find((p) => p.id === id)?.name ?? `policy ${id}`;

  return (
    <div className="page">
      <h1>Services</h1>
      <p className="hint">
        A service is what alerts come from: monitoring sends to its integration keys, and its alerts open
        triage incidents that page its escalation policy.
      </p>
      <ErrorNote error={services.error} />
      {services.data ? (
        services.data.length === 0 ? (
          <p className="empty">No services yet.</p>
        ) : (
          <table className="table services-table">
            <caption className="visually-hidden">Services</caption>
            <thead>
              <tr>
                <th scope="col">Service</th>
                <th scope="col">Pages</th>
                <th scope="col">Description</th>
              </tr>
            </thead>
            <tbody>
              {services.data.map((s) => (
                <tr key={s.id}>
                  <td>
                    <Link to="/services/$id" params={{ id: s.id }}>
                      {s.name}
                    </Link>
                  </td>
                  <td>{policyName(s.escalationPolicyId)}</td>
                  <td>{s.description || <span className="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : services.isPending ? (
        <p aria-busy="true">Loading services…</p>
      ) : null}
      {me.role === "admin" ? (
        <section aria-labelledby="new-service-heading" className="group panel">
          <h2 id="new-service-heading">New service</h2>
          <ServiceForm
            submitLabel="Create service"
            pending={create.isPending}
            error={create.error}
            done=""
            onSubmit={(body) => create.mutate(body)}
          />
        </section>
      ) : (
        <p className="hint">Admins create services and their integration keys.</p>
      )}
    </div>
  );
}
