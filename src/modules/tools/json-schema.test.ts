import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkInputSchema, extractArgs, type JsonSchema, validateValue } from './json-schema.ts';

/**
 * Cases in the shape of the official JSON-Schema-Test-Suite (`[{description, schema, tests:
 * [{description, data, valid}]}]`), written here for what tool arguments meet: null against a
 * type, lengths of strings with emoji and other astral characters (code points, not UTF-16
 * units), nullable and union types, records, formats. Each schema is a tool's object root.
 */
interface Case {
  description: string;
  schema: JsonSchema;
  tests: Array<{ description: string; data: unknown; valid: boolean }>;
}

const arg = (schema: JsonSchema): JsonSchema => ({ type: 'object', properties: { a: schema } });

const suite: Case[] = [
  {
    description: 'null is not a string, number, object or array',
    schema: {
      type: 'object',
      properties: {
        s: { type: 'string' },
        n: { type: 'number' },
        o: { type: 'object' },
        l: { type: 'array', items: { type: 'string' } },
      },
    },
    tests: [
      { description: 'null string', data: { s: null }, valid: false },
      { description: 'null number', data: { n: null }, valid: false },
      { description: 'null object', data: { o: null }, valid: false },
      { description: 'null array', data: { l: null }, valid: false },
      { description: 'null in an array of strings', data: { l: ['x', null] }, valid: false },
      { description: 'absent is fine', data: {}, valid: true },
    ],
  },
  {
    description: 'a required property given as null is given, and must fit its type',
    schema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
    tests: [
      { description: 'null', data: { id: null }, valid: false },
      { description: 'missing', data: {}, valid: false },
      { description: 'a string', data: { id: 'x' }, valid: true },
    ],
  },
  {
    description: 'nullable: type ["string", "null"]',
    schema: arg({ type: ['string', 'null'] }),
    tests: [
      { description: 'null', data: { a: null }, valid: true },
      { description: 'a string', data: { a: 'x' }, valid: true },
      { description: 'a number', data: { a: 1 }, valid: false },
    ],
  },
  {
    description: 'nullable: anyOf with {type: "null"}',
    schema: arg({ anyOf: [{ type: 'integer' }, { type: 'null' }] }),
    tests: [
      { description: 'null', data: { a: null }, valid: true },
      { description: 'an integer', data: { a: 3 }, valid: true },
      { description: 'a float', data: { a: 3.5 }, valid: false },
    ],
  },
  {
    description: 'maxLength counts code points: emoji and astral characters are one each',
    schema: arg({ type: 'string', maxLength: 2 }),
    tests: [
      { description: 'two emoji (four UTF-16 units)', data: { a: '😀😀' }, valid: true },
      { description: 'three emoji', data: { a: '😀😀😀' }, valid: false },
      { description: 'two astral CJK characters', data: { a: '𠀋𠀋' }, valid: true },
      { description: 'two Devanagari letters', data: { a: 'नम' }, valid: true },
    ],
  },
  {
    description: 'minLength counts code points',
    schema: arg({ type: 'string', minLength: 2 }),
    tests: [
      { description: 'one emoji (two UTF-16 units)', data: { a: '😀' }, valid: false },
      { description: 'two emoji', data: { a: '😀😀' }, valid: true },
    ],
  },
  {
    description: 'union: oneOf string or number',
    schema: arg({ oneOf: [{ type: 'string' }, { type: 'number' }] }),
    tests: [
      { description: 'a string', data: { a: 'x' }, valid: true },
      { description: 'a number', data: { a: 2 }, valid: true },
      { description: 'a boolean', data: { a: true }, valid: false },
    ],
  },
  {
    description: 'record: additionalProperties schema, no properties',
    schema: arg({ type: 'object', additionalProperties: { type: 'number' } }),
    tests: [
      { description: 'numbers', data: { a: { x: 1, y: 2 } }, valid: true },
      { description: 'a string value', data: { a: { x: 'one' } }, valid: false },
    ],
  },
  {
    description: 'properties not declared are refused where an object lists its own',
    schema: { type: 'object', properties: { a: { type: 'string' } } },
    tests: [
      { description: 'declared', data: { a: 'x' }, valid: true },
      { description: 'an extra', data: { a: 'x', b: 1 }, valid: false },
    ],
  },
  {
    description: 'integer and multipleOf, exclusiveMinimum',
    schema: arg({ type: 'integer', exclusiveMinimum: 0, multipleOf: 5 }),
    tests: [
      { description: '10', data: { a: 10 }, valid: true },
      { description: '10.0 is an integer', data: { a: 10.0 }, valid: true },
      { description: '0', data: { a: 0 }, valid: false },
      { description: '7', data: { a: 7 }, valid: false },
    ],
  },
  {
    description: 'format: date and email (ajv-formats)',
    schema: {
      type: 'object',
      properties: { d: { type: 'string', format: 'date' }, e: { type: 'string', format: 'email' } },
    },
    tests: [
      { description: 'valid', data: { d: '2026-11-20', e: 'a@b.co' }, valid: true },
      { description: 'not a date', data: { d: '2026-13-40' }, valid: false },
      { description: 'not an email', data: { e: 'nope' }, valid: false },
    ],
  },
  {
    description: 'enum with null and const',
    schema: { type: 'object', properties: { c: { enum: ['red', null] }, k: { const: 1 } } },
    tests: [
      { description: 'null in the enum', data: { c: null }, valid: true },
      { description: 'a value not in it', data: { c: 'blue' }, valid: false },
      { description: 'const', data: { k: 1 }, valid: true },
      { description: 'not const', data: { k: 2 }, valid: false },
    ],
  },
  {
    description: 'pattern is Unicode-aware',
    schema: arg({ type: 'string', pattern: '^\\p{L}+$' }),
    tests: [
      { description: 'Cyrillic letters', data: { a: 'Привет' }, valid: true },
      { description: 'digits', data: { a: '123' }, valid: false },
    ],
  },
];

