import { pino, type Logger, type DestinationStream } from "pino";

export type { Logger };

// Paths whose values never reach a log line: secret-bearing values, webhook
// secrets, helm arguments that may carry values.
export const REDACT_PATHS = [
  "secret",
  "*.secret",
  "password",
  "*.password",
  "token",
  "*.token",
  "webhookSecret",
  "*.webhookSecret",
  "values",
  "*.values",
  "env",
  "*.env",
];

export interface LoggerOptions {
  level?: string;
  destination?: DestinationStream;
}

/** The one root logger; callers take children with cluster/app/release fields. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  return pino(
    { level: opts.level ?? "info", redact: { paths: REDACT_PATHS, censor: "[redacted]" }, base: { app: "berth" } },
    opts.destination ?? pino.destination(2),
  );
}
