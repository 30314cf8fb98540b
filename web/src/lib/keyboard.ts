/** Single-key shortcuts that never fire while a person is typing. */
import { useEffect, useRef } from "react";

/** True when a key press belongs to a field (typing a "d" in a note must not open Declare). */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!target || typeof (target as Partial<HTMLElement>).tagName !== "string") return false;
  const el = target as HTMLElement;
  const tag = el.tagName.toLowerCase();
  if (tag === "textarea" || tag === "select") return true;
  if (tag === "input") {
    const type = ((el as HTMLInputElement).type || "text").toLowerCase();
    return !["button", "checkbox", "radio", "submit", "reset"].includes(type);
  }
  return el.isContentEditable === true;
}

export type KeyLike = {
  key: string;
  target: EventTarget | null;
  altKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
};

/** The shortcut a key press means, or null when it is typing, a chord, or not a shortcut. */
export function shortcutOf<K extends string>(e: KeyLike, keys: readonly K[]): K | null {
  if (e.altKey || e.ctrlKey || e.metaKey || isTypingTarget(e.target)) return null;
  return keys.find((k) => k === e.key) ?? null;
}

export function useShortcuts(handlers: Record<string, (e: KeyboardEvent) => void>): void {
  const current = useRef(handlers);
  current.current = handlers;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented) return;
      const key = shortcutOf(e, Object.keys(current.current));
      if (key === null) return;
      e.preventDefault();
      current.current[key]?.(e);
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);
}
