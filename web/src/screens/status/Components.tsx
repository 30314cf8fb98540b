/** The page's components with a status select each; a change is published at once (STAT-2). */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  type ComponentStatus,
  componentsQuery,
  type StatusComponent,
  setComponentStatus,
  statusKeys,
} from "../../api/statuspage.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { componentStatuses, componentStatusLabel, isTrouble, orderComponents } from "../../lib/statuspage.ts";

function ComponentRow({
  slug,
  component,
  depth,
}: {
  slug: string;
  component: StatusComponent;
  depth: 0 | 1;
}) {
  const queryClient = useQueryClient();
  const change = useMutation({
    mutationFn: (status: ComponentStatus) => setComponentStatus(slug, component.id, status),
    onSuccess: (updated) =>
      queryClient.setQueryData<StatusComponent[]>(statusKeys.components(slug), (list) =>
        list?.map((c) => (c.id === updated.id ? updated : c)),
      ),
    // A member's change changes its group's status too.
    onSettled: () => queryClient.invalidateQueries({ queryKey: statusKeys.components(slug) }),
  });
  const status = change.isPending && change.variables ? change.variables : component.status;
  return (
    <tr className={depth ? "member" : undefined}>
      <th scope="row">
        {component.name}
        {component.group ? <span className="muted"> (group)</span> : null}
      </th>
      <td>
        {component.group ? (
          <span className={isTrouble(status) ? "trouble" : undefined}>
            {componentStatusLabel[status]} <span className="muted">(its members' worst)</span>
          </span>
        ) : (
          <select
            aria-label={`Status of ${component.name}`}
            value={status}
            disabled={change.isPending}
            onChange={(e) => change.mutate(e.target.value as ComponentStatus)}
          >
            {componentStatuses.map((s) => (
              <option key={s} value={s}>
                {componentStatusLabel[s]}
              </option>
            ))}
          </select>
        )}
        <ErrorNote error={change.error} />
      </td>
    </tr>
  );
}

export function Components({ slug }: { slug: string }) {
  const components = useQuery(componentsQuery(slug));
  return (
    <section aria-labelledby="components-heading" className="group">
      <h2 id="components-heading">Components</h2>
      <p className="hint">A status chosen here shows on the public page at once.</p>
      <ErrorNote error={components.error} />
      {components.data?.length === 0 ? (
        <p className="empty">No components yet: an admin adds them with the API.</p>
      ) : null}
      {components.data?.length ? (
        <table className="table components">
          <caption className="visually-hidden">Components and their status</caption>
          <thead>
            <tr>
              <th scope="col">Component</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {orderComponents(components.data).map(({ component, depth }) => (
              <ComponentRow key={component.id} slug={slug} component={component} depth={depth} />
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
