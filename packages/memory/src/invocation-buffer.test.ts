import { describe, expect, it } from 'vitest';
import { InvocationBuffer, type InvocationBufferOptions } from './invocation-buffer.js';
import type { InvocationValues } from './invocation-writer.js';

/** A buffer over a recording writer; `fail` makes the next write throw. */
function bufferWith(options: Partial<InvocationBufferOptions> & { fail?: () => boolean }) {
  const writes: number[][][] = [];
  const buffer = new InvocationBuffer({
    batchSize: 1000,
    groupRows: 10_000,
    flushIntervalMs: 3_600_000,
    maxBuffered: 1_000_000,
    onBackgroundError: () => {},
    isRowError: () => false,
    onRefused: () => {},
    onFull: () => {},
    write: async (batches) => {
      if (options.fail?.()) throw new Error('database down');
      writes.push(batches.map((batch) => batch.map((values) => values[0] as number)));
    },
    ...options,
  });
  const record = (from: number, count: number): void => {
    for (let i = from; i < from + count; i++) buffer.add([i] as InvocationValues);
  };
  return { buffer, writes, record };
}

const sizes = (writes: number[][][]): number[][] => writes.map((batches) => batches.map((batch) => batch.length));

describe('InvocationBuffer group commit', () => {
  it('writes a backlog as whole batches grouped up to groupRows, in order', async () => {
    const { buffer, writes, record } = bufferWith({ batchSize: 1000, groupRows: 4000 });
    record(0, 9_500);
    await buffer.flush();
    expect(sizes(writes)).toEqual([[1000, 1000, 1000, 1000], [1000, 1000, 1000, 1000], [1000, 500]]);
    expect(writes.flat(2)).toEqual(Array.from({ length: 9_500 }, (_, i) => i));
    expect(buffer.written).toBe(9_500);
  });

  it('writes one batch per transaction when there is no backlog, or when grouping is off', async () => {
    const idle = bufferWith({ batchSize: 1000 });
    idle.record(0, 700);
    await idle.buffer.flush();
    expect(sizes(idle.writes)).toEqual([[700]]);

    const off = bufferWith({ batchSize: 1000, groupRows: 0 });
    off.record(0, 2_500);
    await off.buffer.flush();
    expect(sizes(off.writes)).toEqual([[1000], [1000], [500]]);
  });

  it('never splits a batch: a batch larger than groupRows is written alone', async () => {
    const { buffer, writes, record } = bufferWith({ batchSize: 3000, groupRows: 5000 });
    record(0, 7_000);
    await buffer.flush();
    expect(sizes(writes)).toEqual([[3000], [3000], [1000]]);
  });

  it('puts a failed group back at the front, whole and in order, before what came since', async () => {
    let down = true;
    const { buffer, writes, record } = bufferWith({ batchSize: 10, groupRows: 30, fail: () => down });
    record(0, 25);
    const flushing = buffer.flush();
    record(25, 5); // arrives while the group is being written
    await expect(flushing).rejects.toThrow('database down');
    expect(buffer.buffered).toBe(30);
    expect(buffer.written).toBe(0);
    down = false;
    await buffer.flush();
    expect(writes.flat(2)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(sizes(writes)).toEqual([[10, 10, 10]]);
  });

  it('keeps at most maxBuffered, counting the rows of a write in flight, when that write fails', async () => {
    let release: (() => void) | undefined;
    const { buffer, record } = bufferWith({
      batchSize: 2,
      groupRows: 4,
      maxBuffered: 6,
      write: () =>
        new Promise<void>((_resolve, reject) => {
          release = () => reject(new Error('database down'));
        }),
    });
    record(0, 6);
    const flushing = buffer.flush().catch(() => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    // Four rows are in flight, two wait: the bound is reached, so the next ones are dropped.
    expect(buffer.buffered).toBe(2);
    record(6, 3);
    expect(buffer.dropped).toBe(3);
    release?.();
    await flushing;
    expect(buffer.buffered).toBe(6);
    expect(buffer.written).toBe(0);
  });
});
