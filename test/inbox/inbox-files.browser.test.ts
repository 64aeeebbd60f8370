import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import {
  chromiumMissing,
  type InboxWorld,
  type LaunchedBrowser,
  launchChromium,
  newPage,
  signIn,
  startInboxWorld,
} from '../support/browser.ts';
import { eventually, forEachStorage } from '../support/harness.ts';

// The docs' screenshots are retaken with PARLEY_SCREENSHOTS=1; other runs leave the repo clean.
const SHOTS = process.env.PARLEY_SCREENSHOTS
  ? new URL('../../docs/screenshots/', import.meta.url)
  : pathToFileURL(`${mkdtempSync(join(tmpdir(), 'parley-shots-'))}/`);
const shot = (page: Page, name: string, fullPage = false) =>
  page.screenshot({ path: new URL(name, SHOTS).pathname, fullPage });

/**
 * Files in the composer, in Chromium: picked with the attach button, pasted, refused with the
 * API's reason; sent with the reply by their `media_` id; an image previews in the thread and a
 * document downloads.
 */
const PNG_1PX = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
const PDF = '%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n';

forEachStorage('files in the inbox composer', (storage) => {
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
  let phone = 9822000000 + Math.floor(Math.random() * 100_000);
  const openThread = async (text: string): Promise<[Page, string]> => {
    const r = await world.app.call('POST', '/v1/sandbox/inbound', {
      key: world.key,
      body: { from: `+91${++phone}`, text },
    });
    assert.ok(r.status < 300, r.text);
    const conv = r.body.conversation_id as string;
    const { page } = await newPage(chrome.browser);
    page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
    await signIn(page, world, world.agent, `/app/c/${conv}`);
    await page.locator('.bubble.in', { hasText: text }).waitFor();
    return [page, conv];
  };
  const sentMessages = async (conv: string) =>
    (await world.app.call('GET', `/v1/conversations/${conv}/messages`, { key: world.key })).body
      .data as Array<{
      direction: string;
      type: string;
      text: string | null;
      media: { media_id?: string; filename: string | null } | null;
    }>;

  it('sends a picked image with its caption and shows it in the thread', async () => {
    const [page, conv] = await openThread('Can you send the price list?');
    await page
      .getByTestId('attach-input')
      .setInputFiles({ name: 'prices.png', mimeType: 'image/png', buffer: PNG_1PX });
    await page
      .locator('.attachment-chip', { hasText: 'prices.png' })
      .getByRole('button', { name: 'Remove prices.png' })
      .waitFor();
    await page.getByLabel(/Reply on/).fill('Here are our prices');
    await page.getByRole('button', { name: 'Send' }).click();
    const bubble = page.locator('.bubble.out', { hasText: 'Here are our prices' });
    await bubble.locator('img.media-preview').waitFor();
    await eventually(() =>
      bubble
        .locator('img.media-preview')
        .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth === 1),
    );
    assert.equal(await page.locator('.attachment-chip').count(), 0, 'the sent file leaves the composer');
    const out = (await sentMessages(conv)).find((m) => m.direction === 'outbound');
    assert.equal(out?.type, 'image');
    assert.match(out?.media?.media_id ?? '', /^media_/);
    assert.equal(out?.media?.filename, 'prices.png');
    await page.context().close();
  });

  it('sends a pasted document without text, which downloads from the thread', async () => {
    const [page, conv] = await openThread('Please send my invoice');
    await page.getByLabel(/Reply on/).focus();
    await page.evaluate((pdf) => {
      // In the page: the DOM's own classes (this file is type-checked without the DOM library).
      const { DataTransfer, File, ClipboardEvent, document } = globalThis as any;
      const dt = new DataTransfer();
      dt.items.add(new File([pdf], 'invoice.pdf', { type: 'application/pdf' }));
      document.activeElement?.dispatchEvent(
        new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }),
      );
    }, PDF);
    await page.locator('.attachment-chip', { hasText: 'invoice.pdf' }).getByRole('button').waitFor();
    await page.getByRole('button', { name: 'Send' }).click();
    const link = page.locator('.bubble.out .file-link', { hasText: 'invoice.pdf' });
    await link.waitFor();
    await shot(page, 'inbox-thread-files.png');
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    assert.equal(download.suggestedFilename(), 'invoice.pdf');
    const out = (await sentMessages(conv)).find((m) => m.direction === 'outbound');
    assert.equal(out?.type, 'document');
    await page.context().close();
  });

  it('says why a file is refused: a type no channel carries, a declared type its bytes contradict', async () => {
    const [page] = await openThread('Here is a program');
    await page.getByTestId('attach-input').setInputFiles({
      name: 'setup.exe',
      mimeType: 'application/octet-stream',
      buffer: Buffer.concat([Buffer.from('MZ'), Buffer.alloc(64)]),
    });
    await page
      .getByRole('alert')
      .filter({ hasText: /setup\.exe: .*not a type Parley keeps/ })
      .waitFor();
    await page
      .getByTestId('attach-input')
      .setInputFiles({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: PNG_1PX });
    await page
      .getByRole('alert')
      .filter({ hasText: /photo\.jpg: .*declared image\/jpeg but its bytes are image\/png/ })
      .waitFor();
    assert.equal(await page.locator('.attachment-chip').count(), 0);
    await shot(page, 'inbox-file-refused.png');
    assert.equal(await page.getByRole('button', { name: 'Send' }).isDisabled(), true);
    await page.context().close();
  });
});
