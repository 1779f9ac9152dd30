/**
 * Weighted rendezvous (highest-random-weight) hashing. Every key ranks every node; the key lives on its
 * top node. Removing a node moves only the keys it held (each to its second choice), and the full ranking
 * is the failover order. The hash is fixed and platform-independent: every process on every host must
 * route a key to the same node.
 */

export interface WeightedNode {
  readonly id: string;
  readonly weight: number;
}

export class RendezvousRouter {
  readonly #seeds: number[];
  readonly #weights: number[];
  readonly #uniform: boolean;

  constructor(nodes: readonly WeightedNode[]) {
    this.#seeds = nodes.map((n) => fnv1a(n.id));
    this.#weights = nodes.map((n) => n.weight);
    this.#uniform = this.#weights.every((w) => w === this.#weights[0]);
  }

  /** Index of the node that owns `key`. */
  pick(key: string): number {
    const count = this.#seeds.length;
    if (count === 1) return 0;
    const h = fnv1a(key);
    let best = 0;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < count; i++) {
      const s = this.#score(h, i);
      if (s > bestScore) {
        bestScore = s;
        best = i;
      }
    }
    return best;
  }

  /** Every node index, best first: the owner, then where the key fails over to. */
  rank(key: string): number[] {
    const h = fnv1a(key);
    return this.#seeds
      .map((_, i) => ({ i, s: this.#score(h, i) }))
      .sort((a, b) => b.s - a.s)
      .map((x) => x.i);
  }

  #score(keyHash: number, node: number): number {
    const mixed = fmix32((keyHash ^ (this.#seeds[node] as number)) >>> 0);
    if (this.#uniform) return mixed;
    // Map to (0, 1) and apply the weighted HRW formula w / -ln(u): node share is proportional to weight.
    const unit = (mixed + 0.5) / 4294967296;
    return (this.#weights[node] as number) / -Math.log(unit);
  }
}

/** FNV-1a over UTF-16 code units (keys reaching the store are ASCII, so this is over bytes). */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** MurmurHash3's finalizer: spreads FNV's weak low bits over the whole word. */
function fmix32(x: number): number {
  let h = x;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
