/**
 * The page's components and groups in the order the public page shows them, each with its status
 * (a change is public at once, STAT-2). Whoever manages the page also adds, edits, deletes and
 * reorders them: by dragging a row onto a sibling's place, or with *Move up* / *Move down*, the
 * new place said aloud. A new order is sent whole (one request, one transaction).
 */
import { useIsMutating, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type DragEvent, useEffect, useRef, useState } from "react";
import {
  type ComponentStatus,
  componentsQuery,
  deleteComponent,
  reorderComponents,
  type StatusComponent,
  setComponentStatus,
  statusKeys,
} from "../../api/statuspage.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { useFocusAfterRender } from "../../lib/focus.ts";
import {
  componentStatuses,
  componentStatusLabel,
  isTrouble,
  type Moved,
  moveBy,
  movedMessage,
  moveOnto,
  orderComponents,
  orderedIds,
  withOrder,
} from "../../lib/statuspage.ts";
import { AddComponent, EditComponent } from "./ComponentForm.tsx";
import { ServiceLevels } from "./ServiceLevels.tsx";

function StatusControl({ slug, component }: { slug: string; component: StatusComponent }) {
  const queryClient = useQueryClient();
  const change = useMutation({
    mutationFn: (status: ComponentStatus) => setComponentStatus(slug, component.id, status),
    onSuccess: (updated) =>
      queryClient.setQueryData<StatusComponent[]>(statusKeys.components(slug), (list) =>
        list?.map((c) => (c.id === updated.id ? updated : c)),
      ),
    // A member's change changes its group's status too.
    onSettled: () => queryClient.invalidateQueries({ queryKey: statusKeys.components(slug) }),
  });
  const status = change.isPending && change.variables ? change.variables : component.status;
  if (component.group)
    return (
      <span className={isTrouble(status) ? "trouble" : undefined}>
        {componentStatusLabel[status]} <span className="muted">(its members' worst)</span>
      </span>
    );
  return (
    <span className="sp-status">
      <select
        aria-label={`Status of ${component.name}`}
        value={status}
        disabled={change.isPending}
        onChange={(e) => change.mutate(e.target.value as ComponentStatus)}
      >
        {componentStatuses.map((s) => (
          <option key={s} value={s}>
            {componentStatusLabel[s]}
          </option>
        ))}
      </select>
      <ErrorNote error={change.error} />
    </span>
  );
}

type Arrange = {
  /** Says an outcome aloud and puts the focus on the list's heading (the row is gone). */
  deleted(name: string): void;
  move(c: StatusComponent, moved: Moved | null, focus?: "up" | "down"): void;
  dragging: number | null;
  setDragging(id: number | null): void;
};

function Row({
  slug,
  component,
  components,
  members,
  manage,
  arrange,
}: {
  slug: string;
  component: StatusComponent;
  components: StatusComponent[];
  members: StatusComponent[];
  manage: boolean;
  arrange: Arrange;
}) {
  const queryClient = useQueryClient();
  const [mode, setMode] = useState<"view" | "edit" | "delete" | "levels">("view");
  const [over, setOver] = useState(false);
  const editButton = useRef<HTMLButtonElement>(null);
  const deleteButton = useRef<HTMLButtonElement>(null);
  const focusAfterRender = useFocusAfterRender();
  const remove = useMutation({
    mutationFn: () => deleteComponent(slug, component.id),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: statusKeys.components(slug) });
      arrange.deleted(component.name);
    },
  });
  const up = moveBy(components, component.id, -1);
  const down = moveBy(components, component.id, 1);
  const { dragging } = arrange;
  const droppable =
    dragging !== null && dragging !== component.id && moveOnto(components, dragging, component.id);

  // Drag and drop: a row dropped on a sibling takes its place (drag events bubble out of groups).
  const drag = manage
    ? {
        draggable: mode === "view",
        onDragStart: (e: DragEvent) => {
          e.stopPropagation();
          e.dataTransfer.effectAllowed = "move";
          e.dataTransfer.setData("text/plain", String(component.id));
          arrange.setDragging(component.id);
        },
        onDragEnd: () => arrange.setDragging(null),
        onDragOver: (e: DragEvent) => {
          if (!droppable) return;
          e.preventDefault();
          e.stopPropagation();
          setOver(true);
        },
        onDragLeave: () => setOver(false),
        onDrop: (e: DragEvent) => {
          if (!droppable || dragging === null) return;
          e.preventDefault();
          e.stopPropagation();
          setOver(false);
          const moving = components.find((c) => c.id === dragging);
          if (moving) arrange.move(moving, moveOnto(components, dragging, component.id));
          arrange.setDragging(null);
        },
      }
    : {};

  const className = [
    "sp-row",
    component.group ? "sp-group" : "",
    over ? "sp-over" : "",
    dragging === component.id ? "sp-dragging" : "",
  ]
    .filter(Boolean)
    .join(" ");
  return (
    <li className={className} aria-label={component.name} {...drag}>
      {mode === "edit" ? (
        <EditComponent
          slug={slug}
          component={component}
          components={components}
          onDone={() => {
            setMode("view");
            focusAfterRender(editButton);
          }}
        />
      ) : (
        <div className="sp-line">
          {manage ? (
            <span className="sp-handle" aria-hidden="true" title="Drag to reorder">
              ⠿
            </span>
          ) : null}
          <div className="sp-name">
            <strong>{component.name}</strong>
            {component.group ? <span className="tag">group</span> : null}
            {component.description ? <span className="muted sp-desc">{component.description}</span> : null}
          </div>
          <StatusControl slug={slug} component={component} />
          {manage ? (
            <span className="sp-actions">
              <button
                type="button"
                data-move={`${component.id}-up`}
                aria-label={`Move ${component.name} up`}
                disabled={!up}
                onClick={() => arrange.move(component, up, "up")}
              >
                ↑<span className="sp-wide"> Up</span>
              </button>
              <button
                type="button"
                data-move={`${component.id}-down`}
                aria-label={`Move ${component.name} down`}
                disabled={!down}
                onClick={() => arrange.move(component, down, "down")}
              >
                ↓<span className="sp-wide"> Down</span>
              </button>
              <button
                type="button"
                ref={editButton}
                aria-label={`Edit ${component.name}`}
                onClick={() => setMode("edit")}
              >
                Edit
              </button>
              {component.group ? null : (
                <button
                  type="button"
                  aria-expanded={mode === "levels"}
                  aria-label={`Service levels of ${component.name}`}
                  onClick={() => setMode(mode === "levels" ? "view" : "levels")}
                >
                  Service levels
                </button>
              )}
              <button
                type="button"
                className="danger"
                ref={deleteButton}
                aria-label={`Delete ${component.name}`}
                onClick={() => setMode("delete")}
              >
                Delete
              </button>
            </span>
          ) : null}
        </div>
      )}
      {mode === "levels" ? (
        <ServiceLevels slug={slug} componentId={component.id} name={component.name} />
      ) : null}
      {mode === "delete" ? (
        <fieldset className="sp-confirm">
          <legend>Delete {component.name}?</legend>
          <p>
            {component.group && members.length ? "Its components stay, at the top level of the page. " : ""}
            Its uptime history goes with it.
          </p>
          <div className="button-row">
            <button
              type="button"
              className="danger"
              disabled={remove.isPending}
              onClick={() => remove.mutate()}
            >
              Delete {component.name}
            </button>
            <button
              type="button"
              // biome-ignore lint/a11y/noAutofocus: the question was just asked; its answer is here
              autoFocus
              onClick={() => {
                setMode("view");
                remove.reset();
                focusAfterRender(deleteButton);
              }}
            >
              Keep it
            </button>
          </div>
          <ErrorNote error={remove.error} />
        </fieldset>
      ) : null}
      {component.group && members.length ? (
        <ol className="sp-members" aria-label={`In ${component.name}`}>
          {members.map((m) => (
            <Row
              key={m.id}
              slug={slug}
              component={m}
              components={components}
              members={[]}
              manage={manage}
              arrange={arrange}
            />
          ))}
        </ol>
      ) : null}
    </li>
  );
}

