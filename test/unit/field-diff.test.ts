import { describe, expect, it } from 'vitest';
import { fieldDiff } from '../../core/field-diff.js';
import type { FieldDiff, Json } from '../../core/types.js';

const v = (key: string, weight: number, extra: Record<string, Json> = {}): Json => ({ key, weight, ...extra });

describe('fieldDiff', () => {
  it.each<[string, Json | undefined, Json | undefined, FieldDiff[]]>([
    ['equal values give no diffs', { a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 }, []],
    ['changed scalar', { a: 1 }, { a: 2 }, [{ path: 'a', before: 1, after: 2 }]],
    ['added key has no before', { a: 1 }, { a: 1, b: 'x' }, [{ path: 'b', after: 'x' }]],
    ['removed key has no after', { a: 1, b: 'x' }, { a: 1 }, [{ path: 'b', before: 'x' }]],
    ['null is a value, not an absence', { a: null }, { a: 0 }, [{ path: 'a', before: null, after: 0 }]],
    [
      'nested objects as dotted paths, keys sorted',
      { schedule: { start: 's1', end: 'e1' }, layer: { name: 'l', range: [0, 0.5] } },
      { schedule: { start: 's2', end: 'e1' }, layer: { name: 'm', range: [0, 0.5] } },
      [
        { path: 'layer.name', before: 'l', after: 'm' },
        { path: 'schedule.start', before: 's1', after: 's2' },
      ],
    ],
    ['nested object added as a whole', { a: 1 }, { a: 1, t: { country: 'NL' } }, [{ path: 't', after: { country: 'NL' } }]],
    ['object replaced by a scalar', { t: { x: 1 } }, { t: 'x' }, [{ path: 't', before: { x: 1 }, after: 'x' }]],
    ['plain arrays compare as a whole', { tags: [1, 2, 3] }, { tags: [1, 3, 2] }, [{ path: 'tags', before: [1, 2, 3], after: [1, 3, 2] }]],
    ['plain array grows', { tags: ['a'] }, { tags: ['a', 'b'] }, [{ path: 'tags', before: ['a'], after: ['a', 'b'] }]],
    [
      'arrays of objects without keys and of the same length compare item by item',
      { xs: [{ n: 1 }] },
      { xs: [{ n: 2 }] },
      [{ path: 'xs[0].n', before: 1, after: 2 }],
    ],
    [
      'arrays of objects without keys and of different lengths compare as a whole',
      { xs: [{ n: 1 }] },
      { xs: [{ n: 1 }, { n: 2 }] },
      [{ path: 'xs', before: [{ n: 1 }], after: [{ n: 1 }, { n: 2 }] }],
    ],
    [
      'arrays with duplicate keys compare by position',
      { xs: [v('a', 1), v('a', 2)] },
      { xs: [v('a', 1), v('a', 3)] },
      [{ path: 'xs[1].weight', before: 2, after: 3 }],
    ],
    [
      'keyed arrays: a variant weight by key',
      { variants: [v('control', 50), v('green', 50)] },
      { variants: [v('control', 60), v('green', 40)] },
      [
        { path: 'variants[control].weight', before: 50, after: 60 },
        { path: 'variants[green].weight', before: 50, after: 40 },
      ],
    ],
    [
      'keyed arrays: nested payload by key',
      { variants: [v('control', 1, { value: { color: 'blue' } }), v('green', 1, { value: { color: 'green' } })] },
      { variants: [v('control', 1, { value: { color: 'blue' } }), v('green', 1, { value: { color: 'lime' } })] },
      [{ path: 'variants[green].value.color', before: 'green', after: 'lime' }],
    ],
    [
      'keyed arrays: a reorder is reported as such, not as field changes',
      { variants: [v('control', 50), v('green', 50)] },
      { variants: [v('green', 50), v('control', 50)] },
      [{ path: 'variants(order)', before: ['control', 'green'], after: ['green', 'control'] }],
    ],
    [
      'keyed arrays: an added variant',
      { variants: [v('control', 50), v('green', 50)] },
      { variants: [v('control', 50), v('green', 50), v('red', 10)] },
      [{ path: 'variants[red]', after: v('red', 10) }],
    ],
    [
      'keyed arrays: a removed variant is not a reorder',
      { variants: [v('control', 1), v('green', 1), v('red', 1)] },
      { variants: [v('control', 1), v('red', 1)] },
      [{ path: 'variants[green]', before: v('green', 1) }],
    ],
    [
      'keyed arrays: a rename is one removal and one addition',
      { variants: [v('control', 1), v('green', 1)] },
      { variants: [v('control', 1), v('lime', 1)] },
      [
        { path: 'variants[green]', before: v('green', 1) },
        { path: 'variants[lime]', after: v('lime', 1) },
      ],
    ],
    [
      'keyed arrays: a reorder next to an addition is still reported',
      { variants: [v('control', 1), v('green', 1)] },
      { variants: [v('green', 1), v('control', 1), v('red', 1)] },
      [
        { path: 'variants[red]', after: v('red', 1) },
        { path: 'variants(order)', before: ['control', 'green'], after: ['green', 'control', 'red'] },
      ],
    ],
    ['root creation lists top-level keys', undefined, { a: 1, b: [1] }, [{ path: '(root)', after: { a: 1, b: [1] } }]],
    ['root archive', { a: 1 }, undefined, [{ path: '(root)', before: { a: 1 } }]],
    ['root scalar change', 1, 2, [{ path: '(root)', before: 1, after: 2 }]],
  ])('%s', (_name, before, after, expected) => {
    expect(fieldDiff(before, after)).toEqual(expected);
  });
});
