// Any OpenAI-compatible chat endpoint (Ollama, llama.cpp server, vLLM, OpenAI) through
// @langchain/openai. Timeouts and retries with backoff come from the OpenAI client; an overall
// deadline also covers a stream that stalls after its first bytes. @langchain/openai loads on the
// first call, not at start-up, and turns go as [role, text] pairs rather than message classes:
// @langchain/openai and @langchain/core/messages take longer to import than the rest of the server.
import type { ChatOpenAI } from '@langchain/openai';
import { LlmError } from '../errors.js';

export interface LlmSettings {
  baseUrl: string;
  model: string;
  apiKey?: string;
  timeoutMs: number;
  maxRetries: number;
}

export interface ChatTurn {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export class LlmClient {
  private chatPromise?: Promise<ChatOpenAI>;
  readonly model: string;

  constructor(private readonly settings: LlmSettings) {
    this.model = settings.model;
  }

  private chat(): Promise<ChatOpenAI> {
    const s = this.settings;
    this.chatPromise ??= import('@langchain/openai').then(
      ({ ChatOpenAI }) =>
        new ChatOpenAI({ model: s.model, apiKey: s.apiKey ?? 'not-needed', temperature: 0, timeout: s.timeoutMs, maxRetries: s.maxRetries, configuration: { baseURL: s.baseUrl } }),
    );
    return this.chatPromise;
  }

  /** The overall deadline, and the caller's signal (a client that hung up) when there is one. */
  private deadline(signal?: AbortSignal): AbortSignal {
    // Each try may use the full timeout; backoff between tries stays well under a second per try here.
    const deadline = AbortSignal.timeout(this.settings.timeoutMs * (this.settings.maxRetries + 1) + 1000 * this.settings.maxRetries);
    return signal ? AbortSignal.any([deadline, signal]) : deadline;
  }

  private static messages(turns: ChatTurn[]): Array<['system' | 'ai' | 'human', string]> {
    return turns.map((t) => [t.role === 'system' ? 'system' : t.role === 'assistant' ? 'ai' : 'human', t.content]);
  }

  /** One reply as text. */
  async complete(turns: ChatTurn[], signal?: AbortSignal): Promise<string> {
    try {
      const reply = await (await this.chat()).invoke(LlmClient.messages(turns), { signal: this.deadline(signal) });
      return typeof reply.content === 'string' ? reply.content : reply.content.map((c) => ('text' in c ? c.text : '')).join('');
    } catch (error) {
      throw new LlmError(`The language model at ${this.settings.baseUrl} failed: ${(error as Error).message}`);
    }
  }

  /** Streams the reply, calling onToken for each text delta; resolves to the whole text. */
  async stream(turns: ChatTurn[], onToken: (text: string) => void, signal?: AbortSignal): Promise<string> {
    let text = '';
    try {
      const stream = await (await this.chat()).stream(LlmClient.messages(turns), { signal: this.deadline(signal) });
      for await (const chunk of stream) {
        const delta = typeof chunk.content === 'string' ? chunk.content : '';
        if (delta) {
          text += delta;
          onToken(delta);
        }
      }
      return text;
    } catch (error) {
      throw new LlmError(`The language model at ${this.settings.baseUrl} failed while streaming: ${(error as Error).message}`);
    }
  }
}
