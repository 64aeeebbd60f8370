import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

/** The Contacts page's pure rules, run in node as in the browser: the list's query and the CSV export. */
const rules: any = await import(
  new URL('../../src/modules/inbox/web/contacts-rules.js', import.meta.url).href
);

const contact = (over: Record<string, unknown> = {}) => ({
  id: 'ct_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  name: 'Asha Rao',
  phone: '+919811100001',
  email: 'asha@example.com',
  tags: ['vip', 'diwali'],
  attributes: { plan: 'premium' },
  dnd: false,
  opted_out: false,
  created_at: '2026-11-25T09:00:00.000Z',
  ...over,
});

describe('contacts page rules', () => {
  it('reads the filters from the URL and turns them into the list API’s query', () => {
    const filters = rules.filtersOf(
      new URLSearchParams('q=%20asha%20&tag=vip&attr=plan%20%3D%20premium&page=3'),
    );
    assert.deepEqual(filters, { q: ' asha ', tag: 'vip', attr: 'plan = premium', page: 3 });
    const query = rules.listQuery(filters, filters.page, 25);
    assert.equal(query.toString(), 'page=3&per_page=25&q=asha&tag=vip&attributes.plan=premium');
    assert.equal(rules.filtersOf(new URLSearchParams('page=-2')).page, 1, 'a bad page is the first');
    const empty = rules.listQuery(rules.filtersOf(new URLSearchParams('attr=%3Dx')), 1, 100);
    assert.equal(empty.toString(), 'page=1&per_page=100', 'an attribute filter without a key is left out');
  });

  it('writes CSV that quotes what it must and never hands a spreadsheet a formula', () => {
    const csv = rules.contactsCsv([
      contact(),
      contact({ name: 'Rao, "Asha"', phone: null, tags: [], attributes: {} }),
      contact({ name: '=HYPERLINK("http://x")', email: '@cmd', dnd: true }),
    ]);
    const lines = csv.split('\r\n');
    assert.equal(lines[0], 'id,name,phone,email,tags,attributes,dnd,opted_out,created_at');
    assert.equal(
      lines[1],
      'ct_01JD5Z8Q4X3N2M1K0H9G8F7E6D,Asha Rao,+919811100001,asha@example.com,vip;diwali,"{""plan"":""premium""}",false,false,2026-11-25T09:00:00.000Z',
    );
    assert.match(lines[2]!, /^ct_\w+,"Rao, ""Asha""",,asha@example\.com,,\{\},false,false,/);
    assert.match(lines[3]!, /^ct_\w+,"'=HYPERLINK\(""http:\/\/x""\)",\+919811100001,'@cmd,/);
    assert.equal(lines.at(-1), '', 'ends with a line break');
  });
});
