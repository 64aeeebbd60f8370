/**
 * `node scripts/inbox-screenshots.ts`: the screenshots in docs/images/, taken in Debian's
 * Chromium from a sandbox workspace with a few realistic conversations.
 */
import { createAiModule } from '../src/modules/ai/ai.module.ts';
import { modules } from '../src/modules/index.ts';
import {
  chromiumMissing,
  launchChromium,
  newPage,
  signIn,
  startInboxWorld,
} from '../test/support/browser.ts';

if (chromiumMissing) {
  console.error(`Cannot take screenshots: ${chromiumMissing}`);
  process.exit(1);
}
const out = new URL('../docs/images/', import.meta.url).pathname;
const world = await startInboxWorld(
  'sqlite',
  {},
  modules.map((m) => (m.name === 'ai' ? createAiModule({ replyDebounceMs: 50 }) : m)),
);
const call = (method: string, path: string, body?: unknown) =>
  world.app.call(method, path, { key: world.key, body });

const agent = await call('POST', '/v1/agents', {
  name: 'Glow Salon desk',
  greeting: 'Namaste! Welcome to Glow Salon.',
  business: {
    timezone: 'Asia/Kolkata',
    hours: { mon: [{ open: '10:00', close: '19:00' }], sun: [] },
    services: [{ name: 'Haircut', duration_minutes: 45, price: 500 }],
  },
});
await call('POST', `/v1/agents/${agent.body.id}/knowledge`, {
  doc_type: 'faq',
  faqs: [{ question: 'Do you have parking?', answer: 'Yes, free parking in the basement.' }],
});
await call('POST', '/v1/templates', {
  name: 'appointment_reminder',
  language: 'en',
  category: 'utility',
  body: 'Hi {{1}}, your appointment is on {{2}}.',
});
const inbound = async (from: string, text: string) =>
  (await call('POST', '/v1/sandbox/inbound', { from, text })).body.conversation_id as string;
const settle = () => new Promise((r) => setTimeout(r, 600));

const asha = await inbound('+919876543210', 'Hi! Do you have parking?');
await settle();
await call('PATCH', `/v1/contacts/${(await call('GET', `/v1/conversations/${asha}`)).body.contact.id}`, {
  name: 'Asha Verma',
  tags: ['vip'],
  attributes: { city: 'Pune' },
});
await inbound('+919876543210', 'Great, can I book a haircut on Monday at 5 pm?');
await settle();
const ravi = await inbound('+919812345678', 'I want to talk to a person about a refund');
await call('POST', `/v1/conversations/${ravi}/handoff`, {
  reason: 'Refund request',
  assign_to: { type: 'user', id: world.agent.id },
});
await call('POST', `/v1/conversations/${ravi}/reply`, {
  type: 'note',
  text: 'Paid by UPI on Friday; finance approves refunds under ₹2,000.',
});
await inbound('+919900011122', 'Are you open on Sunday?');
const old = await call('POST', '/v1/messages', {
  to: '+919811100022',
  template: { name: 'appointment_reminder', language: 'en', variables: ['Meera', 'Tuesday 11 am'] },
});
await settle();

const chrome = await launchChromium();
const { page } = await newPage(chrome.browser);
await page.goto(`${world.url}/app`);
await page.getByLabel('Email').waitFor();
await page.screenshot({ path: `${out}inbox-sign-in.png` });
await signIn(page, world, world.admin);
await page.locator(`.card[data-id="${asha}"]`).click();
await page.locator('.bubble.out').last().waitFor();
await settle();
await page.screenshot({ path: `${out}inbox-conversation.png` });
await page.getByRole('tab', { name: 'Handoffs' }).click();
await page.locator(`.card[data-id="${ravi}"]`).click();
await page.locator('.bubble.note').waitFor();
await page.screenshot({ path: `${out}inbox-handoff-note.png` });
await page.goto(`${world.url}/app/c/${old.body.conversation_id}`);
await page.getByLabel('Template', { exact: true }).selectOption({ label: 'appointment_reminder (en)' });
await page.getByLabel('{{1}}').fill('Meera');
await page.getByLabel('{{2}}').fill('Thursday 4 pm');
await page.screenshot({ path: `${out}inbox-template.png` });
await page.goto(`${world.url}/app/manage/keys`);
await page.getByLabel('Name').fill('CRM sync');
await page.getByRole('button', { name: 'Create key' }).click();
await page.getByTestId('secret').waitFor();
await page.screenshot({ path: `${out}inbox-manage-keys.png` });
await chrome.close();
await world.close();
console.log(`Screenshots written to ${out}`);
