// The floor of Node's own HTTP overhead for the ingest benchmark: a node:http server that appends
// each POST body to a file and answers 202 at once. No path, method or auth checks, no size limit,
// no fsync. Usage: node minimal-append-receiver.mjs <file>; prints its port.
import { createWriteStream } from 'node:fs';
import http from 'node:http';

const out = createWriteStream(process.argv[2], { flags: 'a' });
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    out.write(Buffer.concat(chunks));
    res.writeHead(202, { 'Content-Length': 0 }).end();
  });
});
server.keepAliveTimeout = 5_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.on('SIGTERM', () => out.end(() => process.exit(0)));
