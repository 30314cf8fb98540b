/**
 * One layer (rotation) of the schedule editor: its name and zone, the participants in turn order
 * (reordered by dragging, or by the Move up / Move down buttons, each move announced), the shift
 * length, the first hand-off and the restriction windows.
 */
import { type DragEvent, useEffect, useId, useRef, useState } from "react";
import type { User } from "../../api/types.ts";
import { overridePeople, personName } from "../../lib/oncall.ts";
import { type DraftLayer, type DraftRestriction, moveItem } from "../../lib/schedule-preview.ts";
import { FieldError } from "./FieldError.tsx";

const weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const weekdayNames = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

type Props = {
  index: number;
  layer: DraftLayer;
  people: User[];
  /** Messages by field path ("layers[0].start"), shown at their fields. */
  errors: Record<string, string>;
  readOnly: boolean;
  canRemove: boolean;
  onChange: (layer: DraftLayer) => void;
  onRemove: () => void;
  /** Says an outcome to screen readers (a participant moved, added, removed). */
  announce: (text: string) => void;
};

function Participants({
  index,
  layer,
  people,
  errors,
  readOnly,
  onChange,
  announce,
}: Omit<Props, "canRemove" | "onRemove">) {
  const id = useId();
  const list = useRef<HTMLOListElement>(null);
  const [adding, setAdding] = useState("");
  const [dragging, setDragging] = useState<number | null>(null);
  const [focus, setFocus] = useState<{ at: number; action: "up" | "down" } | null>(null);
  const name = (u: number) => personName(people, u);
  const field = `layers[${index}].participants`;

  // After a move by keyboard, focus stays with the person moved (their button at the new place).
  useEffect(() => {
    if (!focus) return;
    const buttons = list.current?.querySelectorAll<HTMLButtonElement>(`[data-at="${focus.at}"]`);
    const wanted = [...(buttons ?? [])].find((b) => b.dataset.action === focus.action && !b.disabled);
    (wanted ?? [...(buttons ?? [])].find((b) => !b.disabled))?.focus();
    setFocus(null);
  }, [focus]);

  const move = (from: number, to: number, action?: "up" | "down") => {
    const participants = moveItem(layer.participants, from, to);
    const at = Math.max(0, Math.min(participants.length - 1, to));
    onChange({ ...layer, participants });
    announce(
      `${name(layer.participants[from] ?? 0)} moved to position ${at + 1} of ${participants.length} in ${layer.name || `layer ${index + 1}`}.`,
    );
    if (action) setFocus({ at, action });
  };
  const drop = (e: DragEvent, to: number) => {
    e.preventDefault();
    if (dragging !== null && dragging !== to) move(dragging, to);
    setDragging(null);
  };

  return (
    <fieldset className="participants">
      <legend>Participants, in turn order</legend>
      {layer.participants.length === 0 ? <p className="muted">Nobody yet: add people below.</p> : null}
      <ol
        ref={list}
        className="plain participant-list"
        aria-describedby={errors[field] ? `${id}-error` : undefined}
      >
        {layer.participants.map((u, i) => (
          <li
            // The same person may take several turns, so the position is part of the key.
            // biome-ignore lint/suspicious/noArrayIndexKey: an id alone may repeat
            key={`${i}-${u}`}
            className={dragging === i ? "participant dragging" : "participant"}
            draggable={!readOnly}
            onDragStart={(e) => {
              e.dataTransfer.effectAllowed = "move";
              e.dataTransfer.setData("text/plain", String(i));
              setDragging(i);
            }}
            onDragOver={(e) => {
              if (dragging !== null) e.preventDefault();
            }}
            onDrop={(e) => drop(e, i)}
            onDragEnd={() => setDragging(null)}
          >
            {readOnly ? null : (
              <span className="drag-handle" aria-hidden="true">
                ⠿
              </span>
            )}
            <span className="participant-name">
              {i + 1}. {name(u)}
            </span>
            {readOnly ? null : (
              <span className="participant-actions">
                <button
                  type="button"
                  data-at={i}
                  data-action="up"
                  disabled={i === 0}
                  aria-label={`Move ${name(u)} up`}
                  onClick={() => move(i, i - 1, "up")}
                >
                  ↑
                </button>
                <button
                  type="button"
                  data-at={i}
                  data-action="down"
                  disabled={i === layer.participants.length - 1}
                  aria-label={`Move ${name(u)} down`}
                  onClick={() => move(i, i + 1, "down")}
                >
                  ↓
                </button>
                <button
                  type="button"
                  className="danger"
                  aria-label={`Remove ${name(u)}`}
                  onClick={() => {
                    onChange({ ...layer, participants: layer.participants.filter((_, j) => j !== i) });
                    announce(`${name(u)} removed from ${layer.name || `layer ${index + 1}`}.`);
                  }}
                >
                  Remove
                </button>
              </span>
            )}
          </li>
        ))}
      </ol>
      <FieldError id={`${id}-error`} message={errors[field]} />
      {readOnly ? null : (
        <div className="inline-add">
          <label>
            Add a person
            <select value={adding} onChange={(e) => setAdding(e.target.value)}>
              <option value="">Choose a person</option>
              {overridePeople(people).map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name || p.username}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            disabled={!adding}
            onClick={() => {
              const u = Number(adding);
              onChange({ ...layer, participants: [...layer.participants, u] });
              announce(`${name(u)} added at position ${layer.participants.length + 1}.`);
              setAdding("");
            }}
          >
            Add
          </button>
        </div>
      )}
      {readOnly ? null : (
        <p className="hint">Drag a person to reorder, or use the arrow buttons beside their name.</p>
      )}
    </fieldset>
  );
}

