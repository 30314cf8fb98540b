/**
 * "Enable push notifications on this device": asks the browser for permission, subscribes with
 * Firebreak's VAPID public key and registers the subscription as a `push` contact method (which
 * then shows in the list above, to add a notification rule for). Disabling unsubscribes and
 * removes it. The service worker (/sw.js) shows the notifications.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { contactKeys } from "../../api/contacts.ts";
import { pushPublicKey, registerPushSubscription, removePushSubscription } from "../../api/push.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { base64urlBytes, deviceLabel, pushUnsupportedReason } from "../../lib/push.ts";

const unsupported = () =>
  pushUnsupportedReason({
    serviceWorker: "serviceWorker" in navigator,
    pushManager: "PushManager" in window,
    notification: "Notification" in window,
    secure: window.isSecureContext,
  });

async function registration(): Promise<ServiceWorkerRegistration> {
  await navigator.serviceWorker.register("/sw.js");
  return navigator.serviceWorker.ready;
}

const deviceKey = ["push", "this-device"] as const;

export function PushDevice() {
  const queryClient = useQueryClient();
  const reason = unsupported();
  const current = useQuery({
    queryKey: deviceKey,
    enabled: reason === null,
    queryFn: async () => (await (await registration()).pushManager.getSubscription())?.endpoint ?? null,
  });
  const settle = () => {
    void queryClient.invalidateQueries({ queryKey: deviceKey });
    void queryClient.invalidateQueries({ queryKey: contactKeys.methods });
  };
  const enable = useMutation({
    mutationFn: async () => {
      const permission = await Notification.requestPermission();
      if (permission !== "granted")
        throw new Error(
          "Notifications are blocked for Firebreak in this browser: allow them in the site settings, then try again.",
        );
      const key = await pushPublicKey();
      const reg = await registration();
      const subscription = await reg.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: base64urlBytes(key),
      });
      const json = subscription.toJSON();
      await registerPushSubscription({
        endpoint: subscription.endpoint,
        expirationTime: subscription.expirationTime,
        keys: { p256dh: json.keys?.p256dh ?? "", auth: json.keys?.auth ?? "" },
        label: deviceLabel(navigator.userAgent),
      });
    },
    onSettled: settle,
  });
  const disable = useMutation({
    mutationFn: async () => {
      const subscription = await (await registration()).pushManager.getSubscription();
      if (!subscription) return;
      await removePushSubscription(subscription.endpoint);
      await subscription.unsubscribe();
    },
    onSettled: settle,
  });

  return (
    <section className="stack" aria-labelledby="push-device-title">
      <h3 id="push-device-title">Push notifications on this device</h3>
      {reason ? (
        <p className="hint">{reason}</p>
      ) : current.data ? (
        <>
          <p>Pages reach this device as notifications (when a notification rule uses it).</p>
          <div className="button-row">
            <button type="button" disabled={disable.isPending} onClick={() => disable.mutate()}>
              {disable.isPending ? "Disabling…" : "Disable push notifications on this device"}
            </button>
          </div>
        </>
      ) : (
        <>
          <p className="hint">
            Get pages as system notifications with an Acknowledge button, also when Firebreak is closed.
            Install Firebreak as an app (the browser's Install or Add to Home Screen) for the best result.
          </p>
          <div className="button-row">
            <button
              type="button"
              disabled={enable.isPending || current.isPending}
              onClick={() => enable.mutate()}
            >
              {enable.isPending ? "Enabling…" : "Enable push notifications on this device"}
            </button>
          </div>
        </>
      )}
      <ErrorNote error={enable.error ?? disable.error ?? current.error} />
    </section>
  );
}
