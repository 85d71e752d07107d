// The `gatehouse` command line: every command but `start` is a client of the admin API, found
// through the config (admin.listen, <dataDir>/admin.token). Exit codes: 0 done, 1 the API (or
// anything else) refused, 2 usage or config error, 3 the API could not be reached.
import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig } from '../../config/load.ts';
import { adminTokenPath, readAdminToken } from '../admin-token.ts';
import { adminBaseUrl } from '../listen-address.ts';
import { ApiProblemError, ApiUnreachableError, createApiClient, type ApiClient } from './api-client.ts';
import type { CliContext, Output } from './context.ts';
import { UsageError } from './format.ts';
import { registerLogCommands } from './commands/logs.ts';
import { registerMaintenanceCommands } from './commands/maintenance.ts';
import { registerQueueCommands } from './commands/queue.ts';
import { registerServiceCommands } from './commands/services.ts';
import { registerPop3Commands } from './commands/pop3.ts';
import { registerSupportCommands } from './commands/support.ts';
import { registerQuarantineCommands } from './commands/quarantine.ts';
import { registerSpamfinderCommands } from './commands/spamfinder.ts';
import { registerHashPasswordCommand } from './commands/hash-password.ts';
import { registerComplianceCommands } from './commands/compliance.ts';
import { registerArchiveCommands } from './commands/archive.ts';
import { registerAuditCommands } from './commands/audit.ts';
import { registerKeyCommands } from './commands/keys.ts';
import { registerUserCommands } from './commands/users.ts';
import { registerTokenCommands } from './commands/tokens.ts';
import { registerMigrateCommand } from './commands/migrate.ts';
import { registerPortalCommands } from './commands/portal.ts';

export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;

export interface CliHooks {
  /** Runs the gateway in this process (`gatehouse start`); resolves to the exit code. */
  start?: (configPath: string | undefined) => Promise<number>;
  stdout?: Output;
  stderr?: Output;
  /** For tests: the fetch the API client uses, and the clock for relative times. */
  fetch?: typeof fetch;
  now?: () => number;
}

/** Runs one command line (`process.argv` form: node, script, args…) and returns the exit code. */
export async function runCli(argv: string[], hooks: CliHooks = {}): Promise<number> {
  const stdout = hooks.stdout ?? process.stdout;
  const stderr = hooks.stderr ?? process.stderr;
  let exitCode: number = EXIT.ok;

  const program = new Command('gatehouse')
    .description('Gatehouse mail security gateway')
    .option('--config <FILE>', 'config file (default: ./gatehouse.yaml when present, else built-in defaults)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => stdout.write(s),
      writeErr: (s) => stderr.write(s),
      outputError: (s, write) => write(`gatehouse: ${s.replace(/^error: /, '')}`),
    });

  let client: ApiClient | undefined;
  const ctx: CliContext = {
    print: (t) => void stdout.write(t + '\n'),
    note: (t) => void stderr.write(t + '\n'),
    api: () => (client ??= connect(program.opts<{ config?: string }>().config, hooks.fetch)),
    now: hooks.now ?? Date.now,
  };

  program
    .command('start')
    .description('Start the gateway in the foreground')
    .action(async () => {
      if (!hooks.start) throw new Error('this build of gatehouse cannot start the gateway');
      exitCode = await hooks.start(program.opts<{ config?: string }>().config);
    });
  registerServiceCommands(program, ctx);
  registerQueueCommands(program, ctx);
  registerLogCommands(program, ctx);
  registerMaintenanceCommands(program, ctx);
  registerPop3Commands(program, ctx);
  registerSupportCommands(program, ctx);
  registerQuarantineCommands(program, ctx);
  registerSpamfinderCommands(program, ctx);
  registerHashPasswordCommand(program, ctx);
  registerComplianceCommands(program, ctx);
  registerArchiveCommands(program, ctx);
  registerAuditCommands(program, ctx);
  registerKeyCommands(program, ctx);
  registerUserCommands(program, ctx);
  registerTokenCommands(program, ctx);
  registerMigrateCommand(program, ctx);
  registerPortalCommands(program, ctx);

  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    return report(err, stderr);
  }
}

/** Reads the config only when a command needs the API, so `--help` works anywhere. */
function connect(configPath: string | undefined, fetchImpl: typeof fetch | undefined): ApiClient {
  const { config } = loadConfig(configPath);
  let token: string;
  try {
    token = readAdminToken(config.dataDir);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file — has the gateway been started with this config?' : (err as Error).message;
    throw new Error(`cannot read the admin token ${adminTokenPath(config.dataDir)}: ${why}`);
  }
  return createApiClient({ baseUrl: adminBaseUrl(config.admin.listen), token, fetch: fetchImpl });
}

function report(err: unknown, stderr: Output): number {
  // Commander has printed its own message (or the help) already.
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  stderr.write(`gatehouse: ${err instanceof Error ? err.message : String(err)}\n`);
  if (err instanceof ApiProblemError) return EXIT.failed;
  if (err instanceof ApiUnreachableError) return EXIT.unreachable;
  // A config the CLI cannot use is a problem with how it was called, like a bad option.
  if (err instanceof UsageError || err instanceof ConfigError) return EXIT.usage;
  return EXIT.failed;
}
