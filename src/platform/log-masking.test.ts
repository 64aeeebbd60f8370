import assert from 'node:assert/strict';
import { it } from 'node:test';
import { maskSecrets } from './log-masking.ts';

it('masks bearer tokens, API keys, URL credentials and secret values in free text', () => {
  const text = maskSecrets(
    'POST https://bot:hunter2@api.example.com/x?api_key=abc123&page=2 failed: Authorization: Bearer eyJhbGciOi.abc ' +
      'key prl_live_AbCdEf0123456789 sk-proj-ABCDEFGHIJKLMNOP {"password":"p4ss","name":"Ann"}',
  );
  for (const secret of ['hunter2', 'abc123', 'eyJhbGciOi', 'AbCdEf0123456789', 'ABCDEFGHIJKLMNOP', 'p4ss'])
    assert.ok(!text.includes(secret), `${secret} left in: ${text}`);
  assert.match(text, /page=2/);
  assert.match(text, /"name":"Ann"/);
  assert.match(text, /failed:/);
});
