// JSON bodies with a key twice are refused: `{"amount":"1.00","amount":"99999999.00"}` means
// 99999999.00 to JSON.parse (the last wins) and may mean 1.00 to a proxy or log that read the first.

/** The first key that appears twice in one object of a JSON text, if any. Expects valid JSON. */
export function findDuplicateKey(text: string): string | undefined {
  const objects: Array<Set<string> | undefined> = [];
  let expectingKey = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (expectingKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        const keys = objects.at(-1)!;
        if (keys.has(key)) return key;
        keys.add(key);
        expectingKey = false;
      }
      i = end;
    } else if (char === '{') {
      objects.push(new Set());
      expectingKey = true;
    } else if (char === '[') {
      objects.push(undefined);
    } else if (char === '}' || char === ']') {
      objects.pop();
    } else if (char === ',') {
      expectingKey = objects.at(-1) !== undefined;
    }
  }
  return undefined;
}
