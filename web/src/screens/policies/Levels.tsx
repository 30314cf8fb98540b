/**
 * A policy's levels: added, removed and reordered (Move up / Move down, or by dragging a level),
 * each with the people and schedules it notifies and its minutes before the next level. Focus
 * follows a moved level and the move is announced.
 */
import { type DragEvent, useEffect, useId, useState } from "react";
import type { Schedule } from "../../api/oncall.ts";
import type { User } from "../../api/types.ts";
import {
  type DraftLevel,
  moveItem,
  newLevel,
  type Problems,
  parseTarget,
  sameTarget,
  type Target,
  targetValue,
} from "../../lib/escalation-policy.ts";
import { overridePeople, targetLabel } from "../../lib/oncall.ts";
import { FieldError } from "./FieldError.tsx";

type Props = {
  levels: DraftLevel[];
  onChange: (levels: DraftLevel[]) => void;
  schedules: Schedule[];
  people: User[];
  errors: Problems;
};

function AddTarget({
  selectId,
  level,
  index,
  schedules,
  people,
  onAdd,
}: {
  selectId: string;
  level: DraftLevel;
  index: number;
  schedules: Schedule[];
  people: User[];
  onAdd: (t: Target) => void;
}) {
  const [choice, setChoice] = useState("");
  const free = (t: Target) => !level.targets.some((x) => sameTarget(x, t));
  const freeSchedules = schedules.filter((s) => free({ kind: "schedule", id: s.id }));
  const freePeople = overridePeople(people).filter((p) => free({ kind: "user", id: p.id }));
  const add = () => {
    const t = parseTarget(choice);
    if (t) onAdd(t);
    setChoice("");
  };
  return (
    <div className="inline-form add-target">
      <label>
        Add to level {index + 1}
        <select id={selectId} value={choice} onChange={(e) => setChoice(e.target.value)}>
          <option value="">Choose a schedule or a person</option>
          {freeSchedules.length ? (
            <optgroup label="Schedules (whoever is on call)">
              {freeSchedules.map((s) => (
                <option key={s.id} value={targetValue({ kind: "schedule", id: s.id })}>
                  {s.name}
                </option>
              ))}
            </optgroup>
          ) : null}
          {freePeople.length ? (
            <optgroup label="People">
              {freePeople.map((p) => (
                <option key={p.id} value={targetValue({ kind: "user", id: p.id })}>
                  {p.name || p.username}
                </option>
              ))}
            </optgroup>
          ) : null}
        </select>
      </label>
      <button type="button" onClick={add} disabled={!choice} aria-label={`Add to level ${index + 1}`}>
        Add
      </button>
    </div>
  );
}

