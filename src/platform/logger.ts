import { pino } from "pino";

export type Logger = pino.Logger;

/** Structured JSON logs on stdout. Secrets are redacted wherever they might appear. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: "firebreak" },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        "req.headers.authorization",
        "req.headers.cookie",
        "token",
        "password",
        "*.token",
        "*.password",
        "currentPassword",
        "*.currentPassword",
      ],
      censor: "[redacted]",
    },
  });
}
