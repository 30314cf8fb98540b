/**
 * What the process needs from other capabilities, each through its service (DESIGN.md): wired in
 * app.ts. Every function takes the transaction of the command (or clock) it works for, so a rule's
 * consequences commit with the change that caused them.
 */
import type { EventDraft, Incident } from "../incidents/model.ts";
import type { PageEngage, Urgency } from "../paging/model.ts";
import type { MaintenanceSubject } from "./conditions.ts";
import type { NewClock, ProcessDb } from "./store.ts";
import type { TemplateValues } from "./templates.ts";

export type Tx = ProcessDb;

/** Who caused a change: a person (by id), or Firebreak itself (null). */
export type Cause = { actorId: number | null };

export type IncidentPort = {
  /** Reads and locks the incident (FOR NO KEY UPDATE). */
  lock(tx: Tx, id: number): Promise<Incident | undefined>;
  get(tx: Tx, id: number): Promise<Incident | undefined>;
  /** Appends events without changing the incident (what a rule did, drafts, notes). */
  record(tx: Tx, incidentId: number, drafts: EventDraft[], at: Date): Promise<void>;
  /*
   * Changes Firebreak makes for a rule. Each writes the change and its timeline events as
   * Firebreak's and runs the rules on those events, one level deeper (`run`).
   */
  /** Gives `role` to `userId` if it is free and OWN-7 allows; false otherwise. */
  engage(
    tx: Tx,
    incidentId: number,
    role: string,
    userId: number,
    reason: string,
    run: RunContext,
  ): Promise<boolean>;
  /** OWN-3: hands ownership to `role`'s holder unless a person chose the owner. */
  ownByRule(tx: Tx, incidentId: number, role: string, rule: string, run: RunContext): Promise<void>;
  label(tx: Tx, incidentId: number, label: string, rule: string, run: RunContext): Promise<void>;
  /** Raises the severity (never lowers it). */
  raise(
    tx: Tx,
    incidentId: number,
    severity: string,
    reason: string,
    rule: string,
    run: RunContext,
  ): Promise<void>;
  /** LC-2 merge of `duplicateId` into `primaryId`, as Firebreak. */
  merge(tx: Tx, duplicateId: number, primaryId: number, reason: string, run: RunContext): Promise<void>;
  addTask(
    tx: Tx,
    incidentId: number,
    task: { kind: "action" | "follow-up"; title: string },
    at: Date,
  ): Promise<void>;
  /** People hold work on incidents; automation actors (`@alerts`) are not people. */
  isAutomation(tx: Tx, userId: number): Promise<boolean>;
  /** The values COMM-5 templates are filled with. */
  templateValues(tx: Tx, incidentId: number): Promise<TemplateValues>;
  userName(tx: Tx, userId: number): Promise<string>;
  /** How many open, accepted incidents have one of these severities, counting up to `upTo`. */
  countOpen(tx: Tx, severities: string[], upTo: number): Promise<number>;
  /** The holders among `userIds` of `role` on open incidents other than `exceptId`. */
  busyInRole(tx: Tx, role: string, userIds: number[], exceptId: number): Promise<number[]>;
  /** An incident's own timeline, oldest first (for replaying it). */
  timeline(tx: Tx, incidentId: number): Promise<{ kind: string; at: Date; data: Record<string, unknown> }[]>;
  /** Other incidents alive at some point in [from, to): their severity, acceptance and end. */
  lifetimes(
    tx: Tx,
    exceptId: number,
    from: Date,
    to: Date,
  ): Promise<{ severity: string; acceptedAt: Date | null; endedAt: Date | null }[]>;
};

export type PagingPort = {
  pageRole(
    tx: Tx,
    input: {
      policyName: string;
      title: string;
      urgency: Urgency;
      incidentId: number;
      actorId: number | null;
      engage: PageEngage | null;
      rule: string;
      /** Skip when the role's policy has an open page for the incident already (default true). */
      once?: boolean;
    },
  ): Promise<"paged" | "already-paged" | "no-policy">;
};

export type OncallPort = {
  onCallIn(tx: Tx, rotation: string, at: Date): Promise<number[]>;
  membersOf(tx: Tx, rotation: string): Promise<number[]>;
  shiftEndOf(tx: Tx, rotation: string, userId: number, at: Date): Promise<Date | null>;
};

export type NoticePort = {
  send(
    tx: Tx,
    input: { key: string; userIds: number[]; incidentId: number | null; subject: string; body: string },
  ): Promise<{ userId: number; methods: number }[]>;
};

export type MaintenancePort = {
  lock(tx: Tx, id: number): Promise<MaintenanceSubject | undefined>;
};

/** SEV-5: what ties incidents to one cause (the alerting services they came from). */
export type CausePort = {
  /** Other incidents sharing a cause with `incidentId`, declared since `since`. */
  sameCauseSince(tx: Tx, incidentId: number, since: Date): Promise<number[]>;
};

/**
 * One command's cascade: how deep rules have gone, the incidents whose clocks need a look, and the
 * rule firings to record (one insert when the cascade ends, before the clocks are reconciled).
 */
export type RunContext = { depth: number; touched: Set<number>; actorId: number | null; fired: NewClock[] };

export const newRun = (actorId: number | null): RunContext => ({
  depth: 0,
  touched: new Set(),
  actorId,
  fired: [],
});
