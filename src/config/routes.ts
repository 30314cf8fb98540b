/** HTTP for configuration as code: export, plan and apply (admins). */
import { stringify as stringifyYaml } from "yaml";
import { z } from "zod";
import { actorOf } from "../platform/auth.ts";
import type { App } from "../platform/http.ts";
import { HEADER_DOC } from "../platform/idempotency-key.ts";
import type { ConfigService } from "./service.ts";

const tags = ["configuration"];
const kind = z.enum([
  "user",
  "team",
  "schedule",
  "escalationPolicy",
  "service",
  "integration",
  "statusPage",
  "component",
  "policy",
]);
const change = z
  .object({
    action: z.enum(["create", "update", "delete"]),
    kind,
    name: z.string().describe('e.g. "checkout", or "checkout/prometheus" for a service\'s integration'),
    fields: z.array(z.string()).optional().describe("for updates: what differs"),
    drifted: z.boolean().optional().describe("changed on the server since the last apply"),
  })
  .meta({ id: "ConfigChange" });
const drift = z
  .object({ kind, name: z.string(), appliedAt: z.string(), appliedBy: z.string().nullable() })
  .meta({ id: "ConfigDrift" });
const body = z
  .object({
    document: z
      .unknown()
      .describe(
        "the configuration document (docs/config-as-code.md); its problems are a 422 with their paths",
      ),
    prune: z
      .boolean()
      .optional()
      .describe("delete what the document does not name (never people, never the default team)"),
  })
  .strict();
/** A large organisation's document is larger than an ordinary request. */
const DOCUMENT_LIMIT = 32 * 1024 * 1024;

/** Whether the caller asked for YAML rather than JSON. */
const wantsYaml = (accept: string | undefined, format: string | undefined) =>
  format === "yaml" || (format === undefined && /\bapplication\/(x-)?yaml\b/.test(accept ?? ""));

export function configRoutes(config: ConfigService) {
  return async (app: App) => {
    app.get(
      "/config",
      {
        config: { minRole: "admin" },
        schema: {
          tags,
          summary: "The configuration as a document (admin): JSON, or YAML with Accept: application/yaml",
          description:
            "Schedules, rotations, escalation policies (not those the policy file manages), services and their integration keys by name (never their secrets), status pages and components, teams, people (no passwords or contact methods) and the policy in force. Stable: objects sorted, keys in a fixed order, defaults left out.",
          querystring: z.object({ format: z.enum(["json", "yaml"]).optional() }).strict(),
        },
      },
      async (req, reply) => {
        const doc = await config.exportDocument();
        if (wantsYaml(req.headers.accept, req.query.format)) {
          reply.type("application/yaml; charset=utf-8");
          return stringifyYaml(doc, { lineWidth: 0 });
        }
        return doc;
      },
    );
    app.post(
      "/config/plan",
      {
        config: { minRole: "admin" },
        bodyLimit: DOCUMENT_LIMIT,
        schema: {
          tags,
          summary: "What applying a document would change, per object, and what drifted (admin)",
          description:
            "Without `prune`, objects on the server the document does not name are kept (listed in `kept`). `drift` lists objects changed in the web app or the API since the last apply; their changes carry `drifted: true`.",
          body,
          response: {
            200: z.object({
              changes: z.array(change),
              drift: z.array(drift),
              kept: z.array(z.object({ kind, name: z.string() })),
            }),
          },
        },
      },
      async (req) => config.plan(req.body.document, req.body.prune ?? false),
    );
    app.post(
      "/config/apply",
      {
        config: { minRole: "admin" },
        bodyLimit: DOCUMENT_LIMIT,
        schema: {
          tags,
          summary: "Make the server match a document, in one transaction (admin)",
          description: `Integration keys the document names and the server lacks are issued; their secrets are in \`issuedKeys\`, shown only now. Applying the same document again changes nothing. Any problem is a 422 listing each with its place in the document, and nothing is applied. ${HEADER_DOC}`,
          body,
          response: {
            200: z.object({
              changes: z.array(change),
              issuedKeys: z.array(
                z.object({
                  service: z.string(),
                  integration: z.string(),
                  keyId: z.number(),
                  key: z.string().describe("the secret, shown only now"),
                  hint: z.string(),
                }),
              ),
            }),
          },
        },
      },
      async (req) => config.apply(actorOf(req), req.body.document, req.body.prune ?? false),
    );
  };
}
