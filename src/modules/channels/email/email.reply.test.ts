import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { visibleReply } from './email.reply.ts';

/**
 * Real email replies: the fixtures of GitHub's email_reply_parser (test/emails/, MIT; see
 * test/fixtures/email/README.md). What the customer wrote is kept; the quoted thread ("On …
 * wrote:", "> " lines, an Outlook header block) and the signature are not.
 */
const reply = (name: string) =>
  readFileSync(new URL(`../../../../test/fixtures/email/replies/${name}`, import.meta.url), 'utf8');

const expected: Record<string, string> = {
  'email_1_4.txt': "Awesome! I haven't had another problem with it.",
  'email_1_6.txt': 'I get proper rendering as well.',
  'email_1_7.txt': ':+1:',
  'email_1_8.txt': 'I will reply under this one\nand under this.',
  'email_2_1.txt': 'Outlook with a reply',
  'email_2_2.txt': 'Outlook with a reply directly above line',
  'email_2_3.txt': 'Outlook with a reply directly above line',
  'email_BlackBerry.txt': 'Here is another email',
  'email_iPhone.txt': 'Here is another email',
  'email_multi_word_sent_from_my_mobile_device.txt': 'Here is another email',
  'correct_sig.txt': 'this is an email with a correct -- signature.',
  'email_sig_delimiter_in_middle_of_line.txt':
    'Hi there!\n\nStuff happened.\n\nAnd here is a fix -- this is not a signature.\n\nkthxbai',
  'pathological.txt':
    "I think you're onto something. I will try to fix the problem as soon as I\nget back to a computer.",
};

describe('the visible part of an email reply', () => {
  for (const [name, want] of Object.entries(expected))
    it(`${name}: only what was written`, () => assert.equal(visibleReply(reply(name)), want));

  it('keeps the reply above the quote and leaves out every quoted line and "wrote:" header', () => {
    for (const name of ['email_1_2.txt', 'email_1_3.txt', 'greedy_on.txt', 'email_one_is_not_on.txt']) {
      const text = visibleReply(reply(name));
      assert.doesNotMatch(text, /^>/m, name);
      assert.doesNotMatch(text, /wrote:\s*$/m, name);
    }
    assert.match(visibleReply(reply('email_1_2.txt')), /^Hi,\nYou can list the keys for the bucket/);
    assert.match(
      visibleReply(reply('email_1_3.txt')),
      /^Oh thanks\.\n\nHaving the function would be great\./,
    );
    assert.match(visibleReply(reply('greedy_on.txt')), /the tunnel is not working\.$/);
  });

  it('leaves out Russian quote headers: Gmail for Android and the web, and "написал(а):"', () => {
    const quote = '\n\n> Можете прийти в субботу в 11?\n>\n';
    const reply = 'Да, в субботу в 11 удобно.';
    for (const header of [
      'Пт, 20 нояб. 2026 г., 14:05 Имя Фамилия <a@b.c>:',
      'пт, 20 нояб. 2026 г. в 14:05, Имя Фамилия <a@b.c>:',
      'Пт, 20 нояб. 2026 г., 14:05 Имя Фамилия\n<a@b.c>:',
      '20 нояб. 2026 г., в 14:05, Имя Фамилия <a@b.c> написал(а):',
      'Пятница, 20 ноября 2026, 14:05 +03:00 от Имя Фамилия <a@b.c>:\n',
      '20.11.2026, 14:05, "Имя Фамилия" <a@b.c> пишет:',
    ])
      assert.equal(visibleReply(`${reply}\n\n${header}${quote}`), reply, header);
    // Words like "написал" in the reply itself stay.
    const own = 'Я написал вам вчера: когда вы открыты?';
    assert.equal(visibleReply(own), own);
  });

  it('keeps a message with nothing quoted whole, and the whole text when nothing would remain', () => {
    const plain = reply('email_1_5.txt');
    assert.equal(visibleReply(plain), plain.replace(/\r\n?/g, '\n').trim());
    const onlyQuote = '> What time do you open?\n> Thanks';
    assert.equal(visibleReply(onlyQuote), onlyQuote);
  });

  it('reads a line of 700,000 ">" or spaces in milliseconds (the parser alone is quadratic in a line)', () => {
    // GitHub's email_long_quote.txt: one line of 700,000 ">" between the question and its signature.
    const longQuote = `Hi folks\n\nWhat time do you open?\n${'>'.repeat(700_000)}\nI am asking for Sunday.\n`;
    for (const text of [
      longQuote,
      `Hello\n\nOn${' '.repeat(300_000)}x\nend\n`,
      `${`On${' '.repeat(398)}x\n`.repeat(150)}`,
    ]) {
      const started = performance.now();
      visibleReply(text);
      assert.ok(performance.now() - started < 1000, `${(performance.now() - started).toFixed(0)} ms`);
    }
    assert.match(visibleReply(longQuote), /^Hi folks\n\nWhat time do you open\?/);
  });
});
