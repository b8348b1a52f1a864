// `npm run bench:tail`: where the slowest 1 % of requests at 200 req/s on one connection lose their
// time, the p99 that `npm run bench` compares. For the baseline and for `serve`, each with
// bench/request-trace.mjs preloaded, every request is split into the wait before its handler
// started, the handler (until it called res.end), and the rest (the answer's way back to the
// client); the tool also counts the garbage collections that overlapped it and sets apart the
// first request of each second (see echoRound). A bare TCP echo in the same pattern gives the
// machine's own tail. All times are on the monotonic clock the processes share. Last, a review in
// a loop after an idle stretch (after-idle.mjs): what the first request of a second pays for the
// review's own work. Not part of `npm test`; the raw figures go to bench/results/.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { benchAfterIdle } from './after-idle.mjs';
import { writeResults } from './results-file.mjs';
import { removeFolder, scratchFolder } from './scratch.mjs';
import { BASELINE, BODY, certificates, median, percentileOf, reviewLoad, serveArgs, start, stop } from './server-load.mjs';

const RATE = 200;
const ROUNDS = 3;
const ROUND_SECONDS = 10;
/** A gap between two requests longer than this ends a burst (a burst of 200 took a median 50-90 ms here). */
const IDLE_MS = 100;
const ECHOED = Buffer.from(BODY);
const TRACER = new URL('./request-trace.mjs', import.meta.url).pathname;
const ECHO = new URL('./echo-server.mjs', import.meta.url).pathname;
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * Where an exchange sits in its round: the round's first is the connection's first (for autocannon
 * it includes the TLS handshake); `first` is the first of a second's burst, after the rest of the
 * second before idle; `rest` is every other.
 */
const positions = (exchanges) =>
  exchanges.map(([sentMs], index) => (index === 0 ? 'connection' : sentMs - exchanges[index - 1][1] > IDLE_MS ? 'first' : 'rest'));

/** A round: each exchange's [sent, received] in ms, its position, and how many answers were not 200. */
const roundRecord = (exchanges, failed) => ({ exchanges, positions: positions(exchanges), failed });

/**
 * One connection at RATE a second for ROUND_SECONDS. autocannon times a request from the moment
 * it queues it (pipelinedRequests.insertRequest, just before writing it) to its answer; the send
 * time is that same process.hrtime() reading, so send plus autocannon's time is the receive time.
 * Its 'request' event comes earlier, and a stall of the load generator in between made answers
 * seem to arrive before the server had sent them.
 */
async function reviewRound(server) {
  const exchanges = [];
  let sentMs = 0;
  let failed = 0;
  const setupClient = (client) => {
    const queue = client.pipelinedRequests;
    const insert = queue.insertRequest;
    queue.insertRequest = (...args) => {
      insert.apply(queue, args);
      const [seconds, nanoseconds] = queue.pendingRequests.at(-1).startTime;
      sentMs = seconds * 1e3 + nanoseconds / 1e6;
    };
  };
  const instance = reviewLoad(server, { connections: 1, overallRate: RATE, duration: ROUND_SECONDS, setupClient });
  instance.on('response', (_client, status, _bytes, responseTimeMs) => {
    exchanges.push([sentMs, sentMs + responseTimeMs]);
    if (status !== 200) failed++;
  });
  await instance;
  return roundRecord(exchanges, failed);
}

/**
 * The review's bytes echoed over plain TCP in autocannon's pattern: its overallRate is a budget a
 * second (lib/httpClient.js), so on one connection it sends the second's RATE requests back to
 * back, each as the answer to the one before arrives, and then waits for the next second.
 */
async function echoRound(port) {
  const socket = connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  await once(socket, 'connect');
  const exchanges = [];
  const firstMs = nowMs();
  let sentMs = 0;
  let received = 0;
  const send = () => {
    sentMs = nowMs();
    received = 0;
    socket.write(ECHOED);
  };
  await new Promise((resolve) => {
    socket.on('data', (data) => {
      received += data.length;
      if (received < ECHOED.length) return;
      exchanges.push([sentMs, nowMs()]);
      if (exchanges.length === RATE * ROUND_SECONDS) resolve();
      else if (exchanges.length % RATE !== 0) send();
      else setTimeout(send, Math.max(0, firstMs + (exchanges.length / RATE) * 1000 - nowMs()));
    });
    send();
  });
  socket.destroy();
  return roundRecord(exchanges, 0);
}

