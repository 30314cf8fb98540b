/** Commands that read: list, show, the deploy gate, who am I. */
import { type Command, id, incidentPath, optional } from "./args.ts";
import { type Gate, type Incident, type Me, states, type Task, type TimelineEvent } from "./client.ts";
import { gateText, incidentBlock, incidentTable, timelineTable } from "./format.ts";

export const readCommands: Record<string, Command> = {
  list: {
    summary: "List the incidents you can see, newest first.",
    flags: {
      state: { value: "STATE,...", help: `only these states: ${states.join(" ")} merged` },
      severity: { value: "SEV,...", help: "only these severities, e.g. S1,S2" },
      type: { value: "TYPE,...", help: "only these incident types" },
      mine: { help: "only incidents you own" },
      search: { value: "TEXT", help: "search in titles" },
      limit: { value: "N", help: "at most N incidents (default 100, up to 500)" },
    },
    async run(c) {
      const owner = c.has("mine") ? (await c.api.request<Me>("GET", "/me")).id : undefined;
      const r = await c.api.request<{ incidents: Incident[] }>("GET", "/incidents", undefined, {
        state: c.opt("state"),
        severity: c.opt("severity"),
        type: c.opt("type"),
        owner,
        q: c.opt("search"),
        limit: optional(c.opt("limit"), (n) => id(n, "--limit")),
      });
      return c.print(r, () => incidentTable(r.incidents));
    },
  },

  show: {
    summary:
      "Show an incident; --timeline adds its timeline.\nWith --json: the incident, or { incident, tasks, events } with --timeline.",
    args: ["ID"],
    flags: { timeline: { help: "also show the timeline (📌 marks pinned events)" } },
    async run(c) {
      const get = <T>(suffix = "") => c.api.request<T>("GET", incidentPath(c, suffix));
      const [incident, { tasks }, timeline] = await Promise.all([
        get<Incident>(),
        get<{ tasks: Task[] }>("/tasks"),
        c.has("timeline") ? get<{ events: TimelineEvent[] }>("/timeline") : undefined,
      ]);
      const block = () => incidentBlock(incident, tasks);
      if (!timeline) return c.print(incident, block);
      return c.print(
        { incident, tasks, events: timeline.events },
        () => `${block()}\n\n${timelineTable(timeline.events, incident)}`,
      );
    },
  },

  gate: {
    summary: "May a pipeline deploy now? Exits 3 while an open incident blocks it, 0 otherwise.",
    flags: {
      for: { value: "deployments|feature-flags", help: "what is about to change (default deployments)" },
    },
    async run(c) {
      const g = await c.api.request<Gate>("GET", "/deploy-gate", undefined, { for: c.opt("for") });
      await c.print(g, () => gateText(g));
      return g.blocked ? 3 : 0;
    },
  },

  whoami: {
    summary: "Show the user FIREBREAK_TOKEN belongs to.",
    async run(c) {
      const me = await c.api.request<Me>("GET", "/me");
      return c.print(me, `${me.username} (${me.name}), ${me.role}, id ${me.id}`);
    },
  },
};
