/**
 * The web app as an installable app with push: the manifest is linked and served, the service
 * worker (/sw.js) registers and takes the page, "Enable push notifications on this device" asks
 * for permission, subscribes with the server's VAPID public key and registers the subscription
 * (it then shows in the contact methods list), and a push message delivered to the service
 * worker is shown as a notification with an "Acknowledge" action.
 *
 * Headless Chromium has no push service to subscribe to (Chrome's is Google's FCM, which needs its
 * API keys and the internet), so `pushManager.subscribe` is replaced in the page by one that
 * records the key it was given and returns a subscription with real P-256 keys; the push message
 * is handed to the service worker through the DevTools protocol (ServiceWorker.deliverPushMessage)
 * instead of arriving from a push service. The server side of a real push (encryption, VAPID, a
 * push service endpoint) is test/paging/push.test.ts.
 */
import { createECDH, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrowserApp, browserTest, type Person, startBrowserApp, visible } from "../support/browser.ts";

let b: BrowserApp;
let pat: Person;

beforeAll(async () => {
  b = await startBrowserApp();
  pat = await b.person("pat", "responder", "Pat Push");
}, 120_000);
afterAll(async () => {
  await b?.close();
});

type Sw = { scriptURL: string };
type PushWindow = {
  navigator: {
    serviceWorker: { ready: Promise<{ active: Sw | null; getNotifications(): Promise<unknown[]> }> };
  };
  __subscribedWith?: number[];
};

