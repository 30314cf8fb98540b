import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isResponseUrl, within } from "./respond.ts";
import { declareInput, metadataOf } from "./slack-views.ts";

describe("answering chat in time", () => {
  it("takes a response_url only on the chat's own hosts", () => {
    const hosts = ["hooks.slack.com", "127.0.0.1:4000"];
    expect(isResponseUrl("https://hooks.slack.com/commands/T1/2/x", hosts)).toBe(true);
    expect(isResponseUrl("http://127.0.0.1:4000/response/a", hosts)).toBe(true);
    expect(isResponseUrl("https://hooks.slack.com.evil.test/x", hosts)).toBe(false);
    expect(isResponseUrl("https://evil.test/?hooks.slack.com", hosts)).toBe(false);
    expect(isResponseUrl("file:///etc/passwd", hosts)).toBe(false);
    expect(isResponseUrl("not a url", hosts)).toBe(false);
    fc.assert(
      fc.property(fc.webUrl(), (url) => {
        expect(isResponseUrl(url, hosts)).toBe(hosts.includes(new URL(url).host.toLowerCase()));
      }),
    );
  });

  it("says whether work finished within the deadline, without waiting longer", async () => {
    expect(await within(Promise.resolve(7), 1000)).toEqual({ done: true, value: 7 });
    const never = new Promise<number>(() => undefined);
    expect(await within(never, 5)).toEqual({ done: false });
  });
});

describe("Slack forms", () => {
  it("reads a declare form's values in Slack's view.state shape", () => {
    const values = {
      title: { value: { type: "plain_text_input", value: "  Checkout down " } },
      type: { value: { type: "static_select", selected_option: { value: "SIRT" } } },
      severity: { value: { type: "static_select", selected_option: { value: "S1" } } },
      summary: { value: { type: "plain_text_input", value: null } },
      private: { value: { type: "checkboxes", selected_options: [{ value: "private" }] } },
    };
    expect(declareInput(values)).toEqual({
      title: "Checkout down",
      type: "SIRT",
      severity: "S1",
      summary: "",
      private: true,
    });
    expect(declareInput({}).private).toBe(false);
  });

  it("reads back only the private_metadata Firebreak wrote", () => {
    expect(metadataOf({ private_metadata: JSON.stringify({ incidentId: 4, channel: "C1" }) })).toEqual({
      incidentId: 4,
      channel: "C1",
    });
    expect(metadataOf({ private_metadata: "{not json" })).toEqual({});
    expect(metadataOf({ private_metadata: JSON.stringify({ incidentId: "4" }) })).toEqual({});
  });
});
