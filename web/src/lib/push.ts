/** Web Push helpers for the profile's "Enable push notifications on this device" (pure, no I/O). */

/** A base64url string (the VAPID public key) as the bytes `pushManager.subscribe` takes. */
export function base64urlBytes(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text
    .replace(/-/g, "+")
    .replace(/_/g, "/")
    .padEnd(Math.ceil(text.length / 4) * 4, "=");
  const binary = atob(base64);
  const bytes = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** A name for this device in the contact methods list, from the browser's user agent. */
export function deviceLabel(userAgent: string): string {
  const os = /iPhone|iPad/.test(userAgent)
    ? "iPhone or iPad"
    : /Android/.test(userAgent)
      ? "Android"
      : /Mac OS X/.test(userAgent)
        ? "Mac"
        : /Windows/.test(userAgent)
          ? "Windows"
          : /Linux|CrOS/.test(userAgent)
            ? "Linux"
            : "this device";
  const browser = /Edg\//.test(userAgent)
    ? "Edge"
    : /Firefox\//.test(userAgent)
      ? "Firefox"
      : /Chrome\/|Chromium\//.test(userAgent)
        ? "Chrome"
        : /Safari\//.test(userAgent)
          ? "Safari"
          : "browser";
  return `Push: ${browser} on ${os}`;
}

/** Why push cannot be offered here, or null when it can. */
export function pushUnsupportedReason(env: {
  serviceWorker: boolean;
  pushManager: boolean;
  notification: boolean;
  secure: boolean;
}): string | null {
  if (!env.secure) return "Push notifications need Firebreak on https:// (or localhost).";
  if (!env.serviceWorker || !env.pushManager || !env.notification)
    return "This browser does not support push notifications. On an iPhone or iPad, add Firebreak to the Home Screen first (Share → Add to Home Screen), then open it from there.";
  return null;
}
