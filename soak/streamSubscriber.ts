import http from 'node:http';
import { onSseBlocks, type SseBlock } from '../tools/sseParser';

type Status = 'online' | 'away' | 'busy' | 'offline';

export interface StreamedPresence {
  status: Status;
  text: string;
}

interface EventUser {
  _id: string;
  status: Status;
  statusText?: string;
}

/**
 * A client of users.presence.stream in the soak: it builds its view of everybody's presence from the events alone
 * (a full event replaces the view, a change updates the users it lists), drops its connection once in the middle
 * of the run and resumes with Last-Event-ID on the next of the instances' ports, as an EventSource behind a load
 * balancer does, and reconnects the same way whenever the server ends the stream.
 */
export class StreamSubscriber {
  readonly view = new Map<string, StreamedPresence>();
  events = 0;
  fullEvents = 0;
  resumes = 0;
  failures: string[] = [];
  lastEventAt = 0;
  private lastEventId: string | undefined;
  private request: http.ClientRequest | undefined;
  private stopped = false;
  private connections = 0;

  /** @param ports the instances' ports: each (re)connection goes to the next one, the first to `ports[0]` */
  constructor(
    private readonly ports: readonly number[],
    private readonly headers: Record<string, string>,
  ) {}

  /** Resolves once the first event (the snapshot) is in. */
  start(): Promise<void> {
    return new Promise((resolve) => this.connect(resolve));
  }

  /** Cuts the connection as a network drop would; the subscriber resumes from its last event id. */
  drop(): void {
    this.request?.destroy();
  }

  stop(): void {
    this.stopped = true;
    this.request?.destroy();
  }

  private connect(onFirstEvent?: () => void): void {
    const headers = this.lastEventId === undefined ? this.headers : { ...this.headers, 'Last-Event-ID': this.lastEventId };
    if (this.lastEventId !== undefined) this.resumes += 1;
    let firstEvent = onFirstEvent;
    const port = this.ports[this.connections % this.ports.length];
    this.connections += 1;
    const req = http.request({ host: '127.0.0.1', port, path: '/api/v1/users.presence.stream', headers, agent: false }, (res) => {
      if (res.statusCode !== 200) {
        this.failures.push(`stream answered ${res.statusCode}`);
        res.resume();
        return;
      }
      // A resume with nothing new sends no event: it is in as soon as the stream is open.
      if (this.lastEventId !== undefined && firstEvent !== undefined) {
        firstEvent();
        firstEvent = undefined;
      }
      onSseBlocks(res, (block) => {
        this.apply(block);
        if (firstEvent !== undefined && this.events > 0) {
          firstEvent();
          firstEvent = undefined;
        }
      });
    });
    req.on('close', () => {
      if (!this.stopped) setTimeout(() => this.connect(firstEvent), 50);
    });
    req.on('error', () => undefined);
    req.end();
    this.request = req;
  }

  private apply({ id, data }: SseBlock): void {
    if (data === undefined) return;
    const event = JSON.parse(data) as { users: EventUser[]; full: boolean };
    this.events += 1;
    this.lastEventAt = Date.now();
    if (event.full) {
      this.fullEvents += 1;
      this.view.clear();
    }
    for (const user of event.users) this.view.set(user._id, { status: user.status, text: user.statusText ?? '' });
    if (id !== undefined) this.lastEventId = id;
  }
}
