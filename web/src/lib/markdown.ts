/**
 * A small Markdown reader for the review preview: headings, lists (with task boxes), paragraphs,
 * `code`, **bold** and _emphasis_. It returns blocks of plain text runs, never HTML, so what
 * people wrote is shown as text (React escapes it) and nothing in a review can run as markup.
 */
export type Run = { text: string; style: "plain" | "bold" | "em" | "code" };
export type Block =
  | { kind: "heading"; level: 1 | 2 | 3; runs: Run[] }
  | { kind: "list"; items: { checked: boolean | null; runs: Run[] }[] }
  | { kind: "paragraph"; runs: Run[] };

const inlinePattern = /(`[^`]+`|\*\*[^*]+\*\*|_[^_\s][^_]*_)/;

/** Splits a line into styled runs; a backslash keeps the next character as it is. */
export function runsOf(text: string): Run[] {
  const runs: Run[] = [];
  for (const part of text.split(inlinePattern)) {
    if (!part) continue;
    if (part.startsWith("`") && part.endsWith("`") && part.length > 2)
      runs.push({ text: part.slice(1, -1), style: "code" });
    else if (part.startsWith("**") && part.endsWith("**") && part.length > 4)
      runs.push({ text: part.slice(2, -2), style: "bold" });
    else if (part.startsWith("_") && part.endsWith("_") && part.length > 2)
      runs.push({ text: part.slice(1, -1), style: "em" });
    else runs.push({ text: part.replace(/\\([\\`*_#>+\-.[\]])/g, "$1"), style: "plain" });
  }
  return runs;
}

const entities: Record<string, string> = { "&lt;": "<", "&gt;": ">", "&amp;": "&" };
const decode = (s: string) => s.replace(/&(lt|gt|amp);/g, (m) => entities[m] ?? m);

export function parseMarkdown(source: string): Block[] {
  const blocks: Block[] = [];
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length) blocks.push({ kind: "paragraph", runs: runsOf(decode(paragraph.join(" "))) });
    paragraph = [];
  };
  for (const raw of source.split(/\r?\n/)) {
    const line = raw.trimEnd();
    const heading = /^(#{1,3})\s+(.*)$/.exec(line);
    const item = /^\s*[-*+]\s+(?:\[([ xX])\]\s+)?(.*)$/.exec(line);
    if (!line.trim()) flush();
    else if (heading?.[1] && heading[2] !== undefined) {
      flush();
      blocks.push({
        kind: "heading",
        level: heading[1].length as 1 | 2 | 3,
        runs: runsOf(decode(heading[2])),
      });
    } else if (item && item[2] !== undefined) {
      flush();
      const last = blocks[blocks.length - 1];
      const entry = {
        checked: item[1] === undefined ? null : item[1] !== " ",
        runs: runsOf(decode(item[2])),
      };
      if (last?.kind === "list") last.items.push(entry);
      else blocks.push({ kind: "list", items: [entry] });
    } else paragraph.push(line.trim());
  }
  flush();
  return blocks;
}
