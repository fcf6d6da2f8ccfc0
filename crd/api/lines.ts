/**
 * Line splitting for streamed JSON lines (the engine's pull and load progress, the agent's audit
 * and pull streams to the CLI): one JSON document per line. Chunks arrive cut anywhere, also
 * inside a line or inside a multi-byte UTF-8 character, and the last line may come without a
 * newline.
 */
import { StringDecoder } from 'node:string_decoder';

export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private buf = '';

  /** Feed a chunk; returns the lines it completed (without their `\n` / `\r\n`, empty ones dropped). */
  push(chunk: Buffer | string): string[] {
    this.buf += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const lines: string[] = [];
    let i: number;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, i).trim();
      this.buf = this.buf.slice(i + 1);
      if (line) lines.push(line);
    }
    return lines;
  }

  /** The stream ended: the last line when it had no newline, else null. */
  end(): string | null {
    this.buf += this.decoder.end();
    const rest = this.buf.trim();
    this.buf = '';
    return rest || null;
  }
}