function Restriction({
  at,
  window: w,
  errors,
  readOnly,
  onChange,
  onRemove,
}: {
  at: string;
  window: DraftRestriction;
  errors: Record<string, string>;
  readOnly: boolean;
  onChange: (w: DraftRestriction) => void;
  onRemove: () => void;
}) {
  const id = useId();
  const n = Number(/\[(\d+)\]$/.exec(at)?.[1] ?? 0) + 1;
  const toggle = (day: number) =>
    onChange({ ...w, days: w.days.includes(day) ? w.days.filter((d) => d !== day) : [...w.days, day] });
  const time = (key: "start" | "end", label: string) => (
    <label>
      {label}
      <input
        type="time"
        value={w[key]}
        disabled={readOnly}
        onChange={(e) => onChange({ ...w, [key]: e.target.value })}
        aria-invalid={errors[`${at}.${key}`] ? true : undefined}
        aria-describedby={errors[`${at}.${key}`] ? `${id}-${key}` : undefined}
      />
      <FieldError id={`${id}-${key}`} message={errors[`${at}.${key}`]} />
    </label>
  );
  return (
    <fieldset className="restriction">
      <legend>Window {n}</legend>
      <fieldset className="day-boxes">
        <legend className="visually-hidden">Window {n} days</legend>
        {weekdays.map((d, i) => (
          <label key={d} className="day-box">
            <input
              type="checkbox"
              checked={w.days.includes(i + 1)}
              disabled={readOnly}
              onChange={() => toggle(i + 1)}
              aria-label={weekdayNames[i]}
            />
            <span aria-hidden="true">{d}</span>
          </label>
        ))}
      </fieldset>
      <FieldError id={`${id}-days`} message={errors[`${at}.days`]} />
      <div className="field-pair">
        {time("start", "From")}
        {time("end", "To")}
      </div>
      {readOnly ? null : (
        <button type="button" className="danger" onClick={onRemove}>
          Remove window {n}
        </button>
      )}
    </fieldset>
  );
}

