// @ts-check
// The page's HTTP client: JSON requests, Server-Sent Events, uploads, and errors worded as plain
// sentences with a next step. The SSE parser is a pure function, so the tests import this one.

const KEY_STORAGE = 'abstracts-chat-api-key';

/** An error a person can act on: what happened, then what to do. */
export class PageError extends Error {
  /** @param {string} message @param {number} [status] */
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

/** @returns {Record<string, string>} */
function authHeader() {
  const key = localStorage.getItem(KEY_STORAGE);
  return key ? { authorization: `Bearer ${key}` } : {};
}

function askForKey() {
  const key = window.prompt('This server needs an API key (the API_KEY it was started with):');
  if (!key) return false;
  localStorage.setItem(KEY_STORAGE, key.trim());
  return true;
}

/**
 * The server's error as a sentence with a next step.
 * @param {Response} res
 */
async function errorOf(res) {
  /** @type {string | undefined} */
  let said;
  try {
    said = (await res.json()).error?.message;
  } catch {
    said = undefined;
  }
  const next =
    res.status === 503
      ? ' Wait until the status line says the index is ready, then try again.'
      : res.status === 401
        ? ' Reload the page and enter the API key the server was started with.'
        : res.status === 413
          ? ' Split the files into smaller uploads, or raise INGEST_LIMIT_BYTES on the server.'
          : res.status >= 500
            ? ' Try again; if it keeps failing, the server log says why.'
            : '';
  return new PageError(`${said ?? `The server answered ${res.status}.`}${next}`, res.status);
}

/**
 * fetch, with the API key, a retry after asking for a key on 401, and a plain sentence when the
 * server cannot be reached.
 * @param {string} path @param {RequestInit} [init]
 * @returns {Promise<Response>}
 */
async function send(path, init = {}) {
  let res;
  try {
    res = await fetch(path, { ...init, headers: { ...authHeader(), ...(/** @type {Record<string, string>} */ (init.headers ?? {})) } });
  } catch (error) {
    if (init.signal?.aborted) throw error;
    throw new PageError('The server cannot be reached. Check that it is still running (npm start), then try again.');
  }
  if (res.status === 401 && askForKey()) return send(path, init);
  if (!res.ok) throw await errorOf(res);
  return res;
}

/**
 * A JSON request: GET without a body, else the given method (POST by default).
 * @param {string} path @param {unknown} [body] @param {string} [method] @param {AbortSignal} [signal]
 * @returns {Promise<any>}
 */
export async function api(path, body, method = body === undefined ? 'GET' : 'POST', signal) {
  const init = body === undefined ? { method, signal } : { method, signal, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  const res = await send(path, init);
  return res.status === 204 ? null : res.json();
}

/**
 * Splits Server-Sent Events text into events, returning what is left of an event cut short.
 * @param {string} buffer
 * @returns {{ events: Array<{ event: string, data: any }>, rest: string }}
 */
export function parseSse(buffer) {
  const events = [];
  const text = buffer.replace(/\r\n?/g, '\n');
  let start = 0;
  let cut;
  while ((cut = text.indexOf('\n\n', start)) >= 0) {
    const block = text.slice(start, cut);
    start = cut + 2;
    let event = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue; // a comment (keep-alive)
      const [field, value = ''] = line.includes(':') ? [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).replace(/^ /, '')] : [line, ''];
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length) events.push({ event, data: JSON.parse(data.join('\n')) });
  }
  return { events, rest: text.slice(start) };
}

/**
 * POSTs and reads Server-Sent Events, calling onEvent(name, data) for each as it arrives.
 * @param {string} path @param {unknown} body @param {AbortSignal} signal @param {(event: string, data: any) => void} onEvent
 */
export async function streamEvents(path, body, signal, onEvent) {
  const res = await send(path, { method: 'POST', signal, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.body) throw new PageError('The server sent no answer. Try again.');
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const { events, rest } = parseSse(buffer + decoder.decode(value, { stream: true }));
    buffer = rest;
    for (const e of events) onEvent(e.event, e.data);
  }
}

/**
 * Uploads files to POST /api/ingest, returning the job it started.
 * @param {File[]} files
 */
export async function uploadFiles(files) {
  const form = new FormData();
  for (const f of files) form.append('files', f, f.name);
  const res = await send('/api/ingest', { method: 'POST', body: form });
  return res.json();
}
