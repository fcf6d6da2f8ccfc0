/**
 * `docker save` archives made by hand, for archives the engine would load but the agent must not
 * pass on: a gzip bomb of a layer, tags chosen at will. The format is the one `docker save`
 * writes and `docker load` reads (manifest.json naming a config and its layer tars; a layer may be
 * gzip-compressed, the engine detects it, and the config's diff_ids are of the uncompressed tars).
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

/** One tar entry (ustar header, data, padding). */
function entry(name: string, data: Buffer): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148); // the checksum field counts as spaces while summing
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return Buffer.concat([h, data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

export function tar(entries: [string, Buffer][]): Buffer {
  return Buffer.concat([...entries.map(([n, d]) => entry(n, d)), Buffer.alloc(1024)]);
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * An image archive of one layer holding `file` (`size` bytes of zeros, or the given content),
 * tagged `tags`; `gzipLayer` compresses the layer as newer engines write them.
 */
export function imageArchive(opts: { tags: string[]; size?: number; content?: Buffer; gzipLayer?: boolean; marker?: string }): { archive: Buffer; id: string } {
  const layer = tar([['data', opts.content ?? Buffer.alloc(opts.size ?? 1024)], ['marker', Buffer.from(opts.marker ?? String(Math.random()))]]);
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', config: { Cmd: ['/data'] },
    rootfs: { type: 'layers', diff_ids: [`sha256:${sha(layer)}`] },
    history: [{ created: '2026-01-01T00:00:00Z', created_by: 'imagectl test' }],
  }));
  const id = sha(config);
  const layerDir = sha(layer);
  const manifest = Buffer.from(JSON.stringify([{ Config: `${id}.json`, RepoTags: opts.tags, Layers: [`${layerDir}/layer.tar`] }]));
  const archive = tar([
    [`${layerDir}/layer.tar`, opts.gzipLayer ? gzipSync(layer) : layer],
    [`${id}.json`, config],
    ['manifest.json', manifest],
  ]);
  return { archive, id: `sha256:${id}` };
}
