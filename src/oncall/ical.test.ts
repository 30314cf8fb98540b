import fc from "fast-check";
import ICAL from "ical.js";
import { describe, expect, it } from "vitest";
import { type CalendarInput, type CalendarShift, renderCalendar } from "./ical.ts";

/** Reads a feed back with ical.js, an independent parser, into plain values. */
function parse(text: string) {
  const calendar = new ICAL.Component(ICAL.parse(text));
  const events = calendar.getAllSubcomponents("vevent").map((v) => {
    const event = new ICAL.Event(v);
    const stamp = v.getFirstPropertyValue("dtstamp");
    return {
      uid: event.uid,
      summary: event.summary,
      start: event.startDate.toJSDate(),
      end: event.endDate.toJSDate(),
      startIsUtc: event.startDate.zone?.tzid === "UTC",
      stamp: stamp instanceof ICAL.Time ? stamp.toJSDate() : null,
      url: v.getFirstPropertyValue("url"),
    };
  });
  return { name: calendar.getFirstPropertyValue("x-wr-calname"), events };
}

// RFC 5545 §3.8.8.2: a non-standard property is TEXT unless declared otherwise, and calendar clients
// unescape X-WR-CALNAME; ical.js keeps unknown properties raw, so it is told about this one.
(ICAL.design.icalendar.property as Record<string, unknown>)["x-wr-calname"] = { defaultType: "text" };

/** Without the control characters TEXT cannot carry (tab aside). */
const printable = (s: string) => [...s].filter((c) => c === "\t" || (c >= " " && c !== "\u007f")).join("");

const decoder = new TextDecoder("utf-8", { fatal: true });

/** RFC 5545 §3.1 on the wire: CRLF only, at most 75 octets a line, and every line valid UTF-8 by itself. */
function expectWellFolded(text: string) {
  expect(text.endsWith("\r\n")).toBe(true);
  expect(text.replace(/\r\n/g, "")).not.toMatch(/[\r\n]/);
  const bytes = Buffer.from(text, "utf8");
  let lineStart = 0;
  for (let i = 0; i + 1 < bytes.length; i++) {
    if (bytes[i] !== 0x0d || bytes[i + 1] !== 0x0a) continue;
    const line = bytes.subarray(lineStart, i);
    expect(line.length).toBeLessThanOrEqual(75);
    expect(() => decoder.decode(line)).not.toThrow();
    lineStart = i + 2;
  }
}

const now = new Date("2026-03-01T12:00:00Z");
const shift = (userName: string, start: string, end: string, userId = 1): CalendarShift => ({
  userId,
  userName,
  start: new Date(start),
  end: new Date(end),
});

