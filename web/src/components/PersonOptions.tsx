/** People as the options of a <select>, by name and username, named the same everywhere. */
import type { User } from "../api/types.ts";

export function PersonOptions({ people }: { people: Pick<User, "id" | "name" | "username">[] }) {
  return people.map((u) => (
    <option key={u.id} value={u.id}>
      {u.name} (@{u.username})
    </option>
  ));
}
