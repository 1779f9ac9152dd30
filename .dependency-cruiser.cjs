/**
 * The import rules of src/ (`npm run lint:deps`, run by .ci/run). See docs/architecture.md, "Layers".
 *
 * - the core: the files at the top of src/ (cache, options, validation, errors, events, keys, envelope,
 *   serializer, json-codec, arguments-key, loader-context, recorder) and read-through/, lock/, safe-mode/,
 *   store/;
 * - the adapters: http/, express/, warmup/, prometheus/: clients of the core's public API;
 * - src/index.ts: the root entry point, the facade that re-exports the core (and warmup's API).
 */
const ADAPTERS = '^src/(http|express|warmup|prometheus)/';
/** What an adapter may import from the core besides the public entry point src/index.ts. */
const ADAPTER_ALLOWED = [
  '^src/index\\.ts$',
  // The public error classes and the shared option checks: subsystems declare their errors on them.
  '^src/errors\\.ts$',
  '^src/validation\\.ts$',
  // The typed emitter that adapters reuse for their own events.
  '^src/events\\.ts$',
  // The recorder seam warmup implements.
  '^src/recorder\\.ts$',
];
/** Public types warmup may name directly: importing src/index.ts from warmup would be a cycle (the root re-exports warmup). */
const WARMUP_TYPE_ONLY = '^src/(cache|options|loader-context)\\.ts$';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles anywhere in src/ (type-only imports included).',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'store-imports-nothing-above-it',
      severity: 'error',
      comment:
        'store/ (the Store contract, the node-pool seam, the transports) imports only errors, validation and store/.',
      from: { path: '^src/store/' },
      to: { path: '^src/', pathNot: ['^src/store/', '^src/errors\\.ts$', '^src/validation\\.ts$'] },
    },
    {
      name: 'safe-mode-knows-no-transport',
      severity: 'error',
      comment:
        'safe-mode/ reaches the store through the seam (store.ts, node-pool.ts, failures.ts, routed-store.ts), never a transport (store/memjs/, memory-store.ts).',
      from: { path: '^src/safe-mode/' },
      to: { path: '^src/store/(memjs/|memory-store\\.ts$)' },
    },
    {
      name: 'core-imports-no-adapter',
      severity: 'error',
      comment: 'The core never imports an adapter: adapters are clients of the core, never the reverse.',
      from: { path: '^src/', pathNot: [ADAPTERS, '^src/index\\.ts$'] },
      to: { path: ADAPTERS },
    },
    {
      name: 'adapters-use-the-public-api',
      severity: 'error',
      comment:
        'An adapter imports the core through src/index.ts (or the short allow-list in this file), never its internals.',
      from: { path: ADAPTERS },
      to: {
        path: '^src/',
        pathNot: [ADAPTERS, ...ADAPTER_ALLOWED, WARMUP_TYPE_ONLY],
      },
    },
    {
      name: 'warmup-names-core-types-only',
      severity: 'error',
      comment: 'warmup may name the Cache and option types directly (type-only), never import their code.',
      from: { path: '^src/warmup/' },
      to: { path: WARMUP_TYPE_ONLY, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'only-warmup-names-core-types-directly',
      severity: 'error',
      comment:
        'The other adapters are not re-exported by src/index.ts: they import the public types from it.',
      from: { path: '^src/(http|express|prometheus)/' },
      to: { path: WARMUP_TYPE_ONLY },
    },
    {
      name: 'adapters-import-each-other-only-downwards',
      severity: 'error',
      comment: 'express/ builds on http/; http/, warmup/ and prometheus/ know no other adapter.',
      from: { path: '^src/(http|warmup|prometheus)/' },
      to: { path: ADAPTERS, pathNot: ['^src/$1/'] },
    },
    {
      name: 'no-express-runtime-import',
      severity: 'error',
      comment: 'express is an optional peer dependency: only type imports of it, and only in express/.',
      from: { path: '^src/', pathNot: '^src/express/' },
      to: { path: '^node_modules/(express|@types/express)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^(src|node_modules)/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.d.ts'],
    },
  },
};
