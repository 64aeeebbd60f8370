import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { csvCell } from '../../src/modules/reports/reports.csv.ts';

describe('CSV cells', () => {
  it('quotes separators, quotes and line breaks, and defuses formulas', () => {
    assert.equal(csvCell('plain'), 'plain');
    assert.equal(csvCell('a,b'), '"a,b"');
    assert.equal(csvCell('say "hi"'), '"say ""hi"""');
    assert.equal(csvCell('line\nbreak'), '"line\nbreak"');
    assert.equal(csvCell('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
    assert.equal(csvCell('+91 98'), "'+91 98");
    // A phone number or a signed amount is no formula: it reaches the importer as it is.
    assert.equal(csvCell('+919811110001'), '+919811110001');
    assert.equal(csvCell('-12.5'), '-12.5');
    assert.equal(csvCell('+1+cmd'), "'+1+cmd");
    assert.equal(csvCell('-2+3'), "'-2+3");
    assert.equal(csvCell(-3), '-3', 'numbers are numbers');
    assert.equal(csvCell(null), '');
    assert.equal(csvCell(true), 'true');
  });
});
