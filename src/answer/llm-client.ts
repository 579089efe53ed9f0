// Any OpenAI-compatible chat endpoint (Ollama, llama.cpp server, vLLM, OpenAI) through
// @langchain/openai. Timeouts and retries with backoff come from the OpenAI client; an overall
// deadline also covers a stream that stalls after its first bytes.
import { ChatOpenAI } from '@langchain/openai';
import { AIMessage, HumanMessage, SystemMessage, type BaseMessage } from '@langchain/core/messages';
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
  private readonly chat: ChatOpenAI;
  readonly model: string;

  constructor(private readonly settings: LlmSettings) {
    this.model = settings.model;
    this.chat = new ChatOpenAI({
      model: settings.model,
      apiKey: settings.apiKey ?? 'not-needed',
      temperature: 0,
      timeout: settings.timeoutMs,
      maxRetries: settings.maxRetries,
      configuration: { baseURL: settings.baseUrl },
    });
  }

  private deadline(): AbortSignal {
    // Each try may use the full timeout; backoff between tries stays well under a second per try here.
    return AbortSignal.timeout(this.settings.timeoutMs * (this.settings.maxRetries + 1) + 1000 * this.settings.maxRetries);
  }

  private static messages(turns: ChatTurn[]): BaseMessage[] {
    return turns.map((t) => (t.role === 'system' ? new SystemMessage(t.content) : t.role === 'assistant' ? new AIMessage(t.content) : new HumanMessage(t.content)));
  }

  /** One reply as text. */
  async complete(turns: ChatTurn[]): Promise<string> {
    try {
      const reply = await this.chat.invoke(LlmClient.messages(turns), { signal: this.deadline() });
      return typeof reply.content === 'string' ? reply.content : reply.content.map((c) => ('text' in c ? c.text : '')).join('');
    } catch (error) {
      throw new LlmError(`The language model at ${this.settings.baseUrl} failed: ${(error as Error).message}`);
    }
  }

  /** Streams the reply, calling onToken for each text delta; resolves to the whole text. */
  async stream(turns: ChatTurn[], onToken: (text: string) => void): Promise<string> {
    let text = '';
    try {
      const stream = await this.chat.stream(LlmClient.messages(turns), { signal: this.deadline() });
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
