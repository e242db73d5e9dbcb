#!/usr/bin/env node
/**
 * konnect-audit's command line. Commands are declared here; their implementations load lazily so
 * `--version` and `--help` start fast.
 */
import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { EXIT_RUNTIME, EXIT_USAGE, UsageError } from './errors.js';
import { registerCleanup } from './commands/cleanup.js';
import { registerDestinations } from './commands/destinations.js';
import { registerEmulate } from './commands/emulate.js';
import { registerEvents } from './commands/events.js';
import { registerListen } from './commands/listen.js';
import { registerPs } from './commands/ps.js';
import { registerPull } from './commands/pull.js';
import { registerReplay } from './commands/replay.js';
import { registerStatus } from './commands/status.js';
import { registerVerify } from './commands/verify.js';
import { registerWebhook } from './commands/webhook.js';

let quietOnClosedStdout = false;

/** Help and --version text: `konnect-audit events --help | head` must end quietly, not with an EPIPE trace. */
function writeHelp(text: string): void {
  if (!quietOnClosedStdout) {
    quietOnClosedStdout = true;
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
  process.stdout.write(text);
}

function buildProgram(): Command {
  const program = new Command('konnect-audit')
    .description('Kong Konnect audit logs: receive, store, verify and query them, and an offline Konnect emulator.')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showHelpAfterError(false)
    // Options after a subcommand belong to it (`ps stop -o json` is ps stop's -o, not ps's).
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ outputError: (message, write) => write(message), writeOut: writeHelp });
  registerListen(program);
  registerCleanup(program);
  registerPs(program);
  registerVerify(program);
  registerEvents(program);
  registerPull(program);
  registerWebhook(program);
  registerReplay(program);
  registerStatus(program);
  registerDestinations(program);
  registerEmulate(program);
  return program;
}

/** The help to point at: the error's own command, else the command named on the command line. */
function helpFor(program: Command, argv: readonly string[], command?: string): string {
  const name = command ?? program.commands.find((c) => argv.includes(c.name()) || c.aliases().some((a) => argv.includes(a)))?.name();
  return name ? `konnect-audit ${name} --help` : 'konnect-audit --help';
}

/** jq's `--arg name value` takes two values, which commander cannot: `--jq-arg name value` becomes `--jq-arg name=value`. */
export function joinJqArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--jq-arg' && i + 2 < argv.length && !argv[i + 1]!.includes('=')) {
      out.push('--jq-arg', `${argv[i + 1]}=${argv[i + 2]}`);
      i += 2;
    } else out.push(argv[i]!);
  }
  return out;
}

export async function main(rawArgv: readonly string[]): Promise<number> {
  const argv = joinJqArgs(rawArgv);
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return 0;
      // Help was already printed (e.g. no command given): no pointer needed.
      if (error.code === 'commander.help' || error.code === 'commander.helpDisplayed') return EXIT_USAGE;
      process.stderr.write(`Run '${helpFor(program, argv)}' for usage.\n`);
      return EXIT_USAGE;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\nRun '${helpFor(program, argv, error.command)}' for usage.\n`);
      return EXIT_USAGE;
    }
    process.stderr.write(`error: ${(error as Error).message ?? String(error)}\n`);
    return EXIT_RUNTIME;
  }
}

const code = await main(process.argv.slice(2));
// A command may have set its own exit code (e.g. 1 when Konnect clean-up failed); never hide it.
if (code !== 0 || process.exitCode === undefined) process.exitCode = code;
