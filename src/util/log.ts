// Warnings and debug lines from any layer go through one sink that the composition root (cli/main.ts)
// installs; lower layers never print. Without a sink, messages are dropped, so library use stays quiet.

export type LogLevel = 'debug' | 'warn';
export type LogSink = (level: LogLevel, message: string) => void;

let sink: LogSink = () => undefined;

export function setLogSink(next: LogSink): void {
  sink = next;
}

/** Something the user should know that does not stop the command (a malformed log line skipped, ...). */
export function warn(message: string): void {
  sink('warn', message);
}

export function debug(message: string): void {
  sink('debug', message);
}
