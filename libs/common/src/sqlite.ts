import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Open (creating its folder) a SQLite file for one of our durable stores: WAL journal, and
 * synchronous NORMAL, which in WAL mode survives a process crash (an OS crash may lose the
 * last commits). ':memory:' for tests.
 */
export function openSqlite(path: string): Database.Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  return db;
}
