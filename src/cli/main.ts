#!/usr/bin/env node
/**
 * konnect-audit's command line. Commands are declared here; their implementations load lazily so
 * `--version` and `--help` start fast.
 */
import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { EXIT_RUNTIME, EXIT_USAGE, UsageError } from './errors.js';
import { registerCleanup } from './commands/cleanup.js';
import { registerEmulate } from './commands/emulate.js';
import { registerListen } from './commands/listen.js';

function buildProgram(): Command {
  const program = new Command('konnect-audit')
    .description('Kong Konnect audit logs: receive, store, verify and query them, and an offline Konnect emulator.')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ outputError: (message, write) => write(message) });
  registerListen(program);
  registerCleanup(program);
  registerEmulate(program);
  return program;
}

function commandPath(error: UsageError): string {
  return error.command ? `konnect-audit ${error.command} --help` : 'konnect-audit --help';
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return 0;
      // Help was already printed (e.g. no command given): no pointer needed.
      if (error.code === 'commander.help' || error.code === 'commander.helpDisplayed') return EXIT_USAGE;
      const sub = program.commands.find((c) => argv.includes(c.name()));
      process.stderr.write(`Run 'konnect-audit ${sub ? `${sub.name()} ` : ''}--help' for usage.\n`);
      return EXIT_USAGE;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\nRun '${commandPath(error)}' for usage.\n`);
      return EXIT_USAGE;
    }
    process.stderr.write(`error: ${(error as Error).message ?? String(error)}\n`);
    return EXIT_RUNTIME;
  }
}

process.exitCode = await main(process.argv.slice(2));