const share = (count, total) => +((100 * count) / total).toFixed(2);
const round3 = (value) => +value.toFixed(3);
/** The median of `value` over `items`, leaving out values that are not numbers (an exchange with no server record). */
const medianOf = (items, value) => {
  const values = items.map(value).filter(Number.isFinite);
  return values.length > 0 ? round3(median(values)) : NaN;
};

/** Latency over every exchange of every round, as `npm run bench` takes it, and by position. */
function describe({ name, rounds }) {
  const all = rounds.flatMap((r) => r.exchanges.map(([sentMs, receivedMs], index) => ({ ms: receivedMs - sentMs, position: r.positions[index] })));
  const sorted = all.map((exchange) => exchange.ms).sort((a, b) => a - b);
  const rest = all.filter((exchange) => exchange.position === 'rest');
  const bursts = rounds.flatMap((r) => {
    const starts = r.positions.flatMap((position, index) => (position === 'rest' ? [] : [index]));
    return starts.map((startIndex, n) => r.exchanges[(starts[n + 1] ?? r.exchanges.length) - 1][1] - r.exchanges[startIndex][0]);
  });
  return {
    name,
    requests: sorted.length,
    failed: rounds.reduce((sum, r) => sum + r.failed, 0),
    p50Ms: percentileOf(sorted, 50),
    p99Ms: percentileOf(sorted, 99),
    burstMedianMs: round3(median(bursts)),
    firstOfSecondMedianMs: medianOf(
      all.filter((exchange) => exchange.position === 'first'),
      (exchange) => exchange.ms,
    ),
    restOver1MsPercent: share(rest.filter((exchange) => exchange.ms > 1).length, rest.length),
  };
}

/** The index of the last of the sorted `values` at or before `ms`; with `after`, of the first at or after it. */
function search(values, ms, after = false) {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (after ? values[middle] < ms : values[middle] <= ms) low = middle + 1;
    else high = middle;
  }
  return after ? low : low - 1;
}

/**
 * Sets each client exchange beside the server's record of the same request (on one connection,
 * the last handler started before the answer arrived, and the first res.end after that start) and
 * the collections that overlapped it.
 */
function analyse(rounds, { starts, ends, collections: traced }) {
  const parts = [];
  const collections = [];
  for (const { exchanges, positions: where } of rounds) {
    const inRound = traced.filter(([startMs]) => startMs >= exchanges[0][0] && startMs <= exchanges.at(-1)[1]);
    collections.push(...inRound);
    for (const [index, [sentMs, receivedMs]] of exchanges.entries()) {
      const startMs = starts[search(starts, receivedMs)] ?? NaN;
      const endedMs = Number.isNaN(startMs) ? NaN : (ends[search(ends, startMs, true)] ?? NaN);
      parts.push({
        totalMs: receivedMs - sentMs,
        beforeMs: startMs - sentMs,
        handlerMs: endedMs - startMs,
        afterMs: receivedMs - endedMs,
        collected: inRound.some(([gcStartMs, durationMs]) => gcStartMs < receivedMs && gcStartMs + durationMs > sentMs),
        position: where[index],
      });
    }
  }
  const rest = parts.filter((part) => part.position === 'rest');
  const firsts = parts.filter((part) => part.position === 'first');
  const slowest = [...parts].sort((a, b) => a.totalMs - b.totalMs).slice(Math.floor(parts.length * 0.99));
  const count = (items, test) => items.filter(test).length;
  return {
    // Times that cannot all be right (a handler started before its request was sent, an answer
    // received before it was handed to Node, or no record): shown so that they are seen.
    inconsistent: count(parts, (part) => !(part.beforeMs >= 0 && part.afterMs >= 0)),
    restWaitedOver1MsPercent: share(count(rest, (part) => part.beforeMs > 1), rest.length),
    restHandlerOver1MsPercent: share(count(rest, (part) => part.handlerMs > 1), rest.length),
    restHandlerMedianMs: medianOf(rest, (part) => part.handlerMs),
    firstOfSecond: { count: firsts.length, beforeMedianMs: medianOf(firsts, (part) => part.beforeMs), handlerMedianMs: medianOf(firsts, (part) => part.handlerMs) },
    slowest: {
      count: slowest.length,
      connection: count(slowest, (part) => part.position === 'connection'),
      firstOfSecond: count(slowest, (part) => part.position === 'first'),
      withCollection: count(slowest, (part) => part.collected),
      beforeMedianMs: medianOf(slowest, (part) => part.beforeMs),
      handlerMedianMs: medianOf(slowest, (part) => part.handlerMs),
      afterMedianMs: medianOf(slowest, (part) => part.afterMs),
    },
    collections: collections.length,
    collectionMedianMs: medianOf(collections, ([, durationMs]) => durationMs),
  };
}

