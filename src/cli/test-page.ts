/**
 * `firebreak page test [USER]`: a test page through the whole paging path to every contact method
 * of a person (yourself by default; an admin may name anyone), and each method's receipt. Exit 0
 * when every method delivered it, 1 otherwise (a failure, no receipt, or no contact method at all).
 */
import { type Call, write } from "./args.ts";
import { UsageError } from "./client.ts";
import { table } from "./format.ts";

export type TestPageResult = {
  contactMethodId: number;
  kind: string;
  label: string;
  outcome: "delivered" | "failed" | "no receipt" | "unverified";
  error?: string;
};
export type TestPageReport = { testPageId: number; userId: number; results: TestPageResult[] };
type Person = { id: number; username: string };

/** A person by id or username; yourself when `text` is undefined. */
async function personOf(c: Call, text: string | undefined): Promise<Person> {
  if (text === undefined) return c.api.request<Person>("GET", "/me");
  const { users } = await c.api.request<{ users: Person[] }>("GET", "/users");
  const found = users.find((u) => u.username === text || String(u.id) === text.replace(/^#/, ""));
  if (!found) throw new UsageError(`no user ${JSON.stringify(text)}`);
  return found;
}

export function testPageText(who: string, r: TestPageReport): string {
  if (r.results.length === 0) return `${who} has no contact methods: nothing to test`;
  return [
    `test page ${r.testPageId} to ${who}:`,
    table(
      ["METHOD", "KIND", "LABEL", "OUTCOME"],
      r.results.map((x) => [
        String(x.contactMethodId),
        x.kind,
        x.label,
        x.outcome === "failed"
          ? `failed: ${x.error ?? "no reason given"}`
          : x.outcome === "unverified"
            ? `unverified: not paged until the code sent to it is typed back (firebreak contact verify ${x.contactMethodId} CODE)`
            : x.outcome,
      ]),
    ),
  ].join("\n");
}

export async function testPage(c: Call, userText: string | undefined): Promise<number> {
  const person = await personOf(c, userText);
  const report = await c.api.request<TestPageReport>("POST", `/users/${person.id}/test-page`);
  await c.print(report, () => testPageText(person.username, report));
  const missed = report.results.filter((x) => x.outcome !== "delivered").length;
  if (report.results.length === 0 || missed > 0) {
    if (!c.json && missed > 0)
      await write(
        process.stderr,
        `firebreak: ${missed} of ${report.results.length} contact methods did not confirm the test page`,
      );
    return 1;
  }
  return 0;
}
