// Routing rules: ordered patterns over model names with a target and fallbacks, stored as JSON
// (shape: ../types.ts Target); the gateway and the config importer validate it.
import type { Database } from 'better-sqlite3';

export interface RoutingRuleRow {
  id: string;
  priority: number;
  pattern: string;
  target: Record<string, unknown>;
  fallbacks: Array<Record<string, unknown>>;
  enabled: boolean;
}
interface Raw {
  id: string;
  priority: number;
  pattern: string;
  target: string;
  fallbacks: string;
  enabled: number;
}
const fromRaw = (r: Raw): RoutingRuleRow => ({
  id: r.id,
  priority: r.priority,
  pattern: r.pattern,
  target: JSON.parse(r.target) as Record<string, unknown>,
  fallbacks: JSON.parse(r.fallbacks) as Array<Record<string, unknown>>,
  enabled: r.enabled === 1,
});

export interface RoutingRulesStore {
  list(): RoutingRuleRow[];
  upsert(r: RoutingRuleRow): void;
  delete(id: string): boolean;
  clear(): void;
}

export function routingRulesStore(db: Database): RoutingRulesStore {
  const list = db.prepare<[], Raw>('SELECT * FROM routing_rules ORDER BY priority, id');
  const upsert = db.prepare(
    `INSERT INTO routing_rules (id, priority, pattern, target, fallbacks, enabled)
     VALUES (@id, @priority, @pattern, @target, @fallbacks, @enabled)
     ON CONFLICT(id) DO UPDATE SET priority = excluded.priority, pattern = excluded.pattern,
       target = excluded.target, fallbacks = excluded.fallbacks, enabled = excluded.enabled`,
  );
  const del = db.prepare<[string]>('DELETE FROM routing_rules WHERE id = ?');
  const clear = db.prepare('DELETE FROM routing_rules');
  return {
    list: () => list.all().map(fromRaw),
    upsert: (r) => {
      upsert.run({
        id: r.id,
        priority: r.priority,
        pattern: r.pattern,
        target: JSON.stringify(r.target),
        fallbacks: JSON.stringify(r.fallbacks),
        enabled: r.enabled ? 1 : 0,
      });
    },
    delete: (id) => del.run(id).changes === 1,
    clear: () => {
      clear.run();
    },
  };
}
