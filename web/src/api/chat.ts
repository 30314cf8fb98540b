/** Chat accounts (Slack, Mattermost) linked to you, and the one-time code that links one. */
import { api } from "./client.ts";

export type ChatIdentity = {
  provider: "slack" | "mattermost";
  externalId: string;
  teamId: string | null;
  linkedBy: "email" | "manual";
  createdAt: string;
};
export type LinkCode = { code: string; expiresAt: string; command: string };

export const chatIdentityKey = ["me", "chat-identities"] as const;
export const listChatIdentities = async () =>
  (await api<{ identities: ChatIdentity[] }>("GET", "/me/chat-identities")).identities;
export const newLinkCode = () => api<LinkCode>("POST", "/me/chat-identities/link-code");
export const unlinkChatIdentity = (i: Pick<ChatIdentity, "provider" | "externalId">) =>
  api<void>("DELETE", `/me/chat-identities/${i.provider}/${encodeURIComponent(i.externalId)}`);
