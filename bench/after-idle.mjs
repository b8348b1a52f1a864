// Part of `npm run bench:tail`: what the review costs when it runs after the process has idled, as
// the first request of each second does at 200 req/s (autocannon sends a second's requests in one
// burst, then waits). Measured in a loop, without a server, so that only the machine's state after
// idle differs: each step warm (back to back), after the data caches were swept (64 MB written),
// and after sleeping as long as the benchmark's idle stretch. If the idle cost were only the data
// caches, the last two would agree.
import { setTimeout as sleep } from 'node:timers/promises';
import { median } from './server-load.mjs';
import { readRequest, reviewAndEncode } from './review-core.mjs';

const sweep = new Float64Array(8 * 1024 * 1024);
/** Writes one word in every 64-byte line of 64 MB, more than this machine's caches hold. */
const sweepCaches = () => {
  for (let i = 0; i < sweep.length; i += 8) sweep[i] += 1;
};

/** Microseconds to read the request, then to review and encode it. */
function timed() {
  const startMs = performance.now();
  const request = readRequest();
  const readMs = performance.now();
  reviewAndEncode(request);
  return [readMs - startMs, performance.now() - readMs].map((ms) => ms * 1000);
}

const medians = (samples) => {
  const [read, reviewed] = [0, 1].map((step) => +median(samples.map((sample) => sample[step])).toFixed(1));
  return { readMicroseconds: read, reviewMicroseconds: reviewed, samples: samples.length };
};

export async function benchAfterIdle({ idleMs = 950, idleSamples = 40, samples = 300 } = {}) {
  for (let i = 0; i < 20_000; i++) timed();
  const warm = [];
  const swept = [];
  for (let i = 0; i < samples; i++) {
    warm.push(timed());
    sweepCaches();
    swept.push(timed());
  }
  const idle = [];
  for (let i = 0; i < idleSamples; i++) {
    await sleep(idleMs);
    idle.push(timed());
  }
  return { idleMs, warm: medians(warm), swept: medians(swept), idle: medians(idle) };
}
