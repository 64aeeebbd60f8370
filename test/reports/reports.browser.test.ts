import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, it } from 'node:test';
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

/**
 * The Reports page in Chromium: it and its chart library load only when opened (the inbox's first
 * load stays under 100 KB), the filters live in the URL, and a click on a bar or a point lists
 * the conversations or calls behind it (as many as the figure says).
 */
const SHOTS = new URL('../../docs/screenshots/', import.meta.url).pathname;
const FIRST_LOAD_LIMIT = 100 * 1024;

/** Bytes the page has fetched so far (the document and every resource, as transferred). */
const transferred = (page: Page): Promise<{ bytes: number; names: string[] }> =>
  page.evaluate(`(() => {
    const entries = [
      ...performance.getEntriesByType('navigation'),
      ...performance.getEntriesByType('resource'),
    ];
    return {
      bytes: entries.reduce((a, e) => a + e.transferSize, 0),
      names: entries.map((e) => e.name),
    };
  })()`);

/**
 * Clicks a point of a chart where a person would: over the plot, at its x (a bar's index, or a
 * time series' bucket start).
 */
async function clickPoint(page: Page, chartId: string, point: number | string) {
  await page.locator(`#${chartId}`).scrollIntoViewIfNeeded();
  const at = await page.evaluate(
    ([id, p]) => {
      const doc = (globalThis as any).document;
      const el = doc.querySelector(`#${id} .plot`) as { uplot: any };
      const u = el.uplot;
      const r = u.over.getBoundingClientRect();
      const x = typeof p === 'string' ? Date.parse(p) / 1000 : u.data[0][p];
      return { x: r.left + u.valToPos(x, 'x'), y: r.top + r.height - 4 };
    },
    [chartId, point] as const,
  );
  assert.ok(Number.isFinite(at.x) && Number.isFinite(at.y), `${chartId} has point ${point}`);
  await page.mouse.move(at.x, at.y - 10);
  await page.mouse.click(at.x, at.y);
}

