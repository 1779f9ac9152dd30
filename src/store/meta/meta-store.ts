/**
 * The memcached pool over the meta protocol: one `MetaNode` (one pipelined connection, plain or TLS) per
 * server, routed by the rendezvous pool exactly as the memjs pool is, so both find the same node for a key.
 */
import type { ConnectionOptions } from 'node:tls';
import { RendezvousPool } from '../rendezvous-pool.js';
import { MetaNode } from './meta-node.js';

export interface MetaStoreOptions {
  servers: ReadonlyArray<{ address: string; weight: number }>;
  /** Own timeout of every call, in ms. */
  opTimeoutMs: number;
  /** TLS to every node: `true` for Node's defaults, or `tls.connect` options. */
  tls?: boolean | ConnectionOptions | undefined;
}

export class MetaStore extends RendezvousPool<MetaNode> {
  constructor(options: MetaStoreOptions) {
    super(
      options.servers.map((server) => server.weight),
      (index, report) =>
        new MetaNode({
          address: (options.servers[index] as { address: string }).address,
          opTimeoutMs: options.opTimeoutMs,
          tls: options.tls,
          onOutcome: report,
        }),
    );
  }
}
