/** Runs `ps`, `ps stop` and `ps logs`. */
import { createReadStream, statSync } from 'node:fs';
import { configDir } from '../../config/paths.js';
import { assessRecord, findUnmanaged } from '../../processes/inspect.js';
import { readRecord, readRecords, type ProcessRecord } from '../../processes/records.js';
import { stopProcess, type StopResult } from '../../processes/stop.js';
import { RuntimeError, UsageError } from '../errors.js';
import { renderStructured, type OutputFormat } from '../output/structured.js';
import type { PsFlags, PsLogsFlags, PsStopFlags } from './ps.js';
import { parseDuration } from '../parse.js';

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')).join('\n') + '\n';
}

function age(createdAt: string): string {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(createdAt)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

function flagValue(args: readonly string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  if (i >= 0) return args[i + 1];
  return args.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);
}

export async function runPs(flags: PsFlags): Promise<void> {
  const dir = configDir();
  const records = await readRecords(dir);
  const rows = records.map((r) => {
    const assessment = assessRecord(r);
    return {
      pid: r.pid,
      status: assessment.status,
      kind: r.kind,
      profile: r.profile,
      created_at: r.created_at,
      log_file: r.log_file,
      record_file: r.record_file,
      endpoint: r.endpoint ?? flagValue(r.args, '--endpoint') ?? null,
      local_endpoint: r.local_endpoint ?? null,
      destination_id: r.destination_id ?? null,
      ...(r.error ? { error: r.error } : {}),
      ...(assessment.status === 'stale' ? { stale_reason: assessment.reason ?? 'the pid belongs to another process' } : {}),
    };
  });
  const unmanaged = findUnmanaged(records).map((u) => ({
    pid: u.pid,
    status: 'unmanaged' as const,
    kind: 'konnect.audit-logs.listen',
    profile: flagValue(u.args, '--profile') ?? flagValue(u.args, '-p') ?? 'default',
    args: u.args,
    endpoint: flagValue(u.args, '--endpoint') ?? null,
  }));
  const all = [...rows, ...unmanaged];
  process.stdout.write(
    renderStructured((flags.output ?? 'text') as OutputFormat, all, () => {
      if (all.length === 0) return 'No detached konnect-audit processes found.\n';
      const lines = [['PID', 'STATUS', 'KIND', 'PROFILE', 'AGE', 'ENDPOINT']];
      for (const r of rows) lines.push([String(r.pid), r.status, r.kind, r.profile, age(r.created_at), r.endpoint ?? '-']);
      for (const u of unmanaged) lines.push([String(u.pid), u.status, u.kind, u.profile, '-', u.endpoint ?? '-']);
      let out = table(lines);
      for (const r of rows) if (r.status === 'failed' && r.error) out += `\n${r.pid} failed: ${r.error}\n`;
      if (unmanaged.length > 0) out += `\nunmanaged: listeners without a process record; stop them with kill -TERM <pid> (they clean up Konnect themselves).\n`;
      return out;
    }),
  );
}

function parsePid(value: string): number {
  if (!/^[1-9]\d*$/.test(value)) throw new UsageError(`invalid PID "${value}"`, 'ps stop');
  return Number(value);
}

export async function runPsStop(pid: string | undefined, flags: PsStopFlags): Promise<void> {
  if (flags.all && pid !== undefined) throw new UsageError('do not provide a PID when using --all', 'ps stop');
  if (!flags.all && pid === undefined) throw new UsageError('provide a process PID or use --all', 'ps stop');
  const timeoutMs = parseDuration(flags.timeout ?? '90s', '--timeout');
  const dir = configDir();
  let targets: ProcessRecord[];
  if (flags.all) targets = await readRecords(dir);
  else {
    const record = await readRecord(dir, parsePid(pid!));
    if (!record) throw new RuntimeError(`no detached process record found for PID ${pid}`);
    targets = [record];
  }
  const results: StopResult[] = await Promise.all(targets.map((r) => stopProcess(dir, r, { timeoutMs })));
  process.stdout.write(
    renderStructured((flags.output ?? 'text') as OutputFormat, results, () => {
      if (results.length === 0) return 'No detached konnect-audit processes found.\n';
      const lines = [['PID', 'ACTION', 'SUCCESS', 'KONNECT']];
      for (const r of results) lines.push([String(r.pid), r.action, String(r.success), r.konnectClean === undefined ? '-' : r.konnectClean ? 'clean' : 'LEFT STATE']);
      let out = table(lines);
      for (const r of results) if (!r.success || r.konnectClean === false) out += `${r.pid}: ${r.detail}\n`;
      return out;
    }),
  );
  if (results.some((r) => !r.success || r.konnectClean === false)) process.exitCode = 1;
}

export async function runPsLogs(pid: string, flags: PsLogsFlags): Promise<void> {
  const record = await readRecord(configDir(), parsePid(pid));
  if (!record) throw new RuntimeError(`no detached process record found for PID ${pid}`);
  const file = record.log_file;
  let offset = 0;
  const copy = async () => {
    let size: number;
    try {
      size = statSync(file).size;
    } catch {
      return;
    }
    if (size < offset) offset = 0;
    if (size === offset) return;
    await new Promise<void>((resolve, reject) => {
      createReadStream(file, { start: offset, end: size - 1 }).on('data', (chunk) => process.stdout.write(chunk)).on('end', resolve).on('error', reject);
    });
    offset = size;
  };
  await copy();
  if (!flags.follow) return;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => void copy(), 200);
    const stop = () => {
      clearInterval(timer);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
