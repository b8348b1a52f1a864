// Starts a server for a benchmark with its standard output (serve's log) going to a file. Not to a
// pipe: the benchmark's process also runs autocannon, and reading the log there would take the
// load generator's time for the server that logs (and so only for serve) and put the reading into
// the latencies it measures.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, watch } from 'node:fs';
import { join } from 'node:path';
import { removeFolder, scratchFolder, stopAtExit } from './scratch.mjs';

/** The port from the file's {"msg":"listening","port":N} line, once that line is complete. */
function listeningPort(logFile) {
  const complete = readFileSync(logFile, 'utf8').split('\n').slice(0, -1);
  const line = complete.find((text) => text.includes('"listening"'));
  return line === undefined ? undefined : JSON.parse(line).port;
}

/** Spawns `command args`; resolves with the child and its port once it logs that it listens. The log goes when it exits. */
export function spawnServer(command, args, { stderr = 'inherit', env = process.env } = {}) {
  const directory = scratchFolder('bench-server-');
  const logFile = join(directory, 'stdout.log');
  const out = openSync(logFile, 'w');
  const child = spawn(command, args, { stdio: ['ignore', out, stderr], env });
  closeSync(out);
  stopAtExit(child);
  child.once('exit', () => removeFolder(directory));
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (error, started) => {
      if (done) return;
      done = true;
      watcher.close();
      child.off('exit', exited);
      if (error) reject(error);
      else resolve(started);
    };
    const check = () => {
      const port = listeningPort(logFile);
      if (port !== undefined) finish(undefined, { child, port });
    };
    const exited = (code) => finish(new Error(`${command} ${args.join(' ')} exited (${code}) before listening`));
    // Watching starts here, before the first look, so a line written in between is not missed.
    const watcher = watch(logFile, check);
    child.once('exit', exited);
    child.once('error', (error) => {
      removeFolder(directory);
      finish(error);
    });
    check();
  });
}
