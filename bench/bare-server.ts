// The baseline for the server benchmark: a bare Hono JSON route on the same runtime and adapter,
// so /api/ask's figures can be read as a ratio to what the framework alone costs here.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.post('/json', async (c) => {
  const body = await c.req.json();
  return c.json({ ok: true, length: JSON.stringify(body).length });
});

const port = Number(process.env.PORT ?? 0);
serve({ fetch: app.fetch, hostname: '127.0.0.1', port }, (info) => console.log(`listening ${info.port}`));
