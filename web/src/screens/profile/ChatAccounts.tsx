/**
 * "Chat accounts": the Slack and Mattermost accounts your chat commands run as you from (found by
 * email, or linked here), and "Link a chat account": a one-time code to type in chat as
 * `/inc link CODE` within 10 minutes. The chat says who typed it, and that account becomes yours.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  type ChatIdentity,
  chatIdentityKey,
  listChatIdentities,
  newLinkCode,
  unlinkChatIdentity,
} from "../../api/chat.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";

const providerName = { slack: "Slack", mattermost: "Mattermost" } as const;

function Account({ account }: { account: ChatIdentity }) {
  const queryClient = useQueryClient();
  const unlink = useMutation({
    mutationFn: () => unlinkChatIdentity(account),
    onSettled: () => queryClient.invalidateQueries({ queryKey: chatIdentityKey }),
  });
  const label = `${providerName[account.provider]} ${account.externalId}`;
  return (
    <li>
      <span>
        {label}{" "}
        <span className="hint">({account.linkedBy === "email" ? "matched by email" : "linked by code"})</span>
      </span>
      <button
        type="button"
        onClick={() => unlink.mutate()}
        disabled={unlink.isPending}
        aria-label={`Unlink ${label}`}
      >
        Unlink
      </button>
      <ErrorNote error={unlink.error} />
    </li>
  );
}

export function ChatAccounts() {
  const accounts = useQuery({ queryKey: chatIdentityKey, queryFn: listChatIdentities });
  const link = useMutation({ mutationFn: newLinkCode });
  return (
    <section className="stack" aria-labelledby="chat-accounts-heading">
      <h2 id="chat-accounts-heading">Chat accounts</h2>
      <p className="hint">
        Commands you type in Slack or Mattermost run as you from these accounts. An account whose email is
        yours here is found by itself; link any other one with a code.
      </p>
      <ErrorNote error={accounts.error} />
      {accounts.data?.length ? (
        <ul aria-label="Your chat accounts">
          {accounts.data.map((a) => (
            <Account key={`${a.provider}:${a.externalId}`} account={a} />
          ))}
        </ul>
      ) : accounts.isPending ? (
        <p aria-busy="true">Loading chat accounts…</p>
      ) : (
        <p className="empty">No chat account is linked to you yet.</p>
      )}
      <div className="button-row">
        <button type="button" onClick={() => link.mutate()} disabled={link.isPending}>
          Link a chat account
        </button>
      </div>
      <ErrorNote error={link.error} />
      {link.data ? (
        <output aria-live="polite">
          Type <code>{link.data.command}</code> in Slack or Mattermost before{" "}
          {new Date(link.data.expiresAt).toLocaleTimeString()}; the code works once.
        </output>
      ) : null}
    </section>
  );
}
