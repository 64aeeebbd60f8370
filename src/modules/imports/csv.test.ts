import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeUpload,
  detectDelimiter,
  joinPhone,
  mapColumn,
  readHeader,
  splitTags,
  UploadError,
  yesNo,
} from './csv.ts';

describe('csv helpers', () => {
  it('detects comma, semicolon, tab and pipe delimiters outside quotes', () => {
    assert.equal(detectDelimiter('phone,name,email'), ',');
    assert.equal(detectDelimiter('phone;name;"a,b"'), ';');
    assert.equal(detectDelimiter('phone\tname\temail'), '\t');
    assert.equal(detectDelimiter('phone|name'), '|');
    assert.equal(detectDelimiter('phone'), ',');
  });

  it('maps headers and aliases to contact fields', () => {
    assert.equal(mapColumn(' Phone Number '), 'phone');
    assert.equal(mapColumn('Mobile'), 'phone');
    assert.equal(mapColumn('E-mail'), 'email');
    assert.equal(mapColumn('attributes.plan'), 'attributes.plan');
    assert.equal(mapColumn('City of Birth'), 'attributes.City_of_Birth');
    assert.equal(mapColumn(''), null);
  });

  it('strips a byte-order mark and refuses binary', () => {
    assert.equal(decodeUpload(Buffer.from('\uFEFFphone\n1', 'utf8')), 'phone\n1');
    assert.throws(
      () => decodeUpload(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00])),
      (e) => e instanceof UploadError && e.kind === 'binary',
    );
    // Windows-1252 (Excel) text is read, not refused.
    assert.equal(decodeUpload(Buffer.from([0x6e, 0x61, 0x6d, 0xe9])), 'namé');
  });

  it('needs a phone or email column and data rows', () => {
    assert.deepEqual(readHeader('phone;name\n+1;A').delimiter, ';');
    assert.throws(
      () => readHeader('first,last\nA,B'),
      /needs a phone or email column; found "first", "last"/,
    );
    assert.throws(() => readHeader('phone,name\n'), /no data rows/);
    assert.throws(() => readHeader(''), /empty/);
  });

  it('splits tags on ; | and ,', () => {
    assert.deepEqual(splitTags('vip; gold|vip,new'), ['vip', 'gold', 'new']);
  });
  it("maps WhatsApp BSPs' headers (WATI, Interakt, AiSensy)", () => {
    assert.equal(mapColumn('Country Code'), 'country_code');
    assert.equal(mapColumn('CountryCode'), 'country_code');
    assert.equal(mapColumn('Mobile Number'), 'phone');
    assert.equal(mapColumn('First Name'), 'first_name');
    assert.equal(mapColumn('WhatsApp Opted'), 'opt_in');
    assert.equal(mapColumn('allowBroadcast'), 'opt_in');
    assert.equal(mapColumn('Opted-Out'), 'opt_out');
    assert.equal(mapColumn('Labels'), 'tags');
  });

  it('joins a country code column with the number, and reads yes/no cells', () => {
    assert.equal(joinPhone('9876543210', '91'), '+919876543210');
    assert.equal(joinPhone('09876543210', '+91'), '+919876543210');
    assert.equal(joinPhone('919876543210', '91'), '+919876543210', 'the code already there');
    assert.equal(
      joinPhone('9198765432', '91'),
      '+919198765432',
      'a 10-digit number that starts like the code',
    );
    assert.equal(joinPhone('+14155550100', '91'), '+14155550100');
    assert.equal(joinPhone('9876543210', undefined), '9876543210');
    assert.equal(yesNo(' TRUE '), true);
    assert.equal(yesNo('No'), false);
    assert.equal(yesNo('maybe'), undefined);
  });
});
