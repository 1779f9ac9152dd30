/** Command-line flags of `cache-warmup`: parsing, validation (UsageError, exit 2) and the --help text. */
import { parseArgs } from 'node:util';

export const USAGE = `Usage:
  cache-warmup --hotlist <file|dir> --base-url <url> [options]   replay recorded URLs through the app
  cache-warmup --urls <file> --base-url <url> [options]          replay a plain list of paths
  cache-warmup --module <file> --hotlist <file|dir> [options]    call the app's named loaders

Preloads memcached with the entries that hurt the database most when missing (requests x load cost),
highest impact first, before a site or a replaced memcached node goes live.

Input:
  --hotlist <file|dir>  hotlist JSON written by HotKeyRecorder; a directory merges every *.json in it
  --urls <file>         paths to fetch, one per line ("/products/42"); blank lines and # comments ignored
  --base-url <url>      origin of the application (http:// or https://); URL entries are fetched there,
                        through its caching middleware
  --module <file>       ES module exporting \`cache\` (a stampede-guard cache on the app's servers and
                        namespace) and \`loaders\` ({ name: fn } or { name: { fn, options } }, named as in
                        cache.cached(name, ...)); loader entries are replayed through it

Options:
  --top <n>             replay the first n replayable entries                          (default 500)
  --concurrency <n>     entries replayed at once                                        (default 8)
  --rate <n>            entries started per second; 0 = no limit                        (default 50)
  --timeout <duration>  time one attempt may take, e.g. 500ms, 10s, 2m, and the import of
                        --module                                                        (default 10s)
  --retries <n>         retries of a failed attempt (network error, timeout, HTTP 5xx/429, loader error)
                                                                                        (default 2)
  --max-failures <n>    failed entries tolerated before exiting with 1                  (default 0)
  --force               replay entries that are already cached (loader entries are deleted and loaded
                        again; URL entries are fetched and counted as warmed if they are stored)
  --dry-run             print what would be replayed, in order, and touch nothing
  --json                print one JSON object (the summary) on stdout, no progress
  -h, --help            this text

Entries already cached are skipped (a URL answered with X-Cache: HIT or STALE, or WAIT: live traffic
rendered it meanwhile; a loader key found in memcached). Misses are loaded under the same safe- locks as
live traffic, so nothing is loaded twice. A page the application does not store (answered X-Cache:
BYPASS, or rendered and then not found stored by a second request) is counted as uncacheable: not
retried, not a failure; a run in which no page at all was stored exits with 1.
Progress goes to stderr: one updating line on a terminal, a line every 10% otherwise.

Exit status:
  0    done, with at most --max-failures failed entries
  1    more failures than --max-failures, or the run could not start (base URL unreachable,
       --module import not finished within --timeout)
  2    usage error or bad input (unknown flag, missing or corrupt hotlist, malformed URL list, bad module,
       no entry replayable with the given --base-url / --module)
  130  interrupted (Ctrl+C): in-flight entries finish (within --timeout), then the partial summary
       is printed; a second Ctrl+C quits at once`;

/** Bad command line or input: a one-line message, exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Bad input file or module (a usage error too, exit status 2, but --help would not help). */
export class InputError extends UsageError {
  override name = 'InputError';
}

export interface CliConfig {
  help: boolean;
  hotlist: string | undefined;
  urls: string | undefined;
  module: string | undefined;
  baseUrl: string | undefined;
  top: number;
  concurrency: number;
  rate: number;
  timeoutMs: number;
  retries: number;
  maxFailures: number;
  force: boolean;
  dryRun: boolean;
  json: boolean;
}

export function parseCliArgs(argv: readonly string[]): CliConfig {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        hotlist: { type: 'string' },
        urls: { type: 'string' },
        module: { type: 'string' },
        'base-url': { type: 'string' },
        top: { type: 'string' },
        concurrency: { type: 'string' },
        rate: { type: 'string' },
        timeout: { type: 'string' },
        retries: { type: 'string' },
        'max-failures': { type: 'string' },
        force: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError(describeParseError(error as Error & { code?: string }));
  }
  const str = (name: string) => values[name] as string | undefined;
  const config: CliConfig = {
    help: values.help === true,
    hotlist: str('hotlist'),
    urls: str('urls'),
    module: str('module'),
    baseUrl: str('base-url'),
    top: integer('top', str('top'), 500, 1),
    concurrency: integer('concurrency', str('concurrency'), 8, 1),
    rate: rate(str('rate')),
    timeoutMs: str('timeout') === undefined ? 10_000 : parseDuration('--timeout', str('timeout') as string),
    retries: integer('retries', str('retries'), 2, 0),
    maxFailures: integer('max-failures', str('max-failures'), 0, 0),
    force: values.force === true,
    dryRun: values['dry-run'] === true,
    json: values.json === true,
  };
  if (config.help) return config;
  if ((config.hotlist === undefined) === (config.urls === undefined)) {
    throw new UsageError('give exactly one of --hotlist and --urls');
  }
  if (config.urls !== undefined && config.baseUrl === undefined) {
    throw new UsageError('--urls needs --base-url');
  }
  if (config.urls !== undefined && config.module !== undefined) {
    throw new UsageError('--module replays loader entries of a --hotlist, not --urls');
  }
  if (config.hotlist !== undefined && config.baseUrl === undefined && config.module === undefined) {
    throw new UsageError('--hotlist needs --base-url (URL entries) or --module (loader entries), or both');
  }
  if (config.baseUrl !== undefined && !/^https?:\/\/[^/]/i.test(config.baseUrl)) {
    throw new UsageError(
      `--base-url must be an http:// or https:// URL, got ${JSON.stringify(config.baseUrl)}`,
    );
  }
  if (config.baseUrl !== undefined && !URL.canParse(config.baseUrl)) {
    throw new UsageError(`--base-url is not a valid URL: ${JSON.stringify(config.baseUrl)}`);
  }
  return config;
}

/** `500ms`, `10s`, `1.5m` to milliseconds. A unit is required: a bare `10` is ambiguous. */
export function parseDuration(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text.trim());
  const ms = m ? Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] as 'ms' | 's' | 'm'] : Number.NaN;
  if (!(ms >= 1))
    throw new UsageError(
      `${flag} must be a duration of at least 1ms such as 500ms, 10s or 2m, got ${JSON.stringify(text)}`,
    );
  return ms;
}

function integer(flag: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(Number.isSafeInteger(n) && n >= min)) {
    throw new UsageError(`--${flag} must be an integer >= ${min}, got ${JSON.stringify(text)}`);
  }
  return n;
}

function rate(text: string | undefined): number {
  if (text === undefined) return 50;
  const n = /^\d+(?:\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(n))
    throw new UsageError(`--rate must be a number >= 0 (0 = no limit), got ${JSON.stringify(text)}`);
  return n;
}

/** node:util's messages run to several sentences; keep the first, and name unknown flags plainly. */
function describeParseError(error: Error & { code?: string }): string {
  const quoted = /'([^']+)'/.exec(error.message)?.[1];
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && quoted) return `unknown option ${quoted}`;
  if (error.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' && quoted) return `unexpected argument ${quoted}`;
  return (error.message.split(/\.\s/)[0] ?? error.message).replace(/\.$/, '');
}