describe("PAGE-7 iCalendar feeds", () => {
  it("PAGE-7: the calendar has the required properties and one UTC event per shift", () => {
    const text = renderCalendar({
      name: "Infrastructure",
      id: "schedule-3",
      now,
      url: "https://firebreak.example.com/oncall/3",
      shifts: [
        shift("Alice", "2026-03-02T09:00:00Z", "2026-03-03T09:00:00Z"),
        shift("Bob", "2026-03-03T09:00:00Z", "2026-03-04T09:00:00Z", 2),
      ],
    });
    const head = text.split("\r\n").slice(0, 6);
    expect(head).toEqual([
      "BEGIN:VCALENDAR",
      "VERSION:2.0",
      "PRODID:-//Firebreak//On-call//EN",
      "CALSCALE:GREGORIAN",
      "METHOD:PUBLISH",
      "X-WR-CALNAME:Infrastructure",
    ]);
    expect(text).toContain("\r\nDTSTART:20260302T090000Z\r\nDTEND:20260303T090000Z\r\n");
    expectWellFolded(text);
    const { name, events } = parse(text);
    expect(name).toBe("Infrastructure");
    expect(events).toEqual([
      {
        uid: "schedule-3-20260302T090000Z-1@firebreak",
        summary: "On call: Alice (Infrastructure)",
        start: new Date("2026-03-02T09:00:00Z"),
        end: new Date("2026-03-03T09:00:00Z"),
        startIsUtc: true,
        stamp: now,
        url: "https://firebreak.example.com/oncall/3",
      },
      {
        uid: "schedule-3-20260303T090000Z-2@firebreak",
        summary: "On call: Bob (Infrastructure)",
        start: new Date("2026-03-03T09:00:00Z"),
        end: new Date("2026-03-04T09:00:00Z"),
        startIsUtc: true,
        stamp: now,
        url: "https://firebreak.example.com/oncall/3",
      },
    ]);
  });

  it("commas, semicolons, backslashes, newlines, emoji and 200-character names survive the round trip", () => {
    const names = [
      "Doe, Jane; \\ops\\",
      "line one\nline two",
      "Zoë 🧯🔥 on call 👩🏽‍🚒",
      "x".repeat(200),
      "日本語の名前".repeat(34), // 204 characters, 3 octets each: folds across many lines
      "🔥".repeat(200), // 4 octets each: a fold must never cut one in half
    ];
    const calendarName = "Platform, EU; tier-2 🛠️";
    const input: CalendarInput = {
      name: calendarName,
      id: "user-9",
      now,
      shifts: names.map((n, i) =>
        shift(n, `2026-03-0${i + 1}T09:00:00Z`, `2026-03-0${i + 2}T09:00:00Z`, i + 1),
      ),
    };
    const text = renderCalendar(input);
    expectWellFolded(text);
    expect(text).toContain("Doe\\, Jane\\; \\\\ops\\\\");
    const { name, events } = parse(text);
    expect(name).toBe(calendarName);
    expect(events.map((e) => e.summary)).toEqual(names.map((n) => `On call: ${n} (${calendarName})`));
  });

  it("control characters, which TEXT forbids, are dropped; CR and CRLF become newlines", () => {
    const text = renderCalendar({
      name: "a\u0007b",
      id: "s",
      now,
      shifts: [shift("x\r\ny\rz\u0000", "2026-03-02T09:00:00Z", "2026-03-03T09:00:00Z")],
    });
    const { name, events } = parse(text);
    expect(name).toBe("ab");
    expect(events[0]?.summary).toBe("On call: x\ny\nz (ab)");
  });

  it("UIDs are stable across renders and unique even when two shifts start together", () => {
    const input: CalendarInput = {
      name: "Alice's shifts",
      id: "user-1",
      now,
      shifts: [
        shift("Alice · Infra", "2026-03-02T09:00:00Z", "2026-03-03T09:00:00Z"),
        shift("Alice · Database", "2026-03-02T09:00:00Z", "2026-03-02T17:00:00Z"),
      ],
    };
    const first = parse(renderCalendar(input)).events.map((e) => e.uid);
    const again = parse(renderCalendar({ ...input, now: new Date("2026-03-05T00:00:00Z") })).events.map(
      (e) => e.uid,
    );
    expect(again).toEqual(first);
    expect(new Set(first).size).toBe(2);
  });

  it("an empty feed is still a valid calendar", () => {
    const { name, events } = parse(renderCalendar({ name: "Empty", id: "s", now, shifts: [] }));
    expect(name).toBe("Empty");
    expect(events).toEqual([]);
  });

  it("any list of shifts round-trips through an independent parser", () => {
    // Printable text of any script (TEXT cannot carry control characters; see the test above).
    const text = fc.string({ unit: "grapheme", maxLength: 120 }).map(printable);
    const second = fc.integer({ min: Date.UTC(2000, 0, 1) / 1000, max: Date.UTC(2100, 0, 1) / 1000 });
    const shifts = fc.array(
      fc
        .record({
          userId: fc.integer({ min: 1, max: 1e6 }),
          userName: text,
          start: second,
          length: fc.integer({ min: 1, max: 30 * 86_400 }),
        })
        .map(({ start, length, ...rest }) => ({
          ...rest,
          start: new Date(start * 1000),
          end: new Date((start + length) * 1000),
        })),
      { maxLength: 8 },
    );
    fc.assert(
      fc.property(text, fc.string({ minLength: 1, maxLength: 40 }), shifts, (name, id, list) => {
        const out = renderCalendar({ name, id, now, shifts: list });
        expectWellFolded(out);
        const parsed = parse(out);
        expect(parsed.name).toBe(name);
        expect(parsed.events.map((e) => [e.start, e.end, e.summary])).toEqual(
          list.map((s) => [s.start, s.end, `On call: ${s.userName} (${name})`]),
        );
        expect(new Set(parsed.events.map((e) => e.uid)).size).toBe(list.length);
      }),
      { numRuns: 300 },
    );
  });
});
