import { describe, expect, it } from '@jest/globals';
import { startTogether } from '../../support/start-together.js';

const part = <T>(value: T, failure?: Error) => {
  const stopped: T[] = [];
  return {
    stopped,
    start: () => (failure ? Promise.reject(failure) : Promise.resolve(value)),
    stop: async (started: T) => {
      stopped.push(started);
    },
  };
};

describe('startTogether: two parts of a test setup started side by side', () => {
  it('gives both when both start, stopping neither', async () => {
    const [stack, browser] = [part('stack'), part('browser')];
    await expect(startTogether(stack, browser)).resolves.toEqual(['stack', 'browser']);
    expect([...stack.stopped, ...browser.stopped]).toEqual([]);
  });

  it('stops the part that started when the other fails, and passes the failure on', async () => {
    const missing = new Error('Chromium is missing');
    const [stack, browser] = [part('stack'), part('browser', missing)];
    await expect(startTogether(stack, browser)).rejects.toBe(missing);
    expect(stack.stopped).toEqual(['stack']);
    expect(browser.stopped).toEqual([]);
  });

  it('passes on the first part failure when both fail, stopping nothing', async () => {
    const [stack, browser] = [part('stack', new Error('no Java')), part('browser', new Error('no Chromium'))];
    await expect(startTogether(stack, browser)).rejects.toThrow('no Java');
    expect([...stack.stopped, ...browser.stopped]).toEqual([]);
  });
});
