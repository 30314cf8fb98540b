/**
 * Actions and follow-ups (FU-1): the incident's tasks, as rows. Split from store.ts by job; the
 * incident commands (work.ts) and the trackers, chat and reviews read them.
 */
import type { IncidentDb, IncidentTables } from "./store.ts";

export type Task = {
  id: number;
  incidentId: number;
  kind: "action" | "follow-up";
  title: string;
  assigneeId: number | null;
  state: "open" | "done" | "cancelled";
  createdBy: number;
  createdAt: Date;
  updatedAt: Date;
};

function taskFromRow(r: Omit<IncidentTables["incident_tasks"], "id"> & { id: number }): Task {
  return {
    id: r.id,
    incidentId: r.incident_id,
    kind: r.kind,
    title: r.title,
    assigneeId: r.assignee_id,
    state: r.state,
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export async function insertTask(db: IncidentDb, t: Omit<Task, "id">): Promise<Task> {
  const row = await db
    .insertInto("incident_tasks")
    .values({
      incident_id: t.incidentId,
      kind: t.kind,
      title: t.title,
      assignee_id: t.assigneeId,
      state: t.state,
      created_by: t.createdBy,
      created_at: t.createdAt,
      updated_at: t.updatedAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return taskFromRow(row);
}

/** An action or follow-up by its id alone (it moves with a merge). */
export async function getTask(db: IncidentDb, id: number): Promise<Task | undefined> {
  const row = await db.selectFrom("incident_tasks").selectAll().where("id", "=", id).executeTakeFirst();
  return row && taskFromRow(row);
}

export async function lockTask(db: IncidentDb, incidentId: number, id: number): Promise<Task | undefined> {
  const row = await db
    .selectFrom("incident_tasks")
    .selectAll()
    .where("id", "=", id)
    .where("incident_id", "=", incidentId)
    .forUpdate()
    .executeTakeFirst();
  return row && taskFromRow(row);
}

export async function updateTask(db: IncidentDb, t: Task): Promise<void> {
  await db
    .updateTable("incident_tasks")
    .set({ title: t.title, assignee_id: t.assigneeId, state: t.state, updated_at: t.updatedAt })
    .where("id", "=", t.id)
    .execute();
}

export async function listTasks(db: IncidentDb, incidentId: number): Promise<Task[]> {
  const rows = await db
    .selectFrom("incident_tasks")
    .selectAll()
    .where("incident_id", "=", incidentId)
    .orderBy("id")
    .execute();
  return rows.map(taskFromRow);
}

/** Moves a duplicate's actions and follow-ups to its primary (LC-2). */
export async function moveTasks(db: IncidentDb, fromId: number, toId: number): Promise<void> {
  await db
    .updateTable("incident_tasks")
    .set({ incident_id: toId })
    .where("incident_id", "=", fromId)
    .execute();
}
