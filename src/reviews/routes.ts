/** HTTP for post-incident reviews (REV-1..3, LC-6, LC-7), detection (TL-4) and corrective actions (FU-2). */
import { z } from "zod";
import { userInput } from "../incidents/schemas.ts";
import { actorOf } from "../platform/auth.ts";
import type { App } from "../platform/http.ts";
import { detectionSources, phaseNames, reviewReasons } from "./model.ts";
import type { Reviews } from "./service.ts";

const tags = ["reviews"];
const idParams = z.object({ id: z.coerce.number().int().positive() });
const responder = { minRole: "responder" as const };
const at = z.iso.datetime({ offset: true });
const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

const correctiveSchema = z
  .object({
    id: z.number(),
    title: z.string(),
    state: z.string(),
    assignee: z.number().nullable().describe("the owner's user id"),
    dueAt: z.string().nullable(),
    severity: z.string().nullable().describe("the highest severity of the related incidents (FU-2)"),
    vagueReasons: z
      .array(z.string())
      .describe(
        'why it is not SMART: "no measurable outcome", "no owner", "no date", "vague verb: investigate"…; empty when it is',
      ),
  })
  .meta({ id: "CorrectiveActionSummary" });

const reviewSchema = z
  .object({
    incidentId: z.number(),
    exists: z.boolean().describe("false until the review is required or someone writes it"),
    required: z.boolean().describe("LC-6: the incident closes only once a required review is complete"),
    reason: z.enum(reviewReasons).nullable(),
    ownerId: z.number().nullable(),
    reviewerIds: z.array(z.number()),
    dueAt: z.string().nullable(),
    overdue: z.boolean(),
    completedAt: z.string().nullable(),
    completedBy: z.number().nullable(),
    meetingAt: z
      .string()
      .nullable()
      .describe("an optional synchronous meeting; reviews are asynchronous by default"),
    version: z.number().describe("the latest saved version (0: never saved); send it back with PUT"),
    body: z.string().describe("the document (Markdown): the latest version, else the generated draft"),
    generated: z.boolean().describe("true while no version was saved: `body` is the draft"),
    draft: z.string().describe("the document as generated from the incident now (Markdown)"),
    detection: z.object({
      source: z.enum(detectionSources).nullable(),
      detectedAt: z.string().nullable(),
      timeToDetectMinutes: z
        .number()
        .nullable()
        .describe("from the start of customer impact to detection (TL-4)"),
    }),
    nearMissSeverity: z.string().nullable().describe("REV-3: the severity a near miss would have had"),
    phases: z
      .array(z.object({ name: z.enum(phaseNames), startedAt: z.string(), endedAt: z.string().nullable() }))
      .describe("LC-7: detection, response, mitigation, resolution, review, from the timeline"),
    correctiveActions: z.array(correctiveSchema),
  })
  .meta({ id: "Review" });

/** What GET …/review answers (the web app reads it as its type). */
export type ReviewView = z.infer<typeof reviewSchema>;
export type CorrectiveActionView = z.infer<typeof correctiveTaskSchema>;

type View = Awaited<ReturnType<Reviews["get"]>>;
function present(v: View): z.infer<typeof reviewSchema> {
  return {
    ...v,
    dueAt: iso(v.dueAt),
    completedAt: iso(v.completedAt),
    meetingAt: iso(v.meetingAt),
    detection: { ...v.detection, detectedAt: iso(v.detection.detectedAt) },
    phases: v.phases.map((p) => ({
      name: p.name,
      startedAt: p.startedAt.toISOString(),
      endedAt: iso(p.endedAt),
    })),
    correctiveActions: v.correctiveActions.map((c) => ({ ...c, dueAt: iso(c.dueAt) })),
  };
}

const correctiveTaskSchema = z
  .object({
    id: z.number(),
    incidentId: z.number(),
    title: z.string(),
    state: z.enum(["open", "done", "cancelled"]),
    corrective: z.boolean(),
    assignee: z.number().nullable(),
    dueAt: z.string().nullable(),
    severity: z.string().nullable(),
    priority: z.string().nullable(),
    labels: z.array(z.string()).describe('FU-2: "corrective action" and "infradev"'),
    vagueReasons: z.array(z.string()),
  })
  .meta({ id: "CorrectiveAction" });

type Task = Awaited<ReturnType<Reviews["markCorrective"]>>;
const presentTask = (t: Task): z.infer<typeof correctiveTaskSchema> => ({
  id: t.id,
  incidentId: t.incidentId,
  title: t.title,
  state: t.state,
  corrective: t.corrective,
  assignee: t.assigneeId,
  dueAt: iso(t.dueAt),
  severity: t.severity,
  priority: t.priority,
  labels: t.labels,
  vagueReasons: t.vagueReasons,
});

function wantsMarkdown(format: string | undefined, accept: string | undefined): boolean {
  if (format) return format === "markdown";
  return /\btext\/markdown\b/.test(accept ?? "");
}