forEachStorage('reports page in a real browser', (storage) => {
  if (chromiumMissing && !process.env.CI) {
    it('browser tests skipped', { skip: chromiumMissing }, () => {});
    return;
  }
  let world: InboxWorld;
  let chrome: LaunchedBrowser;
  let page: Page;
  let billing = '';
  const api = async (method: string, path: string, body?: unknown) => {
    const r = await world.app.call(method, path, { key: world.key, body });
    assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${r.text}`);
    return r.body;
  };
  before(async () => {
    [world, chrome] = await Promise.all([startInboxWorld(storage), launchChromium()]);
    // The workspace's day is always a day ahead of the browser's (UTC+14 against UTC-11), so a page
    // that took its dates from the browser's clock would show none of today's conversations.
    // Two misses before the AI hands off by itself: the figures' mix is the test's own.
    await api('POST', '/v1/agents', {
      name: 'Desk',
      business: { timezone: 'Pacific/Kiritimati' },
      handoff: { max_unanswered: 2 },
    });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await api('POST', '/v1/sandbox/inbound', {
        from: `+91981100200${i}`,
        text: 'What are your hours?',
      });
      ids.push(r.conversation_id);
    }
    await eventually(async () => {
      for (const id of ids) {
        const m = await api('GET', `/v1/conversations/${id}/messages`);
        if (!m.data.some((x: { direction: string }) => x.direction === 'outbound')) return null;
      }
      return true;
    });
    await api('POST', `/v1/conversations/${ids[0]}/close`);
    await api('POST', `/v1/conversations/${ids[1]}/handoff`, { reason: 'billing' });
    await api('POST', `/v1/conversations/${ids[1]}/assign`, { user_id: world.agent.id });
    await api('POST', `/v1/conversations/${ids[2]}/handoff`, { reason: 'complaint' });
    billing = ids[1]!;
    await world.app.ctx.db
      .updateTable('conversations')
      .set({ csat_score: 5, csat_at: new Date().toISOString() })
      .where('id', '=', ids[0]!)
      .execute();
    const agents = await api('GET', '/v1/agents');
    const call = await api('POST', '/v1/calls', {
      calls: [
        {
          agent_id: agents.data[0].id,
          to: '+919811003000',
          sandbox: { lines: ['Hello there', 'Thanks, bye'], hangup_after_lines: true },
        },
      ],
    });
    const callId = call.results[0].call.id;
    await eventually(async () => ((await api('GET', `/v1/calls/${callId}`)).ended_at ? true : null));
  });
  after(async () => {
    await chrome?.close();
    await world?.close();
  });

  it('the inbox first loads under 100 KB without the chart library, which comes with the Reports page', async () => {
    ({ page } = await newPage(chrome.browser, { timezoneId: 'Pacific/Pago_Pago' }));
    page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
    await signIn(page, world, world.admin, '/app');
    await page.locator(`#card-${billing}`).waitFor();
    const first = await transferred(page);
    assert.ok(first.bytes > 10_000, `measured ${first.bytes} bytes: the sizes are read`);
    assert.ok(first.bytes < FIRST_LOAD_LIMIT, `the inbox's first load is ${first.bytes} bytes`);
    console.log(`inbox first load: ${first.bytes} bytes transferred (${first.names.length} requests)`);
    // The inbox is bundled: its scripts are chunks; uPlot's code is in none loaded before the page opens.
    const scripts = (names: string[]) => names.filter((n) => /\/app\/a\/[0-9a-f]{12}\/.+\.m?js$/.test(n));
    const holdsUplot = async (names: string[]) => {
      for (const n of scripts(names))
        if (/u-legend|uPlot/.test(await page.evaluate(async (url) => (await fetch(url)).text(), n)))
          return true;
      return false;
    };
    assert.ok(!first.names.some((n) => /uplot/.test(n)), 'no chart library before the page opens');
    assert.equal(await holdsUplot(first.names), false, 'no chart code in the first load');
    await page.getByRole('link', { name: 'Reports' }).click();
    await page.locator('#chart-conversations canvas').first().waitFor();
    const later = await transferred(page);
    const added = later.names.filter((n) => !first.names.includes(n));
    assert.ok(
      added.some((n) => n.endsWith('/vendor/uplot.css')),
      "uPlot's styles load with the page",
    );
    assert.ok(await holdsUplot(added), "uPlot's code loads with the page");
  });

  it('shows the figures as tiles and charts, with the range and filters in the URL', async () => {
    const overview = await api('GET', '/v1/reports/overview');
    const tile = (label: string) => page.locator('.tile', { hasText: label }).locator('strong');
    assert.equal(await tile('Conversations').textContent(), String(overview.totals.conversations));
    assert.equal(await tile('Handoffs').textContent(), String(overview.totals.handoffs));
    for (const id of [
      'chart-conversations',
      'chart-first-response',
      'chart-handoffs',
      'chart-csat',
      'chart-calls',
    ])
      await page.locator(`#${id} canvas`).first().waitFor();
    if (storage === 'sqlite') {
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: `${SHOTS}reports-overview.png`, fullPage: true });
    }
    // A filter changes the URL; the URL, opened again, gives the same view.
    await page.getByLabel('Person').selectOption(world.agent.id);
    await page.waitForURL((u) => u.searchParams.get('user_id') === world.agent.id);
    await page.getByLabel('Channel').selectOption('whatsapp');
    await page.waitForURL((u) => u.searchParams.get('channel') === 'whatsapp');
    const mine = await api('GET', `/v1/reports/overview?user_id=${world.agent.id}&channel=whatsapp`);
    assert.equal(mine.totals.conversations, 1);
    await eventually(async () => ((await tile('Conversations').textContent()) === '1' ? true : null), 10_000);
    const url = page.url();
    await page.reload();
    await page.locator('.conn[data-state=live]').waitFor();
    await eventually(async () => ((await tile('Conversations').textContent()) === '1' ? true : null), 10_000);
    assert.equal(await page.getByLabel('Person').inputValue(), world.agent.id);
    assert.equal(await page.getByLabel('Channel').inputValue(), 'whatsapp');
    assert.equal(page.url(), url);
    await page.getByRole('button', { name: 'Reset' }).click();
    await page.waitForURL((u) => !u.searchParams.has('user_id'));
  });

  it('a click on a bar or a point lists the conversations or calls behind it', async () => {
    await page.locator('#chart-handoffs canvas').first().waitFor();
    // The figures the page shows: the overview it asked for.
    const shown = (await page.locator('.report-body').getAttribute('data-loaded')) as string;
    const overview = await api('GET', shown);
    const billingIndex = overview.handoffs_by_reason.findIndex(
      (r: { reason: string }) => r.reason === 'billing',
    );
    await clickPoint(page, 'chart-handoffs', billingIndex);
    await page.waitForURL((u) => u.searchParams.get('reason') === 'billing');
    const drill = page.locator('section.drill');
    await drill.getByText('1 in all').waitFor();
    assert.equal(await drill.locator('tbody tr').count(), 1);
    assert.equal(await drill.locator('tbody tr').getAttribute('data-id'), billing);
    if (storage === 'sqlite') {
      await drill.scrollIntoViewIfNeeded();
      await page.screenshot({ path: `${SHOTS}reports-drill.png` });
    }

    // The series: the point of today holds every conversation.
    const today = overview.series.findIndex((p: { conversations: number }) => p.conversations > 0);
    await clickPoint(page, 'chart-conversations', overview.series[today].at);
    await page.waitForURL((u) => u.searchParams.get('at') === overview.series[today].at);
    await drill.getByText(`${overview.series[today].conversations} in all`).waitFor();
    assert.equal(await drill.locator('tbody tr').count(), overview.series[today].conversations);
    // The list opens a conversation.
    await drill.locator(`tr[data-id="${billing}"] a`).click();
    await page.waitForURL((u) => u.pathname === `/app/c/${billing}`);
    await page.goBack();
    await page.waitForURL((u) => u.pathname === '/app/reports');

    // Call outcomes: a bar lists the calls.
    const calls = await api('GET', shown.replace('/overview?', '/calls?'));
    await page.locator('#chart-calls canvas').first().waitFor();
    await clickPoint(page, 'chart-calls', 0);
    await page.waitForURL((u) => u.searchParams.get('drill') === 'calls');
    await drill.getByText(`${calls.total} in all`).waitFor();
  });

  it('the people view lists each person and opens the overview filtered to them', async () => {
    await page.getByRole('button', { name: 'People' }).click();
    await page.waitForURL((u) => u.searchParams.get('view') === 'people');
    await page.locator('#chart-people canvas').first().waitFor();
    const row = page.locator(`table.people tr[data-id="${world.agent.id}"]`);
    await row.waitFor();
    if (storage === 'sqlite') await page.screenshot({ path: `${SHOTS}reports-people.png`, fullPage: true });
    await row.getByRole('button').click();
    await page.waitForURL(
      (u) => u.searchParams.get('user_id') === world.agent.id && !u.searchParams.has('view'),
    );
    await eventually(
      async () =>
        (await page.locator('.tile', { hasText: 'Conversations' }).locator('strong').textContent()) === '1'
          ? true
          : null,
      10_000,
    );
  });
  it("the AI usage view counts the AI's replies and their tokens by model, and by agent", async () => {
    await page.getByRole('button', { name: 'AI usage' }).click();
    await page.waitForURL((u) => u.searchParams.get('view') === 'ai');
    const builtin = page.locator('table.ai-usage tbody tr', { hasText: 'Built-in engine' });
    await builtin.waitFor();
    // The four conversations' answers, by the built-in agent: replies, no LLM, no tokens.
    const cells = await builtin.locator('td').allTextContents();
    assert.ok(Number(cells[1]) >= 4, cells.join(' | '));
    assert.deepEqual(cells.slice(2), ['0', '0', '0']);
    await page.getByLabel('Rows per').selectOption('agent');
    await page.waitForURL((u) => u.searchParams.get('by') === 'agent');
    await page.locator('table.ai-usage tbody tr', { hasText: 'Desk' }).first().waitFor();
  });
});
