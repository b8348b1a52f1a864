// Part of `npm run bench:tail`: what the review costs when it runs after the process has idled, as
// the first request of each second does at 200 req/s (autocannon sends a second's requests in one
// burst, then waits). Measured in a loop, without a server: each step warm (back to back), after
// 64 MB were written (which evicts from the caches both the review's data and its code, though
// perhaps not from all of a large last-level cache: this virtual machine does not report its
// caches), and after sleeping as long as the benchmark's idle stretch. The garbage collections
// during the sleeps are counted, as the one thing in the process itself that idle could change.
import { PerformanceObserver } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { median } from './server-load.mjs';
import { readRequest, reviewAndEncode } from './review-core.mjs';

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
  const sweep = new Float64Array(8 * 1024 * 1024);
  const warm = [];
  const swept = [];
  for (let i = 0; i < samples; i++) {
    warm.push(timed());
    // One word in every 64-byte line of the 64 MB.
    for (let word = 0; word < sweep.length; word += 8) sweep[word] += 1;
    swept.push(timed());
  }
  let collections = 0;
  const observer = new PerformanceObserver((list) => (collections += list.getEntries().length));
  observer.observe({ entryTypes: ['gc'] });
  const idle = [];
  for (let i = 0; i < idleSamples; i++) {
    await sleep(idleMs);
    idle.push(timed());
  }
  observer.disconnect();
  return { idleMs, warm: medians(warm), swept: medians(swept), idle: { ...medians(idle), collections } };
}
