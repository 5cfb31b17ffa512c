// Profile operations over the profiles store, each one transaction: validated input, unique names,
// and exactly one default while any profile exists.
import crypto from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { CoreError } from '../errors/index.ts';
import { Profile, ProfileInput, ProfileParams, ProfilePatch } from '#shared/contract/profiles.ts';
import { profilesStore, type ProfileRow } from './store.ts';

function toProfile(row: ProfileRow): Profile {
  // Rows written by older versions are re-validated; unknown keys are a bug, not user data to drop.
  const params = ProfileParams.safeParse(row.params);
  return { ...row, params: params.success ? params.data : {} };
}

function uniqueViolation(e: unknown): boolean {
  return e instanceof Error && /UNIQUE constraint failed: profiles\.name/.test(e.message);
}

export interface ProfileService {
  list(): Profile[];
  get(id: string): Profile;
  /** A profile by id or by name: profiles are addressable as model names in the API. */
  find(idOrName: string): Profile | undefined;
  getDefault(): Profile | undefined;
  /** Input is validated here (ProfileInput); the first profile becomes the default. */
  create(input: unknown): Profile;
  update(id: string, patch: unknown): Profile;
  /** Without a name, the copy is called "NAME copy", then "NAME copy 2", … */
  duplicate(id: string, name?: string): Profile;
  /** Deleting the default promotes another profile. */
  delete(id: string): void;
  setDefault(id: string): Profile;
}

export function profileService(db: Database, now: () => number = Date.now): ProfileService {
  const repo = profilesStore(db);

  const mustGet = (id: string): ProfileRow => {
    const row = repo.get(id);
    if (!row) throw new CoreError('not_found', `no profile with id "${id}"`);
    return row;
  };
  const guardName = <T>(name: string, fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (uniqueViolation(e))
        throw new CoreError('conflict', `a profile named "${name}" already exists`);
      throw e;
    }
  };

  const create = db.transaction((input: ProfileInput): Profile => {
    const t = now();
    const row: ProfileRow = {
      id: crypto.randomUUID(),
      name: input.name,
      model: input.model,
      params: input.params,
      // The first profile becomes the default so there always is one once any exists.
      isDefault: repo.getDefault() === undefined,
      createdAt: t,
      updatedAt: t,
    };
    guardName(input.name, () => repo.insert(row));
    return toProfile(row);
  });

  const update = db.transaction((id: string, patch: ProfilePatch): Profile => {
    const cur = mustGet(id);
    const next = {
      id,
      name: patch.name ?? cur.name,
      model: patch.model ?? cur.model,
      params: patch.params ?? cur.params,
      updatedAt: now(),
    };
    guardName(next.name, () => repo.update(next));
    return toProfile(mustGet(id));
  });

  const duplicate = db.transaction((id: string, name?: string): Profile => {
    const src = mustGet(id);
    let copyName = name;
    if (copyName === undefined) {
      copyName = `${src.name} copy`;
      for (let n = 2; repo.getByName(copyName); n++) copyName = `${src.name} copy ${n}`;
    }
    const t = now();
    const row: ProfileRow = {
      ...src,
      id: crypto.randomUUID(),
      name: copyName,
      isDefault: false,
      createdAt: t,
      updatedAt: t,
    };
    guardName(copyName, () => repo.insert(row));
    return toProfile(row);
  });

  const remove = db.transaction((id: string): void => {
    const row = mustGet(id);
    repo.delete(id);
    if (row.isDefault) {
      const next = repo.list()[0];
      if (next) repo.setDefault(next.id);
    }
  });

  const setDefault = db.transaction((id: string): Profile => {
    mustGet(id);
    repo.setDefault(id);
    return toProfile(mustGet(id));
  });

  return {
    list: (): Profile[] => repo.list().map(toProfile),
    get: (id: string): Profile => toProfile(mustGet(id)),
    find: (idOrName: string): Profile | undefined => {
      const row = repo.get(idOrName) ?? repo.getByName(idOrName);
      return row && toProfile(row);
    },
    getDefault: (): Profile | undefined => {
      const row = repo.getDefault();
      return row && toProfile(row);
    },
    create: (input: unknown): Profile => create(parse(ProfileInput, input)),
    update: (id: string, patch: unknown): Profile => update(id, parse(ProfilePatch, patch)),
    duplicate: (id: string, name?: string): Profile => duplicate(id, name),
    delete: (id: string): void => remove(id),
    setDefault: (id: string): Profile => setDefault(id),
  };
}

function parse<T>(
  schema: {
    safeParse(
      v: unknown,
    ):
      | { success: true; data: T }
      | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } };
  },
  v: unknown,
): T {
  const r = schema.safeParse(v);
  if (r.success) return r.data;
  const i = r.error.issues[0]!;
  throw new CoreError(
    'validation',
    `${i.path.map(String).join('.') || '(input)'}: ${i.message}`,
    r.error.issues,
  );
}
