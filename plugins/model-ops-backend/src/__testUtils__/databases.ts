import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';

/**
 * The engines every store test runs on, in one place: PostgreSQL (when a connection string is
 * set for it, or Docker can start it) and SQLite always.
 */
export const TEST_DATABASE_IDS: TestDatabaseId[] = [
  'POSTGRES_18',
  'POSTGRES_15',
  'SQLITE_3',
];

/** Backstage's test databases on {@link TEST_DATABASE_IDS}; call once per test file. */
export function createTestDatabases(): TestDatabases {
  return TestDatabases.create({ ids: TEST_DATABASE_IDS });
}
