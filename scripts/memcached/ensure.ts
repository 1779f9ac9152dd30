/**
 * Finds memcached for the demo, the examples and the test harness, installing it where that is safe to do
 * unattended (Debian/Ubuntu as root or with passwordless sudo). The library itself never installs anything.
 * The decisions are in plan.ts; this file only looks at the machine and runs the plan.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { memcachedCandidates, planMemcached, type SystemFacts } from './plan.js';

/** memcached is missing and this process cannot (or may not) install it. The message is one line to print. */
export class MemcachedUnavailableError extends Error {
  readonly code = 'E_MEMCACHED_UNAVAILABLE';
}

const INSTALL_TIMEOUT_MS = 10 * 60_000;

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

export function probeSystem(env: NodeJS.ProcessEnv = process.env): SystemFacts {
  return {
    env,
    platform: process.platform,
    osRelease: readOrUndefined('/etc/os-release'),
    uid: process.getuid?.(),
    canSudo: () => spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore', timeout: 5000 }).status === 0,
    isExecutable,
  };
}

/** The memcached binary to run, without installing anything: undefined when there is none. */
export function findMemcached(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return memcachedCandidates({ env, platform: process.platform }).find(isExecutable);
}

/**
 * The memcached binary to run, installing it first when the plan says so (one line on stderr says what
 * and, when done, how long it took). Throws MemcachedUnavailableError with the command to run otherwise.
 */
export function ensureMemcached(env: NodeJS.ProcessEnv = process.env): string {
  const plan = planMemcached(probeSystem(env));
  if (plan.action === 'use') return plan.binary;
  if (plan.action === 'fail') throw new MemcachedUnavailableError(plan.message);

  process.stderr.write(`memcached is not installed: running \`${plan.command}\`... `);
  const started = performance.now();
  let result = run(plan.install);
  if (result.status !== 0 && run(plan.update).status === 0) result = run(plan.install);
  const binary = findMemcached(env);
  if (result.status !== 0 || !binary) {
    process.stderr.write('failed\n');
    const why =
      lastLine(result.stderr) || lastLine(result.stdout) || result.error?.message || `exit ${result.status}`;
    throw new MemcachedUnavailableError(
      `could not install memcached (\`${plan.command}\`: ${why}): install it yourself, then try again`,
    );
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stderr.write(`installed in ${seconds} s (${binary})\n`);
  return binary;
}

/** ensureMemcached for a command-line entry point: on failure print the one line and exit 1, no stack. */
export function ensureMemcachedOrExit(env: NodeJS.ProcessEnv = process.env): string {
  try {
    return ensureMemcached(env);
  } catch (err) {
    if (!(err instanceof MemcachedUnavailableError)) throw err;
    console.error(err.message);
    process.exit(1);
  }
}

function run(argv: readonly string[]): {
  status: number | null;
  stdout: string;
  stderr: string;
  error?: Error;
} {
  const [command = '', ...args] = argv;
  const result = spawnSync(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: INSTALL_TIMEOUT_MS,
  });
  return {
    status: result.status,
    stdout: result.stdout ?? '',
    stderr: result.stderr ?? '',
    ...(result.error ? { error: result.error } : {}),
  };
}

function lastLine(text: string): string {
  return (
    text
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean)
      .at(-1) ?? ''
  );
}

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
