import type { SecurityFixture } from '../security.ts';

let n = 0;

/** An erasure (of a contact made for it), followed by its id. */
const fixture: SecurityFixture = {
  paths: ['/v1/erasures/:id'],
  async create(t, key) {
    const contact = await t.call('POST', '/v1/contacts', {
      key,
      body: { email: `era${Date.now()}${n++}@example.com` },
    });
    if (contact.status !== 201) throw new Error(`erasure fixture contact: ${contact.status} ${contact.text}`);
    const erased = await t.call('POST', `/v1/contacts/${contact.body.id}/erase`, {
      key,
      body: { reason: 'fixture' },
    });
    if (erased.status >= 300) throw new Error(`erasure fixture: ${erased.status} ${erased.text}`);
    return { id: erased.body.id };
  },
};

export default fixture;
