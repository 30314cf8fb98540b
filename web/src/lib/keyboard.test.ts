import { describe, expect, it } from "vitest";
import { isTypingTarget, shortcutOf } from "./keyboard.ts";

const el = (tagName: string, extra: Record<string, unknown> = {}) =>
  ({ tagName, ...extra }) as unknown as EventTarget;
const press = (
  key: string,
  target: EventTarget | null,
  chord: Partial<Record<"altKey" | "ctrlKey" | "metaKey", boolean>> = {},
) => ({
  key,
  target,
  altKey: false,
  ctrlKey: false,
  metaKey: false,
  ...chord,
});

describe("single-key shortcuts", () => {
  it("fire on the page, not while typing in a field", () => {
    expect(shortcutOf(press("d", el("BODY")), ["d", "/"])).toBe("d");
    expect(shortcutOf(press("/", el("A")), ["d", "/"])).toBe("/");
    expect(shortcutOf(press("d", el("INPUT", { type: "text" })), ["d"])).toBeNull();
    expect(shortcutOf(press("d", el("INPUT", { type: "search" })), ["d"])).toBeNull();
    expect(shortcutOf(press("d", el("TEXTAREA")), ["d"])).toBeNull();
    expect(shortcutOf(press("d", el("SELECT")), ["d"])).toBeNull();
    expect(shortcutOf(press("d", el("DIV", { isContentEditable: true })), ["d"])).toBeNull();
  });

  it("fire from a focused checkbox or button (no text goes there)", () => {
    expect(isTypingTarget(el("INPUT", { type: "checkbox" }))).toBe(false);
    expect(shortcutOf(press("d", el("BUTTON")), ["d"])).toBe("d");
  });

  it("leave chords and other keys to the browser", () => {
    expect(shortcutOf(press("d", el("BODY"), { ctrlKey: true }), ["d"])).toBeNull();
    expect(shortcutOf(press("d", el("BODY"), { metaKey: true }), ["d"])).toBeNull();
    expect(shortcutOf(press("D", el("BODY")), ["d"])).toBeNull();
    expect(shortcutOf(press("x", null), ["d"])).toBeNull();
  });
});
