/** What every benchmark scenario looks like to bench/run.ts. */
import type { Table, Target } from '../lib/report.js';

export interface ScenarioContext {
  /** memcached nodes, 'host:port'. */
  servers: readonly string[];
  /** Fewer rounds and operations: a CI smoke run. */
  quick: boolean;
  /** Progress lines (stderr), so stdout keeps only the tables. */
  log(line: string): void;
}

export interface ScenarioResult {
  name: string;
  title: string;
  /** The parameters the scenario ran with. */
  config: Record<string, unknown>;
  tables: Table[];
  targets: Target[];
  notes: string[];
  /** Everything measured, for the JSON file. */
  data: unknown;
}

export interface Scenario {
  name: string;
  description: string;
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
}
