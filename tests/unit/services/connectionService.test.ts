import { ConnectionService } from '../../../src/domain/services/connectionService';
import { buildDomainServices, type DomainServices } from '../../support/domainServices';

const LEASE = { leaseMs: 60_000, renewMs: 10_000 };

describe('ConnectionService rounds (fake clock)', () => {
  let s: DomainServices;
  let connections: ConnectionService;

  beforeEach(() => {
    s = buildDomainServices();
    connections = new ConnectionService(s.store, s.presence, s.clock, s.timers, { instanceId: 'here', ...LEASE });
  });
  afterEach(async () => {
    connections.stop();
    await s.close();
  });

  it('runs a round every renewMs once started, ending a heartbeat connection whose lease ran out, and none once stopped', async () => {
    const ann = await s.seedUser();
    await connections.heartbeat(await s.accounts.authenticate(ann.token, undefined), 'online');
    expect((await s.presence.readUser(ann.user.id)).status).toBe('online');
    connections.start();
    connections.start();
    expect(s.timers.pending).toBe(1);
    // The lease ends at 60 s; the round at 60 s is the first to find it ended.
    await s.timers.advanceAsync(LEASE.leaseMs - 1);
    expect(await s.store.connectionsOfUser(ann.user.id)).toHaveLength(1);
    await s.timers.advanceAsync(1);
    expect(await s.store.connectionsOfUser(ann.user.id)).toEqual([]);
    expect((await s.presence.readUser(ann.user.id)).user.status).toBe('offline');
    connections.stop();
    expect(s.timers.pending).toBe(0);
  });
});
