import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contentTokens } from '../../platform/text.ts';
import { faqChunks, parseFaqText, textChunks } from './chunking.ts';
import { looksBinary } from './extract.ts';

describe('chunking', () => {
  it('splits by heading and keeps each passage within 800 characters', () => {
    const long = Array.from(
      { length: 40 },
      (_, i) => `Sentence number ${i} talks about hair care and styling.`,
    ).join(' ');
    const chunks = textChunks('Doc', `Intro line.\n\n# Hair\n${long}\n\n## Skin\nFacials take an hour.`);
    assert.equal(chunks[0].title, 'Doc');
    assert.ok(chunks.some((c) => c.title === 'Hair'));
    assert.equal(chunks.at(-1)?.title, 'Hair › Skin', 'a sub-heading keeps its parents');
    assert.ok(chunks.every((c) => c.text.length <= 800 && c.text.length > 0));
    assert.ok(
      chunks.filter((c) => c.title === 'Hair').length >= 3,
      'a long section is cut into several passages',
    );
  });
  it('packs short paragraphs together instead of one tiny chunk each', () => {
    const chunks = textChunks('Doc', 'One.\n\nTwo.\n\nThree.');
    assert.equal(chunks.length, 1);
    assert.equal(chunks[0].text, 'One.\n\nTwo.\n\nThree.');
  });
  it('reads Q/A pairs, one passage per pair', () => {
    const pairs = parseFaqText(
      'Q: Open Sunday?\nA: No.\n\nQuestion: Parking?\nAnswer: Yes, basement.\nFree for customers.',
    );
    assert.deepEqual(pairs, [
      { question: 'Open Sunday?', answer: 'No.' },
      { question: 'Parking?', answer: 'Yes, basement.\nFree for customers.' },
    ]);
    assert.equal(faqChunks(pairs)[1].title, 'Parking?');
    assert.deepEqual(parseFaqText('no pairs here'), []);
  });
  it('tells binary from text', () => {
    assert.equal(looksBinary('plain text, with ümlauts and हिंदी'), false);
    assert.equal(looksBinary('abc\u0000def'), true);
    assert.equal(looksBinary('\u0001\u0002\u0003\u0004 mostly control'), true);
  });
  it('drops English and Hinglish filler words', () => {
    assert.deepEqual(contentTokens('Bhai, aapka salon Sunday ko open hai?'), ['salon', 'sunday', 'open']);
  });
});
