import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fillVariables as greeting } from '../../src/modules/ai/engine.ts';
import { outOfHoursText } from '../../src/modules/ai/out-of-hours.ts';
import { recipientVariables } from '../../src/modules/broadcasts/variables.ts';
import { fillVariables as canned } from '../../src/modules/teamtools/canned.render.ts';
import { fillText, fillValue } from '../../src/modules/voice-flows/runner.ts';

// The inbox composer fills a canned response in the browser, with the same syntax.
const composer: { fillVariables: (content: string, values: Record<string, unknown>) => string } =
  await import(new URL('../../src/modules/inbox/web/placeholders.js', import.meta.url).href);

/**
 * One `{{…}}` syntax (issue 52): every place a user writes a variable renders the same input the
 * same way, the default after `|` included. Before, `{{contact.name|there}}` stayed raw in a
 * voice flow and a greeting (a caller would have heard the braces), and canned responses and
 * broadcasts each read it their own way.
 */
const INPUT = 'Hi {{contact.name|there}}, welcome!';
const places: Record<string, (name: string | null) => string> = {
  'greeting, voicemail and screener message (agent)': (name) => greeting(INPUT, { name: name ?? '' }),
  'voice flow say': (name) => fillText(INPUT, name ? { name } : {}),
  'voice flow set (a value)': (name) => fillValue(INPUT, name ? { name } : {}),
  'canned response': (name) => canned(INPUT, { 'contact.name': name ?? '' }),
  'canned response in the inbox composer': (name) =>
    composer.fillVariables(INPUT, { 'contact.name': name ?? '' }),
  'out-of-hours text': (name) => outOfHoursText(INPUT, null, { name, phone: null }),
  'broadcast variable': (name) => {
    const r = recipientVariables(
      'Message: {{1}}',
      { 1: INPUT },
      { name, phone: null, email: null, attributes: {} },
    );
    assert.ok('values' in r, JSON.stringify(r));
    return r.values['1']!;
  },
};

describe('one placeholder syntax everywhere', () => {
  for (const [place, render] of Object.entries(places))
    it(`${place}: the value, else the default`, () => {
      assert.equal(render('Asha'), 'Hi Asha, welcome!');
      assert.equal(render(null), 'Hi there, welcome!');
    });

  it('`{{name}}` and `{{contact.name}}` are the same value, and spaces around the bar do not matter', () => {
    for (const t of ['Hi {{name}}!', 'Hi {{contact.name}}!', 'Hi {{ contact.name | there }}!'])
      assert.equal(greeting(t, { name: 'Asha' }), 'Hi Asha!');
    assert.equal(greeting('Hi {{ contact.name | there }}!', {}), 'Hi there!');
    assert.equal(canned('Hi {{name|there}}!', { 'contact.name': 'Asha' }), 'Hi Asha!');
  });

  it('the inbox composer fills as the server does, prose rules included', () => {
    const values = { 'contact.name': 'Asha', 'agent.name': 'Glow', 'business.address': '' };
    for (const t of [
      'Hi {{ contact.name | there }}!',
      'Hi {{name}}, welcome to {{agent.name}}.',
      'Visit us at {{business.address}}.',
      'Visit us at {{business.address|our salon}}.',
      'Thanks, {{user.name}}.',
      '{{contact.phone}} hello {{ unknown | friend }}',
    ])
      assert.equal(composer.fillVariables(t, values), canned(t, values), t);
  });
});
