// One stage of the review path over HTTPS, for bench/cost-breakdown.mjs: the same node:https
// server with more of the webhook's work switched on at each stage, so the CPU each part costs
// can be told apart. Prints {"msg":"listening","port":N} like serve does.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import pino from 'pino';
import { encodeAnswer } from '../dist/admission/response.js';
import { readAdmissionReview } from '../dist/admission/request.js';
import { review } from '../dist/admission/review.js';
import { defaultConfig } from '../dist/config.js';
import { batchedDestination, isoTimeOncePerMillisecond } from '../dist/server/logger.js';
import { createMetrics } from '../dist/server/metrics.js';
import { observed } from '../dist/server/observe.js';
import { reviewEndpoint } from '../dist/server/review-endpoint.js';

const [stage, certFile, keyFile] = process.argv.slice(2);
const context = { config: defaultConfig };
const discard = (level) => pino({ level, timestamp: isoTimeOncePerMillisecond() }, batchedDestination('/dev/null'));
const endpoint = reviewEndpoint({ context: () => context, maxBodyBytes: 6 << 20, maxDurationMs: 30_000 });

function parsed(req, answer) {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => answer(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
}
function reply(res, text) {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The patch serve sends for the benchmark's request, so the `sized` stage's answer is as long as serve's. */
const PATCH = review(readAdmissionReview(JSON.parse(readFileSync(new URL('../test/fixtures/admission/create-runner-legacy.json', import.meta.url), 'utf8'))), context).answer.response.patch;

const STAGES = {
  /** parse and answer allowed: the floor, exactly as bench/baseline-server.mjs answers */
  floor: (req, res) => parsed(req, (body) => reply(res, JSON.stringify({ apiVersion: body.apiVersion, kind: 'AdmissionReview', response: { uid: body.request.uid, allowed: true } }))),
  /** the floor with a ready-made patch in the answer: what the longer answer alone costs in TLS and HTTP */
  sized: (req, res) =>
    parsed(req, (body) =>
      reply(res, JSON.stringify({ apiVersion: body.apiVersion, kind: 'AdmissionReview', response: { uid: body.request.uid, allowed: true, patchType: 'JSONPatch', patch: PATCH } })),
    ),
  /** + the rules, the patch and its encoding, one review at a time as each request is read */
  rules: (req, res) => parsed(req, (body) => reply(res, encodeAnswer(review(readAdmissionReview(body), context).answer))),
  /** + the endpoint's request handling (method, content type, size limit, deadline, errors), which reviews a turn's requests together */
  endpoint: (req, res) => void endpoint(req, res),
  /** + metrics */
  metrics: observed(endpoint, discard('warn'), createMetrics()),
  /** + the log line: everything serve does for a review */
  logged: observed(endpoint, discard('info'), createMetrics()),
};

const server = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.2', keepAliveTimeout: 120_000 }, STAGES[stage]);
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ msg: 'listening', port: server.address().port })));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
