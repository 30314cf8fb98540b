/** The policy's severities and incident types as the options of a <select>, named the same everywhere. */
import type { Policy } from "../api/types.ts";

export function SeverityOptions({ policy }: { policy: Policy }) {
  return policy.severities.map((s) => (
    <option key={s.id} value={s.id}>
      {s.id} {s.name}
    </option>
  ));
}

export function IncidentTypeOptions({ policy }: { policy: Policy }) {
  return policy.incidentTypes.map((t) => (
    <option key={t.name} value={t.name}>
      {t.name}
    </option>
  ));
}
