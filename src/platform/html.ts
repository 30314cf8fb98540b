/**
 * HTML text helpers shared by the server-rendered pages: escaping, and plain text (a message a
 * person typed) shown as text with its line breaks and its http(s) links — nothing else becomes markup.
 */

const entities: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for HTML (or XML) element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => entities[c] ?? c);
}

/** The URL when it is an absolute http(s) URL, else null: the only URLs that may become an `href`. */
export function httpUrl(value: string): string | null {
  return /^https?:\/\/[^\s]/i.test(value) ? value : null;
}

// A URL runs to the next space, quote or angle bracket; `javascript:`, `data:` and friends never match.
const urlPattern = /\bhttps?:\/\/[^\s<>"'`]+/gi;

/** Punctuation that ends a sentence rather than a URL: "see https://x.test/a." links to `/a`. */
function trimUrl(url: string): string {
  let end = url.length;
  for (;;) {
    const c = url[end - 1];
    if (c === undefined) break;
    if (".,;:!?*".includes(c)) {
      end--;
    } else if (c === ")" || c === "]" || c === "}") {
      // Keep a closing bracket only when the URL opened it (e.g. a Wikipedia link).
      const open = c === ")" ? "(" : c === "]" ? "[" : "{";
      const part = url.slice(0, end);
      if (part.split(open).length > part.split(c).length - 1) break;
      end--;
    } else {
      break;
    }
  }
  return url.slice(0, end);
}

/** One line of text, escaped, with its http(s) URLs as links. */
function lineToHtml(line: string): string {
  let out = "";
  let last = 0;
  for (const m of line.matchAll(urlPattern)) {
    const url = trimUrl(m[0]);
    if (url.length <= "https://".length) continue;
    const at = m.index ?? 0;
    out += escapeHtml(line.slice(last, at));
    out += `<a href="${escapeHtml(url)}" rel="nofollow noopener noreferrer">${escapeHtml(url)}</a>`;
    last = at + url.length;
  }
  return out + escapeHtml(line.slice(last));
}

/**
 * A plain-text message as inline HTML: every character escaped, line breaks as `<br>`, and absolute
 * http(s) URLs as links. No Markdown and no HTML of the message's own passes through. The result is
 * phrasing content, so it fits inside a `<p>`.
 */
export function textToHtml(text: string): string {
  return text.replace(/\r\n?/g, "\n").trim().split("\n").map(lineToHtml).join("<br>");
}
