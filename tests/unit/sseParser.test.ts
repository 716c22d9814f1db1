import { SseParser, type SseBlock } from '../../tools/sseParser';

function parse(...chunks: string[]): SseBlock[] {
  const blocks: SseBlock[] = [];
  const parser = new SseParser((block) => blocks.push(block));
  for (const chunk of chunks) parser.push(chunk);
  return blocks;
}

describe('SseParser (the tests\', the bench\'s and the soak\'s text/event-stream reader)', () => {
  it('reads the service\'s blocks: retry, then id, event and data, and comments', () => {
    expect(parse('retry: 3000\n\nid: a-1\nevent: presence\ndata: {"users":[],"full":true}\n\n: keep-alive\n\n')).toEqual([
      { retry: 3000, comments: [] },
      { id: 'a-1', event: 'presence', data: '{"users":[],"full":true}', comments: [] },
      { comments: ['keep-alive'] },
    ]);
  });

  it('joins blocks and lines split anywhere between chunks, and holds back an unfinished block', () => {
    const text = 'id: a-2\ndata: {"x":1}\n\nid: a-3\ndata: {"x":2}\n\nid: a-4\n';
    const whole = parse(text);
    for (let cut = 1; cut < text.length; cut += 1) expect(parse(text.slice(0, cut), text.slice(cut))).toEqual(whole);
    expect(whole.map((block) => block.id)).toEqual(['a-2', 'a-3']);
  });

  it('reads a line of megabytes that came in many chunks, as a snapshot of many users does', () => {
    const data = `{"users":[${'{"_id":"u","status":"online"},'.repeat(40_000)}{}],"full":true}`;
    const text = `id: big\ndata: ${data}\n\nid: next\ndata: {}\n\n`;
    const chunks = Array.from({ length: Math.ceil(text.length / 65_536) }, (_, k) => text.slice(k * 65_536, (k + 1) * 65_536));
    expect(chunks.length).toBeGreaterThan(16);
    expect(parse(...chunks)).toEqual([
      { id: 'big', data, comments: [] },
      { id: 'next', data: '{}', comments: [] },
    ]);
  });

  it('takes CRLF and CR line ends, even when a CRLF is split between chunks', () => {
    expect(parse('data: one\r', '\nid: 7\r\n\r\ndata: two\r\r')).toEqual([
      { data: 'one', id: '7', comments: [] },
      { data: 'two', comments: [] },
    ]);
    // A line in three pieces whose CRLF is split between chunks too.
    expect(parse('data: o', 'n', 'e\r', '\n\r\n')).toEqual([{ data: 'one', comments: [] }]);
  });

  it('joins data lines with LF, takes a value without a space or without a colon, and ignores a non-numeric retry', () => {
    expect(parse('data:first\ndata\ndata: third\nretry: soon\n\n')).toEqual([{ data: 'first\n\nthird', comments: [] }]);
  });

  it('dispatches nothing for blank lines alone', () => {
    expect(parse('\n\n\n')).toEqual([]);
  });
});
