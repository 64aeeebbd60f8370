import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkContent,
  parsePlaceholders,
  previewOf,
  renderPlaceholders,
  resolveContentType,
} from './content.ts';

describe('message content rules', () => {
  it('carries WhatsApp-only interactive kinds on WhatsApp alone (the widget takes buttons and lists)', () => {
    const flow = {
      type: 'interactive' as const,
      interactive: { type: 'flow' as const, body: 'b', flow: { flow_id: '1', flow_cta: 'Go', screen: 'A' } },
    };
    assert.deepEqual(checkContent(flow, 'whatsapp'), []);
    const web = checkContent(flow, 'web');
    assert.equal(web[0]?.field, 'interactive.type');
    assert.match(web[0]!.message, /web channel carries interactive button, list, not flow/);
    assert.deepEqual(
      checkContent(
        {
          type: 'interactive',
          interactive: {
            type: 'list',
            body: 'b',
            list: { button: 'B', sections: [{ rows: [{ id: 'r', title: 'R' }] }] },
          },
        },
        'web',
      ),
      [],
    );
    assert.equal(checkContent(flow, 'email')[0]?.field, 'type');
    // A list still needs its body; a product message does not.
    assert.equal(
      checkContent(
        { type: 'interactive', interactive: { type: 'button', buttons: [{ id: 'a', title: 'A' }] } },
        'whatsapp',
      )[0]?.field,
      'interactive.body',
    );
    assert.deepEqual(
      checkContent(
        {
          type: 'interactive',
          interactive: { type: 'product', product: { catalog_id: '1', product_retailer_id: 'x' } },
        },
        'whatsapp',
      ),
      [],
    );
  });

  it('infers the type from the one content field when type is left out', () => {
    assert.equal(resolveContentType({ template: { name: 'order_update' } }), 'template');
    assert.equal(resolveContentType({ video: { url: 'https://a.test/v.mp4' } }), 'video');
    assert.equal(resolveContentType({ type: 'image', text: 'x' }), 'image', 'an explicit type wins');
    const several = resolveContentType({ text: 'x', document: { url: 'https://a.test/d.pdf' } });
    assert.ok(Array.isArray(several));
    assert.equal(several[0].field, 'type');
    assert.match(several[0].message, /text, document/);
    const none = resolveContentType({});
    assert.ok(Array.isArray(none));
    assert.equal(none[0].field, 'type');
  });

  it('needs the part named by the type, within the limits', () => {
    assert.deepEqual(checkContent({ type: 'text', text: 'hi' }, 'whatsapp'), []);
    assert.equal(checkContent({ type: 'text' }, 'whatsapp')[0].field, 'text');
    assert.equal(checkContent({ type: 'text', text: 'x'.repeat(4097) }, 'sms')[0].field, 'text');
    assert.deepEqual(checkContent({ type: 'text', text: 'x'.repeat(4096) }, 'sms'), []);
    assert.equal(
      checkContent({ type: 'audio', audio: { url: 'https://a.test/x.ogg', caption: 'no' } }, 'whatsapp')[0]
        .field,
      'audio.caption',
    );
    assert.equal(
      checkContent(
        {
          type: 'interactive',
          interactive: { type: 'button', body: 'b', buttons: [{ id: 'a', title: 'A' }] },
        },
        'sms',
      )[0].field,
      'type',
    );
    const dupIds = checkContent(
      {
        type: 'interactive',
        interactive: {
          type: 'button',
          body: 'b',
          buttons: [
            { id: 'a', title: 'A' },
            { id: 'a', title: 'B' },
          ],
        },
      },
      'whatsapp',
    );
    assert.equal(dupIds[0].field, 'interactive.buttons.1.id');
  });

  it('reads placeholders: positional without gaps, or named, never mixed', () => {
    assert.deepEqual(parsePlaceholders('Hi {{1}} and {{2}} and {{1}}'), {
      kind: 'positional',
      names: ['1', '2'],
    });
    assert.deepEqual(parsePlaceholders('Hi {{ name }}'), { kind: 'named', names: ['name'] });
    assert.deepEqual(parsePlaceholders('plain'), { kind: 'none', names: [] });
    assert.match(parsePlaceholders('{{1}} {{3}}') as string, /without gaps/);
    assert.match(parsePlaceholders('{{1}} {{name}}') as string, /mixes/);
  });

  it('renders with exactly the variables the template has', () => {
    assert.deepEqual(renderPlaceholders('Hi {{1}}, at {{2}}', ['Ava', '3 pm'], 'v'), {
      text: 'Hi Ava, at 3 pm',
      values: ['Ava', '3 pm'],
    });
    assert.deepEqual(renderPlaceholders('Hi {{1}}', { '1': 'Ava' }, 'v'), {
      text: 'Hi Ava',
      values: ['Ava'],
    });
    assert.deepEqual(renderPlaceholders('Hi {{name}}', { name: 'Ava' }, 'v'), {
      text: 'Hi Ava',
      values: ['Ava'],
      named: { name: 'Ava' },
    });
    assert.deepEqual(renderPlaceholders('Hi {{1}}', [], 'v'), [
      { field: 'v.1', message: 'is required by the template ({{1}})' },
    ]);
    assert.equal((renderPlaceholders('Hi', ['x'], 'v') as Array<{ field: string }>)[0].field, 'v.1');
    // What WhatsApp refuses in a parameter (error 132018) is refused at once.
    for (const bad of ['line\nbreak', 'tab\there', 'five     spaces'])
      assert.match(
        (renderPlaceholders('Hi {{1}}', [bad], 'v') as Array<{ message: string }>)[0].message,
        /line breaks, tabs or more than 4 spaces/,
        bad,
      );
    assert.equal(
      (renderPlaceholders('Hi {{1}}', ['four    spaces ok'], 'v') as { text: string }).text,
      'Hi four    spaces ok',
    );
  });

  it('previews briefly', () => {
    assert.equal(previewOf({ type: 'image', text: null }), '[image]');
    assert.equal(previewOf({ type: 'text', text: 'x'.repeat(400) }).length, 280);
  });
});
