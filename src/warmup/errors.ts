/** The codes of warmup's errors (part of the public `ErrorCode`). */
export type WarmupErrorCode = 'E_HOTLIST' | 'E_WARMUP_TIMEOUT' | 'E_WARMUP_STATUS';
