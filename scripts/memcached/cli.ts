/**
 * `node --import tsx scripts/memcached/cli.ts`: make sure memcached is here (installing it on Debian/Ubuntu
 * as root or with passwordless sudo), then print which binary and version. Exit 1 with one line otherwise.
 */
import { execFileSync } from 'node:child_process';
import { ensureMemcachedOrExit } from './ensure.js';

const binary = ensureMemcachedOrExit();
console.log(`${binary}: ${execFileSync(binary, ['-V'], { encoding: 'utf8' }).trim()}`);
