// Alipay signs the raw text of a response node, exactly as sent. This scanner returns the raw
// text of each top-level member of a JSON object, so nothing is ever re-serialised.

export class RawJsonError extends Error {
  override name = 'RawJsonError';
}

function skipWhitespace(text: string, at: number): number {
  while (at < text.length && ' \t\r\n'.includes(text[at]!)) at++;
  return at;
}

/** Index just past the string starting at `at` (which holds the opening quote). */
function skipString(text: string, at: number): number {
  for (let i = at + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i + 1;
  }
  throw new RawJsonError('unterminated string');
}

/** Index just past the JSON value starting at `at`. */
function skipValue(text: string, at: number): number {
  const first = text[at];
  if (first === '"') return skipString(text, at);
  if (first === '{' || first === '[') {
    let depth = 0;
    for (let i = at; i < text.length; i++) {
      const char = text[i];
      if (char === '"') i = skipString(text, i) - 1;
      else if (char === '{' || char === '[') depth++;
      else if (char === '}' || char === ']') {
        depth--;
        if (depth === 0) return i + 1;
      }
    }
    throw new RawJsonError('unbalanced brackets');
  }
  const literal = /^(?:-?\d[\d.eE+-]*|true|false|null)/.exec(text.slice(at, at + 64));
  if (!literal) throw new RawJsonError(`unexpected character at ${at}`);
  return at + literal[0].length;
}

/** Raw text of every top-level member of the JSON object in `text`, keyed by decoded name. */
export function topLevelRawMembers(text: string): Map<string, string> {
  const members = new Map<string, string>();
  let at = skipWhitespace(text, 0);
  if (text[at] !== '{') throw new RawJsonError('not a JSON object');
  at = skipWhitespace(text, at + 1);
  if (text[at] === '}') return members;
  for (;;) {
    if (text[at] !== '"') throw new RawJsonError(`expected a member name at ${at}`);
    const keyEnd = skipString(text, at);
    const key = JSON.parse(text.slice(at, keyEnd)) as string;
    at = skipWhitespace(text, keyEnd);
    if (text[at] !== ':') throw new RawJsonError(`expected ':' at ${at}`);
    const valueStart = skipWhitespace(text, at + 1);
    const valueEnd = skipValue(text, valueStart);
    members.set(key, text.slice(valueStart, valueEnd));
    at = skipWhitespace(text, valueEnd);
    if (text[at] === ',') at = skipWhitespace(text, at + 1);
    else if (text[at] === '}') break;
    else throw new RawJsonError(`expected ',' or '}' at ${at}`);
  }
  if (skipWhitespace(text, at + 1) !== text.length) throw new RawJsonError('trailing text after the object');
  return members;
}
