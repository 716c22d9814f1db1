import type { Router } from 'express';
import type { PresenceStore } from '../../domain/presenceStore';

/** Liveness and readiness for orchestrators; no authentication. */
export function addHealthRoutes(router: Router, store: PresenceStore): void {
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      await store.ping();
      res.json({ status: 'ready' });
    } catch {
      res.status(503).json({ status: 'unavailable' });
    }
  });
}
