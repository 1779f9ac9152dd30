/** Closed-loop throughput: `ops` operations spread over `concurrency` async loops, in ops per second. */
export async function measureThroughput(
  ops: number,
  concurrency: number,
  keys: number,
  op: (i: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const loop = async () => {
    for (let i = next++; i < ops; i = next++) await op(i % keys);
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, loop));
  return ops / ((performance.now() - started) / 1000);
}
