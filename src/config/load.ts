// Loads gatehouse.yaml: parse YAML, validate against the schema, and explain every problem
// with the key's dotted path. A config that does not validate never starts the appliance.
import { readFileSync, existsSync } from 'node:fs';
import { resolve, dirname, isAbsolute } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { configSchema, type Config } from './schema.ts';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function keyPath(path: PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
}

/** Validates a parsed config object; throws ConfigError naming each bad key. */
export function validateConfig(raw: unknown, source = 'config'): Config {
  const r = configSchema.safeParse(raw ?? {});
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => {
    if (i.code === 'unrecognized_keys') {
      const base = keyPath(i.path);
      return i.keys.map((k) => `${source}: unknown key "${base ? base + '.' : ''}${k}"`).join('\n');
    }
    return `${source}: "${keyPath(i.path) || '(top level)'}": ${i.message}`;
  });
  throw new ConfigError(lines.join('\n'));
}

/**
 * Reads the config file. With no path: ./gatehouse.yaml when present, built-in defaults otherwise.
 * Relative dataDir and TLS paths are taken relative to the config file's folder.
 */
export function loadConfig(path?: string): { config: Config; path: string | null } {
  const file = path ?? (existsSync('gatehouse.yaml') ? 'gatehouse.yaml' : null);
  if (!file) return { config: validateConfig({}, 'defaults'), path: null };
  const abs = resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` (line ${err.linePos[0].line})` : '';
    throw new ConfigError(`${file}: not valid YAML${where}: ${(err as Error).message.split('\n')[0]}`);
  }
  const config = validateConfig(raw, file);
  const base = dirname(abs);
  const rel = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  config.dataDir = rel(config.dataDir);
  if (config.smtp.tls) config.smtp.tls = { cert: rel(config.smtp.tls.cert), key: rel(config.smtp.tls.key) };
  return { config, path: abs };
}
