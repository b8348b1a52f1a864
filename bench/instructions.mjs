// Benchmark: instructions per review under valgrind's callgrind, for the baseline and for serve,
// same certificate, same request. Unlike a timing, the main thread's count hardly moves whatever
// else the machine is doing (the baseline's: 631,600 and 629,700 in two runs), so it tells a real
// change in the code's work from noise; what it cannot see is time lost to cache misses. The
// count of all threads moves more, with when garbage collection and the compiler run. `npm run
// bench:instructions`; needs valgrind, and takes about 5 minutes (everything runs about 50x slower).
// With `-- --stages`, also each stage of bench/stage-server.mjs, to say where the difference goes
// (about 20 minutes in all).
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { STAGE_SERVER, STAGES } from './cost-breakdown.mjs';
import { BASELINE, BODY, certificates, serveArgs, stop } from './server-load.mjs';
import { writeResults } from './results-file.mjs';
import { removeFolder, scratchFolder } from './scratch.mjs';
import { spawnServer } from './spawn-server.mjs';

/**
 * Reviews before counting and reviews counted. After 2,500 reviews V8 was still compiling the
 * review path: on the same code, the `logged` stage counted 1,082,000 instructions a review (all
 * threads) after 2,500, and 947,000 after 10,000 in a run by hand.
 */
const WARM_UP = 10_000;
const COUNTED = 2500;

const summary = (file) => Number(/^summary: (\d+)$/m.exec(readFileSync(file, 'utf8'))[1]);

/**
 * Instructions per request of one server, on its main thread (the one that runs JavaScript, and
 * the limit at saturation) and on all its threads (garbage collection helpers, the compiler, the
 * thread pool): counters zeroed after the warm-up, dumped after the counted run.
 */
async function count(name, args) {
  const out = scratchFolder(`callgrind-${name}-`);
  const valgrind = ['--tool=callgrind', '--smc-check=all-non-file', '--separate-threads=yes', `--callgrind-out-file=${out}/callgrind.%p`, process.execPath, ...args];
  const { child, port } = await spawnServer('valgrind', valgrind, { stderr: 'ignore' });
  const options = { url: `https://127.0.0.1:${port}/mutate`, method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY, connections: 4, timeout: 120 };
  await autocannon({ ...options, amount: WARM_UP });
  execFileSync('callgrind_control', ['--zero', String(child.pid)], { stdio: 'ignore' });
  const result = await autocannon({ ...options, amount: COUNTED });
  execFileSync('callgrind_control', ['--dump', String(child.pid)], { stdio: 'ignore' });
  await stop({ child });
  if (result['2xx'] !== COUNTED) throw new Error(`${name}: ${result['2xx']} of ${COUNTED} reviews answered 2xx`);
  // One dump a thread: callgrind.<pid>.1-01 is the main thread.
  const dumps = readdirSync(out).filter((file) => /^callgrind\.\d+\.1-\d+$/.test(file));
  const main = dumps.find((file) => file.endsWith('.1-01'));
  if (!main) throw new Error(`${name}: callgrind wrote no dump of the main thread`);
  const all = dumps.reduce((sum, file) => sum + summary(join(out, file)), 0);
  const counts = { main: Math.round(summary(join(out, main)) / COUNTED), all: Math.round(all / COUNTED) };
  removeFolder(out);
  return counts;
}

const files = certificates();
const baseline = await count('baseline', [BASELINE, files.certificate, files.key]);
const serve = await count('serve', serveArgs(files));
const results = { date: new Date().toISOString(), node: process.version, baseline, serve, ratio: +(baseline.main / serve.main).toFixed(2) };
const figures = ({ main, all }) => `${main.toLocaleString('en').padStart(9)}  ${all.toLocaleString('en').padStart(9)}`;
console.log(`instructions per review on Node ${process.version} (callgrind, ${COUNTED.toLocaleString('en')} counted after ${WARM_UP.toLocaleString('en')}): main thread, all threads`);
console.log(`  baseline          ${figures(baseline)}`);
console.log(`  runner-defaults   ${figures(serve)}`);
console.log(`  baseline / serve  ${results.ratio} on the main thread (the throughput ratio these counts allow, if every instruction cost the same)`);
if (process.argv.includes('--stages')) {
  results.stages = {};
  console.log('by stage (bench/stage-server.mjs): main thread, all threads');
  for (const stage of STAGES) {
    results.stages[stage] = await count(stage, [STAGE_SERVER, stage, files.certificate, files.key]);
    console.log(`  ${stage.padEnd(16)}  ${figures(results.stages[stage])}`);
  }
}
writeResults('instructions', results);
