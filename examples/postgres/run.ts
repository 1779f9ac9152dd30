/**
 * Invalidation driven by the database: `npm run example:postgres`. A trigger on the `products` table
 * NOTIFYs the tag of every row that changes; a listener (`pg`) calls `cache.invalidateTags()`, so the
 * next read, in any process, reloads: the "trigger on the table firing a purge" setup, end to end.
 * Needs Debian's PostgreSQL (`sudo apt-get install -y postgresql`); started here in a temporary directory.
 */
import pg from 'pg';
import { createCache } from 'stampede-guard';
import { withMemcached } from '../lib/memcached.js';
import { startPostgres } from './postgres.js';

const CHANNEL = 'cache_invalidation';

const SCHEMA = `
  CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL, price numeric NOT NULL);
  INSERT INTO products VALUES (1, 'kettle', 25), (2, 'teapot', 40);
  -- Every change to a row NOTIFYs its tag (and the table's), sent when the transaction commits.
  CREATE FUNCTION notify_product_change() RETURNS trigger AS $$
  BEGIN
    PERFORM pg_notify('${CHANNEL}', 'product:' || COALESCE(NEW.id, OLD.id) || ' products');
    RETURN NULL;
  END $$ LANGUAGE plpgsql;
  CREATE TRIGGER products_changed AFTER INSERT OR UPDATE OR DELETE ON products
    FOR EACH ROW EXECUTE FUNCTION notify_product_change();
`;

const postgres = await startPostgres();
try {
  await withMemcached(1, async (servers) => {
    const db = new pg.Client({ connectionString: postgres.url });
    const listener = new pg.Client({ connectionString: postgres.url });
    await Promise.all([db.connect(), listener.connect()]);
    await db.query(SCHEMA);

    const cache = createCache({ servers, namespace: 'pg-example', ttl: 3600 });
    let queries = 0;
    const product = cache.cached(
      'product',
      async (id: number) => {
        queries++;
        const { rows } = await db.query(
          'SELECT id, name, price::float AS price FROM products WHERE id = $1',
          [id],
        );
        return rows[0] as { id: number; name: string; price: number } | undefined;
      },
      { tags: (id) => [`product:${id}`, 'products'] },
    );

    // The purge: one invalidateTags() per notification, whatever the number of entries carrying the tags.
    const invalidated: Array<() => void> = [];
    listener.on('notification', (message) => {
      const tags = (message.payload ?? '').split(' ').filter(Boolean);
      void cache.invalidateTags(tags).then(() => {
        console.log(`NOTIFY ${message.payload} -> invalidateTags(${JSON.stringify(tags)})`);
        invalidated.shift()?.();
      });
    });
    await listener.query(`LISTEN ${CHANNEL}`);
    const nextInvalidation = () => new Promise<void>((resolve) => invalidated.push(resolve));

    const show = async (when: string) => {
      const before = queries;
      const p = await product(1);
      console.log(
        `${when}: ${p?.name} costs ${p?.price} (${queries > before ? 'loaded from PostgreSQL' : 'cache hit'})`,
      );
    };
    await show('first read');
    await show('second read');
    const purged = nextInvalidation();
    await db.query('UPDATE products SET price = 30 WHERE id = 1');
    await purged;
    await show('after UPDATE');
    await show('read again');
    console.log(`${queries} PostgreSQL queries for 4 reads`);

    await cache.close();
    await Promise.all([db.end(), listener.end()]);
  });
} finally {
  postgres.stop();
}
