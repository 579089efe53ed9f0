// A real OpenAI-compatible HTTP server on 127.0.0.1 for tests: POST /v1/chat/completions in JSON and
// in streaming (SSE) form. Each test says how it should reply; every request is recorded.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StubRequest {
  model: string;
  stream: boolean;
  messages: Array<{ role: string; content: string }>;
}

export type StubBehaviour =
  | { kind: 'reply'; text: string | ((req: StubRequest) => string) }
  | { kind: 'status'; status: number }
  | { kind: 'hang' };

export class OpenAiStub {
  requests: StubRequest[] = [];
  /** Requests whose client went away before the stub answered (a cancelled upstream call). */
  cancelled = 0;
  behaviour: StubBehaviour = { kind: 'reply', text: 'NOT_ANSWERABLE' };
  private server?: Server;
  private readonly sockets = new Set<import('node:net').Socket>();

  get baseUrl(): string {
    const { port } = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${port}/v1`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'not found' } }));
      return;
    }
    const body = JSON.parse(raw) as StubRequest;
    this.requests.push(body);
    const b = this.behaviour;
    if (b.kind === 'hang') {
      // Never answer: the client's timeout must fire, or its caller cancel.
      res.on('close', () => this.cancelled++);
      return;
    }
    if (b.kind === 'status') {
      res.writeHead(b.status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `stub error ${b.status}`, type: 'server_error' } }));
      return;
    }
    const text = typeof b.text === 'function' ? b.text(body) : b.text;
    const id = `chatcmpl-${this.requests.length}`;
    const created = Math.floor(Date.now() / 1000);
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id, object: 'chat.completion', created, model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
        }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const send = (delta: object, finish: string | null = null) =>
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`);
    send({ role: 'assistant', content: '' });
    for (const piece of text.match(/\S+\s*/g) ?? []) send({ content: piece });
    send({}, 'stop');
    res.end('data: [DONE]\n\n');
  }
}
