/**
 * What the recorder keeps of a URL's query string, before anything reaches its sketch or a hotlist file:
 * a password-reset token, a signed link or an e-mail address in a query must not outlive the request.
 *
 * Parameters not kept are removed and the query is marked with `…`, so `/reset?token=abc` and
 * `/reset?token=def` are one entry, `/reset?…`, apart from the page `/reset` itself. Kept parameters stay
 * byte for byte as sent (no decoding and re-encoding, which would turn a replay into another page).
 */
import { InvalidOptionError } from '../errors.js';

/** `'drop'`: no parameter; `'keep'`: every parameter; a list: only the parameters of those names. */
export type QueryParams = 'drop' | 'keep' | readonly string[];

/** A key or URL with the parameters that are not kept removed, and whether any was. */
export interface Filtered {
  text: string;
  removed: boolean;
}

/** Marks a query that lost parameters: a page that cannot be asked for again as it was recorded. */
export const REMOVED_MARK = '…';

/** The filter for an option value (undefined for `'keep'`: nothing to filter). Validates the option. */
export function queryFilter(option: unknown): ((text: string) => Filtered) | undefined {
  if (option === 'keep') return undefined;
  let allowed: ReadonlySet<string>;
  if (option === 'drop') allowed = new Set();
  else if (Array.isArray(option) && option.every((name) => typeof name === 'string' && name.length > 0)) {
    allowed = new Set(option);
  } else {
    throw new InvalidOptionError('queryParams', "'drop', 'keep' or an array of parameter names", option);
  }
  return (text) => filterQuery(text, allowed);
}

/**
 * Everything after the first `?` is read as the query, `&`-separated as the application's parser reads it.
 * In a middleware key the query may be followed by the `|header=value` of `vary`; it then belongs to the
 * last parameter, and goes or stays with it (a removed one never leaves anything of itself behind).
 * On the hit path: no array, and a name is decoded only when it holds an escape.
 */
function filterQuery(text: string, allowed: ReadonlySet<string>): Filtered {
  const q = text.indexOf('?');
  if (q < 0) return { text, removed: false };
  let kept = '';
  let removed = false;
  for (let start = q + 1; start < text.length; ) {
    const amp = text.indexOf('&', start);
    const end = amp < 0 ? text.length : amp;
    if (end > start) {
      const param = text.slice(start, end);
      if (allowed.size > 0 && allowed.has(paramName(param))) kept += `&${param}`;
      else removed = true;
    }
    start = end + 1;
  }
  return removed ? { text: `${text.slice(0, q)}?${REMOVED_MARK}${kept}`, removed } : { text, removed };
}

/** The parameter's name as the application sees it (`+` is a space, percent-escapes decoded). */
function paramName(param: string): string {
  const eq = param.indexOf('=');
  const raw = eq < 0 ? param : param.slice(0, eq);
  if (!raw.includes('%') && !raw.includes('+')) return raw;
  const spaced = raw.replaceAll('+', ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced; // a malformed escape: compared as sent
  }
}
