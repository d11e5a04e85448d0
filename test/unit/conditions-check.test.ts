import { describe, expect, it } from 'vitest';
import { checkCondition, FIELD_OPERATORS, LOGICAL_OPERATORS } from '../../core/conditions/operators.js';

type Found = Array<[path: Array<string | number>, message: RegExp]>;

describe('checkCondition: valid conditions have no problems', () => {
  it.each<[string, unknown]>([
    ['empty condition', {}],
    ['literal equality', { country: 'NL' }],
    ['literal object compared by equality', { device: { os: 'ios', version: 17 } }],
    ['dot path', { 'device.os': 'ios' }],
    ['$in list', { country: { $in: ['NL', 'BE'] } }],
    ['$nin and $all lists', { tags: { $nin: ['x'], $all: ['a', 'b'] } }],
    ['empty $in list', { country: { $in: [] } }],
    ['comparisons', { age: { $gte: 18, $lt: 65 }, plan: { $ne: 'free' } }],
    ['$exists', { email: { $exists: true } }],
    ['$regex', { email: { $regex: '@example\\.com$' } }],
    ['version operators', { app: { $vgte: '2.1.0', $vlt: '3.0.0' } }],
    ['$size with a number', { tags: { $size: 2 } }],
    ['$size with a condition', { tags: { $size: { $gt: 1 } } }],
    ['field-level $not', { country: { $not: { $in: ['US'] } } }],
    ['field-level $not with a literal', { country: { $not: 'US' } }],
    ['$and / $or / $nor', { $and: [{ a: 1 }, { $or: [{ b: 2 }, { $nor: [{ c: 3 }] }] }] }],
    ['condition-level $not', { $not: { country: 'US' } }],
    ['deeply nested logic', { $or: [{ $and: [{ $not: { a: { $in: [1] } } }, { b: { $exists: false } }] }, { c: { $regex: '^x' } }] }],
    ['$elemMatch with operators', { scores: { $elemMatch: { $gt: 3, $lt: 9 } } }],
    ['$elemMatch with a field condition', { orders: { $elemMatch: { status: 'paid', total: { $gte: 10 } } } }],
    ['$elemMatch with logic', { orders: { $elemMatch: { $or: [{ status: 'paid' }, { status: 'refunded' }] } } }],
    ['every field operator with a fitting argument', Object.fromEntries(FIELD_OPERATORS.map((op) => [`f${op}`, { [op]: op === '$exists' ? true : op === '$regex' ? 'a' : op === '$elemMatch' ? { $eq: 1 } : ['$in', '$nin', '$all'].includes(op) ? [1] : 1 }]))],
  ])('%s', (_name, cond) => {
    expect(checkCondition(cond)).toEqual([]);
  });
});

describe('checkCondition: problems are found and addressed by path', () => {
  it.each<[string, unknown, Found]>([
    ['a list is not a condition', [{ a: 1 }], [[[], /must be a mapping/]]],
    ['a string is not a condition', 'country = NL', [[[], /must be a mapping/]]],
    ['null is not a condition', null, [[[], /must be a mapping/]]],
    ['unknown field operator', { country: { $inn: ['NL'] } }, [[['country', '$inn'], /unknown operator \$inn/]]],
    ['unknown operator at condition level', { $xor: [{ a: 1 }] }, [[['$xor'], /unknown operator \$xor at condition level/]]],
    ['a field operator at condition level', { $in: ['NL'] }, [[['$in'], /unknown operator \$in at condition level/]]],
    ['$in with a string', { country: { $in: 'NL' } }, [[['country', '$in'], /\$in needs a list/]]],
    ['$nin with an object', { country: { $nin: { a: 1 } } }, [[['country', '$nin'], /\$nin needs a list/]]],
    ['$all with a number', { tags: { $all: 3 } }, [[['tags', '$all'], /\$all needs a list/]]],
    ['$exists with a string', { email: { $exists: 'yes' } }, [[['email', '$exists'], /\$exists needs true or false/]]],
    ['$regex with a number', { email: { $regex: 5 } }, [[['email', '$regex'], /\$regex needs a string/]]],
    ['$regex that does not compile', { email: { $regex: '([a-z' } }, [[['email', '$regex'], /invalid regular expression/]]],
    ['operators mixed with plain keys', { device: { $eq: 'x', os: 'ios' } }, [[['device'], /mixes operators and plain keys/]]],
    ['$and with an object', { $and: { a: 1 } }, [[['$and'], /\$and needs a list of conditions/]]],
    ['$or with a string', { $or: 'a' }, [[['$or'], /\$or needs a list of conditions/]]],
    ['$nor element that is not a mapping', { $nor: [{ a: 1 }, 'b'] }, [[['$nor', 1], /must be a mapping/]]],
    ['$not that is not a mapping', { $not: ['a'] }, [[['$not'], /must be a mapping/]]],
    [
      'problems deep inside $and/$or/$not',
      { $and: [{ a: 1 }, { $or: [{ b: { $in: 'x' } }, { $not: { c: { $regex: '(' } } }] }] },
      [
        [['$and', 1, '$or', 0, 'b', '$in'], /\$in needs a list/],
        [['$and', 1, '$or', 1, '$not', 'c', '$regex'], /invalid regular expression/],
      ],
    ],
    ['field-level $not checks its argument', { country: { $not: { $in: 'US' } } }, [[['country', '$not', '$in'], /\$in needs a list/]]],
    ['$size checks a condition argument', { tags: { $size: { $gtt: 1 } } }, [[['tags', '$size', '$gtt'], /unknown operator \$gtt/]]],
    ['$elemMatch needs a mapping', { scores: { $elemMatch: [1, 2] } }, [[['scores', '$elemMatch'], /\$elemMatch needs a condition/]]],
    ['$elemMatch with a bad operator argument', { scores: { $elemMatch: { $in: 3 } } }, [[['scores', '$elemMatch', '$in'], /\$in needs a list/]]],
    ['$elemMatch with a bad field condition', { orders: { $elemMatch: { status: { $regex: '[' } } } }, [[['orders', '$elemMatch', 'status', '$regex'], /invalid regular expression/]]],
    ['$elemMatch with bad logic', { orders: { $elemMatch: { $or: { status: 'paid' } } } }, [[['orders', '$elemMatch', '$or'], /\$or needs a list/]]],
    [
      'several problems are all reported, in order',
      { a: { $in: 1 }, b: { $bogus: 1 }, $or: [{ c: { $exists: 1 } }] },
      [
        [['a', '$in'], /\$in needs a list/],
        [['b', '$bogus'], /unknown operator \$bogus/],
        [['$or', 0, 'c', '$exists'], /\$exists needs true or false/],
      ],
    ],
  ])('%s', (_name, cond, expected) => {
    const problems = checkCondition(cond);
    expect(problems.map((p) => p.path)).toEqual(expected.map((e) => e[0]));
    problems.forEach((p, i) => {
      expect(p.message).toMatch(expected[i]![1]);
      expect(p.hint.length).toBeGreaterThan(0);
    });
  });

  it('lists the logical operators of docs/assignment.md#operators', () => {
    expect([...LOGICAL_OPERATORS]).toEqual(['$and', '$or', '$nor', '$not']);
  });

  it('lists every field operator of docs/assignment.md#operators', () => {
    const design = '$eq $ne $lt $lte $gt $gte $exists $in $nin $all $elemMatch $size $regex $vgt $vgte $vlt $vlte $veq $vne'.split(' ');
    for (const op of design) expect(FIELD_OPERATORS).toContain(op);
  });
});
