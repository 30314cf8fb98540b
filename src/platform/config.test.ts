import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.ts";

describe("configuration", () => {
  it("every setting has a working default", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 8080, host: "0.0.0.0", databaseUrl: undefined, logLevel: "info" });
    expect(c.publicUrl).toBe("http://localhost:8080");
    expect(c.dataDir).toBe(path.resolve("data"));
  });

  it("a bad value stops start-up naming the setting, the value and what was expected", () => {
    expect(() => loadConfig({ PORT: "eighty" })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: "eighty" })).toThrow(/PORT="eighty": .*number/);
    expect(() => loadConfig({ DATABASE_URL: "mysql://x" })).toThrow(/DATABASE_URL=.*postgres:\/\//);
    expect(() => loadConfig({ FIREBREAK_BOOTSTRAP_TOKEN: "short" })).toThrow(/at least 16/);
  });

  it("reads a settings file, and the environment wins over it", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "fb-config-"));
    const file = path.join(dir, "firebreak.yaml");
    writeFileSync(file, "PORT: 9090\nLOG_LEVEL: debug\n");
    expect(loadConfig({ FIREBREAK_CONFIG_FILE: file })).toMatchObject({ port: 9090, logLevel: "debug" });
    expect(loadConfig({ FIREBREAK_CONFIG_FILE: file, PORT: "9191" }).port).toBe(9191);
    writeFileSync(file, "PROT: 9090\n");
    expect(() => loadConfig({ FIREBREAK_CONFIG_FILE: file })).toThrow(/unknown setting PROT/);
  });

  it("Twilio: all three of account SID, auth token and number, or none", () => {
    const sid = `AC${"a1".repeat(16)}`;
    expect(loadConfig({}).twilio).toBeUndefined();
    expect(
      loadConfig({ TWILIO_ACCOUNT_SID: sid, TWILIO_AUTH_TOKEN: "t0k", TWILIO_FROM: "+14155550100" }).twilio,
    ).toEqual({ accountSid: sid, authToken: "t0k", from: "+14155550100", apiBase: "https://api.twilio.com" });
    expect(() => loadConfig({ TWILIO_ACCOUNT_SID: sid })).toThrow(/all of TWILIO_ACCOUNT_SID/);
    expect(() => loadConfig({ TWILIO_FROM: "555-0100" })).toThrow(/TWILIO_FROM=.*E\.164/);
    expect(() => loadConfig({ TWILIO_ACCOUNT_SID: "AC123" })).toThrow(/TWILIO_ACCOUNT_SID=.*AC and 32 hex/);
  });
});
