// Preloaded into a benchmarked server (node --import) by bench/latency-tail.mjs: records when each
// request's handler started and when it handed its answer to Node (res.end), and every garbage
// collection, on the monotonic clock that all processes on the machine share, so the load
// generator's send and receive times can be set beside them. Written to $REQUEST_TRACE_FILE when
// the process exits.
import { writeFileSync } from 'node:fs';
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
const requests = [];
const collections = [];

new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) collections.push({ startMs: toMonotonic + entry.startTime, durationMs: entry.duration });
}).observe({ entryTypes: ['gc'] });

// The 'request' event is where both servers' handlers start; wrapping emit sees it without
// touching either server's code. The answer is taken as sent when res.end is called: 'finish'
// comes after the client often already has it.
const emit = https.Server.prototype.emit;
https.Server.prototype.emit = function traced(event, req, res) {
  if (event === 'request') {
    const request = { startMs: now(), endedMs: NaN };
    requests.push(request);
    const end = res.end;
    res.end = function ended(...args) {
      request.endedMs = now();
      res.end = end;
      return end.apply(this, args);
    };
  }
  return emit.apply(this, arguments);
};

process.once('exit', () => writeFileSync(process.env.REQUEST_TRACE_FILE, JSON.stringify({ requests, collections })));