export function Components({ slug, manage }: { slug: string; manage: boolean }) {
  const queryClient = useQueryClient();
  const components = useQuery(componentsQuery(slug));
  const list = components.data ?? [];
  const [said, setSaid] = useState("");
  const [dragging, setDragging] = useState<number | null>(null);
  const [refocus, setRefocus] = useState<{ id: number; dir: "up" | "down"; ids: number[] } | null>(null);
  const section = useRef<HTMLElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const key = statusKeys.components(slug);
  const mutationKey = ["status-admin", slug, "reorder"];
  const reordering = useIsMutating({ mutationKey });
  const reorder = useMutation({
    mutationKey,
    mutationFn: (ids: number[]) => reorderComponents(slug, ids),
    onMutate: async (ids) => {
      await queryClient.cancelQueries({ queryKey: key });
      const before = queryClient.getQueryData<StatusComponent[]>(key);
      if (before) queryClient.setQueryData(key, withOrder(before, ids));
      return { before };
    },
    onError: (_err, _ids, context) => {
      if (context?.before) queryClient.setQueryData(key, context.before);
      setSaid("The new order was not saved.");
      setRefocus(null);
    },
    onSuccess: (saved) => {
      // Only the answer to the last move in flight: an earlier one would undo later moves on screen.
      if (queryClient.isMutating({ mutationKey }) <= 1) queryClient.setQueryData(key, saved);
    },
  });

  // Keep the focus on the button pressed as the row moves (on its twin once at an end, where the
  // pressed one is disabled), until the list shows the new order.
  useEffect(() => {
    if (!refocus) return;
    const button = section.current?.querySelector<HTMLButtonElement>(
      `[data-move="${refocus.id}-${refocus.dir}"]`,
    );
    if (button && !button.disabled && document.activeElement !== button) button.focus();
    if (list.length && orderedIds(list).join() === refocus.ids.join()) setRefocus(null);
  }, [refocus, list]);

  const arrange: Arrange = {
    dragging,
    setDragging,
    deleted(name) {
      setSaid(`Deleted ${name}.`);
      heading.current?.focus();
    },
    move(c, moved, focus) {
      if (!moved) return;
      reorder.mutate(moved.ids);
      setSaid(movedMessage(c.name, moved));
      if (!focus) return;
      // At the top, Move up is disabled: the focus goes to Move down (and the other way round).
      const dir =
        focus === "up" && moved.position === 1
          ? "down"
          : focus === "down" && moved.position === moved.of
            ? "up"
            : focus;
      setRefocus({ id: c.id, dir, ids: moved.ids });
    },
  };

  const rows = orderComponents(list);
  const top = rows.filter((r) => r.depth === 0).map((r) => r.component);
  const membersOf = (id: number) =>
    rows.filter((r) => r.depth === 1 && r.component.groupId === id).map((r) => r.component);
  return (
    <section aria-labelledby="components-heading" className="group" ref={section}>
      <h2 id="components-heading" ref={heading} tabIndex={-1}>
        Components
      </h2>
      <p className="hint">
        A status chosen here shows on the public page at once.
        {manage ? " Drag a row, or use ↑ and ↓, to change the order visitors see." : ""}
      </p>
      <ErrorNote error={components.error} />
      {components.data?.length === 0 ? (
        <p className="empty">{manage ? "No components yet: add the first below." : "No components yet."}</p>
      ) : null}
      {top.length ? (
        <ol
          className="sp-components"
          aria-label="Components, in the order of the public page"
          aria-busy={reordering > 0}
        >
          {top.map((c) => (
            <Row
              key={c.id}
              slug={slug}
              component={c}
              components={list}
              members={membersOf(c.id)}
              manage={manage}
              arrange={arrange}
            />
          ))}
        </ol>
      ) : null}
      <p className="visually-hidden" aria-live="polite">
        {said}
      </p>
      <ErrorNote error={reorder.error} />
      {manage ? <AddComponent slug={slug} components={list} /> : null}
    </section>
  );
}
