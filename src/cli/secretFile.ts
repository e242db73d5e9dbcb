/** A secret flag's value read from a file or standard input, so it stays out of the process list and shell history. */
import { open } from 'node:fs/promises';
import { UsageError } from './errors.js';

/** Far above any header value; bounds what a wrong path (a log, a device) makes us read. */
export const MAX_SECRET_BYTES = 16 * 1024;

/**
 * Reads one line: the file's content (`-` = standard input) without its final newline. Refuses an
 * empty value, one with more lines (a header value cannot hold a line break) and one over
 * MAX_SECRET_BYTES, naming `flag`; the value itself never appears in an error.
 * @example const authorization = await readSecretFile('/run/secrets/siem', '--authorization-file', 'webhook set');
 */
export async function readSecretFile(path: string, flag: string, command: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const fail = (reason: string): never => {
    throw new UsageError(`invalid argument "${path}" for "${flag}" flag: ${reason}`, command);
  };
  const bytes = path === '-' ? await readBounded(stdin) : await readFileBounded(path).catch((error: NodeJS.ErrnoException) => fail(`cannot read it (${error.code ?? error.message})`));
  if (bytes === undefined) return fail(`longer than ${MAX_SECRET_BYTES} bytes: expected one line`);
  const value = bytes.toString('utf8').replace(/\r?\n$/, '');
  if (/[\r\n]/.test(value)) fail('more than one line: expected the value alone on one line');
  if (value.trim() === '') fail(path === '-' ? 'standard input was empty' : 'the file is empty');
  return value;
}

/** The file's bytes, or undefined when it holds more than MAX_SECRET_BYTES. */
async function readFileBounded(path: string): Promise<Buffer | undefined> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(MAX_SECRET_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_SECRET_BYTES) return undefined;
    }
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

/** Standard input to its end, or undefined as soon as it passes MAX_SECRET_BYTES. */
async function readBounded(stream: NodeJS.ReadableStream): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    length += bytes.length;
    if (length > MAX_SECRET_BYTES) return undefined;
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}