export function Levels({ levels, onChange, schedules, people, errors }: Props) {
  const id = useId();
  const [announcement, setAnnouncement] = useState("");
  const [focus, setFocus] = useState<{ key: number; what: "up" | "down" | "timeout" | "add" } | null>(null);
  const [dragging, setDragging] = useState<number | null>(null);
  const [over, setOver] = useState<number | null>(null);

  // After a move, keep the keyboard on the level that moved (its other button when at an end).
  useEffect(() => {
    if (!focus) return;
    const byId = (what: string) =>
      document.getElementById(`${id}-${focus.key}-${what}`) as HTMLElement | null;
    let el = byId(focus.what);
    if (el instanceof HTMLButtonElement && el.disabled) el = byId(focus.what === "up" ? "down" : "up");
    if (el instanceof HTMLButtonElement && el.disabled) el = byId("timeout");
    el?.focus();
    setFocus(null);
  }, [focus, id]);

  const update = (i: number, change: Partial<DraftLevel>) =>
    onChange(levels.map((l, n) => (n === i ? { ...l, ...change } : l)));
  const move = (from: number, to: number, how: "up" | "down" | "drag") => {
    const level = levels[from];
    if (!level || to < 0 || to >= levels.length || to === from) return;
    onChange(moveItem(levels, from, to));
    setAnnouncement(`Level ${from + 1} is now level ${to + 1}.`);
    if (how !== "drag") setFocus({ key: level.key, what: how });
  };
  const remove = (i: number) => {
    const next = levels.filter((_, n) => n !== i);
    onChange(next);
    setAnnouncement(`Level ${i + 1} removed.`);
    const neighbour = next[Math.min(i, next.length - 1)];
    if (neighbour) setFocus({ key: neighbour.key, what: "timeout" });
  };
  const addLevel = () => {
    const level = newLevel();
    onChange([...levels, level]);
    setAnnouncement(`Level ${levels.length + 1} added.`);
    setFocus({ key: level.key, what: "add" });
  };

  const onDrop = (e: DragEvent, to: number) => {
    e.preventDefault();
    if (dragging !== null) move(dragging, to, "drag");
    setDragging(null);
    setOver(null);
  };

  return (
    <fieldset className="levels-editor">
      <legend>Levels, in order</legend>
      <p className="hint">
        Level 1 is notified at once; each next level when nobody has acknowledged in its predecessor's
        minutes. Reorder with <em>Move up</em> and <em>Move down</em>, or drag a level by its handle.
      </p>
      <FieldError id={`${id}-levels-error`} message={errors.levels} />
      <ol className="plain level-list">
        {levels.map((level, i) => {
          const timeoutField = `levels[${i}].timeoutMinutes`;
          const targetsField = `levels[${i}].targets`;
          return (
            <li
              key={level.key}
              className={`level-card${over === i && dragging !== i ? " level-drop" : ""}${dragging === i ? " level-dragging" : ""}`}
              aria-labelledby={`${id}-${level.key}-title`}
              onDragOver={(e) => {
                if (dragging === null) return;
                e.preventDefault();
                setOver(i);
              }}
              onDragLeave={() => setOver((o) => (o === i ? null : o))}
              onDrop={(e) => onDrop(e, i)}
            >
              <div className="level-head">
                <span
                  className="level-handle"
                  draggable
                  title="Drag to reorder"
                  aria-hidden="true"
                  onDragStart={(e) => {
                    e.dataTransfer.effectAllowed = "move";
                    e.dataTransfer.setData("text/plain", String(i));
                    setDragging(i);
                  }}
                  onDragEnd={() => {
                    setDragging(null);
                    setOver(null);
                  }}
                >
                  ⠿
                </span>
                <h3 id={`${id}-${level.key}-title`}>Level {i + 1}</h3>
                <div className="button-row level-moves">
                  <button
                    type="button"
                    id={`${id}-${level.key}-up`}
                    aria-label={`Move level ${i + 1} up`}
                    disabled={i === 0}
                    onClick={() => move(i, i - 1, "up")}
                  >
                    Move up
                  </button>
                  <button
                    type="button"
                    id={`${id}-${level.key}-down`}
                    aria-label={`Move level ${i + 1} down`}
                    disabled={i === levels.length - 1}
                    onClick={() => move(i, i + 1, "down")}
                  >
                    Move down
                  </button>
                  <button
                    type="button"
                    className="link-button"
                    aria-label={`Remove level ${i + 1}`}
                    disabled={levels.length === 1}
                    onClick={() => remove(i)}
                  >
                    Remove
                  </button>
                </div>
              </div>
              {level.targets.length ? (
                <ul className="plain target-list" aria-label={`Level ${i + 1} notifies`}>
                  {level.targets.map((t) => {
                    const label = targetLabel(t, schedules, people);
                    return (
                      <li key={targetValue(t)} className="target-item">
                        <span>{label}</span>
                        <button
                          type="button"
                          className="link-button"
                          aria-label={`Remove ${label} from level ${i + 1}`}
                          onClick={() =>
                            update(i, { targets: level.targets.filter((x) => !sameTarget(x, t)) })
                          }
                        >
                          Remove
                        </button>
                      </li>
                    );
                  })}
                </ul>
              ) : (
                <p className="empty">Nobody yet: add a schedule or a person.</p>
              )}
              <FieldError id={`${id}-${level.key}-targets-error`} message={errors[targetsField]} />
              <AddTarget
                selectId={`${id}-${level.key}-add`}
                level={level}
                index={i}
                schedules={schedules}
                people={people}
                onAdd={(t) => update(i, { targets: [...level.targets, t] })}
              />
              <label className="timeout-field">
                Minutes before the next level
                <input
                  id={`${id}-${level.key}-timeout`}
                  inputMode="numeric"
                  value={level.timeoutMinutes}
                  onChange={(e) => update(i, { timeoutMinutes: e.target.value })}
                  aria-invalid={errors[timeoutField] ? true : undefined}
                  aria-describedby={errors[timeoutField] ? `${id}-${level.key}-timeout-error` : undefined}
                />
                <FieldError id={`${id}-${level.key}-timeout-error`} message={errors[timeoutField]} />
              </label>
            </li>
          );
        })}
      </ol>
      <button type="button" onClick={addLevel} disabled={levels.length >= 20}>
        Add a level
      </button>
      <p className="visually-hidden" aria-live="polite">
        {announcement}
      </p>
    </fieldset>
  );
}
