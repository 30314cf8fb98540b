/** Web Push: the VAPID public key, and this browser's subscription registered as a contact method. */
import { api } from "./client.ts";

export type PushSubscriptionBody = {
  endpoint: string;
  expirationTime?: number | null;
  keys: { p256dh: string; auth: string };
  label?: string;
};

export const pushPublicKey = async () =>
  (await api<{ publicKey: string }>("GET", "/push/public-key")).publicKey;
export const registerPushSubscription = (body: PushSubscriptionBody) =>
  api<{ id: number; kind: "push"; label: string; address: string }>("POST", "/me/push-subscriptions", body);
export const removePushSubscription = (endpoint: string) =>
  api<{ removed: number }>("DELETE", "/me/push-subscriptions", { endpoint });
