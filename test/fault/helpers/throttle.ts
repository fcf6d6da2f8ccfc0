/**
 * A TCP relay in front of the registry that slows what the registry sends, so that a layer is
 * still streaming when the test kills the registry. When the registry goes, the relay cuts the
 * connections it was relaying (the client sees the stream end mid-layer), and refuses new ones
 * while the registry is down. Loopback only.
 */
import net from 'node:net';

export class ThrottledRelay {
  private server: net.Server | null = null;
  private readonly live = new Set<net.Socket>();
  /** bytes per second from the registry to the client; Infinity for no limit */
  rate = 4 * 1024 * 1024;
  relayed = 0;
  port = 0;

  constructor(readonly upstream: { host: string; port: number }) {}

  async start(): Promise<void> {
    this.server = net.createServer((client) => {
      const up = net.connect(this.upstream);
      this.live.add(client).add(up);
      const cut = () => {
        client.destroy();
        up.destroy();
        this.live.delete(client);
        this.live.delete(up);
      };
      up.on('error', cut).on('close', cut);
      client.on('error', cut).on('close', cut);
      client.pipe(up);
      up.on('data', (chunk: Buffer) => {
        this.relayed += chunk.length;
        client.write(chunk);
        up.pause();
        const resume = () => (client.writableNeedDrain ? client.once('drain', resume) : up.resume());
        if (Number.isFinite(this.rate)) setTimeout(resume, Math.ceil((chunk.length / this.rate) * 1000));
        else resume();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server!.address() as net.AddressInfo).port;
  }

  /** Cut every relayed connection now (the registry died under them). */
  cutAll(): void {
    for (const s of this.live) s.destroy();
    this.live.clear();
  }

  async stop(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = null;
  }
}
