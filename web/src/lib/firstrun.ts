/**
 * The first-run guide's steps, each done or not from real data (pure: the screen fetches the facts).
 *
 * The rotations rule: the policy file's EOC, IM and CMOC rotations are created on first start with
 * the first admin alone on call (the fallback, so a page reaches somebody). A rotation counts as set
 * up when it exists and has at least one participant who is not that fallback admin: someone chose
 * the people who carry the pager. An admin who really is alone on call can dismiss the guide.
 */

export type StepId = "password" | "contact" | "rotations" | "alerts" | "status";
export type StepLink = { label: string; to: string };
export type Step = { id: StepId; title: string; done: boolean; detail: string; links: StepLink[] };

type Outcome = { status: "delivered" | "failed" | "pending" } | null | undefined;

export type SetupFacts = {
  hasPassword: boolean;
  contactMethods: { lastTest?: Outcome; lastDelivery?: Outcome }[];
  schedules: { name: string; layers: { participants: number[] }[] }[];
  /** The admin the rotations were created with (see fallbackAdmin); null when unknown. */
  fallbackAdminId: number | null;
  /** The id of the signed-in person, to say "only you" rather than "only the first admin". */
  meId: number;
  services: number;
  /** Whether any alert has ever arrived (an alert exists only through a service's integration key). */
  alertReceived: boolean;
  /** Components on the status page; null when there is no status page. */
  statusComponents: number | null;
  statusSlug: string;
};

/** The rotations the guide asks for: the roles paged first (PAGE-1, DEC-3, COMM-2). */
export const SETUP_ROTATIONS = ["EOC", "IM", "CMOC"] as const;

/**
 * The admin whom a first start puts on call in every rotation: the active admin with the lowest
 * id, leaving out service accounts (usernames starting with "@"), as the server chooses.
 */
export function fallbackAdmin(users: { id: number; username: string; role: string; active: boolean }[]) {
  const admins = users
    .filter((u) => u.role === "admin" && u.active && !u.username.startsWith("@"))
    .sort((a, b) => a.id - b.id);
  return admins[0]?.id ?? null;
}

export type RotationState = { name: string; state: "missing" | "fallback-only" | "staffed"; people: number };

export function rotationStates(facts: Pick<SetupFacts, "schedules" | "fallbackAdminId">): RotationState[] {
  return SETUP_ROTATIONS.map((name) => {
    const schedule = facts.schedules.find((s) => s.name === name);
    if (!schedule) return { name, state: "missing" as const, people: 0 };
    const people = new Set(schedule.layers.flatMap((l) => l.participants));
    const others = [...people].filter((id) => id !== facts.fallbackAdminId);
    return {
      name,
      state: others.length > 0 ? ("staffed" as const) : ("fallback-only" as const),
      people: people.size,
    };
  });
}

const delivered = (o: Outcome) => o?.status === "delivered";

export function setupSteps(facts: SetupFacts): Step[] {
  const methods = facts.contactMethods;
  const tested = methods.some((m) => delivered(m.lastTest) || delivered(m.lastDelivery));
  const rotations = rotationStates(facts);
  const fallbackName = facts.fallbackAdminId === facts.meId ? "only you" : "only the first admin";
  const rotationText = rotations
    .map((r) =>
      r.state === "missing"
        ? `${r.name}: missing`
        : r.state === "fallback-only"
          ? `${r.name}: ${fallbackName}`
          : `${r.name}: ${r.people} ${r.people === 1 ? "person" : "people"}`,
    )
    .join("; ");
  return [
    {
      id: "password",
      title: "Set a password",
      done: facts.hasPassword,
      detail: facts.hasPassword
        ? "You sign in with your username and password."
        : "You signed in with a token. Set a password to sign in with your username.",
      links: [{ label: "Set a password", to: "/profile" }],
    },
    {
      id: "contact",
      title: "Add a contact method and send yourself a test notification",
      done: methods.length > 0 && tested,
      detail:
        methods.length === 0
          ? "Add an email address, a webhook or a chat webhook so pages can reach you."
          : tested
            ? "A test notification reached you."
            : "Send yourself a test notification and see it arrive.",
      links: [{ label: "Contact methods", to: "/profile" }],
    },
    {
      id: "rotations",
      title: "Put people in the EOC, IM and CMOC rotations",
      done: rotations.every((r) => r.state === "staffed"),
      detail: `Each rotation needs someone besides the first admin, who is on call until people are added. ${rotationText}.`,
      links: [
        { label: "People", to: "/people" },
        { label: "Schedules", to: "/schedules" },
        { label: "Escalation policies", to: "/escalation-policies" },
      ],
    },
    {
      id: "alerts",
      title: "Connect a first alert source",
      done: facts.alertReceived,
      detail: facts.alertReceived
        ? "Alerts have arrived through an integration key."
        : facts.services === 0
          ? "Create a service, then point your monitoring at its integration key."
          : "Send a first alert to a service's integration key (Alertmanager, Events v2 or the generic endpoint).",
      links: [{ label: "Services", to: "/services" }],
    },
    {
      id: "status",
      title: "Check the status page",
      done: (facts.statusComponents ?? 0) > 0,
      detail:
        facts.statusComponents === null
          ? "There is no status page yet."
          : facts.statusComponents > 0
            ? `The status page shows ${facts.statusComponents} ${facts.statusComponents === 1 ? "component" : "components"}.`
            : "Add the components your customers care about.",
      links: [
        { label: "Status page admin", to: "/status-admin" },
        { label: "Public status page", to: `/status/${facts.statusSlug}` },
      ],
    },
  ];
}

/** "2 of 5 steps done". */
export function progressText(steps: Step[]): string {
  const done = steps.filter((s) => s.done).length;
  return done === steps.length ? "All set up" : `${done} of ${steps.length} steps done`;
}
