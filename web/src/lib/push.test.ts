import { describe, expect, it } from "vitest";
import { base64urlBytes, deviceLabel, pushUnsupportedReason } from "./push.ts";

describe("base64urlBytes", () => {
  it("decodes base64url without padding, as VAPID keys are written", () => {
    expect([...base64urlBytes("AQID_-8")]).toEqual([1, 2, 3, 255, 239]);
    expect(base64urlBytes(Buffer.alloc(65, 4).toString("base64url"))).toHaveLength(65);
  });
});

describe("deviceLabel", () => {
  it("names the browser and system", () => {
    expect(
      deviceLabel(
        "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36",
      ),
    ).toBe("Push: Chrome on Android");
    expect(
      deviceLabel(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
      ),
    ).toBe("Push: Safari on iPhone or iPad");
    expect(deviceLabel("curl/8")).toBe("Push: browser on this device");
  });
});

describe("pushUnsupportedReason", () => {
  it("explains what is missing", () => {
    const all = { serviceWorker: true, pushManager: true, notification: true, secure: true };
    expect(pushUnsupportedReason(all)).toBeNull();
    expect(pushUnsupportedReason({ ...all, secure: false })).toMatch(/https/);
    expect(pushUnsupportedReason({ ...all, pushManager: false })).toMatch(/Home Screen/);
  });
});
