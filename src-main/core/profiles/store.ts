// The profiles area's SQL: named model + parameters, the parameters stored as JSON.
// Rows only; the profile service validates the parameters and keeps exactly one default.
import type { Database } from 'better-sqlite3';

export interface ProfileRow {
  id: string;
  name: string;
  model: string;
  params: Record<string, unknown>;
  isDefault: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface ProfilesStore {
  list(): ProfileRow[];
  get(id: string): ProfileRow | undefined;
  getByName(name: string): ProfileRow | undefined;
  getDefault(): ProfileRow | undefined;
  insert(p: ProfileRow): void;
  update(p: Pick<ProfileRow, 'id' | 'name' | 'model' | 'params' | 'updatedAt'>): boolean;
  delete(id: string): boolean;
  /** Callers wrap this in a transaction together with whatever else they change. */
  setDefault(id: string): boolean;
}

interface Raw {
  id: string;
  name: string;
  model: string;
  params: string;
  is_default: number;
  created_at: number;
  updated_at: number;
}

const fromRaw = (r: Raw): ProfileRow => ({
  id: r.id,
  name: r.name,
  model: r.model,
  params: JSON.parse(r.params) as Record<string, unknown>,
  isDefault: r.is_default === 1,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export function profilesStore(db: Database): ProfilesStore {
  const list = db.prepare<[], Raw>('SELECT * FROM profiles ORDER BY name');
  const get = db.prepare<[string], Raw>('SELECT * FROM profiles WHERE id = ?');
  const byName = db.prepare<[string], Raw>('SELECT * FROM profiles WHERE name = ?');
  const getDefault = db.prepare<[], Raw>('SELECT * FROM profiles WHERE is_default = 1');
  const insert = db.prepare(
    `INSERT INTO profiles (id, name, model, params, is_default, created_at, updated_at)
     VALUES (@id, @name, @model, @params, @is_default, @created_at, @updated_at)`,
  );
  const update = db.prepare(
    `UPDATE profiles SET name = @name, model = @model, params = @params, updated_at = @updated_at
     WHERE id = @id`,
  );
  const del = db.prepare<[string]>('DELETE FROM profiles WHERE id = ?');
  const clearDefault = db.prepare('UPDATE profiles SET is_default = 0 WHERE is_default = 1');
  const markDefault = db.prepare<[string]>('UPDATE profiles SET is_default = 1 WHERE id = ?');
  const row = (r: Raw | undefined): ProfileRow | undefined => r && fromRaw(r);

  return {
    list: () => list.all().map(fromRaw),
    get: (id) => row(get.get(id)),
    getByName: (name) => row(byName.get(name)),
    getDefault: () => row(getDefault.get()),
    insert: (p) => {
      insert.run({
        id: p.id,
        name: p.name,
        model: p.model,
        params: JSON.stringify(p.params),
        is_default: p.isDefault ? 1 : 0,
        created_at: p.createdAt,
        updated_at: p.updatedAt,
      });
    },
    update: (p) =>
      update.run({
        id: p.id,
        name: p.name,
        model: p.model,
        params: JSON.stringify(p.params),
        updated_at: p.updatedAt,
      }).changes === 1,
    delete: (id) => del.run(id).changes === 1,
    setDefault: (id) => {
      clearDefault.run();
      return markDefault.run(id).changes === 1;
    },
  };
}
