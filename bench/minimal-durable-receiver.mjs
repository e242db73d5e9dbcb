// The floor of durability for the ingest benchmark: a node:http server that appends each POST body
// to a file opened O_DSYNC with group commit (one writev for every body that arrived while the
// previous write was on its way) and answers 202 once its body is on disk. No checks, no limits.
// Usage: node minimal-durable-receiver.mjs <file>; prints its port.
import { constants, openSync, writev } from 'node:fs';
import http from 'node:http';

const fd = openSync(process.argv[2], constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_DSYNC, 0o600);
let queue = [];
let waiters = [];
let writing = false;

function flush() {
  writing = true;
  const bodies = queue;
  const answers = waiters;
  queue = [];
  waiters = [];
  writev(fd, bodies, (error) => {
    for (const answer of answers) answer(error ? 500 : 202);
    if (waiters.length > 0) flush();
    else writing = false;
  });
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    queue.push(Buffer.concat(chunks));
    waiters.push((status) => res.writeHead(status, { 'Content-Length': 0 }).end());
    if (!writing) flush();
  });
});
server.keepAliveTimeout = 5_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
