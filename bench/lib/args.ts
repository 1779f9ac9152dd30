/** Command-line flags of `npm run bench`. */
import { parseArgs } from 'node:util';

export interface BenchArgs {
  quick: boolean;
  /** Scenario names to run; empty = all. */
  only: string[];
  help: boolean;
}

export const USAGE = `Usage: npm run bench -- [--quick] [--only <scenario>[,<scenario>...]]

  --quick        fewer rounds and operations (CI smoke run)
  --only NAME    run only this scenario (repeatable or comma-separated)
  --help         this text

memcached: starts its own node unless MEMCACHED_SERVERS (comma-separated host:port) is set.
Results: printed tables, and JSON in bench/results/latest.json.`;

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const only = (values.only ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  return { quick: values.quick === true, only, help: values.help === true };
}