export function LayerEditor(props: Props) {
  const { index, layer, errors, readOnly, onChange } = props;
  const id = useId();
  const at = `layers[${index}]`;
  const err = (f: string) => errors[`${at}.${f}`];
  const described = (f: string) => (err(f) ? `${id}-${f}` : undefined);
  const invalid = (f: string) => (err(f) ? true : undefined);
  const set = <K extends keyof DraftLayer>(key: K, value: DraftLayer[K]) =>
    onChange({ ...layer, [key]: value });

  return (
    <fieldset className="layer panel">
      <legend>
        Layer {index + 1}
        {layer.name ? `: ${layer.name}` : ""}
      </legend>
      {index > 0 ? (
        <p className="hint">Wherever it has someone on call, this layer wins over the ones above.</p>
      ) : null}
      <div className="field-pair">
        <label>
          Layer name
          <input
            value={layer.name}
            maxLength={100}
            readOnly={readOnly}
            onChange={(e) => set("name", e.target.value)}
            aria-invalid={invalid("name")}
            aria-describedby={described("name")}
          />
          <FieldError id={`${id}-name`} message={err("name")} />
        </label>
        <label>
          Hand-off time zone
          <input
            value={layer.timeZone}
            list="schedule-time-zones"
            readOnly={readOnly}
            onChange={(e) => set("timeZone", e.target.value)}
            aria-invalid={invalid("timeZone")}
            aria-describedby={described("timeZone")}
          />
          <FieldError id={`${id}-timeZone`} message={err("timeZone")} />
        </label>
      </div>
      <Participants {...props} />
      <div className="field-pair">
        <label>
          Shift length
          <input
            type="number"
            min={1}
            max={10000}
            inputMode="numeric"
            value={layer.count}
            readOnly={readOnly}
            onChange={(e) => set("count", e.target.value)}
            aria-invalid={invalid("shiftLength.count")}
            aria-describedby={described("shiftLength.count")}
          />
          <FieldError id={`${id}-shiftLength.count`} message={err("shiftLength.count")} />
        </label>
        <label>
          Unit
          <select
            value={layer.unit}
            disabled={readOnly}
            onChange={(e) => set("unit", e.target.value as DraftLayer["unit"])}
          >
            <option value="hours">hours</option>
            <option value="days">days</option>
            <option value="weeks">weeks</option>
          </select>
        </label>
      </div>
      <label>
        First hand-off ({layer.timeZone || "the layer's zone"})
        <input
          type="datetime-local"
          value={layer.start}
          readOnly={readOnly}
          onChange={(e) => set("start", e.target.value)}
          aria-invalid={invalid("start")}
          aria-describedby={described("start")}
        />
        <span className="hint">
          The first person's first shift starts here; later hand-offs keep this local time, across DST.
        </span>
        <FieldError id={`${id}-start`} message={err("start")} />
      </label>
      <fieldset className="restrictions">
        <legend>When on call</legend>
        {layer.restrictions.length === 0 ? (
          <p className="muted">Around the clock. Add a window to cover only certain hours.</p>
        ) : null}
        {layer.restrictions.map((w, k) => (
          <Restriction
            // Windows have no identity of their own; removing one re-renders those after it.
            // biome-ignore lint/suspicious/noArrayIndexKey: windows are edited in place by position
            key={k}
            at={`${at}.restrictions[${k}]`}
            window={w}
            errors={errors}
            readOnly={readOnly}
            onChange={(next) =>
              set(
                "restrictions",
                layer.restrictions.map((x, j) => (j === k ? next : x)),
              )
            }
            onRemove={() =>
              set(
                "restrictions",
                layer.restrictions.filter((_, j) => j !== k),
              )
            }
          />
        ))}
        {readOnly ? null : (
          <button
            type="button"
            onClick={() =>
              set("restrictions", [
                ...layer.restrictions,
                { days: [1, 2, 3, 4, 5], start: "09:00", end: "17:00" },
              ])
            }
          >
            Add a time window
          </button>
        )}
      </fieldset>
      {readOnly || !props.canRemove ? null : (
        <button type="button" className="danger" onClick={props.onRemove}>
          Remove layer {index + 1}
        </button>
      )}
    </fieldset>
  );
}
