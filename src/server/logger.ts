// The process logger: pino, one JSON object a line for machines, and pretty lines only when a
// person runs the server in a terminal. Nothing here may ever be handed a pod: runner pods carry
// credentials in plain env values.
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function createLogger(level: LogLevel, interactive = Boolean(process.stdout.isTTY)): Logger {
  const options = { level, timestamp: pino.stdTimeFunctions.isoTime };
  if (interactive) return pino(options, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
  // Synchronous writes: lines stay in order and none is lost at exit, for a syscall per review.
  // (pino's default asynchronous destination reordered the last lines when flushed at exit.)
  return pino(options, pino.destination({ dest: 1, sync: true }));
}
