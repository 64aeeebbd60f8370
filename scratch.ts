import { parseMetaWebhook } from './src/modules/channels/whatsapp/meta-webhook.ts';
const env = (value: any) => ({ object: 'whatsapp_business_account', entry: [{ id: 'WABA', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550783881', phone_number_id: '123' }, ...value } }] }] });
const shapes: Record<string, any> = {
  noFromOneContact: { contacts: [{ profile: { name: 'P' }, user_id: 'US.13491208655302741918' }], messages: [{ id: 'a', timestamp: '1700000000', type: 'text', text: { body: 'hi' } }] },
  blankFrom: { contacts: [{ profile: { name: 'P' }, user_id: 'US.13491208655302741918' }], messages: [{ from: '', id: 'b', timestamp: '1700000000', type: 'text', text: { body: 'hi' } }] },
  fromUserIdOnly: { messages: [{ from_user_id: 'US.13491208655302741918', id: 'c', timestamp: '1700000000', type: 'text', text: { body: 'hi' } }] },
  lowercase: { contacts: [{ user_id: 'us.13491208655302741918' }], messages: [{ from_user_id: 'us.13491208655302741918', id: 'd', type: 'text', text: { body: 'hi' } }] },
  contactWaIdNull: { contacts: [{ wa_id: null, user_id: 'US.1349' }], messages: [{ from: null, from_user_id: 'US.1349', id: 'e', type: 'text', text: { body: 'hi' } }] },
  long: { contacts: [{ user_id: 'GB.AbCdEf0123456789_-xyz' }], messages: [{ from_user_id: 'GB.AbCdEf0123456789_-xyz', id: 'f', type: 'text', text: { body: 'hi' } }] },
};
for (const [k, v] of Object.entries(shapes)) {
  const b = parseMetaWebhook(env(v), '123', new Date());
  console.log(k, b.messages.map((m) => [m.from, m.userId]));
}
