// What a command needs from the CLI around it: where to print, the API client (resolved from
// the config on first use, so `--help` works without a config or a running gateway), the clock.
import type { ApiClient } from './api-client.ts';

export interface Output {
  write(text: string): unknown;
}

export interface CliContext {
  /** Writes one line (a newline is added) to stdout. */
  print(text: string): void;
  /** Writes one line to stderr (notes that must not pollute --json output). */
  note(text: string): void;
  api(): ApiClient;
  now(): number;
}
