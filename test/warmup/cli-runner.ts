/**
 * Runs `cache-warmup` as a real child process (`node --import tsx src/warmup/cli.ts ...`), as an operator
 * would. Tracked by the harness reaper, so it never outlives the test process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { track } from '../support/reaper.js';

// `--import tsx` resolves from the child's cwd: pass the loader by absolute URL (as workers.ts does).
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const CLI = fileURLToPath(new URL('../../src/warmup/cli.ts', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliRun {
  child: ChildProcess;
  /** Resolves when the process exited; SIGKILLs it after `timeoutMs`. */
  result: Promise<CliResult>;
  /** Resolves on the first stderr line matching `pattern`. */
  stderrLine(pattern: RegExp): Promise<string>;
}

export function startCli(
  args: string[],
  opts: { env?: Record<string, string>; timeoutMs?: number } = {},
): CliRun {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, CLI, ...args], {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  let stdout = '';
  let stderr = '';
  const lineWaiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    for (const w of [...lineWaiters]) {
      const line = stderr.split('\n').find((l) => w.pattern.test(l));
      if (line !== undefined) {
        lineWaiters.splice(lineWaiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  const result = new Promise<CliResult>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    child,
    result,
    stderrLine: (pattern) =>
      new Promise((resolve, reject) => {
        const seen = stderr.split('\n').find((l) => pattern.test(l));
        if (seen !== undefined) return resolve(seen);
        lineWaiters.push({ pattern, resolve });
        void result.then(() => reject(new Error(`cli exited before printing ${pattern}; stderr: ${stderr}`)));
      }),
  };
}

export function runCli(args: string[], opts?: { env?: Record<string, string>; timeoutMs?: number }) {
  return startCli(args, opts).result;
}
