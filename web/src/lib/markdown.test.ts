import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseMarkdown } from "./markdown.ts";

describe("parseMarkdown", () => {
  it("reads headings, task lists, paragraphs and inline styles", () => {
    const blocks = parseMarkdown("# Review\n\nSome **bold** and `code`.\n\n- [x] done\n- [ ] open\n- plain");
    expect(blocks).toEqual([
      { kind: "heading", level: 1, runs: [{ text: "Review", style: "plain" }] },
      {
        kind: "paragraph",
        runs: [
          { text: "Some ", style: "plain" },
          { text: "bold", style: "bold" },
          { text: " and ", style: "plain" },
          { text: "code", style: "code" },
          { text: ".", style: "plain" },
        ],
      },
      {
        kind: "list",
        items: [
          { checked: true, runs: [{ text: "done", style: "plain" }] },
          { checked: false, runs: [{ text: "open", style: "plain" }] },
          { checked: null, runs: [{ text: "plain", style: "plain" }] },
        ],
      },
    ]);
  });

  it("text without Markdown syntax comes back as one plain paragraph, character for character", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-zA-Z0-9<>=" /]{0,80}$/), (s) => {
        const blocks = parseMarkdown(s);
        const want = s.trim() ? [{ kind: "paragraph", runs: [{ text: s.trim(), style: "plain" }] }] : [];
        expect(blocks).toEqual(want);
      }),
    );
    // HTML is text: the preview renders runs as React text, never as markup.
    expect(parseMarkdown("<img src=x onerror=alert(1)>")[0]).toEqual({
      kind: "paragraph",
      runs: [{ text: "<img src=x onerror=alert(1)>", style: "plain" }],
    });
  });
});
