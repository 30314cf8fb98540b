/**
 * "Send me a test page": one test page through the whole paging path to every contact method, and
 * each method's receipt (delivered, failed with the channel's short reason, or no receipt within the
 * server's deadline) listed and announced. Waits for the server's answer (up to about 20 s).
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { TestPageReport } from "../../../../src/paging/test-page.ts";
import { api } from "../../api/client.ts";
import { contactKeys } from "../../api/contacts.ts";
import { sessionQuery } from "../../api/queries.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";

const outcomeClass = {
  delivered: "outcome-delivered",
  failed: "outcome-failed",
  "no receipt": "outcome-pending",
  unverified: "outcome-pending",
};

export function TestPageButton() {
  const session = useQuery(sessionQuery);
  const queryClient = useQueryClient();
  const userId = session.data?.user.id;
  const send = useMutation({
    mutationFn: () => api<TestPageReport>("POST", `/users/${userId}/test-page`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: contactKeys.methods }),
  });
  const results = send.data?.results;
  const missed = results?.filter((r) => r.outcome !== "delivered").length ?? 0;
  return (
    <div className="test-page">
      <div className="button-row">
        <button type="button" disabled={userId === undefined || send.isPending} onClick={() => send.mutate()}>
          {send.isPending ? "Sending test page…" : "Send me a test page"}
        </button>
      </div>
      <p className="hint">A test page goes the way a real page goes, to every contact method at once.</p>
      <ErrorNote error={send.error} />
      <output aria-live="polite" className="contact-outcome">
        {results ? (
          results.length === 0 ? (
            "No contact methods to test."
          ) : (
            <>
              <span>
                {missed === 0
                  ? "Test page delivered to every contact method."
                  : `${missed} of ${results.length} contact methods did not confirm the test page.`}
              </span>
              <ul aria-label="Test page outcomes">
                {results.map((r) => (
                  <li key={r.contactMethodId}>
                    {r.label} ({r.kind}):{" "}
                    <span className={outcomeClass[r.outcome]}>
                      {r.outcome}
                      {r.error ? ` — ${r.error}` : ""}
                    </span>
                  </li>
                ))}
              </ul>
            </>
          )
        ) : null}
      </output>
    </div>
  );
}
