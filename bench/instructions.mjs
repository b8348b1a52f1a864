// Benchmark: instructions per review under valgrind's callgrind, for the baseline and for serve,
// same certificate, same request. Unlike a timing, the count is the same run after run whatever
// else the machine is doing (repeated runs here agree within 0.1%), so it tells a real change in
// the code's work from noise; what it cannot see is time lost to cache misses. `npm run
// bench:instructions`; needs valgrind, and takes a few minutes (everything runs about 50x slower).
// With `-- --stages`, also each stage of bench/stage-server.mjs, to say where the difference goes.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { STAGES } from './cost-breakdown.mjs';
import { certificates } from './server-load.mjs';
import { spawnServer } from './spawn-server.mjs';

const BODY = readFileSync(new URL('../test/fixtures/admission/create-runner-legacy.json', import.meta.url), 'utf8');
const CLI = new URL('../dist/cli.js', import.meta.url).pathname;
const BASELINE = new URL('./baseline-server.mjs', import.meta.url).pathname;
const STAGE_SERVER = new URL('./stage-server.mjs', import.meta.url).pathname;
/** Reviews before counting (so the code is compiled and optimised) and reviews counted. */
const WARM_UP = 2500;
const COUNTED = 2500;

/** Instructions per request of one server: counters zeroed after the warm-up, dumped after the counted run. */
async function count(name, args) {
  const out = mkdtempSync(join(tmpdir(), `callgrind-${name}-`));
  const valgrind = ['--tool=callgrind', '--smc-check=all-non-file', `--callgrind-out-file=${out}/callgrind.%p`, process.execPath, ...args];
  const { child, port } = await spawnServer('valgrind', valgrind, { stderr: 'ignore' });
  const options = { url: `https://127.0.0.1:${port}/mutate`, method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY, connections: 4, timeout: 120 };
  await autocannon({ ...options, amount: WARM_UP });
  execFileSync('callgrind_control', ['--zero', String(child.pid)], { stdio: 'ignore' });
  const result = await autocannon({ ...options, amount: COUNTED });
  execFileSync('callgrind_control', ['--dump', String(child.pid)], { stdio: 'ignore' });
  child.kill('SIGTERM');
  await once(child, 'exit');
  const dump = readdirSync(out).find((file) => /^callgrind\.\d+\.1$/.test(file));
  const total = Number(/^summary: (\d+)$/m.exec(readFileSync(join(out, dump), 'utf8'))[1]);
  if (result['2xx'] !== COUNTED) throw new Error(`${name}: ${result['2xx']} of ${COUNTED} reviews answered 2xx`);
  return Math.round(total / COUNTED);
}

const files = certificates();
const baseline = await count('baseline', [BASELINE, files.certificate, files.key]);
const serve = await count('serve', [CLI, 'serve', '--host', '127.0.0.1', '--port', '0', '--tls-cert', files.certificate, '--tls-key', files.key]);
const results = { date: new Date().toISOString(), node: process.version, baseline, serve, ratio: +(baseline / serve).toFixed(2) };
console.log(`instructions per review (callgrind, ${COUNTED} counted after ${WARM_UP}):`);
console.log(`  baseline          ${baseline.toLocaleString('en')}`);
console.log(`  runner-defaults   ${serve.toLocaleString('en')}`);
console.log(`  baseline / serve  ${results.ratio} (the throughput ratio these counts allow, if every instruction cost the same)`);
if (process.argv.includes('--stages')) {
  results.stages = {};
  console.log('by stage (bench/stage-server.mjs):');
  for (const stage of STAGES) {
    results.stages[stage] = await count(stage, [STAGE_SERVER, stage, files.certificate, files.key]);
    console.log(`  ${stage.padEnd(16)}  ${results.stages[stage].toLocaleString('en')}`);
  }
}
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const file = new URL(`./results/instructions-${results.date.replace(/[:.]/g, '-')}.json`, import.meta.url);
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
console.log(`raw figures: ${file.pathname}`);
