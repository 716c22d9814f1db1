import type { IncomingMessage } from 'node:http';

/** Calls `onBlock` with each event block (the text between blank lines) of a text/event-stream response, in order. */
export function onSseBlocks(res: IncomingMessage, onBlock: (block: string) => void): void {
  res.setEncoding('utf8');
  let buffer = '';
  res.on('data', (chunk: string) => {
    buffer += chunk;
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
      onBlock(block);
    }
  });
}
