import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import {
  chromiumMissing,
  type InboxWorld,
  type LaunchedBrowser,
  launchChromium,
  newPage,
  signIn,
  startInboxWorld,
} from '../support/browser.ts';
import { forEachStorage } from '../support/harness.ts';

/**
 * Instagram story mentions and story replies in the thread, in Chromium: a small card says which
 * ("Mentioned you in their story", "Replied to your story") with a link to the story, above the
 * customer's words. The messages are stored as the Instagram webhook stores them (test/channels/
 * meta-direct.test.ts covers that path); here their `interactive` is written the same way.
 */
forEachStorage('story cards in the inbox thread', (storage) => {
  if (chromiumMissing && !process.env.CI) {
    it('browser tests skipped', { skip: chromiumMissing }, () => {});
    return;
  }
  let world: InboxWorld;
  let chrome: LaunchedBrowser;
  before(async () => {
    [world, chrome] = await Promise.all([startInboxWorld(storage), launchChromium()]);
  });
  after(async () => {
    await chrome?.close();
    await world?.close();
  });

  it('a story reply and a story mention show their cards with a link; other messages none', async () => {
    const from = `+9198${String(Date.now()).slice(-8)}`;
    const inbound = async (text: string) => {
      const r = await world.app.call('POST', '/v1/sandbox/inbound', { key: world.key, body: { from, text } });
      assert.ok(r.status < 300, r.text);
      return r.body as { conversation_id: string; message_id?: string };
    };
    const first = await inbound('Love this look!');
    const conv = first.conversation_id;
    await inbound('story mention');
    await inbound('Do you open on Sunday?');
    const rows = await world.app.ctx.db
      .selectFrom('messages')
      .select(['id', 'text'])
      .where('conversation_id', '=', conv)
      .where('direction', '=', 'inbound')
      .execute();
    const idOf = (text: string) => rows.find((r) => r.text === text)!.id;
    await world.app.ctx.db
      .updateTable('messages')
      .set({
        interactive: JSON.stringify({
          story_reply: { id: '1789', url: 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1' },
        }),
      })
      .where('id', '=', idOf('Love this look!'))
      .execute();
    await world.app.ctx.db
      .updateTable('messages')
      .set({
        text: '',
        interactive: JSON.stringify({
          story_mention: { id: null, url: 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=2' },
        }),
      })
      .where('id', '=', idOf('story mention'))
      .execute();

    const { page } = await newPage(chrome.browser);
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await signIn(page, world, world.agent, `/app/c/${conv}`);
    await page.locator('.bubble.in', { hasText: 'Do you open on Sunday?' }).waitFor();

    const reply = page.locator('.bubble.in', { hasText: 'Love this look!' });
    await reply.locator('.story-card', { hasText: 'Replied to your story' }).waitFor();
    assert.equal(
      await reply.getByRole('link', { name: 'Open the story' }).getAttribute('href'),
      'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1',
    );
    const mention = page.locator('.bubble.in', { hasText: 'Mentioned you in their story' });
    await mention.waitFor();
    assert.equal(
      await mention.getByRole('link', { name: 'Open the story' }).getAttribute('rel'),
      'noopener noreferrer',
    );
    // No "[text]" placeholder for the mention's empty words.
    assert.equal(await mention.locator('.text').count(), 0);
    assert.equal(
      await page.locator('.bubble.in', { hasText: 'Do you open on Sunday?' }).locator('.story-card').count(),
      0,
    );
    assert.deepEqual(errors, []);
  });
});
