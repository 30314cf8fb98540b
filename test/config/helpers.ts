/** A configuration document with a bit of everything, for the config-as-code tests. */
import type { ConfigDocument } from "../../src/config/document.ts";

export function sampleDocument(): ConfigDocument {
  return {
    version: 1,
    users: [
      { username: "admin", name: "Administrator", role: "admin" },
      { username: "alice", name: "Alice Archer", email: "alice@example.com", role: "responder" },
      { username: "bob", name: "Bob Baker", email: "bob@example.com", role: "responder" },
    ],
    teams: [
      {
        slug: "payments",
        name: "Payments",
        members: [
          { user: "alice@example.com", role: "admin" },
          { user: "bob@example.com", role: "responder" },
        ],
      },
    ],
    schedules: [
      {
        name: "Payments primary",
        team: "payments",
        timeZone: "Europe/Berlin",
        layers: [
          {
            name: "Weekly",
            timeZone: "Europe/Berlin",
            participants: ["alice@example.com", "bob@example.com"],
            shiftLength: { unit: "weeks", count: 1 },
            start: "2026-03-02T09:00",
          },
        ],
      },
    ],
    escalationPolicies: [
      {
        name: "Payments",
        team: "payments",
        levels: [
          { timeoutMinutes: 10, targets: [{ schedule: "Payments primary" }] },
          { timeoutMinutes: 15, targets: [{ user: "bob@example.com" }] },
        ],
        repeat: 1,
      },
    ],
    services: [
      {
        name: "checkout",
        team: "payments",
        description: "The checkout API",
        escalationPolicy: "Payments",
        integrations: [{ name: "prometheus" }],
      },
    ],
    statusPages: [
      { slug: "default", name: "Status", timeZone: "UTC", components: [] },
      {
        slug: "public",
        name: "Example status",
        timeZone: "Europe/Berlin",
        components: [
          { name: "Payments", isGroup: true },
          { name: "Card payments", group: "Payments" },
          { name: "Website", description: "www.example.com" },
        ],
      },
    ],
  };
}
