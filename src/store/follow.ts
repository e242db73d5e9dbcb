/**
 * Following the active events file by path, as `tail -F`: read what is there, then what is
 * appended. When the file is renamed away (rotated to a segment) and a new one created, the old
 * file is read to its end first and the new one from its start; a file that shrank (truncated) is
 * read again from its start.
 *
 * @example
 * const follower = new FileFollower(paths.eventsFile);
 * for (;;) { for (const batch of await follower.poll()) print(batch); await sleep(250); }
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { LineSplitter, type Line } from './read.js';

const CHUNK_BYTES = 1024 * 1024;

export class FileFollower {
  private handle: FileHandle | undefined;
  private inode = 0;
  private position = 0;
  private splitter = new LineSplitter();
  private readonly buffer = Buffer.allocUnsafe(CHUNK_BYTES);

  constructor(readonly path: string) {}

  /** The lines added since the last poll, in batches; none while the file does not exist. */
  async poll(): Promise<Line[][]> {
    const out: Line[][] = [];
    // At most a few turns: one per file replaced since the last poll that we could see.
    for (let turn = 0; turn < 4; turn++) {
      if (!this.handle && !(await this.openFile())) return out;
      await this.readToEnd(out);
      let current;
      try {
        current = await stat(this.path);
      } catch (error) {
        // Renamed away, the new file not created yet: what the old one holds is read; wait.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return out;
        throw error;
      }
      if (current.ino !== this.inode) {
        // Rotated: anything written before the rename is in the old file, so finish it first.
        await this.readToEnd(out);
        const last = this.splitter.end();
        if (last.length > 0) out.push(last);
        await this.close();
        continue;
      }
      if (current.size < this.position) {
        // Truncated in place: start again (a partial line from before is dropped).
        this.position = 0;
        this.splitter = new LineSplitter();
        continue;
      }
      return out;
    }
    return out;
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }

  private async openFile(): Promise<boolean> {
    try {
      this.handle = await open(this.path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
    this.inode = (await this.handle.stat()).ino;
    this.position = 0;
    this.splitter = new LineSplitter();
    return true;
  }

  private async readToEnd(out: Line[][]): Promise<void> {
    for (;;) {
      const { bytesRead } = await this.handle!.read(this.buffer, 0, this.buffer.length, this.position);
      if (bytesRead === 0) return;
      this.position += bytesRead;
      // Lines are views of what is pushed: copy, so the read buffer can be reused.
      const lines = this.splitter.push(Buffer.from(this.buffer.subarray(0, bytesRead)));
      if (lines.length > 0) out.push(lines);
    }
  }
}
