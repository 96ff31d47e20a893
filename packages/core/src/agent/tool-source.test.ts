import { describe, expect, it } from 'vitest';
import { cleanToolSource } from './tool-source.js';

describe('cleanToolSource', () => {
  it('keeps a source without a fence as it is', () => {
    expect(cleanToolSource('export default () => 1;')).toEqual({ source: 'export default () => 1;', removed: undefined });
  });

  it('keeps the code of a ```ts fence and drops the prose before and after it', () => {
    expect(cleanToolSource('Here is the tool:\n```ts\nexport default () => 1;\n```\nIt returns 1.')).toEqual({ source: 'export default () => 1;', removed: 'a ```ts fence and the prose around it' });
    expect(cleanToolSource('```\nexport default () => 2;\n```')).toEqual({ source: 'export default () => 2;', removed: 'a ``` fence' });
  });

  it('picks the fence with the default export, and drops the opening line of an unclosed fence', () => {
    const two = 'Types:\n```ts\ninterface Fare { price: number }\n```\nTool:\n```typescript\nexport default ({ fares }) => fares.length;\n```';
    expect(cleanToolSource(two).source).toBe('export default ({ fares }) => fares.length;');
    expect(cleanToolSource('```js\nexport default () => 3;')).toEqual({ source: 'export default () => 3;', removed: 'a ```js fence' });
  });
});
