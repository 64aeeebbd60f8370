import assert from 'node:assert/strict';
import { it } from 'node:test';
import { loadConfig } from './config.ts';
import { createLogger } from './context.ts';

it("the logger's redaction removes credentials from headers and secret-named fields, two levels down", () => {
  const lines: string[] = [];
  const logger = createLogger(loadConfig({ PARLEY_LOG_LEVEL: 'trace' }), {
    write: (l: string) => void lines.push(l),
  });
  const secret = (n: number) => `SECRET-${n}-value`;
  logger.trace(
    {
      req: {
        headers: { authorization: `Bearer ${secret(1)}`, cookie: `s=${secret(2)}`, 'x-api-key': secret(3) },
      },
      res: { headers: { 'set-cookie': `s=${secret(4)}` } },
      password: secret(5),
      token: secret(6),
      body: { password: secret(7), api_key: secret(8), secret: secret(9), client_secret: secret(10) },
      err: {
        config: { headers: { authorization: `Basic ${secret(11)}` }, access_token: secret(12) },
        response: { token: secret(13) },
      },
      channel: { credentials: { auth_token: secret(14) } },
      cookie: secret(15),
      apiKey: secret(16),
      kept: 'visible',
    },
    'a line with secrets',
  );
  const text = lines.join('');
  for (let n = 1; n <= 16; n++) assert.ok(!text.includes(secret(n)), `secret ${n} logged: ${text}`);
  assert.match(text, /"kept":"visible"/);
  assert.match(text, /\[redacted\]/);
});
