import assert from 'node:assert/strict';
import { it } from 'node:test';
import { base32Decode, base32Encode, hotp, matchTotp, otpauthUri } from './users.totp.ts';

// RFC 6238 appendix B: the SHA-1 seed "12345678901234567890"; the 8-digit codes end in these 6.
const SEED = Buffer.from('12345678901234567890');

it('computes the codes of RFC 6238 test vectors', () => {
  for (const [seconds, code] of [
    [59, '287082'],
    [1111111109, '081804'],
    [1111111111, '050471'],
    [1234567890, '005924'],
    [2000000000, '279037'],
  ] as const)
    assert.equal(hotp(SEED, Math.floor(seconds / 30)), code, String(seconds));
});

it('round-trips base32 and refuses replays and codes outside the window', () => {
  const secret = base32Encode(SEED);
  assert.equal(secret, 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
  assert.deepEqual(base32Decode(secret), SEED);
  const now = 1111111111_000;
  const step = matchTotp(secret, '050471', now, 0);
  assert.equal(step, Math.floor(1111111111 / 30));
  assert.equal(matchTotp(secret, '050471', now, step!), null, 'a code works once');
  assert.equal(matchTotp(secret, '050471', now + 120_000, 0), null, 'two minutes later it is stale');
  assert.equal(matchTotp(secret, '12345', now, 0), null);
  assert.match(otpauthUri(secret, 'Parley', 'a@b.in'), /^otpauth:\/\/totp\/Parley%3Aa%40b\.in\?secret=GEZD/);
});