describe("web app: installable, with push notifications", browserTest, () => {
  it("serves the manifest and registers the service worker", async () => {
    const page = await b.signedIn(pat);
    const href = await page.locator('link[rel="manifest"]').getAttribute("href");
    expect(href).toBe("/manifest.webmanifest");
    const manifest = await page.request.get(href!);
    expect(manifest.status()).toBe(200);
    expect(manifest.headers()["content-type"]).toContain("application/manifest+json");
    expect(await manifest.json()).toMatchObject({
      name: "Firebreak",
      display: "standalone",
      start_url: "/incidents",
    });
    const sw = await page.request.get("/sw.js");
    expect(sw.status()).toBe(200);
    expect(sw.headers()["content-type"]).toContain("javascript");
    expect(sw.headers()["cache-control"]).toBe("no-cache");

    const script = await page.evaluate(
      async () =>
        (await (globalThis as unknown as PushWindow).navigator.serviceWorker.ready).active?.scriptURL,
    );
    expect(script).toBe(`${b.t.base}/sw.js`);
  });

  it("enables push on this device: permission, the VAPID key, the subscription registered and listed", async () => {
    const ecdh = createECDH("prime256v1");
    ecdh.generateKeys();
    const keys = {
      p256dh: ecdh.getPublicKey().toString("base64url"),
      auth: randomBytes(16).toString("base64url"),
    };
    const endpoint = `${b.t.base}/push-service/pat`; // loopback is allowed in tests (OUTBOUND_ALLOWED_HOSTS)
    const page = await b.signedIn(pat);
    await page.context().grantPermissions(["notifications"]);
    await page.addInitScript(
      ({ endpoint, keys }) => {
        const w = globalThis as unknown as {
          PushManager: { prototype: Record<string, unknown> };
          __subscribedWith?: number[];
          __sub?: unknown;
        };
        const fake = {
          endpoint,
          expirationTime: null,
          toJSON: () => ({ endpoint, expirationTime: null, keys }),
          unsubscribe: async () => {
            w.__sub = null;
            return true;
          },
        };
        w.PushManager.prototype.subscribe = async (o: { applicationServerKey: Uint8Array }) => {
          w.__subscribedWith = [...new Uint8Array(o.applicationServerKey)];
          w.__sub = fake;
          return fake;
        };
        w.PushManager.prototype.getSubscription = async () => w.__sub ?? null;
      },
      { endpoint, keys },
    );
    await page.goto("/profile");
    const contacts = page.getByRole("region", { name: "Contact methods" });
    await contacts.getByRole("button", { name: "Enable push notifications on this device" }).click();
    await visible(contacts.getByRole("button", { name: "Disable push notifications on this device" }));
    const item = contacts.getByRole("listitem", { name: /^Push: Chrome on Linux \(push\)$/ });
    await visible(item);
    await visible(item.getByText(endpoint));

    const { publicKey } = (await pat.api.get("/api/v1/push/public-key")).body;
    const given = await page.evaluate(() => (globalThis as unknown as PushWindow).__subscribedWith);
    expect(Buffer.from(given ?? []).toString("base64url")).toBe(publicKey);
    const methods = (await pat.api.get("/api/v1/me/contact-methods")).body.contactMethods;
    expect(methods).toContainEqual(
      expect.objectContaining({ kind: "push", address: endpoint, secret: null }),
    );

    await contacts.getByRole("button", { name: "Disable push notifications on this device" }).click();
    await visible(contacts.getByRole("button", { name: "Enable push notifications on this device" }));
    expect((await pat.api.get("/api/v1/me/contact-methods")).body.contactMethods).toEqual([]);
  });

  it("shows a pushed page as a notification with an Acknowledge action", async () => {
    const page = await b.signedIn(pat);
    await page.context().grantPermissions(["notifications"]);
    await page.evaluate(async () => {
      await (globalThis as unknown as PushWindow).navigator.serviceWorker.ready;
    });
    const cdp = await page.context().newCDPSession(page);
    // The registration of this origin's scope that is not being deleted: an earlier test of the
    // same browser may have left one on its way out, and a push to it is never shown.
    const registrationId = new Promise<string>((resolve) => {
      cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        (e: { registrations: { registrationId: string; scopeURL: string; isDeleted: boolean }[] }) => {
          const r = e.registrations.find((x) => x.scopeURL === `${b.t.base}/` && !x.isDeleted);
          if (r) resolve(r.registrationId);
        },
      );
    });
    await cdp.send("ServiceWorker.enable");
    const payload = {
      type: "page",
      title: "Page: disk full on db-1",
      body: "• disk full on db-1 (high urgency)",
      tag: "firebreak-page-7",
      pageId: 7,
      ackUrl: `${b.t.base}/ack/not-a-real-token`,
      url: `${b.t.base}/alerts`,
      urgency: "high",
    };
    const deliver = async () =>
      cdp.send("ServiceWorker.deliverPushMessage", {
        origin: b.t.base,
        registrationId: await registrationId,
        data: JSON.stringify(payload),
      });
    await deliver();
    // getNotifications() answers a promise, so poll it from here (waitForFunction does not await one).
    // A delivery was once lost in CI (no notification within 10 s, the worker never saw it): the
    // push is sent again every 2 s while none is shown (the same tag replaces, so one either way).
    let notes: Record<string, unknown>[] = [];
    for (let i = 0; i < 60 && notes.length === 0; i++) {
      if (i > 0 && i % 10 === 0) await deliver();
      notes = await page.evaluate(async () => {
        const reg = await (globalThis as unknown as PushWindow).navigator.serviceWorker.ready;
        return ((await reg.getNotifications()) as Record<string, unknown>[]).map((n) => ({
          title: n.title,
          body: n.body,
          tag: n.tag,
          requireInteraction: n.requireInteraction,
          actions: n.actions,
          data: n.data,
        }));
      });
      if (notes.length === 0) await page.waitForTimeout(200);
    }
    expect(notes[0]).toMatchObject({
      title: "Page: disk full on db-1",
      body: "• disk full on db-1 (high urgency)",
      tag: "firebreak-page-7",
      requireInteraction: true,
      actions: [{ action: "ack", title: "Acknowledge" }],
      data: { ackUrl: payload.ackUrl, url: payload.url, pageId: 7 },
    });
  });
});
