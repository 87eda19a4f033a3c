// Runs the SQL statements of argv[2] in an in-memory DuckDB and prints every
// statement's result as JSON (see scripts/duckdb.sh, which installs the package).
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.join(process.env.SLUICE_NPM_CACHE, 'node_modules') + '/');
const { DuckDBInstance } = require('@duckdb/node-api');

const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
const statements = await connection.extractStatements(process.argv[2]);
const results = [];
for (let i = 0; i < statements.count; i++) {
  const prepared = await statements.prepare(i);
  const reader = await prepared.runAndReadAll();
  results.push({
    columns: reader.columnNames(),
    types: reader.columnTypes().map((t) => t.toString()),
    rows: reader.getRowsJson(),
  });
}
process.stdout.write(JSON.stringify({ results }) + '\n');