export function reviewRoutes(reviews: Reviews) {
  return async (app: App) => {
    app.get(
      "/incidents/:id/review",
      {
        schema: {
          tags,
          summary: "The incident's post-incident review (REV-1): document, owner, due date, phases",
          description:
            "`?format=markdown` (or `Accept: text/markdown`) answers the document alone as Markdown, for export.",
          params: idParams,
          querystring: z.object({ format: z.enum(["json", "markdown"]).optional() }).strict(),
          response: { 200: z.union([reviewSchema, z.string()]) },
        },
      },
      async (req, reply) => {
        const v = await reviews.get(actorOf(req), req.params.id);
        if (wantsMarkdown(req.query.format, req.headers.accept)) {
          reply
            .type("text/markdown; charset=utf-8")
            .header("content-disposition", `attachment; filename="incident-${req.params.id}-review.md"`);
          return v.body;
        }
        return present(v);
      },
    );

    app.put(
      "/incidents/:id/review",
      {
        config: responder,
        schema: {
          tags,
          summary: "Save the review document as a new version",
          description:
            "`version` is the version the edit was made on (0 for the generated draft); when someone saved since, the answer is 409 with `currentVersion` and nothing is lost.",
          params: idParams,
          body: z.object({ body: z.string().max(200_000), version: z.number().int().min(0) }).strict(),
          response: { 200: reviewSchema },
        },
      },
      async (req) => present(await reviews.save(actorOf(req), req.params.id, req.body)),
    );

    app.patch(
      "/incidents/:id/review",
      {
        config: responder,
        schema: {
          tags,
          summary: "Set the review's owner, reviewers, due date or meeting time",
          params: idParams,
          body: z
            .object({
              owner: userInput.optional(),
              reviewers: z.array(userInput).max(50).optional(),
              dueAt: at.optional(),
              meetingAt: at.nullable().optional(),
            })
            .strict(),
          response: { 200: reviewSchema },
        },
      },
      async (req) => {
        const b = req.body;
        return present(
          await reviews.update(actorOf(req), req.params.id, {
            owner: b.owner,
            reviewers: b.reviewers,
            dueAt: b.dueAt ? new Date(b.dueAt) : undefined,
            meetingAt:
              b.meetingAt === undefined ? undefined : b.meetingAt === null ? null : new Date(b.meetingAt),
          }),
        );
      },
    );

    for (const [action, summary] of [
      ["complete", "Mark the review complete (its owner or an admin); then the incident may close (LC-6)"],
      ["reopen", "Reopen a completed review"],
    ] as const) {
      app.post(
        `/incidents/:id/review/${action}`,
        { config: responder, schema: { tags, summary, params: idParams, response: { 200: reviewSchema } } },
        async (req) =>
          present(
            action === "complete"
              ? await reviews.complete(actorOf(req), req.params.id)
              : await reviews.reopen(actorOf(req), req.params.id),
          ),
      );
    }

    app.get(
      "/incidents/:id/review/versions",
      {
        schema: {
          tags,
          summary: "Every saved version of the review document, newest first",
          params: idParams,
          response: {
            200: z.object({
              versions: z.array(
                z.object({
                  version: z.number(),
                  body: z.string(),
                  authorId: z.number(),
                  createdAt: z.string(),
                }),
              ),
            }),
          },
        },
      },
      async (req) => ({
        versions: (await reviews.versions(actorOf(req), req.params.id)).map((v) => ({
          ...v,
          createdAt: v.createdAt.toISOString(),
        })),
      }),
    );

    app.put(
      "/incidents/:id/detection",
      {
        config: responder,
        schema: {
          tags,
          summary: "Record how and when the problem was detected (TL-4), and a near miss's severity (REV-3)",
          params: idParams,
          body: z
            .object({
              source: z.enum(detectionSources).nullable().optional(),
              detectedAt: at.nullable().optional(),
              nearMissSeverity: z.string().max(50).nullable().optional(),
            })
            .strict(),
          response: {
            200: z.object({
              source: z.enum(detectionSources).nullable(),
              detectedAt: z.string().nullable(),
              nearMissSeverity: z.string().nullable(),
            }),
          },
        },
      },
      async (req) => {
        const b = req.body;
        const d = await reviews.setDetection(actorOf(req), req.params.id, {
          source: b.source,
          detectedAt:
            b.detectedAt === undefined ? undefined : b.detectedAt === null ? null : new Date(b.detectedAt),
          nearMissSeverity: b.nearMissSeverity,
        });
        return { ...d, detectedAt: iso(d.detectedAt) };
      },
    );

    app.get(
      "/incidents/:id/corrective-actions",
      {
        schema: {
          tags,
          summary: "The incident's corrective actions (FU-2), each with why it is not SMART",
          params: idParams,
          response: { 200: z.object({ correctiveActions: z.array(correctiveTaskSchema) }) },
        },
      },
      async (req) => ({
        correctiveActions: (await reviews.correctiveActions(actorOf(req), req.params.id)).map(presentTask),
      }),
    );

    app.put(
      "/incidents/:id/tasks/:taskId/corrective",
      {
        config: responder,
        schema: {
          tags,
          summary: "Mark a follow-up as a corrective action (FU-2), or not",
          description:
            "A corrective action needs an owner (`assignee`) and a due date; its severity is the highest of the related incidents and its priority defaults to it; it carries the `corrective action` and `infradev` labels; vague ones are flagged with the reasons; its owner is reminded when it is overdue.",
          params: z.object({
            id: z.coerce.number().int().positive(),
            taskId: z.coerce.number().int().positive(),
          }),
          body: z
            .object({
              corrective: z.boolean(),
              assignee: userInput.optional(),
              dueAt: at.optional(),
              priority: z.string().max(50).optional().describe("a severity id; defaults to the severity"),
            })
            .strict(),
          response: { 200: correctiveTaskSchema },
        },
      },
      async (req) => {
        const b = req.body;
        return presentTask(
          await reviews.markCorrective(actorOf(req), req.params.id, req.params.taskId, {
            corrective: b.corrective,
            assignee: b.assignee,
            dueAt: b.dueAt ? new Date(b.dueAt) : undefined,
            priority: b.priority,
          }),
        );
      },
    );
  };
}
