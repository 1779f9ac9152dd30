#!/usr/bin/env node
/**
 * `cache-warmup`: replays the top entries of a hotlist (or a URL list) before go-live. See USAGE in
 * cli-args.ts for flags and exit statuses. Every expected problem is one line on stderr, never a stack
 * trace (set CACHE_WARMUP_DEBUG=1 to see one for an unexpected error).
 */
import { type CliConfig, InputError, parseCliArgs, USAGE, UsageError } from './cli-args.js';
import {
  type LoaderModule,
  loadHotlist,
  loadModule,
  loadUrlList,
  probeBaseUrl,
  RunError,
} from './cli-inputs.js';
import { formatPlan, formatSummary, ProgressReporter } from './cli-report.js';
import { planWarmup, type WarmupSummary, warmup } from './crawler.js';
import type { WarmupOptions } from './crawler-options.js';

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
const EXIT_INTERRUPTED = 130;
/** How long the module's cache may take to close before the process exits anyway. */
const CLOSE_TIMEOUT_MS = 2000;

async function main(argv: readonly string[]): Promise<number> {
  let config: CliConfig;
  try {
    config = parseCliArgs(argv);
  } catch (error) {
    // The flags did not parse, but a script asking for --json still reads the error from stdout.
    return fail(error, { json: argv.includes('--json') });
  }
  if (config.help) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT_OK;
  }
  let module: LoaderModule | undefined;
  try {
    const entries =
      config.hotlist !== undefined
        ? await loadHotlist(config.hotlist)
        : await loadUrlList(config.urls as string);
    module = config.module === undefined ? undefined : await loadModule(config.module, config.timeoutMs);
    const options: WarmupOptions = {
      entries,
      top: config.top,
      concurrency: config.concurrency,
      rate: config.rate,
      timeoutMs: config.timeoutMs,
      retries: config.retries,
      force: config.force,
      ...(config.baseUrl === undefined ? {} : { baseUrl: config.baseUrl }),
      ...(module ? { cache: module.cache, loaders: module.loaders } : {}),
    };
    const plan = planWarmup(options);
    if (plan.entries.length === 0) {
      const why = Object.entries(plan.ignored).map(([reason, n]) => `${n} ${reason}`);
      throw new InputError(`nothing to replay: ${why.join(', ')}`);
    }
    if (config.dryRun) {
      print(config.json ? JSON.stringify({ dryRun: true, ...plan }) : formatPlan(plan));
      return EXIT_OK;
    }
    if (config.baseUrl !== undefined && plan.entries.some((e) => e.replay?.kind === 'url')) {
      await probeBaseUrl(config.baseUrl, config.timeoutMs);
    }
    const summary = await run(options, config);
    // No page stored at all is no site of uncacheable pages: requests bypass the cache (a proxy header?).
    const allBypassed = summary.uncacheable > 0 && summary.uncacheable === summary.total;
    const ok = !summary.interrupted && summary.failed <= config.maxFailures && !allBypassed;
    print(config.json ? JSON.stringify({ ok, ...summary }) : formatSummary(summary));
    if (allBypassed) {
      process.stderr.write(
        'cache-warmup: no page was stored (X-Cache: BYPASS, or not kept after its render): check --base-url and proxy headers\n',
      );
    }
    if (summary.interrupted) return EXIT_INTERRUPTED;
    return ok ? EXIT_OK : EXIT_FAILED;
  } catch (error) {
    return fail(error, config);
  } finally {
    await closeModule(module);
  }
}

/** The run itself, with progress on stderr and Ctrl+C handling. */
async function run(options: WarmupOptions, config: CliConfig): Promise<WarmupSummary> {
  const stop = new AbortController();
  const progress = config.json ? undefined : new ProgressReporter(process.stderr);
  const onSigint = () => {
    if (stop.signal.aborted) {
      progress?.end();
      process.stderr.write('cache-warmup: interrupted again, quitting now\n');
      process.exit(EXIT_INTERRUPTED);
    }
    progress?.end();
    process.stderr.write(
      'cache-warmup: stopping: letting entries in flight finish (Ctrl+C again to quit now)\n',
    );
    stop.abort(new Error('interrupted'));
  };
  process.on('SIGINT', onSigint);
  try {
    return await warmup({
      ...options,
      signal: stop.signal,
      ...(progress ? { onProgress: (p) => progress.update(p) } : {}),
    });
  } finally {
    progress?.end();
    process.off('SIGINT', onSigint);
  }
}

/** One line on stderr (and the error as JSON on stdout with --json); returns the exit status. */
function fail(error: unknown, config: Pick<CliConfig, 'json'> | undefined): number {
  const usage = error instanceof UsageError || (error instanceof TypeError && 'option' in error);
  const code = usage ? EXIT_USAGE : EXIT_FAILED;
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
  process.stderr.write(
    `cache-warmup: ${message}${usage && !(error instanceof InputError) ? ' (see --help)' : ''}\n`,
  );
  if (
    process.env.CACHE_WARMUP_DEBUG &&
    error instanceof Error &&
    !(error instanceof UsageError || error instanceof RunError)
  ) {
    process.stderr.write(`${error.stack}\n`);
  }
  if (config?.json) print(JSON.stringify({ ok: false, exitCode: code, error: message }));
  return code;
}

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

async function closeModule(module: LoaderModule | undefined): Promise<void> {
  if (!module) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    module.cache.close().catch(() => {}),
    new Promise((resolve) => {
      timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(timer);
}

// The user's module runs in this process: its stray errors get one line too, not a stack trace.
process.on('unhandledRejection', (reason) => {
  const message = (reason instanceof Error ? reason.message : String(reason)).split('\n')[0];
  process.stderr.write(`cache-warmup: warning: unhandled rejection: ${message}\n`);
});
process.on('uncaughtException', (error) => process.exit(fail(error, undefined)));

const code = await main(process.argv.slice(2));
// Exit once stdout is flushed: the user's module or keep-alive sockets must not hold the process open.
process.stdout.write('', () => process.exit(code));
