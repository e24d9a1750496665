import { describe, expect, test } from '@jest/globals';
import { CORS, corsHeaders } from '../../../lib/service/cors.js';

describe('CORS, as API Gateway answers it', () => {
  const allowed = ['https://app.example.com'];

  test('adds nothing for a request without an Origin, or from an origin not allowed', () => {
    expect(corsHeaders(undefined, allowed, false)).toEqual({});
    expect(corsHeaders('https://evil.example.com', allowed, true)).toEqual({});
    expect(corsHeaders('https://app.example.com', [], false)).toEqual({});
  });

  test('lets an allowed page read the ETag, and answers its preflight with what it may send', () => {
    expect(corsHeaders('https://app.example.com', allowed, false)).toEqual({
      'access-control-allow-origin': 'https://app.example.com',
      vary: 'origin',
      'access-control-expose-headers': 'etag',
    });
    expect(corsHeaders('https://app.example.com', allowed, true)).toEqual({
      'access-control-allow-origin': 'https://app.example.com',
      vary: 'origin',
      'access-control-allow-methods': 'GET,POST,PUT,PATCH,OPTIONS',
      'access-control-allow-headers': 'authorization,content-type,if-match,if-none-match',
      'access-control-max-age': '3600',
    });
    expect(CORS.allowHeaders).toEqual(expect.arrayContaining(['authorization', 'content-type', 'if-none-match']));
  });

  test('allows any origin with *', () => {
    expect(corsHeaders('http://localhost:5173', ['*'], false)['access-control-allow-origin']).toBe('*');
  });
});
