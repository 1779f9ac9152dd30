/** memcached over TLS for tests: certificates made with openssl in a temp dir, and a -Z node serving one. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MemcachedProcess, startMemcached } from './memcached.js';

export interface TlsFixture {
  /** Started with `-Z` and a certificate for IP 127.0.0.1. */
  server: MemcachedProcess;
  /** The self-signed certificate the server presents: the CA that trusts it. */
  ca: Buffer;
  /** Another self-signed certificate: a CA that does not trust the server. */
  otherCa: Buffer;
  /** Removes the temp dir (the server is closed by stopAllMemcached or by the test). */
  cleanup(): void;
}

export async function startTlsMemcached(): Promise<TlsFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'memcached-tls-'));
  const make = (name: string) => {
    const cert = join(dir, `${name}.crt`);
    const key = join(dir, `${name}.key`);
    const subject = ['-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1'];
    const args = [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-keyout',
      key,
      '-out',
      cert,
    ];
    execFileSync('openssl', [...args, ...subject], { stdio: 'ignore' });
    return { cert, key };
  };
  const own = make('memcached');
  const other = make('stranger');
  const server = await startMemcached({
    extraArgs: ['-Z', '-o', `ssl_chain_cert=${own.cert},ssl_key=${own.key}`],
  });
  return {
    server,
    ca: readFileSync(own.cert),
    otherCa: readFileSync(other.cert),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