const files = certificates();
const traceDir = scratchFolder('bench-trace-');
const traced = async (name, args) => {
  const traceFile = join(traceDir, `${name}.json`);
  const server = await start(name, ['--import', TRACER, ...args], { env: { ...process.env, REQUEST_TRACE_FILE: traceFile } });
  return Object.assign(server, { caFile: files.caCertificate, traceFile, rounds: [] });
};
const results = { date: new Date().toISOString(), node: process.version, rate: RATE, rounds: ROUNDS, roundSeconds: ROUND_SECONDS };
// A run that fails midway leaves its servers and folders to bench/scratch.mjs, which ends them at exit.
const baseline = await traced('baseline', [BASELINE, files.certificate, files.key]);
const serve = await traced('runner-defaults', serveArgs(files));
const echo = Object.assign(await start('tcp echo', [ECHO]), { rounds: [] });
// As in `npm run bench`: a warm-up at saturation, then rounds that alternate the servers.
for (const server of [baseline, serve]) await reviewLoad(server, { connections: 16, duration: 5 });
for (let n = 0; n < ROUNDS; n++) {
  for (const server of [baseline, serve]) server.rounds.push(await reviewRound(server));
  echo.rounds.push(await echoRound(echo.port));
}
for (const server of [baseline, serve, echo]) await stop(server);
results.echo = describe(echo);
results.servers = [baseline, serve].map((server) => ({ ...describe(server), ...analyse(server.rounds, JSON.parse(readFileSync(server.traceFile, 'utf8'))) }));
removeFolder(traceDir);
results.afterIdle = await benchAfterIdle();

const summary = ({ name, p50Ms, p99Ms, failed, burstMedianMs, firstOfSecondMedianMs, restOver1MsPercent }) =>
  `  ${name.padEnd(16)} p50 ${p50Ms}  p99 ${p99Ms}${failed ? `  (${failed} answers not 200)` : ''}; a second's burst ${burstMedianMs}; ` +
  `its first request ${firstOfSecondMedianMs}; over 1 ms, of the others: ${restOver1MsPercent} %`;
console.log(`latency at ${RATE} req/s on one connection, ${ROUNDS} rounds of ${ROUND_SECONDS} s, every request pooled (ms, medians unless said):`);
console.log(`${summary(results.echo)}  (the machine's own round trip, no TLS or HTTP)`);
for (const server of results.servers) {
  const { firstOfSecond, slowest } = server;
  console.log(summary(server));
  console.log(
    `    first of each second (${firstOfSecond.count}): ${firstOfSecond.beforeMedianMs} before the handler, ${firstOfSecond.handlerMedianMs} in it` +
      ` (the others: ${server.restHandlerMedianMs} in it; ${server.restWaitedOver1MsPercent} % waited over 1 ms before it, ${server.restHandlerOver1MsPercent} % over 1 ms in it)`,
  );
  console.log(
    `    slowest 1 % (${slowest.count}): ${slowest.firstOfSecond} first of their second, ${slowest.connection} a connection's first, ` +
      `${slowest.withCollection} overlapped a garbage collection; ${slowest.beforeMedianMs} before the handler, ${slowest.handlerMedianMs} in it, ${slowest.afterMedianMs} after`,
  );
  console.log(
    `    garbage collections during its rounds: ${server.collections}, ${server.collectionMedianMs} each` +
      `${server.inconsistent ? `; ${server.inconsistent} requests with times that cannot all be right` : ''}`,
  );
}
const { idleMs, warm, swept, idle } = results.afterIdle;
const steps = ({ readMicroseconds, reviewMicroseconds }) => `read ${readMicroseconds} µs, review and encode ${reviewMicroseconds} µs`;
console.log(`a review in a loop, no server (median µs): back to back: ${steps(warm)}; after the caches were swept: ${steps(swept)}; after ${idleMs} ms idle: ${steps(idle)} (${idle.collections} garbage collections during the ${idle.samples} sleeps)`);
writeResults('tail', results);
