/**
 * Slack modals Firebreak opens (views.open) and reads back (view_submission): the declare form
 * with the policy's types and severities, and the status update form (COMM-1). Pure.
 */
import type { Policy } from "../policy/model.ts";

export const DECLARE_VIEW = "declare_incident";
export const STATUS_UPDATE_VIEW = "post_status_update";

const plain = (text: string) => ({ type: "plain_text", text: text.slice(0, 75) });
const option = (text: string, value: string) => ({ text: plain(text), value });

function input(blockId: string, label: string, element: Record<string, unknown>, optional = false) {
  return {
    type: "input",
    block_id: blockId,
    label: plain(label),
    optional,
    element: { action_id: "value", ...element },
  };
}

/** The declare form; `channel` is where the declarer is told the outcome. */
export function declareView(policy: Policy, channel: string) {
  const types = policy.incidentTypes.map((t) => option(t.name, t.name));
  const severities = policy.severities.map((s) => option(`${s.id} — ${s.name}`, s.id));
  const unsure = severities.find((o) => o.value === policy.defaultSeverityWhenUnsure) ?? severities[0];
  return {
    type: "modal",
    callback_id: DECLARE_VIEW,
    private_metadata: JSON.stringify({ channel }),
    title: plain("Declare an incident"),
    submit: plain("Declare"),
    close: plain("Cancel"),
    blocks: [
      input("title", "Title", {
        type: "plain_text_input",
        max_length: 200,
        placeholder: plain("What is wrong?"),
      }),
      input("type", "Type", { type: "static_select", options: types, initial_option: types[0] }),
      input("severity", "Severity (when unsure, the higher one)", {
        type: "static_select",
        options: severities,
        initial_option: unsure,
      }),
      input("summary", "Summary", { type: "plain_text_input", multiline: true, max_length: 3000 }, true),
      input(
        "private",
        "Visibility",
        { type: "checkboxes", options: [option("Private: only participants and admins see it", "private")] },
        true,
      ),
    ],
  };
}

export function statusUpdateView(incidentId: number, channel: string) {
  return {
    type: "modal",
    callback_id: STATUS_UPDATE_VIEW,
    private_metadata: JSON.stringify({ incidentId, channel }),
    title: plain(`Status update #${incidentId}`),
    submit: plain("Post"),
    close: plain("Cancel"),
    blocks: [
      input("impact", "Current customer impact", {
        type: "plain_text_input",
        multiline: true,
        max_length: 3000,
      }),
      input("actions", "Actions under way", { type: "plain_text_input", multiline: true, max_length: 3000 }),
    ],
  };
}

/** A submitted view's state: `values[block_id].value` as Slack sends it per element type. */
type StateValues = Record<string, Record<string, Record<string, unknown>>>;

/** The value of an input block: text, a selected option's value, or the checked options' values. */
export function inputValue(values: StateValues, blockId: string): string | string[] | null {
  const v = values[blockId]?.value;
  if (!v) return null;
  if (typeof v.value === "string") return v.value;
  const selected = v.selected_option as { value?: string } | null | undefined;
  if (selected) return selected.value ?? null;
  const many = v.selected_options as { value?: string }[] | undefined;
  if (many) return many.map((o) => o.value ?? "");
  return null;
}

export function declareInput(values: StateValues) {
  const text = (id: string) => {
    const v = inputValue(values, id);
    return typeof v === "string" ? v.trim() : "";
  };
  const checked = inputValue(values, "private");
  return {
    title: text("title"),
    type: text("type"),
    severity: text("severity"),
    summary: text("summary"),
    private: Array.isArray(checked) && checked.includes("private"),
  };
}

/** private_metadata as Firebreak wrote it, or {} when it is not ours. */
export function metadataOf(view: { private_metadata?: unknown }): { channel?: string; incidentId?: number } {
  try {
    const m = JSON.parse(String(view.private_metadata ?? "{}")) as Record<string, unknown>;
    return {
      ...(typeof m.channel === "string" ? { channel: m.channel } : {}),
      ...(typeof m.incidentId === "number" ? { incidentId: m.incidentId } : {}),
    };
  } catch {
    return {};
  }
}
