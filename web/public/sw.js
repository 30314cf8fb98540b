/**
 * Firebreak's service worker: shows a Web Push message (a page, or a notice) as a system
 * notification with an "Acknowledge" action, acknowledges through the page's one-click link, and
 * opens Firebreak when the notification is clicked. It does not cache or intercept requests: the
 * app always loads fresh from the server. Served from /sw.js (web/public, copied as is by Vite) so
 * its scope is the whole app; docs/notifications.md describes the payload.
 */
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = { title: "Firebreak", body: event.data ? event.data.text() : "" };
  }
  const title = data.title || "Firebreak";
  const options = {
    body: data.body || "",
    tag: data.tag || undefined,
    renotify: Boolean(data.tag),
    // A high-urgency page stays on screen until someone answers it.
    requireInteraction: data.urgency === "high" && data.type !== "notice",
    icon: "/favicon.svg",
    badge: "/favicon.svg",
    data: { ackUrl: data.ackUrl || null, url: data.url || "/", pageId: data.pageId ?? null },
    actions: data.ackUrl ? [{ action: "ack", title: "Acknowledge" }] : [],
  };
  event.waitUntil(self.registration.showNotification(title, options));
});

async function acknowledge(notification) {
  const { ackUrl, pageId } = notification.data || {};
  let words;
  try {
    const res = await fetch(ackUrl, { method: "POST", credentials: "omit" });
    words = res.ok ? "Acknowledged" : `Not acknowledged (HTTP ${res.status}): open Firebreak`;
  } catch {
    words = "Not acknowledged (no connection): open Firebreak";
  }
  await self.registration.showNotification(words, {
    body: notification.title,
    tag: notification.tag || (pageId ? `firebreak-page-${pageId}` : undefined),
    icon: "/favicon.svg",
    data: notification.data,
  });
}

async function open(url) {
  const target = new URL(url || "/", self.location.origin);
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const w of windows) {
    if (new URL(w.url).origin === target.origin && "focus" in w) {
      await w.focus();
      if ("navigate" in w) await w.navigate(target.href).catch(() => {});
      return;
    }
  }
  await self.clients.openWindow(target.href);
}

self.addEventListener("notificationclick", (event) => {
  const n = event.notification;
  n.close();
  if (event.action === "ack" && n.data?.ackUrl) event.waitUntil(acknowledge(n));
  else event.waitUntil(open(n.data?.url));
});
