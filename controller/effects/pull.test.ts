import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { consumeProgress } from './pull.js';

function feed(lines: string[], end: 'end' | 'close' = 'end') {
  const s = new PassThrough();
  setImmediate(() => {
    for (const l of lines) s.write(l);
    if (end === 'end') s.end();
    else s.destroy();
  });
  return s;
}

describe('consumeProgress', () => {
  it('collects items across chunk boundaries', async () => {
    const items = await consumeProgress(feed(['{"status":"Pulling fs layer","id":"abc"}\n{"sta', 'tus":"Download complete","id":"abc"}\n']));
    expect(items.map((i) => i.status)).toEqual(['Pulling fs layer', 'Download complete']);
  });

  it('fails on an error item even though the stream ends normally (the followProgress trap)', async () => {
    await expect(consumeProgress(feed(['{"status":"Pulling"}\n', '{"errorDetail":{"message":"manifest unknown"},"error":"manifest unknown"}\n']))).rejects.toThrow('manifest unknown');
  });

  it('fails when the stream is cut before its end', async () => {
    await expect(consumeProgress(feed(['{"status":"Downloading","id":"abc"}\n'], 'close'))).rejects.toThrow(/cut/);
  });
});
