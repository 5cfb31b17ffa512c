// RPC handlers of the Routing and Logs screens over the gateway (rules, providers, explain, audit).
// Inputs arrive validated; the gateway's own services validate again and own every write.
import type { auditMethods } from '#shared/contract/audit.ts';
import type { MethodParams, MethodResult } from '#shared/contract/index.ts';
import type { providerMethods } from '#shared/contract/providers.ts';
import type { routingMethods } from '#shared/contract/routing.ts';
import type { AuditFilter } from './store/auditLog.ts';
import type { Gateway } from './gateway.ts';

type M = keyof typeof routingMethods | keyof typeof providerMethods | keyof typeof auditMethods;
export type GatewayHandlers = {
  [K in M]: (p: MethodParams<K>) => MethodResult<K> | Promise<MethodResult<K>>;
};

const EXPORT_CAP = 100_000;

function filter(q: MethodParams<'audit.query'>): AuditFilter {
  return {
    from: q.from,
    to: q.to,
    model: q.model,
    route: q.route,
    errorsOnly: q.status === 'error' || undefined,
    okOnly: q.status === 'ok' || undefined,
    fallbackOnly: q.fallbackOnly,
  };
}

/** `gateway` is looked up per call: core builds the gateway after the dispatcher. */
export function gatewayHandlers(gateway: () => Gateway): GatewayHandlers {
  const routing = () => gateway().routing;
  return {
    'routing.list': () => ({ rules: routing().rules(), providers: routing().providers() }),
    'routing.addRule': (input) => routing().addRule(input),
    'routing.updateRule': ({ id, patch }) => routing().updateRule(id, patch),
    'routing.removeRule': ({ id }) => {
      routing().removeRule(id);
      return { ok: true as const };
    },
    'routing.reorder': ({ ids }) => routing().reorderRules(ids),
    'routing.explain': async ({ model }) => {
      const e = await gateway().explain(model);
      return {
        model: e.model,
        matched: e.matched,
        candidates: e.candidates.map((c) => ({
          label: c.label,
          skipped: c.skipped,
          position: c.position,
          usable: c.backend !== undefined,
        })),
        steps: e.steps,
        available: e.available,
      };
    },
    'providers.add': (input) => routing().addProvider(input),
    'providers.update': ({ id, patch }) => routing().updateProvider(id, patch),
    'providers.remove': ({ id }) => {
      routing().removeProvider(id);
      return { ok: true as const };
    },
    'providers.test': ({ id }) => gateway().testProvider(id),
    'audit.query': (q) => {
      const audit = gateway().audit;
      audit.flush(); // rows buffered in the last second show up too
      const f = filter(q);
      return {
        rows: audit.query({ ...f, limit: q.limit, offset: q.offset }),
        total: audit.count(f),
      };
    },
    'audit.daily': (q) => {
      const audit = gateway().audit;
      audit.flush();
      return audit.dailyTotals(q);
    },
    'audit.exportCsv': (q) => {
      const audit = gateway().audit;
      audit.flush();
      let csv = '';
      let rows = 0;
      for (const chunk of audit.export('csv', filter(q))) {
        csv += chunk;
        rows += chunk.split('\n').length - 1;
        if (rows > EXPORT_CAP) break;
      }
      // Keep the header plus at most EXPORT_CAP rows.
      const lines = csv
        .split('\n')
        .slice(0, EXPORT_CAP + 1)
        .filter((l) => l !== '');
      return { csv: lines.join('\n') + '\n', rows: lines.length - 1 };
    },
  };
}
