import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { extractLeadFields } from '../../src/modules/ai/intents.ts';
import { normalizePhone } from '../../src/modules/contacts/contacts.service.ts';
import { readCapture } from '../../src/modules/voice-flows/capture.ts';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

/**
 * Phone numbers are validated with one metadata set, libphonenumber-js's max (issue 52): the
 * default entry's min metadata took `+915000000000` for an Indian number, the max metadata
 * (which the contacts module's own checks already used) does not.
 */
const NOT_ASSIGNED = '+915000000000';
const src = new URL('../../src/', import.meta.url);

describe('phone validation on one metadata set', () => {
  it('no source file imports the default (min metadata) entry of libphonenumber-js', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, e.name);
        if (e.isDirectory()) walk(path);
        else if (/\.tsx?$/.test(e.name) && /from 'libphonenumber-js'/.test(readFileSync(path, 'utf8')))
          offenders.push(path);
      }
    };
    walk(src.pathname);
    assert.deepEqual(offenders, []);
  });

  it(`refuses ${NOT_ASSIGNED} wherever a number is read, and takes a real one`, () => {
    assert.equal(normalizePhone(NOT_ASSIGNED, 'IN'), null);
    assert.equal(normalizePhone('+919876543210', 'IN'), '+919876543210');
    const c = { now: new Date('2026-06-01T10:00:00Z'), timezone: 'Asia/Kolkata', defaultCountry: 'IN' };
    assert.equal(readCapture({ var: 'p', kind: 'phone' }, NOT_ASSIGNED, c), null);
    assert.equal(readCapture({ var: 'p', kind: 'phone' }, '+91 98765 43210', c), '+919876543210');
    assert.equal(extractLeadFields(`call me on ${NOT_ASSIGNED}`, 'IN').phone, undefined);
    assert.equal(extractLeadFields('call me on +91 98765 43210', 'IN').phone, '+919876543210');
  });
});

forEachStorage('phone validation through the API', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace({ default_country: 'IN' });
  });
  after(() => t.close());

  it(`refuses a contact with ${NOT_ASSIGNED} (400 naming phone)`, async () => {
    const res = await t.call('POST', '/v1/contacts', { key: ws.test, body: { phone: NOT_ASSIGNED } });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.body.error.errors[0].field, 'phone');
  });
});
