// How collect reads a user's message into a slot, how JSON values (LLM output, tool responses,
// set) are checked against a slot, and the JSON Schema an llm step asks the model to fill.
import { describe, expect, it } from 'vitest';
import { checkSlotValue, compileSlot, outputSchema, parseSlotInput, type SlotDecl } from '../../engine/flows/index.js';

const slot = (decl: SlotDecl) => compileSlot('s', decl);
const STRING = slot({ type: 'string' });
const ORDER = slot({ type: 'string', pattern: '^[0-9]{8}$' });
const NUMBER = slot({ type: 'number' });
const INTEGER = slot({ type: 'integer' });
const BOOLEAN = slot({ type: 'boolean' });
const ENUM = slot({ type: 'enum', values: ['Damaged', 'late'] });

describe('parseSlotInput: what the user typed', () => {
  it.each([
    [STRING, '  hello there ', 'hello there'],
    [ORDER, '12345678', '12345678'],
    [NUMBER, '2.5', 2.5],
    [NUMBER, '-3', -3],
    [NUMBER, '1e3', 1000],
    [NUMBER, '.5', 0.5],
    [INTEGER, '42', 42],
    [INTEGER, '+7', 7],
    [BOOLEAN, 'Yes', true],
    [BOOLEAN, 'y', true],
    [BOOLEAN, 'sure!', true],
    [BOOLEAN, 'no.', false],
    [BOOLEAN, 'FALSE', false],
    [ENUM, 'damaged', 'Damaged'],
    [ENUM, ' LATE ', 'late'],
  ])('%# accepts %j', (s, text, value) => {
    expect(parseSlotInput(s, text)).toEqual({ ok: true, value });
  });

  it.each([
    [STRING, '   ', 'expected a text, got an empty message'],
    [ORDER, '1234567', '"1234567" does not match ^[0-9]{8}$'],
    [ORDER, 'order 12345678 please', '"order 12345678 please" does not match ^[0-9]{8}$'],
    [NUMBER, 'two', 'expected a number, got "two"'],
    [NUMBER, '1,5', 'expected a number, got "1,5"'],
    [NUMBER, 'Infinity', 'expected a number, got "Infinity"'],
    [INTEGER, '2.5', 'slot "s" takes a whole number, got number 2.5'],
    [INTEGER, '99999999999999999999', 'slot "s" takes a whole number, got number 100000000000000000000'],
    [BOOLEAN, 'maybe', 'expected yes or no, got "maybe"'],
    [ENUM, 'lost', 'expected one of Damaged, late, got "lost"'],
  ])('%# refuses %j', (s, text, reason) => {
    expect(parseSlotInput(s, text)).toEqual({ ok: false, reason });
  });
});

describe('checkSlotValue: JSON from a model, a tool or set', () => {
  it.each([
    [STRING, 'x', 'x'],
    [STRING, 12, '12'],
    [STRING, true, 'true'],
    [NUMBER, 0.1, 0.1],
    [INTEGER, 3, 3],
    [BOOLEAN, false, false],
    [ENUM, 'late', 'late'],
  ])('%# accepts %j', (s, v, value) => {
    expect(checkSlotValue(s, v)).toEqual({ ok: true, value });
  });

  it.each([
    [STRING, { a: 1 }, 'slot "s" takes text, got an object'],
    [ORDER, 1234, 'slot "s": "1234" does not match ^[0-9]{8}$'],
    [NUMBER, '3', 'slot "s" takes a number, got string "3"'],
    [NUMBER, Number.NaN, 'slot "s" takes a number, got number NaN'],
    [INTEGER, 3.5, 'slot "s" takes a whole number, got number 3.5'],
    [BOOLEAN, 'yes', 'slot "s" takes true or false, got string "yes"'],
    [ENUM, 'damaged', 'slot "s" takes one of Damaged, late, got string "damaged"'],
    [ENUM, null, 'slot "s" takes one of Damaged, late, got null'],
  ])('%# refuses %j', (s, v, reason) => {
    expect(checkSlotValue(s, v)).toEqual({ ok: false, reason });
  });

  it('an invalid pattern never matches (validation reports it)', () => {
    expect(checkSlotValue(slot({ type: 'string', pattern: '(?=x)' }), 'x')).toMatchObject({ ok: false });
  });
});

describe('outputSchema', () => {
  it('requires every slot, allows nothing else, and carries types, patterns, enum values and descriptions', () => {
    expect(outputSchema([compileSlot('approved', { type: 'boolean', description: 'Refund approved?' }), compileSlot('order_id', { type: 'string', pattern: '^[0-9]{8}$' }), compileSlot('reason', { type: 'enum', values: ['a', 'b'] }), compileSlot('n', { type: 'integer' })])).toEqual({
      type: 'object',
      properties: {
        approved: { type: 'boolean', description: 'Refund approved?' },
        order_id: { type: 'string', pattern: '^[0-9]{8}$' },
        reason: { type: 'string', enum: ['a', 'b'] },
        n: { type: 'integer' },
      },
      required: ['approved', 'order_id', 'reason', 'n'],
      additionalProperties: false,
    });
  });
});
