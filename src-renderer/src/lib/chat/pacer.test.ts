// The pacer applies pieces one by one while applying is cheap, and merges them into later batches,
// resting in between, once applying is costly.
import { describe, expect, it } from 'vitest';
import { pacer } from './pacer.ts';

const busy = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // a render that takes `ms`
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('pacer', () => {
  it('applies each piece at once while applying is cheap', () => {
    const batches: number[][] = [];
    const p = pacer<number>((b) => batches.push(b));
    for (let i = 0; i < 100; i++) p.push(i);
    expect(batches).toEqual(Array.from({ length: 100 }, (_, i) => [i]));
  });

  it('merges what arrives during the rest after a costly batch, in order', async () => {
    const batches: number[][] = [];
    const p = pacer<number>((b) => {
      batches.push(b);
      busy(10);
    });
    p.push(0); // applied at once, then 30 ms of rest (a quarter of the time is spent applying)
    for (let i = 1; i < 50; i++) p.push(i);
    expect(batches).toEqual([[0]]);
    await sleep(100);
    expect(batches).toEqual([[0], Array.from({ length: 49 }, (_, i) => i + 1)]);
  });

  it('flush applies what is queued now and leaves nothing for later', async () => {
    const batches: string[][] = [];
    const p = pacer<string>((b) => {
      batches.push(b);
      busy(10);
    });
    p.push('a');
    p.push('b');
    p.push('c');
    p.flush();
    expect(batches).toEqual([['a'], ['b', 'c']]);
    p.flush();
    await sleep(80);
    expect(batches).toEqual([['a'], ['b', 'c']]);
  });

  it('keeps the share of time spent applying to the one asked for', async () => {
    const starts: number[] = [];
    const ends: number[] = [];
    const p = pacer<number>(
      () => {
        starts.push(performance.now());
        busy(4);
        ends.push(performance.now());
      },
      { share: 0.5 },
    );
    for (let i = 0; i < 40; i++) {
      p.push(i);
      await sleep(1);
    }
    await sleep(20); // the last batch comes after its rest
    expect(starts.length).toBeLessThan(40);
    expect(starts.length).toBeGreaterThan(1);
    for (let i = 1; i < starts.length; i++) {
      // Rest after batch i-1 at least as long as batch i-1 took (share 0.5), give or take the
      // millisecond by which timers may fire early against performance.now().
      expect(starts[i]! - ends[i - 1]!).toBeGreaterThanOrEqual(ends[i - 1]! - starts[i - 1]! - 1.5);
    }
  });
});
