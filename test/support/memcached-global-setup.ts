/**
 * Vitest global setup: once, before any test file starts, make sure memcached is here (installing it on
 * Debian/Ubuntu as root or with passwordless sudo), so parallel files never race to install it. Without it
 * and no way to install it: one line with the command to run, exit 1.
 */
import { ensureMemcachedOrExit } from '../../scripts/memcached/ensure.js';

export default function setup(): void {
  ensureMemcachedOrExit();
}
