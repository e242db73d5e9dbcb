/** `konnect-audit ps`, `ps stop`, `ps logs`: detached listeners (kongctl's ps, telling the truth about identity and Konnect clean-up). */
import { Option, type Command } from 'commander';
import { OUTPUT_FORMATS } from '../output/formats.js';

export interface PsFlags {
  output?: string;
}
export interface PsStopFlags {
  all?: boolean;
  timeout?: string;
  output?: string;
}
export interface PsLogsFlags {
  follow?: boolean;
}

export function registerPs(program: Command): void {
  const ps = program
    .command('ps')
    .summary('list detached listeners (and unmanaged ones)')
    .description(
      [
        'List detached konnect-audit listeners from their process records, newest first, with their status:',
        '  running, starting  the recorded process is alive and is that listener (start time and command line match)',
        '  exited             the process is gone',
        '  failed             it failed to start (its error is kept in the record)',
        '  stale              the pid now belongs to another process; it is never signalled',
        '  unmanaged          a konnect-audit listener with no record (started in the foreground, or its record deleted)',
      ].join('\n'),
    )
    .addOption(new Option('-o, --output <format>', 'output format').choices([...OUTPUT_FORMATS]).default('text'))
    // `ps stop -o json`: options after a subcommand are the subcommand's own.
    .enablePositionalOptions()
    .action(async (flags: PsFlags) => {
      const { runPs } = await import('./psRun.js');
      await runPs(flags);
    });
  ps.command('stop')
    .argument('[pid]')
    .description("Stop a detached listener (SIGTERM), wait for its Konnect clean-up, report whether Konnect was left clean, and remove its record; exited, failed and stale records are pruned without signalling anyone.")
    .option('--all', 'stop every recorded listener')
    .option('--timeout <duration>', 'how long to wait for each listener to finish its clean-up', '90s')
    .addOption(new Option('-o, --output <format>', 'output format').choices([...OUTPUT_FORMATS]).default('text'))
    .action(async (pid: string | undefined, flags: PsStopFlags) => {
      const { runPsStop } = await import('./psRun.js');
      await runPsStop(pid, flags);
    });
  ps.command('logs')
    .argument('<pid>')
    .description("Print a detached listener's log; -f follows it until Ctrl+C.")
    .option('-f, --follow', 'keep printing what is appended')
    .action(async (pid: string, flags: PsLogsFlags) => {
      const { runPsLogs } = await import('./psRun.js');
      await runPsLogs(pid, flags);
    });
}
