/**
 * The one text/event-stream reader of the tests, the bench and the soak: what an EventSource does with the bytes,
 * without the reconnecting. Blocks are the text between blank lines; lines may end in LF, CRLF or CR.
 */
import type { IncomingMessage } from 'node:http';

/** One block of a stream: its fields (the last of each; `data` lines joined by LF), and its comment lines. */
export interface SseBlock {
  id?: string;
  event?: string;
  data?: string;
  /** Only when the value is all digits, as an EventSource takes it. */
  retry?: number;
  /** Comment lines (`: keep-alive`), without the colon and the space after it. */
  comments: string[];
}

/** Feeds text in as it arrives; calls `onBlock` with each complete block, in order. */
export class SseParser {
  /**
   * The unfinished line, in the pieces it came in: joined once its end arrives, so a line of megabytes (a snapshot
   * of 20 000 users) costs its length once, not once per chunk.
   */
  private pieces: string[] = [];
  /** The last text ended in CR: an LF starting the next one belongs to that line end. */
  private pendingCr = false;
  private block: SseBlock = { comments: [] };
  private fieldsSeen = 0;

  constructor(private readonly onBlock: (block: SseBlock) => void) {}

  push(text: string): void {
    let chunk = text;
    if (this.pendingCr && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.pendingCr = chunk.endsWith('\r');
    if (chunk.includes('\r')) chunk = chunk.replace(/\r\n?/g, '\n');
    let start = 0;
    let end = chunk.indexOf('\n');
    while (end !== -1) {
      const lastPiece = chunk.slice(start, end);
      if (this.pieces.length === 0) this.line(lastPiece);
      else {
        this.line(this.pieces.join('') + lastPiece);
        this.pieces = [];
      }
      start = end + 1;
      end = chunk.indexOf('\n', start);
    }
    if (start < chunk.length) this.pieces.push(chunk.slice(start));
  }

  private line(line: string): void {
    if (line === '') {
      if (this.fieldsSeen > 0) this.onBlock(this.block);
      this.block = { comments: [] };
      this.fieldsSeen = 0;
      return;
    }
    this.fieldsSeen += 1;
    const colon = line.indexOf(':');
    if (colon === 0) {
      this.block.comments.push(line.slice(line.startsWith(': ') ? 2 : 1));
      return;
    }
    const name = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(line.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1);
    if (name === 'data') this.block.data = this.block.data === undefined ? value : `${this.block.data}\n${value}`;
    else if (name === 'id') this.block.id = value;
    else if (name === 'event') this.block.event = value;
    else if (name === 'retry' && /^\d+$/.test(value)) this.block.retry = Number(value);
  }
}

/** Reads a text/event-stream response, block by block. */
export function onSseBlocks(res: IncomingMessage, onBlock: (block: SseBlock) => void): void {
  const parser = new SseParser(onBlock);
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => parser.push(chunk));
}
