/** Commands that change something: declare, update, note, severity, status, assign, ... */
import { type Command, type Flag, id, incidentPath, instant, optional, user, write, yesNo } from "./args.ts";
import { type CreatedToken, type Incident, states, type TimelineEvent, UsageError } from "./client.ts";

const reason: Flag = { value: "TEXT", help: "why; recorded on the timeline" };
const now = (i: Incident, what: string) => `#${i.id} is now ${what}`;

export const writeCommands: Record<string, Command> = {
  declare: {
    summary: "Declare an incident; it is active (investigating) unless --triage.",
    flags: {
      title: { value: "TEXT", required: true, help: 'what is wrong (may be empty at first: --title "")' },
      type: { value: "TYPE", required: true, help: "an incident type from the policy, e.g. GitLab.com" },
      severity: { value: "SEV", required: true, help: "S1 (worst) to S4; when unsure, pick the higher one" },
      triage: { help: "a problem to look at first; accept it later with `status ID investigating`" },
      summary: { value: "TEXT", help: "what is known so far" },
      private: { help: "visible only to its participants and admins" },
      owner: { value: "USER", help: "the incident lead, username or id (default: you)" },
      "blocks-deployments": { help: "block deployments and feature-flag changes while it is open" },
    },
    async run(c) {
      const i = await c.api.request<Incident>("POST", "/incidents", {
        title: c.must("title"),
        type: c.must("type"),
        severity: c.must("severity"),
        status: c.has("triage") ? "triage" : "active",
        summary: c.opt("summary"),
        visibility: c.has("private") ? "private" : undefined,
        owner: optional(c.opt("owner"), user),
        blocksDeployments: c.has("blocks-deployments") || undefined,
      });
      const blocks = i.blocks.deployments ? "; deployments are blocked" : "";
      return c.print(
        i,
        `declared #${i.id} (${i.severity}, ${i.state}), owned by ${i.owner.username}${blocks}`,
      );
    },
  },

  update: {
    summary:
      "Post a status update, or edit the title, summary or 'Blocks Deployments'.\nA status update states the current customer impact and the actions under way.",
    synopsis: [
      "ID --impact TEXT --actions TEXT [--next-update WHEN]",
      "ID [--title TEXT] [--summary TEXT] [--blocks-deployments yes|no]",
      "ID [--detection-source monitoring|customer|team|security] [--detected-at WHEN]",
    ],
    args: ["ID"],
    flags: {
      impact: { value: "TEXT", help: "the current customer impact" },
      actions: { value: "TEXT", help: "what is being done" },
      "next-update": { value: "WHEN", help: "when the next update is due: an ISO time, or +30m, +2h" },
      title: { value: "TEXT", help: "a new title" },
      summary: { value: "TEXT", help: "a new summary" },
      "blocks-deployments": { value: "yes|no", help: "the 'Blocks Deployments' field" },
      "detection-source": {
        value: "SOURCE",
        help: "how the problem was detected (TL-4): monitoring, customer, team or security",
      },
      "detected-at": { value: "WHEN", help: "when it was detected: an ISO time (TL-4)" },
    },
    async run(c) {
      const detection = {
        source: c.opt("detection-source"),
        detectedAt: optional(c.opt("detected-at"), (w) => instant(w)),
      };
      if (detection.source !== undefined || detection.detectedAt !== undefined) {
        if (
          c.has("impact") ||
          c.has("actions") ||
          c.has("title") ||
          c.has("summary") ||
          c.has("blocks-deployments")
        )
          throw new UsageError("give the detection (--detection-source, --detected-at) on its own");
        const d = await c.api.request<unknown>("PUT", incidentPath(c, "/detection"), detection);
        return c.print(d, `#${id(c.must("ID"))}: detection recorded`);
      }
      const fields = {
        title: c.opt("title"),
        summary: c.opt("summary"),
        blocksDeployments: optional(c.opt("blocks-deployments"), (v) => yesNo(v, "--blocks-deployments")),
      };
      const editing = Object.values(fields).some((v) => v !== undefined);
      if (editing === (c.has("impact") || c.has("actions") || c.has("next-update"))) {
        throw new UsageError(
          editing
            ? "give a status update (--impact, --actions) or field changes, not both"
            : "nothing to update: give --impact and --actions, or --title, --summary, --blocks-deployments",
        );
      }
      if (editing) {
        const i = await c.api.request<Incident>("PATCH", incidentPath(c), fields);
        const changed = Object.entries(fields).flatMap(([k, v]) => (v === undefined ? [] : [k]));
        return c.print(i, `#${i.id} updated: ${changed.join(", ")}`);
      }
      const e = await c.api.request<TimelineEvent>("POST", incidentPath(c, "/updates"), {
        impact: c.must("impact"),
        actions: c.must("actions"),
        nextUpdateAt: optional(c.opt("next-update"), (w) => instant(w)),
      });
      return c.print(e, `#${e.incidentId}: status update posted (event ${e.id})`);
    },
  },

  note: {
    summary: "Add a note to the timeline; --internal keeps it to participants and admins.",
    args: ["ID", "TEXT..."],
    flags: { internal: { help: "seen only by the incident's participants and admins" } },
    async run(c) {
      const body = { body: c.must("TEXT"), internal: c.has("internal") };
      const e = await c.api.request<TimelineEvent>("POST", incidentPath(c, "/notes"), body);
      return c.print(e, `#${e.incidentId}: ${e.internal ? "internal " : ""}note added (event ${e.id})`);
    },
  },

  severity: {
    summary:
      "Change the severity, saying why.\nSeverity records the maximum impact: it is not lowered once mitigated.",
    args: ["ID", "SEV"],
    flags: { reason: { ...reason, required: true } },
    async run(c) {
      const i = await c.api.request<Incident>("POST", incidentPath(c, "/severity"), {
        severity: c.must("SEV"),
        reason: c.must("reason"),
      });
      return c.print(i, now(i, i.severity));
    },
  },

  status: {
    summary: `Move an incident through its workflow.\nSTATE: ${states.join(" ")}`,
    args: ["ID", "STATE"],
    flags: { reason, severity: { value: "SEV", help: "the severity, when accepting a triage incident" } },
    async run(c) {
      const status = c.must("STATE");
      if (!states.includes(status)) throw new UsageError(`STATE must be one of ${states.join(", ")}`);
      const body = { status, reason: c.opt("reason"), severity: c.opt("severity") };
      const i = await c.api.request<Incident>("POST", incidentPath(c, "/status"), body);
      return c.print(i, now(i, i.state));
    },
  },

  assign: {
    summary:
      "Hand ownership to someone, give them a role, or escalate to the IM.\nUSER is a username or a user id.",
    synopsis: ["ID USER [--reason TEXT]", "ID USER --role ROLE", "ID --escalate [--reason TEXT]"],
    args: ["ID", "USER?"],
    flags: {
      role: { value: "ROLE", help: 'a role from the policy, e.g. IM, EOC, CMOC, "Incident Lead"' },
      escalate: { help: "make the incident's IM its owner" },
      reason,
    },
    async run(c) {
      const who = c.opt("USER");
      if (c.has("escalate") === (who !== undefined)) throw new UsageError("give either USER or --escalate");
      const role = c.opt("role");
      if (role !== undefined && (who === undefined || c.has("reason"))) {
        throw new UsageError("--role takes a USER and no --reason");
      }
      let i: Incident;
      if (who === undefined) {
        i = await c.api.request<Incident>("POST", incidentPath(c, "/escalate"), { reason: c.opt("reason") });
      } else if (role === undefined) {
        i = await c.api.request<Incident>("POST", incidentPath(c, "/owner"), {
          owner: user(who),
          reason: c.opt("reason"),
        });
      } else {
        i = await c.api.request<Incident>("PUT", incidentPath(c, `/roles/${encodeURIComponent(role)}`), {
          user: user(who),
        });
        return c.print(i, `#${i.id}: ${role} is now ${i.roles[role]?.username ?? who}`);
      }
      return c.print(i, now(i, `owned by ${i.owner.username}`));
    },
  },

  resolve: {
    summary: "Resolve the incident (only its owner can).",
    args: ["ID"],
    flags: { reason },
    async run(c) {
      const body = { status: "resolved", reason: c.opt("reason") };
      const i = await c.api.request<Incident>("POST", incidentPath(c, "/status"), body);
      return c.print(i, now(i, i.state));
    },
  },

  merge: {
    summary: "Merge a duplicate incident into an open primary one.",
    args: ["ID"],
    flags: { into: { value: "PRIMARY", required: true, help: "the incident to keep" }, reason },
    async run(c) {
      const body = { into: id(c.must("into"), "--into"), reason: c.opt("reason") };
      const r = await c.api.request<{ duplicate: Incident; primary: Incident }>(
        "POST",
        incidentPath(c, "/merge"),
        body,
      );
      return c.print(r, `#${r.duplicate.id} is merged into #${r.primary.id}`);
    },
  },

  pin: {
    summary: "Pin a timeline event into the highlights, or --unpin it.",
    args: ["ID", "EVENT_ID"],
    flags: { unpin: { help: "remove the pin" } },
    async run(c) {
      const event = id(c.must("EVENT_ID"), "EVENT_ID");
      const method = c.has("unpin") ? "DELETE" : "PUT";
      const e = await c.api.request<TimelineEvent>(method, incidentPath(c, `/timeline/${event}/pin`));
      return c.print(e, `#${e.incidentId}: event ${event} ${c.has("unpin") ? "unpinned" : "pinned"}`);
    },
  },

  token: {
    summary:
      "Create an API token for yourself (token create NAME).\nThe secret is printed once, alone on stdout.",
    synopsis: ["create NAME"],
    args: ["ACTION", "NAME"],
    async run(c) {
      if (c.must("ACTION") !== "create") throw new UsageError('the only token action is "create"');
      const t = await c.api.request<CreatedToken>("POST", "/tokens", { name: c.must("NAME") });
      if (!c.json)
        await write(
          process.stderr,
          `created token ${t.name} (id ${t.id}); store it now, it is not shown again:`,
        );
      return c.print(t, t.token);
    },
  },
};
