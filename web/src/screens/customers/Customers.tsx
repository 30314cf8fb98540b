/**
 * The customer directory (COMM-6): every organisation Firebreak writes to about its incidents, with
 * the addresses that hear. Admins add customers and replace their contacts; responders read it.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { getRouteApi } from "@tanstack/react-router";
import type { FormEvent } from "react";
import { customerKeys, customersQuery, saveCustomer, splitContacts } from "../../api/customers.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";

const route = getRouteApi("/app/customers");

export function Customers() {
  const { me } = route.useRouteContext();
  const admin = me.role === "admin";
  const directory = useQuery({ ...customersQuery, enabled: me.role !== "viewer" });
  const queryClient = useQueryClient();
  const save = useMutation({
    mutationFn: saveCustomer,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: customerKeys.directory }),
  });
  const submit = (ev: FormEvent<HTMLFormElement>) => {
    ev.preventDefault();
    const form = ev.currentTarget;
    const f = new FormData(form);
    save.mutate(
      { name: String(f.get("name") ?? ""), contacts: splitContacts(String(f.get("contacts") ?? "")) },
      { onSuccess: () => form.reset() },
    );
  };
  const list = directory.data?.customers ?? [];
  return (
    <div className="page stack">
      <h1>Customers</h1>
      <p className="hint">
        The organisations whose incidents Firebreak tracks. Mark them affected on an incident's Customers
        panel; one update then reaches every contact of every affected customer.
      </p>
      {me.role === "viewer" ? <p className="muted">Viewers do not see customers' contacts.</p> : null}
      <ErrorNote error={directory.error} />
      {list.length ? (
        <div style={{ overflowX: "auto" }}>
          <table className="table">
            <caption>Customer directory</caption>
            <thead>
              <tr>
                <th scope="col">Customer</th>
                <th scope="col">Contacts</th>
              </tr>
            </thead>
            <tbody>
              {list.map((c) => (
                <tr key={c.id}>
                  <td>{c.name}</td>
                  <td>{c.contacts.join(", ")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : directory.data ? (
        <p className="muted">No customers yet.</p>
      ) : null}
      {admin ? (
        <form onSubmit={submit} className="panel stack compact" aria-label="Add or change a customer">
          <h2>Add or change a customer</h2>
          <label>
            Customer <input name="name" required autoComplete="organization" />
          </label>
          <label>
            Contacts <input name="contacts" required placeholder="ops@example.com, cto@example.com" />
          </label>
          <p className="hint">Saving a known customer's name replaces its contacts.</p>
          <ErrorNote error={save.error} />
          <button type="submit" disabled={save.isPending}>
            Save customer
          </button>
        </form>
      ) : null}
    </div>
  );
}
