// A key twice in one JSON object: found wherever it hides, and nothing else mistaken for it.
import { describe, expect, it } from 'vitest';
import { findDuplicateKey } from '../../client/http/strict-json';

describe('findDuplicateKey', () => {
  it.each([
    ['{"amount":"1.00","amount":"99999999.00"}', 'amount'],
    ['{"a":1,"b":{"c":1,"c":2}}', 'c'],
    ['[{"a":1},{"b":1,"b":2}]', 'b'],
    ['{"a\\u0062":1,"ab":2}', 'ab'],
    ['{ "x" : [1, {"y": "}", "y": 2}] }', 'y'],
  ])('finds the repeated key in %s', (text, key) => {
    expect(findDuplicateKey(text)).toBe(key);
  });

  it.each([
    '{"a":1,"b":{"a":1}}',
    '[{"a":1},{"a":2}]',
    '{"a":"\\"a\\"","b":"a"}',
    '{"title":"新年红包","t":"a,b:{c}"}',
    '{}',
    '"a"',
  ])('finds nothing in %s', (text) => {
    expect(findDuplicateKey(text)).toBeUndefined();
  });
});
