import assert from 'node:assert/strict';
import { it } from 'node:test';
import { maskContactDetails, maskEmail, maskPhone, maskText } from './contact-masking.ts';

it('keeps the country code and the last five digits of a phone, the first letter and domain of an email', () => {
  assert.equal(maskPhone('+919876543210'), '+91•••••43210');
  assert.equal(maskPhone('+14155550123'), '+14••••50123');
  assert.equal(maskEmail('priya@example.com'), 'p•••@example.com');
});

it('masks numbers and addresses inside text, and leaves ids, times and amounts alone', () => {
  assert.equal(
    maskText('Call +919876543210 or mail priya.s@glow.in'),
    'Call +91•••••43210 or mail p•••@glow.in',
  );
  for (const kept of [
    'conv_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
    '2026-05-10T08:23:41.000Z',
    'INR 1,250.00',
    'order 4512345678',
  ])
    assert.equal(maskText(kept), kept);
});

it("masks a JSON shape deeply, but not the business's own users and channels", () => {
  const masked = maskContactDetails({
    data: [
      {
        object: 'conversation',
        contact: { phone: '+919876543210', email: 'a@b.co' },
        contact_address: '+919876543210',
      },
      { object: 'user', email: 'agent@glow.in' },
      { object: 'channel', phone_number: '+15550100001' },
    ],
  }) as { data: Array<Record<string, any>> };
  assert.equal(masked.data[0]!.contact.phone, '+91•••••43210');
  assert.equal(masked.data[0]!.contact.email, 'a•••@b.co');
  assert.equal(masked.data[0]!.contact_address, '+91•••••43210');
  assert.equal(masked.data[1]!.email, 'agent@glow.in');
  assert.equal(masked.data[2]!.phone_number, '+15550100001');
});
