/**
 * The incident workflow's states, as plain data with no imports: the server's model, the CLI and
 * the web app all read this one list.
 */
export const states = [
  "triage",
  "investigating",
  "fixing",
  "monitoring",
  "resolved",
  "post-incident",
  "closed",
  "declined",
  "merged",
] as const;
export type State = (typeof states)[number];

/** States in which an incident is still being worked (LC-2 merges into these; LC-4 blocks in these). */
export const openStates: readonly State[] = ["triage", "investigating", "fixing", "monitoring"];
/** States whose record changes only by reopening (notes and follow-ups may still be added). */
export const endedStates: readonly State[] = ["resolved", "post-incident", "closed", "declined", "merged"];
