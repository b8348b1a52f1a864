// Preloaded into a benchmarked server (node --import) by bench/latency-tail.mjs: records when each
// request's handler started and when its answer was sent, and every garbage collection, on the
// monotonic clock that all processes on the machine share, so the load generator's send and
// receive times can be set beside them. Written to $REQUEST_TRACE_FILE when the process exits.
import { writeFileSync } from 'node:fs';
import https from 'node:https';
import { PerformanceObserver, performance } from 'node:perf_hooks';

/** performance.now() plus this is process.hrtime (CLOCK_MONOTONIC) in ms. */
const toMonotonic = Number(process.hrtime.bigint()) / 1e6 - performance.now();
const now = () => Number(process.hrtime.bigint()) / 1e6;
const requests = [];
const collections = [];

new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) collections.push({ startMs: toMonotonic + entry.startTime, durationMs: entry.duration, kind: entry.detail?.kind });
}).observe({ entryTypes: ['gc'] });

// The 'request' event is where both servers' handlers start; wrapping emit sees it without
// touching either server's code.
const emit = https.Server.prototype.emit;
https.Server.prototype.emit = function traced(event, req, res) {
  if (event === 'request') {
    const request = { startMs: now(), sentMs: NaN };
    requests.push(request);
    res.once('finish', () => {
      request.sentMs = now();
    });
  }
  return emit.apply(this, arguments);
};

process.once('exit', () => writeFileSync(process.env.REQUEST_TRACE_FILE, JSON.stringify({ requests, collections })));
