// Every scratch folder of a test run goes under one folder that is removed when the run ends.
// Tests, and the servers and commands they start, make theirs with os.tmpdir(), which reads
// TMPDIR; setting it here, before vitest starts its workers, reaches all of them. Without it each
// `npm test` left about 70 folders in /tmp (kubeconfigs, certificates, server working folders).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'runner-defaults-test-'));
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true });
}
