/**
 * iCalendar (RFC 5545) feeds of on-call shifts, for calendar clients that subscribe to a URL.
 * Pure text rendering: the caller picks the shifts, the names and `now`.
 */

export type CalendarShift = { userId: number; userName: string; start: Date; end: Date };

export type CalendarInput = {
  /** The schedule's (or feed's) name: the calendar's title and the end of every summary. */
  name: string;
  /** Stable identifier of the feed ("schedule-3"); event UIDs are built from it. */
  id: string;
  shifts: CalendarShift[];
  now: Date;
  /** Link back to Firebreak, put on every event. */
  url?: string;
};

const CRLF = "\r\n";
const encoder = new TextEncoder();

/** UTC date-time in the basic format DTSTART wants: 20260302T090000Z (seconds are truncated). */
function utcStamp(d: Date): string {
  return `${d.toISOString().slice(0, 19).replace(/[-:]/g, "")}Z`;
}

/**
 * TEXT escaping (§3.3.11): backslash, semicolon, comma and newlines are escaped; other control
 * characters are not allowed in TEXT at all, so they are dropped rather than sent to break clients.
 */
export function escapeText(text: string): string {
  let out = "";
  for (const c of text.replace(/\r\n?/g, "\n")) {
    if (c === "\n") out += "\\n";
    else if (c === "\\" || c === ";" || c === ",") out += `\\${c}`;
    else if (c === "\t" || (c >= " " && c !== "\u007f")) out += c;
  }
  return out;
}

/**
 * Folds a content line to at most 75 octets per physical line (§3.1): continuation lines begin
 * with one space, which counts. Cuts only between code points so no UTF-8 sequence (or surrogate
 * pair) is split — an emoji stays whole on one line.
 */
export function foldLine(line: string): string {
  const lines: string[] = [];
  let current = "";
  let octets = 0;
  for (const char of line) {
    const size = encoder.encode(char).length;
    if (octets + size > 75) {
      lines.push(current);
      current = " ";
      octets = 1;
    }
    current += char;
    octets += size;
  }
  lines.push(current);
  return lines.join(CRLF);
}

/**
 * The calendar for `input`: one VEVENT per shift, times in UTC so no VTIMEZONE is needed and every
 * client shows the same instants. Shifts are marked transparent: being on call is not being busy.
 */
export function renderCalendar(input: CalendarInput): string {
  const stamp = utcStamp(input.now);
  const lines = [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//Firebreak//On-call//EN",
    "CALSCALE:GREGORIAN",
    "METHOD:PUBLISH",
    `X-WR-CALNAME:${escapeText(input.name)}`,
    // Ask subscribing clients to refresh hourly (RFC 7986; X-PUBLISHED-TTL for Outlook).
    "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
    "X-PUBLISHED-TTL:PT1H",
  ];
  const seen = new Map<string, number>();
  for (const shift of input.shifts) {
    // Stable across fetches: the feed, the start and the person. A person's feed can hold two
    // schedules' shifts starting together, so repeats get a counter rather than a clashing UID.
    const base = `${input.id}-${utcStamp(shift.start)}-${shift.userId}`;
    const repeat = seen.get(base) ?? 0;
    seen.set(base, repeat + 1);
    const uid = repeat === 0 ? base : `${base}-${repeat + 1}`;
    lines.push(
      "BEGIN:VEVENT",
      `UID:${escapeText(`${uid}@firebreak`)}`,
      `DTSTAMP:${stamp}`,
      `DTSTART:${utcStamp(shift.start)}`,
      `DTEND:${utcStamp(shift.end)}`,
      `SUMMARY:${escapeText(`On call: ${shift.userName} (${input.name})`)}`,
      "TRANSP:TRANSPARENT",
    );
    // A URI is not TEXT: it is not escaped, but it must not smuggle in a line break.
    if (input.url) lines.push(`URL:${input.url.replace(/[\r\n]/g, "")}`);
    lines.push("END:VEVENT");
  }
  lines.push("END:VCALENDAR");
  return lines.map(foldLine).join(CRLF) + CRLF;
}
