/**
 * The built-in incident room's text rules, pure: whether a line is a chat command, and who it
 * mentions. Usernames are what people type after `@`: letters, digits and `.`, `_`, `-`.
 */

/** The command's text after `/<command>` (e.g. `severity S1`), or null when the line is a message. */
export function roomCommandText(text: string, command: string): string | null {
  const trimmed = text.trim();
  const prefix = `/${command}`;
  if (trimmed === prefix) return "";
  if (trimmed.startsWith(`${prefix} `) || trimmed.startsWith(`${prefix}\n`))
    return trimmed.slice(prefix.length).trim();
  return null;
}

/** `@username` mentions, each once, in the order typed; an email address is not a mention. */
export function mentionsIn(text: string): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(/(^|[^\w@.])@([A-Za-z0-9][A-Za-z0-9._-]{0,63})/g)) {
    const name = (m[2] as string).replace(/[._-]+$/, "");
    if (!names.includes(name)) names.push(name);
  }
  return names;
}
