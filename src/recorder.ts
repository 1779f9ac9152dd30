/**
 * The recorder seam: the cache tells a recorder which keys are requested and what loading them costs, so
 * a warmup can later replay the keys whose loss hurts the database most. The core owns this interface (it
 * is what the core calls); warmup's `HotKeyRecorder` implements it.
 */

/** How warmup can reproduce a request: call a named `cached()` function, or fetch a URL. */
export type Replay = { kind: 'loader'; name: string; args: unknown[] } | { kind: 'url'; url: string };

export interface AccessRecorder {
  /** One request for `key` (every `wrap()` call, coalesced or not). Must be cheap: it is on the hit path. */
  recordRequest(key: string, replay: Replay | undefined): void;
  /** The cost in ms of loading `key`, as last measured by whichever process loaded it. */
  recordCost(key: string, costMs: number): void;
}
