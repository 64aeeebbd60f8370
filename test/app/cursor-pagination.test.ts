import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import {
  forEachStorage,
  openWindow,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

/**
 * Cursor pagination on the lists (issue 52): paging with `starting_after` while items are created
 * yields every item once (by `page` the same walk repeats items), `ending_before` walks back,
 * `has_more` says when to stop; and an unknown query parameter is a 400 naming it, not ignored.
 */
forEachStorage('cursor pagination', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let phone = 0;
  const newContact = async () => {
    const res = await t.call('POST', '/v1/contacts', {
      key: ws.test,
      body: { phone: `+1415555${String(1000 + ++phone).padStart(4, '0')}`, name: `C ${phone}` },
    });
    assert.equal(res.status, 201, res.text);
    return res.body.id as string;
  };
  const list = async (path: string) => {
    const res = await t.call('GET', path, { key: ws.test });
    assert.equal(res.status, 200, res.text);
    return res.body as { data: Array<{ id: string }>; meta: { has_more: boolean; total: number } };
  };

  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace({ default_country: 'US' });
    for (let i = 0; i < 23; i++) await newContact();
  });
  after(() => t.close());

  it('walks a list that grows while it is read: every item once with starting_after, repeats by page', async () => {
    const before = (await list('/v1/contacts?per_page=100')).data.map((c) => c.id);
    assert.equal(before.length, 23);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 20; pages++) {
      const page = await list(`/v1/contacts?per_page=5${cursor ? `&starting_after=${cursor}` : ''}`);
      seen.push(...page.data.map((c) => c.id));
      for (let i = 0; i < 2; i++) await newContact(); // newer items land ahead of the cursor
      if (!page.meta.has_more) break;
      cursor = page.data.at(-1)!.id;
    }
    assert.equal(new Set(seen).size, seen.length, 'no item twice');
    assert.deepEqual(seen, before, 'exactly the items there when the walk began, in the list order');

    // The same walk by page number repeats items: each creation pushes the page boundary along.
    const byPage: string[] = [];
    for (let p = 1; p <= 4; p++) {
      byPage.push(...(await list(`/v1/contacts?per_page=5&page=${p}`)).data.map((c) => c.id));
      await newContact();
    }
    assert.ok(new Set(byPage).size < byPage.length, 'by page, a growing list repeats items');
  });

  it('walks back with ending_before; has_more on both ends; bad cursors are 400s', async () => {
    const all = (await list('/v1/contacts?per_page=100')).data.map((c) => c.id);
    const last = await list(`/v1/contacts?per_page=4&starting_after=${all[all.length - 5]}`);
    assert.deepEqual(
      last.data.map((c) => c.id),
      all.slice(-4),
    );
    assert.equal(last.meta.has_more, false);
    const back = await list(`/v1/contacts?per_page=4&ending_before=${all[10]}`);
    assert.deepEqual(
      back.data.map((c) => c.id),
      all.slice(6, 10),
    );
    assert.equal(back.meta.has_more, true);
    const first = await list(`/v1/contacts?per_page=4&ending_before=${all[4]}`);
    assert.deepEqual(
      first.data.map((c) => c.id),
      all.slice(0, 4),
    );
    assert.equal(first.meta.has_more, false);
    assert.equal((await list('/v1/contacts?per_page=4')).meta.has_more, true);
    assert.equal((await list('/v1/contacts?per_page=100')).meta.has_more, false);

    for (const [query, field] of [
      ['starting_after=ct_01JD5Z8Q4X3N2M1K0H9G8F7E6D', 'starting_after'],
      [`starting_after=${all[0]}&ending_before=${all[3]}`, 'ending_before'],
      [`starting_after=${all[0]}&page=2`, 'starting_after'],
    ] as const) {
      const res = await t.call('GET', `/v1/contacts?${query}`, { key: ws.test });
      assert.equal(res.status, 400, `${query}: ${res.text}`);
      assert.equal(res.body.error.errors[0].field, field, res.text);
    }
  });

  it('pages conversations (ordered by last activity) by cursor too', async () => {
    for (let i = 0; i < 7; i++) await openWindow(t, ws.test, `+1415556${String(1000 + i)}`, `hello ${i}`);
    const all = (await list('/v1/conversations?per_page=100')).data.map((c) => c.id);
    assert.equal(all.length, 7);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (;;) {
      const page = await list(`/v1/conversations?per_page=3${cursor ? `&starting_after=${cursor}` : ''}`);
      seen.push(...page.data.map((c) => c.id));
      if (!page.meta.has_more) break;
      cursor = page.data.at(-1)!.id;
    }
    assert.deepEqual(seen, all);
    const back = await list(`/v1/conversations?per_page=3&ending_before=${all[5]}`);
    assert.deepEqual(
      back.data.map((c) => c.id),
      all.slice(2, 5),
    );
  });

  it('refuses an unknown query parameter with a 400 naming it, on every list', async () => {
    for (const path of ['/v1/contacts?email=x', '/v1/conversations?stauts=open', '/v1/calls?foo=1']) {
      const res = await t.call('GET', path, { key: ws.test });
      assert.equal(res.status, 400, `${path}: ${res.text}`);
      assert.equal(res.body.error.code, 'validation_failed');
      const name = new URL(path, 'http://x').searchParams.keys().next().value;
      assert.equal(res.body.error.errors[0].field, name, res.text);
    }
    const hint = await t.call('GET', '/v1/conversations?stauts=open', { key: ws.test });
    assert.match(hint.body.error.errors[0].message, /status/);
  });
});
