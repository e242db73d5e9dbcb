// A minimal webhook receiver for benchmarks: gunzips each POST, counts its records, answers 202.
// GET /count reports the total. Runs in its own process so it does not share the emulator's thread.
import http from 'node:http';
import { gunzip } from 'node:zlib';

let records = 0;
let bytes = 0;
const server = http.createServer((req, res) => {
  if (req.method === 'GET') {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ records, bytes }));
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    gunzip(Buffer.concat(chunks), (error, body) => {
      if (error) {
        res.writeHead(400).end();
        return;
      }
      let n = 1;
      for (let i = body.indexOf(10); i !== -1; i = body.indexOf(10, i + 1)) n++;
      records += n;
      bytes += body.length;
      res.writeHead(202).end();
    });
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