describe('tool arguments against JSON Schema (Ajv, draft 2020-12)', () => {
  for (const c of suite)
    for (const t of c.tests)
      it(`${c.description}: ${t.description}`, () => {
        assert.deepEqual(checkInputSchema(c.schema), [], 'a schema a tool may declare');
        const errors = validateValue(c.schema, t.data);
        assert.equal(errors.length === 0, t.valid, errors.join('; '));
      });

  it('says what is wrong in the existing shape: path, then why', () => {
    const schema: JsonSchema = {
      type: 'object',
      properties: {
        amount: { type: 'number' },
        name: { type: ['string', 'null'] },
        tag: { enum: ['a', 'b'] },
      },
      required: ['amount'],
    };
    assert.deepEqual(validateValue(schema, { amount: 'ten', name: 3, tag: 'c', x: 1 }), [
      'args.x: is not an argument of this tool',
      'args.amount: must be a number',
      'args.name: must be a string or null',
      'args.tag: must be one of "a", "b"',
    ]);
    assert.deepEqual(validateValue(schema, {}), ['args: amount is required']);
  });

  it('compiles a schema once: the same schema given again is the same check', () => {
    const schema = arg({ type: 'string' });
    const started = performance.now();
    for (let i = 0; i < 2000; i++) validateValue({ ...schema }, { a: 'x' });
    assert.ok(performance.now() - started < 500, `${(performance.now() - started).toFixed(0)} ms`);
  });

  it('refuses at creation what Ajv cannot compile, naming the field', () => {
    const field = (schema: unknown) => checkInputSchema(schema).map((e) => e.field);
    assert.deepEqual(field({ type: 'object', properties: { a: { type: 'date' } } }), [
      'input_schema.properties.a.type',
    ]);
    assert.deepEqual(field({ type: 'string' }), ['input_schema']);
    assert.match(
      checkInputSchema({ type: 'object', properties: { a: { type: 'string', maxLenght: 3 } } })[0]!.message,
      /unknown keyword: "maxLenght"/,
    );
    assert.match(
      checkInputSchema({ type: 'object', properties: { a: { type: 'string', format: 'shoe-size' } } })[0]!
        .message,
      /unknown format "shoe-size"/,
    );
    assert.match(
      checkInputSchema({ type: 'object', properties: { a: { type: 'string', pattern: '(' } } })[0]!.message,
      /pattern|regular expression|Invalid/i,
    );
    assert.deepEqual(field({ type: 'object', properties: { 'a-b': { type: 'string' } } }), [
      'input_schema.properties.a-b',
    ]);
    assert.deepEqual(field({ type: 'object', properties: {}, required: ['x'] }), ['input_schema.required']);
  });

  it('reads a nullable property by its other type when taking arguments from words', () => {
    const schema: JsonSchema = {
      type: 'object',
      properties: {
        guests: { type: ['integer', 'null'] },
        size: { anyOf: [{ enum: ['small', 'large'] }, { type: 'null' }] },
      },
    };
    assert.deepEqual(extractArgs(schema, 'a table for 4'), { guests: 4 });
  });

  it('takes arguments from words on schemas imported from MCP servers, and never throws on them', () => {
    const schema: JsonSchema = {
      type: 'object',
      properties: {
        email: { anyOf: [{ type: 'string', format: 'email', pattern: '[\\w.]+@[\\w.]+' }, { type: 'null' }] },
        slot: { anyOf: [{ type: 'string', enum: ['morning', 'evening'] }, { type: 'integer' }] },
        tags: { type: 'object', additionalProperties: { type: 'string' } },
        payment: { oneOf: [{ type: 'object', properties: { kind: { const: 'cash' } } }] },
        size: { oneOf: [{ type: 'null' }, { enum: ['small', 'large'] }] },
        anything: true as unknown as JsonSchema,
      },
    };
    assert.deepEqual(extractArgs(schema, 'ana@example.com, a large one in the morning'), {
      email: 'ana@example.com',
      size: 'large',
    });
    const record: JsonSchema = { type: 'object', properties: {}, additionalProperties: { type: 'integer' } };
    assert.deepEqual(extractArgs(record, 'set ABC-123 to 4'), {});
    assert.deepEqual(extractArgs({ type: 'object', additionalProperties: { type: 'integer' } }, '4'), {});
  });
});
