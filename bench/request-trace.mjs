// Preloaded into a benchmarked server (node --import) by bench/latency-tail.mjs: records when each
// request's handler started and when a handler handed an answer to Node (res.end), and every
// garbage collection, on the monotonic clock that all processes on the machine share, so the load
// generator's send and receive times can be set beside them. Written to $REQUEST_TRACE_FILE when
// the process exits.
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { PerformanceObserver, performance } from 'node:perf_hooks';

const now = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * What to add to performance.now() (and so to a GC entry's startTime) to get process.hrtime in ms.
 * Taken from the narrowest of several hrtime-now-hrtime brackets, after a first call of each:
 * the first call of performance.now() is slow enough to set every collection 0.1 ms early.
 */
function performanceToMonotonic() {
  now();
  performance.now();
  let best = { width: Infinity, offset: 0 };
  for (let sample = 0; sample < 20; sample++) {
    const before = now();
    const at = performance.now();
    const after = now();
    if (after - before < best.width) best = { width: after - before, offset: (before + after) / 2 - at };
  }
  return best.offset;
}

const toMonotonic = performanceToMonotonic();
// Plain lists of numbers, and the methods wrapped once on the prototypes: an object, a closure or
// an own property per request changed the baseline's garbage collections (23 pauses of 1.7-2 ms
// in 10 s instead of 37 of 0.4-0.5 ms) and so the tail this measures.
const starts = [];
const ends = [];
const collections = [];

new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) collections.push([toMonotonic + entry.startTime, entry.duration]);
}).observe({ entryTypes: ['gc'] });

// The 'request' event is where both servers' handlers start.
const emit = https.Server.prototype.emit;
https.Server.prototype.emit = function traced(event) {
  if (event === 'request') starts.push(now());
  return emit.apply(this, arguments);
};
const end = http.ServerResponse.prototype.end;
http.ServerResponse.prototype.end = function traced() {
  ends.push(now());
  return end.apply(this, arguments);
};

process.once('exit', () => writeFileSync(process.env.REQUEST_TRACE_FILE, JSON.stringify({ starts, ends, collections })));
