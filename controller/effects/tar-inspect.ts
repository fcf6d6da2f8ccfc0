/**
 * Reading a `docker save` archive as it streams into the cache, before the engine sees it: what it
 * expands to, and what it names. The engine expands every layer it loads, and a gzip-compressed
 * layer of 9 MB expanded to 2.1 GB; so each entry counts its size, a gzip entry what it inflates
 * to (inflated here, the output dropped), and a stream past `maxExpandedBytes` is stopped. An
 * archive (or entry) compressed with xz, bzip2 or zstd cannot be bounded this way and is refused.
 * `manifest.json` (and the legacy `repositories`) are kept, for the tags and images it loads.
 */
import { createGunzip, type Gunzip } from 'node:zlib';

export class TarLimitError extends Error {
  constructor(readonly reason: 'ArchiveExpandsTooMuch' | 'ArchiveCompression' | 'ArchiveMalformed', message: string) {
    super(message);
  }
}

/** What the archive says it loads: each image's config ID and its tags. */
export interface ArchiveContents {
  images: { id: string; tags: string[] }[];
  expandedBytes: number;
}

const KEPT = new Set(['manifest.json', 'repositories']);
const MAX_KEPT_BYTES = 1024 * 1024;

function compression(b: Buffer): string | null {
  if (b[0] === 0xfd && b.subarray(1, 6).toString('latin1') === '7zXZ\0') return 'xz';
  if (b.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  if (b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd) return 'zstd';
  return null;
}
const isGzip = (b: Buffer) => b[0] === 0x1f && b[1] === 0x8b;

/** A tar header's size field: octal, or base-256 when its high bit is set. */
function headerSize(h: Buffer): number {
  const f = h.subarray(124, 136);
  if (f[0]! & 0x80) {
    let n = 0;
    for (let i = 1; i < f.length; i++) n = n * 256 + f[i]!;
    return n;
  }
  return parseInt(f.toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8);
}

const cstr = (b: Buffer) => b.toString('utf8').replace(/\0.*$/s, '');

/** The first bytes that tell a compression format apart. */
const MAGIC_BYTES = 6;

interface Entry {
  name: string;
  gz: Inflater | null;
  kept: Buffer[] | null;
  /** its first bytes, until there are enough to tell whether it is compressed (then null) */
  head: Buffer | null;
}

/** The streaming reader: `push` every chunk of the archive in order, then `finish`. */
export class TarInspector {
  private expanded = 0;
  private pending = Buffer.alloc(0);
  /** bytes of the current entry's data left, then its padding */
  private left = 0;
  private pad = 0;
  private entry: Entry | null = null;
  private next: { name?: string; size?: number } = {};
  private readonly kept = new Map<string, Buffer>();
  private outer: Inflater | null = null;
  /** the archive's first bytes, until its compression is known (then null) */
  private head: Buffer | null = Buffer.alloc(0);

  constructor(private readonly maxExpandedBytes: number) {}

  private count(n: number): void {
    this.expanded += n;
    if (this.expanded > this.maxExpandedBytes) throw new TarLimitError('ArchiveExpandsTooMuch', `the archive expands to more than ${this.maxExpandedBytes} bytes (its layers counted uncompressed; agent flag --max-archive-expanded-bytes); nothing was loaded`);
  }

  async push(chunk: Buffer): Promise<void> {
    if (this.head) {
      this.head = Buffer.concat([this.head, chunk]);
      if (this.head.length < MAGIC_BYTES) return;
      chunk = this.startWith(this.head);
    }
    if (this.outer) await this.outer.write(chunk);
    else await this.tar(chunk);
  }

  async finish(): Promise<ArchiveContents> {
    if (this.head) {
      const h = this.startWith(this.head);
      if (this.outer) await this.outer.write(h);
      else await this.tar(h);
    }
    if (this.outer) await this.outer.end();
    if (this.entry) await this.endEntry();
    return { images: this.images(), expandedBytes: this.expanded };
  }

  private startWith(head: Buffer): Buffer {
    this.head = null;
    const c = compression(head);
    if (c) throw new TarLimitError('ArchiveCompression', `the archive is compressed with ${c}, whose expanded size the agent cannot bound: send it uncompressed or gzip-compressed; nothing was loaded`);
    if (isGzip(head)) this.outer = this.inflater((d) => this.tar(d));
    return head;
  }

  /** Inflate into `sink`; what comes out counts when `counted` (an outer gzip's output is the tar, counted by its entries). */
  private inflater(sink: (d: Buffer) => Promise<void> | void, counted = false): Inflater {
    return new Inflater((d) => {
      if (counted) this.count(d.length);
      return sink(d);
    });
  }

  /** The tar stream itself: headers, entry data, padding. */
  private async tar(chunk: Buffer): Promise<void> {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (buf.length > 0) {
      if (this.left > 0) {
        const n = Math.min(this.left, buf.length);
        await this.data(buf.subarray(0, n), this.left - n);
        this.left -= n;
        buf = buf.subarray(n);
        if (this.left === 0) await this.endEntry();
      } else if (this.pad > 0) {
        const n = Math.min(this.pad, buf.length);
        this.pad -= n;
        buf = buf.subarray(n);
      } else if (buf.length >= 512) {
        await this.header(buf.subarray(0, 512));
        buf = buf.subarray(512);
      } else break;
    }
    this.pending = Buffer.from(buf);
  }

  private async header(h: Buffer): Promise<void> {
    if (h.every((b) => b === 0)) return; // the end-of-archive blocks
    const size = this.next.size ?? headerSize(h);
    if (!Number.isSafeInteger(size) || size < 0) throw new TarLimitError('ArchiveMalformed', 'the archive has a malformed tar header; nothing was loaded');
    const type = String.fromCharCode(h[156]!);
    const prefix = cstr(h.subarray(345, 500));
    const name = (this.next.name ?? (prefix ? `${prefix}/${cstr(h.subarray(0, 100))}` : cstr(h.subarray(0, 100)))).replace(/^\.\//, '');
    const meta = type === 'x' || type === 'L' || type === 'g';
    this.next = {};
    this.left = size;
    this.pad = (512 - (size % 512)) % 512;
    this.entry = { name: meta ? `\0${type}` : name, gz: null, kept: meta || KEPT.has(name) ? [] : null, head: meta ? null : Buffer.alloc(0) };
    if (size === 0) await this.endEntry();
  }

  /** Data of the current entry; `after`: how much of it follows this chunk. */
  private async data(d: Buffer, after: number): Promise<void> {
    const e = this.entry!;
    if (e.kept) {
      if (e.kept.reduce((n, b) => n + b.length, 0) + d.length > MAX_KEPT_BYTES) throw new TarLimitError('ArchiveMalformed', `${e.name} in the archive is larger than ${MAX_KEPT_BYTES} bytes; nothing was loaded`);
      e.kept.push(Buffer.from(d));
    }
    if (e.head) {
      e.head = Buffer.concat([e.head, d]);
      if (e.head.length < MAGIC_BYTES && after > 0) return;
      d = this.entryStart(e);
    }
    if (e.gz) await e.gz.write(d);
    else this.count(d.length);
  }

  /** Enough of an entry is in to tell whether it is compressed: decide, and return what was held. */
  private entryStart(e: Entry): Buffer {
    const head = e.head!;
    e.head = null;
    const c = compression(head);
    if (c) throw new TarLimitError('ArchiveCompression', `${e.name} in the archive is compressed with ${c}, whose expanded size the agent cannot bound; nothing was loaded`);
    if (isGzip(head)) e.gz = this.inflater(() => undefined, true);
    return head;
  }

  private async endEntry(): Promise<void> {
    const e = this.entry;
    this.entry = null;
    if (!e) return;
    if (e.head && e.head.length > 0) {
      const d = this.entryStart(e);
      if (e.gz) await e.gz.write(d);
      else this.count(d.length);
    }
    if (e.gz) await e.gz.end();
    if (!e.kept) return;
    const text = Buffer.concat(e.kept).toString('utf8');
    if (e.name === '\0L') this.next = { name: text.replace(/\0.*$/s, '') };
    else if (e.name === '\0x') this.next = paxRecords(text);
    else if (!e.name.startsWith('\0')) this.kept.set(e.name, Buffer.from(text));
  }

  private images(): ArchiveContents['images'] {
    const out: ArchiveContents['images'] = [];
    let manifest: { Config?: string; RepoTags?: string[] | null }[];
    try {
      manifest = JSON.parse(this.kept.get('manifest.json')?.toString() ?? '[]') as typeof manifest;
    } catch {
      throw new TarLimitError('ArchiveMalformed', 'the archive\'s manifest.json is not valid JSON; nothing was loaded');
    }
    for (const m of Array.isArray(manifest) ? manifest : []) {
      const hex = /([a-f0-9]{64})(?:\.json)?$/.exec(m?.Config ?? '')?.[1];
      if (hex) out.push({ id: `sha256:${hex}`, tags: Array.isArray(m.RepoTags) ? m.RepoTags.filter((t) => typeof t === 'string') : [] });
    }
    return out;
  }
}

/** The path and size of a PAX extended header (for the entry that follows it). */
function paxRecords(text: string): { name?: string; size?: number } {
  const out: { name?: string; size?: number } = {};
  for (const m of text.matchAll(/(?:^|\n)\d+ (path|size)=([^\n]*)(?=\n)/g)) {
    if (m[1] === 'path') out.name = m[2]!;
    else out.size = Number(m[2]);
  }
  return out;
}

const damaged = (err: Error) => (err instanceof TarLimitError ? err : new TarLimitError('ArchiveMalformed', `a gzip stream in the archive is damaged (${err.message}); nothing was loaded`));

/**
 * A gzip stream whose output goes, in order, to `sink` (which may throw: that stops it). `write`
 * resolves once the chunk is inflated and its output taken; the first failure is kept and
 * returned by every later call.
 */
class Inflater {
  private readonly gz: Gunzip = createGunzip();
  private failed: Error | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor(sink: (d: Buffer) => Promise<void> | void) {
    this.gz.on('error', (err: Error) => (this.failed ??= damaged(err)));
    this.gz.on('data', (d: Buffer) => {
      this.chain = this.chain.then(() => (this.failed ? undefined : sink(d))).catch((err: Error) => {
        this.failed ??= damaged(err);
        this.gz.destroy();
      });
    });
  }

  write(d: Buffer): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise<void>((resolve) => this.gz.write(d, () => resolve()))
      .then(() => this.chain)
      .then(() => (this.failed ? Promise.reject(this.failed) : undefined));
  }

  end(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise<void>((resolve) => {
      this.gz.once('end', resolve);
      this.gz.once('close', resolve);
      this.gz.end();
    })
      .then(() => this.chain)
      .then(() => (this.failed ? Promise.reject(this.failed) : undefined));
  }
}
