/** The warmup part of the public API (re-exported by `src/index.ts`). */
export { type PlannedEntry, planWarmup, type WarmupPlan, type WarmupSummary, warmup } from './crawler.js';
export type { WarmLoader, WarmupOptions, WarmupProgress } from './crawler-options.js';
export { HotKeyRecorder, type HotKeyRecorderOptions } from './hot-key-recorder.js';
export {
  HOTLIST_VERSION,
  type HotlistEntry,
  HotlistError,
  type HotlistFile,
  type RankedEntry,
} from './hotlist-format.js';
export { type Hotlist, mergeHotlists, readHotlist } from './hotlist-reader.js';
export type { QueryParams } from './query-filter.js';
