// `gatehouse start`: load the config, start the appliance, stop cleanly on SIGTERM/SIGINT.
import { loadConfig, ConfigError } from './config/load.ts';
import { Appliance } from './appliance.ts';
import { runCli } from './admin/cli/main.ts';
import { resolve } from 'node:path';

export async function startCommand(configPath: string | undefined): Promise<number> {
  let appliance: Appliance;
  try {
    const { config } = loadConfig(configPath);
    config.dataDir = resolve(config.dataDir);
    appliance = await Appliance.start(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`gatehouse: configuration refused:\n${err.message}\n`);
      return 78; // EX_CONFIG
    }
    process.stderr.write(`gatehouse: cannot start: ${(err as Error).message}\n`);
    return 1;
  }
  let stopping = false;
  await new Promise<void>((done) => {
    const stop = (sig: string) => {
      if (stopping) return;
      stopping = true;
      appliance.log.info(`${sig} received`);
      const force = setTimeout(() => {
        process.stderr.write('gatehouse: forced stop after 30 s\n');
        process.exit(1);
      }, 30_000);
      force.unref();
      appliance.stop().finally(done);
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  return runCli(argv, { start: startCommand });
}
