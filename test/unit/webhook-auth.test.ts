import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { webhookAuthorized } from '../../runtime/server/admin.js';

const TOKEN = 's3cret-token';
const BODY = Buffer.from('{"ref":"refs/heads/main"}');
const sign = (body: Buffer, token: string) => `sha256=${createHmac('sha256', token).update(body).digest('hex')}`;

describe('webhookAuthorized', () => {
  it.each<[string, Record<string, string>, Buffer, boolean]>([
    ['bearer token', { authorization: `Bearer ${TOKEN}` }, BODY, true],
    ['bearer, lower-case scheme', { authorization: `bearer ${TOKEN}` }, BODY, true],
    ['wrong bearer token', { authorization: 'Bearer nope' }, BODY, false],
    ['token with a suffix', { authorization: `Bearer ${TOKEN}x` }, BODY, false],
    ['basic auth is not accepted', { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }, BODY, false],
    ['GitLab secret token header', { 'x-gitlab-token': TOKEN }, BODY, true],
    ['wrong GitLab token', { 'x-gitlab-token': 'nope' }, BODY, false],
    ['GitHub HMAC signature of the body', { 'x-hub-signature-256': sign(BODY, TOKEN) }, BODY, true],
    ['GitHub signature of another body', { 'x-hub-signature-256': sign(Buffer.from('{}'), TOKEN) }, BODY, false],
    ['GitHub signature with another secret', { 'x-hub-signature-256': sign(BODY, 'other') }, BODY, false],
    ['no credentials at all', {}, BODY, false],
  ])('%s → %s', (_name, headers, body, expected) => {
    expect(webhookAuthorized(headers, body, TOKEN)).toBe(expected);
  });
});
