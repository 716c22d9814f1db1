import { storeKinds } from '../../support/stores';
import { buildTestApp, userRecord, type SeededUser, type TestApp } from '../../support/testApp';
import { goStatus } from '../rocketchat/rocketChatKit';
import { listen, openStream, type SseClient } from './sseClient';

const STREAM = '/api/v1/users.presence.stream';
const PRESENT = 20_000;

// About the socket, not the store (the snapshot is read the same way from either): on the embedded store only,
// where 20 000 users are seeded in a second.
describe('users.presence.stream with 20 000 present users (embedded store)', () => {
  let t: TestApp;
  let server: Awaited<ReturnType<typeof listen>>;
  let alice: SeededUser;
  const opened: SseClient[] = [];

  beforeAll(async () => {
    // Streams that only watch: each stream opening would otherwise change Alice's presence and with it the list.
    t = await buildTestApp(storeKinds()[0], { streamConnections: false });
    server = await listen(t.app);
    alice = await t.seedUser({ username: 'alice' });
    const now = t.clock.now();
    for (let k = 0; k < PRESENT; k += 1) {
      await t.store.createUser(userRecord({
        id: `present${String(k).padStart(6, '0')}`,
        username: `present${k}`,
        name: `Present User ${k}`,
        status: 'online',
        presenceExpiresAt: new Date(now.getTime() + 600_000),
        presenceChangedAt: new Date(now.getTime() - 60_000),
        lastSeenAt: now,
        createdAt: now,
        credentials: {},
      }));
    }
  }, 60_000);

  afterAll(async () => {
    for (const client of opened) client.close();
    await server.close();
    await t.close();
  });

  it('renders a list once for every stream that opens on it: a later stream gets the same event, id and all', async () => {
    const first = await openStream(server.port, STREAM, alice.headers);
    opened.push(first);
    const firstSnapshot = await first.event(0);
    expect(firstSnapshot.data.users).toHaveLength(PRESENT);
    // Later, on the same list: a cursor of its own would mean the list made and rendered again for this stream.
    t.clock.advance(500);
    const second = await openStream(server.port, STREAM, alice.headers);
    opened.push(second);
    const secondSnapshot = await second.event(0);
    expect(secondSnapshot.id).toMatch(/^\d{13}$/);
    expect(secondSnapshot.id).toBe(firstSnapshot.id);
    expect(secondSnapshot.data).toEqual(firstSnapshot.data);
  }, 30_000);

  it('opens unfiltered streams whose snapshot is over STREAM_MAX_BUFFER_BYTES (1 MiB), all at once, then sends them changes', async () => {
    const clients = await Promise.all(Array.from({ length: 5 }, () => openStream(server.port, STREAM, alice.headers)));
    opened.push(...clients);
    expect(clients).toHaveLength(5);
    for (const client of clients) {
      expect(client.status).toBe(200);
      const snapshot = await client.event(0);
      expect(snapshot.data.full).toBe(true);
      expect(snapshot.data.users).toHaveLength(PRESENT);
      expect(Buffer.byteLength(JSON.stringify(snapshot.data))).toBeGreaterThan(1_048_576);
    }
    await goStatus(t, alice, 'busy');
    for (const client of clients) {
      const change = await client.event(1);
      expect(change.data.full).toBe(false);
      expect(change.data.users).toEqual([expect.objectContaining({ _id: alice.user.id, status: 'busy' })]);
    }
  }, 30_000);
});
