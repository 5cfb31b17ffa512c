// The pacer applies pieces one by one while applying is cheap, and merges them into later batches,
// resting in between, once applying is costly. Time is the test's own clock (`now`), advanced by the
// applies themselves, so what is measured does not depend on how busy the machine is; only the rests'
// timers are real.
import { describe, expect, it } from 'vitest';
import { pacer } from './pacer.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A pacer whose every batch takes `cost` on the test's clock; records when each batch was applied. */
function paced(cost: number, share?: number) {
  const clock = { t: 0 };
  const applied: Array<{ at: number; batch: string[] }> = [];
  const p = pacer<string>(
    (batch) => {
      applied.push({ at: clock.t, batch });
      clock.t += cost;
    },
    { now: () => clock.t, ...(share === undefined ? {} : { share }) },
  );
  return { p, clock, applied };
}

describe('pacer', () => {
  it('applies each piece at once while applying is cheap', () => {
    const { p, clock, applied } = paced(0.1);
    for (let i = 0; i < 100; i++) {
      p.push(String(i));
      clock.t += 0.5; // a token every half millisecond
    }
    expect(applied.map((a) => a.batch)).toEqual(Array.from({ length: 100 }, (_, i) => [String(i)]));
  });

  it('merges what arrives during the rest after a costly batch, in order', async () => {
    const { p, clock, applied } = paced(10);
    p.push('0'); // applied at 0, ends at 10: a quarter of the time applying means resting until 40
    for (let i = 1; i < 50; i++) {
      clock.t += 0.5;
      p.push(String(i));
    }
    expect(applied).toEqual([{ at: 0, batch: ['0'] }]);
    clock.t = 40;
    await sleep(50); // the rest's timer fires
    expect(applied).toEqual([
      { at: 0, batch: ['0'] },
      { at: 40, batch: Array.from({ length: 49 }, (_, i) => String(i + 1)) },
    ]);
  });

  it('rests after each batch in proportion to what it cost', async () => {
    const { p, clock, applied } = paced(4, 0.5);
    p.push('a'); // applied at 0, took 4: rest until 8
    clock.t = 6;
    p.push('b'); // within the rest: waits
    clock.t = 7;
    p.push('c');
    expect(applied).toHaveLength(1);
    clock.t = 8;
    await sleep(20);
    expect(applied[1]).toEqual({ at: 8, batch: ['b', 'c'] }); // took 4, ended at 12: rest until 16
    clock.t = 13;
    p.push('d');
    clock.t = 15.9;
    p.push('e');
    expect(applied).toHaveLength(2);
    clock.t = 16;
    await sleep(20);
    expect(applied[2]).toEqual({ at: 16, batch: ['d', 'e'] });
  });

  it('flush applies what is queued now and leaves nothing for later', async () => {
    const { p, applied } = paced(10);
    p.push('a');
    p.push('b');
    p.push('c');
    p.flush();
    expect(applied.map((a) => a.batch)).toEqual([['a'], ['b', 'c']]);
    p.flush();
    await sleep(80);
    expect(applied.map((a) => a.batch)).toEqual([['a'], ['b', 'c']]);
  });
});
