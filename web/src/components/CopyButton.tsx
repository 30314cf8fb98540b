/** Copies a text to the clipboard and says so. */
import { useState } from "react";

export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [outcome, setOutcome] = useState<"" | "Copied" | "Copy failed: select the text and copy it">("");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setOutcome("Copied");
    } catch {
      setOutcome("Copy failed: select the text and copy it");
    }
  };
  return (
    <>
      <button type="button" onClick={copy}>
        {label}
      </button>
      <span className="hint" aria-live="polite">
        {outcome}
      </span>
    </>
  );
}
