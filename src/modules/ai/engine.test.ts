import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fillVariables } from './engine.ts';

describe('fillVariables', () => {
  it('fills known variables, also through contact./vars. prefixes', () => {
    assert.equal(
      fillVariables('Hi {{name}}, order {{ vars.order_id }}.', { name: 'Asha', order_id: '42' }),
      'Hi Asha, order 42.',
    );
    assert.equal(fillVariables('Hello {{contact.name}}!', { name: 'Ravi' }), 'Hello Ravi!');
  });

  it('drops a missing placeholder with the comma and space before it', () => {
    assert.equal(
      fillVariables('Welcome to Glow Salon, {{name}}. How can I help?', {}),
      'Welcome to Glow Salon. How can I help?',
    );
    assert.equal(fillVariables('Hi {{name}}! Welcome.', {}), 'Hi! Welcome.');
    assert.equal(fillVariables('Hi {{name}}, welcome.', { name: '  ' }), 'Hi, welcome.');
    assert.equal(fillVariables('Namaste {{ first_name }} ji', {}), 'Namaste ji');
  });

  it('a placeholder at the start leaves no stray punctuation and a capital letter', () => {
    assert.equal(fillVariables('{{name}}, welcome back!', {}), 'Welcome back!');
    assert.equal(fillVariables('{{name}}, welcome back!', { name: 'Asha' }), 'Asha, welcome back!');
  });

  it('keeps text without placeholders as it is', () => {
    assert.equal(fillVariables('Open 10–19, Mon–Sat.', {}), 'Open 10–19, Mon–Sat.');
  });
});

describe('passageAnswer', () => {
  it('quotes the sentences about the question, not the whole passage', async () => {
    const { passageAnswer } = await import('./knowledge-answer.ts');
    const about =
      'Glow Salon opened in 2012 on MG Road. Our founder Meera Rao trained in London. We serve complimentary masala chai. Our hair team specialises in precision cuts and keratin smoothening. We use only formaldehyde-free keratin. The skin studio offers facials and cleanups with dermatologist-approved products. Readers voted us the best neighbourhood salon in 2023.';
    const a = passageAnswer({ text: about }, ['keratin']);
    assert.match(a, /keratin smoothening/);
    assert.doesNotMatch(a, /masala chai|founder/);
    assert.equal(
      passageAnswer({ text: 'Q: Parking?\nA: Yes, in the basement.' }, ['parking']),
      'Yes, in the basement.',
    );
  });
});
