// The folders and server processes a benchmark makes go when it exits: also when it fails midway,
// or is stopped with Ctrl-C or SIGTERM ('exit' alone does not fire on a signal). Without this,
// certificate, log and trace folders stayed in /tmp after an interrupted run, and every
// `npm run bench:instructions` left its callgrind dumps there (about 4 MB a server).
import { mkdtempSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';

const folders = new Set();
const children = new Set();

/** A new folder in the system's temporary folder, removed at the latest when the benchmark exits. */
export function scratchFolder(prefix) {
  const folder = mkdtempSync(join(tmpdir(), prefix));
  folders.add(folder);
  return folder;
}

export function removeFolder(folder) {
  rmSync(folder, { recursive: true, force: true });
  folders.delete(folder);
}

/** A child process that is killed if it still runs when the benchmark exits. */
export function stopAtExit(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(128 + constants.signals[signal]));
