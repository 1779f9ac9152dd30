/**
 * A JSON.parse failure as one complete line with its place: `at line 3, column 7 (unexpected token 'g')`.
 * V8's own message quotes the text it could not parse, newlines included, and often gives no position.
 */

/** Why `text` is not valid JSON, on one line, with the line and column when they can be known. */
export function describeJsonError(error: Error, text: string): string {
  const message = error.message;
  let reason = message
    .replace(/, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, '')
    .replace(/ (?:in JSON )?at position \d+$/, '');
  let position: number | undefined;
  const stated = / at position (\d+)/.exec(message);
  if (stated) position = Number(stated[1]);
  else if (message === 'Unexpected end of JSON input') {
    position = text.length;
    reason = 'unexpected end of the file';
  } else {
    const token = /^Unexpected token '(.)'/su.exec(message)?.[1];
    if (token !== undefined) position = tokenIndex(text, token);
  }
  reason = (reason.charAt(0).toLowerCase() + reason.slice(1)).replace(/\s+/g, ' ');
  return position === undefined ? reason : `at ${lineAndColumn(text, position)} (${reason})`;
}

/**
 * Where V8 met `token`. The shortest prefix that fails for another reason than ending early ends near
 * it (binary search over prefixes; a prefix can fail a little early, on the blank before the token):
 * from there, the first occurrence of `token` whose prefix fails with the same message. None if not found.
 */
function tokenIndex(text: string, token: string): number | undefined {
  let low = 1;
  let high = text.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (parseFailure(text.slice(0, mid)) !== 'Unexpected end of JSON input') high = mid;
    else low = mid + 1;
  }
  const expected = `Unexpected token '${token}'`;
  let index = text.indexOf(token, low - 1);
  for (let tries = 0; index >= 0 && tries < 16; tries++) {
    if (parseFailure(text.slice(0, index + token.length))?.startsWith(expected)) return index;
    index = text.indexOf(token, index + token.length);
  }
  return undefined;
}

/** The message JSON.parse fails with, or undefined if the text parses. */
function parseFailure(text: string): string | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - (before.lastIndexOf('\n') + 1) + 1;
  return `line ${line}, column ${column}`;
}
