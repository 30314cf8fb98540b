/** Whether a screen is receiving live updates; announced politely when it changes. */
import type { LiveState } from "../api/stream.ts";

const words: Record<LiveState, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
};

export function LiveIndicator({ state }: { state: LiveState }) {
  return (
    <output className={`live live-${state}`} aria-live="polite">
      <span className="live-dot" aria-hidden="true" />
      {words[state]}
    </output>
  );
}
