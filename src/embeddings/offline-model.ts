// The project's own embedding model, for tests and as the offline fallback when no hub model can
// be had. It is written in the transformers.js layout (config.json, tokenizer.json, onnx/model.onnx)
// so it loads through exactly the same `pipeline('feature-extraction')` call as a hub model.
//
// What it computes: a WordPiece tokenizer splits each word into pieces of at most three letters
// ("supporting" → sup ##por ##tin ##g); the ONNX graph is a single Gather that looks up a fixed
// pseudo-random vector per piece, and mean pooling averages them. Words that share pieces land near
// each other, stopwords and punctuation weigh nothing. It is deterministic and needs no download,
// but it knows no meaning: retrieval with it is close to keyword matching.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export const OFFLINE_MODEL_NAME = 'abstracts-offline-v1';
export const OFFLINE_MODEL_DIMS = 256;

const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

// Whole-word tokens that should not move a vector: they match WordPiece's whole-word lookup first.
const STOPWORDS = (
  'a an and are as at be been being but by can could did do does for from had has have how if in into is it ' +
  'its may might no not of on or our so such than that the their them then there these they this those to ' +
  'was we were what when where which while who whom why will with would you your also more most other some ' +
  'any all each both between about after before during over under within without among per via'
).split(' ');

/** Piece weights: longer pieces carry more identity; lone letters and digits carry little. */
function pieceWeight(piece: string): number {
  const core = piece.startsWith('##') ? piece.slice(2) : piece;
  const base = core.length >= 3 ? 1 : core.length === 2 ? 0.7 : 0.35;
  return piece.startsWith('##') ? base * 0.8 : base;
}

/** The vocabulary, in id order. Deterministic: the same list on every machine. */
export function offlineVocabulary(): string[] {
  const vocab: string[] = [...SPECIAL_TOKENS];
  const seen = new Set(vocab);
  const add = (token: string) => {
    if (!seen.has(token)) {
      seen.add(token);
      vocab.push(token);
    }
  };
  for (const p of PUNCTUATION) add(p);
  for (const w of STOPWORDS) add(w);
  const chars = LETTERS + DIGITS;
  for (const c of chars) {
    add(c);
    add(`##${c}`);
  }
  for (const a of LETTERS) {
    for (const b of LETTERS) {
      add(a + b);
      add(`##${a}${b}`);
    }
  }
  for (const a of LETTERS) {
    for (const b of LETTERS) {
      for (const c of LETTERS) {
        add(a + b + c);
        add(`##${a}${b}${c}`);
      }
    }
  }
  return vocab;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The embedding matrix [vocab, dims]: zero rows for specials, punctuation and stopwords. */
export function offlineEmbeddingMatrix(vocab: string[], dims = OFFLINE_MODEL_DIMS): Float32Array {
  const matrix = new Float32Array(vocab.length * dims);
  const silent = new Set<string>([...SPECIAL_TOKENS, ...PUNCTUATION, ...STOPWORDS]);
  vocab.forEach((token, row) => {
    if (silent.has(token)) return;
    const random = mulberry32(fnv1a(token));
    const offset = row * dims;
    let norm = 0;
    for (let d = 0; d < dims; d++) {
      const v = random() * 2 - 1;
      matrix[offset + d] = v;
      norm += v * v;
    }
    const scale = pieceWeight(token) / Math.sqrt(norm);
    for (let d = 0; d < dims; d++) matrix[offset + d] *= scale;
  });
  return matrix;
}

/** A HF tokenizers-format WordPiece tokenizer.json, as transformers.js reads it. */
export function wordPieceTokenizerJson(vocab: string[], maxLength = 512): object {
  const ids = Object.fromEntries(vocab.map((t, i) => [t, i]));
  const special = (t: string) => ({ id: ids[t], content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    truncation: { direction: 'Right', max_length: maxLength, strategy: 'LongestFirst', stride: 0 },
    padding: null,
    added_tokens: SPECIAL_TOKENS.map(special),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: true, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: Object.fromEntries(
        ['[CLS]', '[SEP]'].map((t) => [t, { id: t, ids: [ids[t]], tokens: [t] }]),
      ),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: ids,
    },
  };
}

/** The BERT tokenizer settings transformers.js needs beside tokenizer.json. */
export function bertTokenizerConfig(maxLength = 512): object {
  return {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    model_max_length: maxLength,
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    mask_token: '[MASK]',
    strip_accents: null,
    tokenize_chinese_chars: true,
  };
}

function int64Input(name: string) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.INT64,
        shape: { dim: [{ dimParam: 'batch_size' }, { dimParam: 'sequence_length' }] },
      },
    },
  });
}

/** A Gather-only ONNX graph: last_hidden_state = embeddings[input_ids]. */
export function gatherModelBytes(matrix: Float32Array, vocabSize: number, dims: number): Uint8Array {
  const graph = onnx.GraphProto.create({
    name: OFFLINE_MODEL_NAME,
    node: [
      onnx.NodeProto.create({
        opType: 'Gather',
        input: ['embeddings', 'input_ids'],
        output: ['last_hidden_state'],
        attribute: [onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 })],
      }),
    ],
    initializer: [
      onnx.TensorProto.create({
        name: 'embeddings',
        dims: [vocabSize, dims],
        dataType: onnx.TensorProto.DataType.FLOAT,
        rawData: new Uint8Array(matrix.buffer, matrix.byteOffset, matrix.byteLength),
      }),
    ],
    // The graph only reads input_ids; the other two are declared because BERT callers send them.
    input: [int64Input('input_ids'), int64Input('attention_mask'), int64Input('token_type_ids')],
    output: [
      onnx.ValueInfoProto.create({
        name: 'last_hidden_state',
        type: {
          tensorType: {
            elemType: onnx.TensorProto.DataType.FLOAT,
            shape: { dim: [{ dimParam: 'batch_size' }, { dimParam: 'sequence_length' }, { dimValue: dims }] },
          },
        },
      }),
    ],
  });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'abstracts-chat',
    opsetImport: [{ domain: '', version: 13 }],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

/**
 * Writes the offline model under `modelsDir/abstracts-offline-v1/` unless it is already there,
 * and returns that directory.
 *
 * @example const dir = await ensureOfflineModel('./data/models');
 */
export async function ensureOfflineModel(modelsDir: string): Promise<string> {
  const target = path.join(modelsDir, OFFLINE_MODEL_NAME);
  const marker = path.join(target, 'onnx', 'model.onnx');
  if (existsSync(marker) && existsSync(path.join(target, 'tokenizer.json'))) return target;

  const vocab = offlineVocabulary();
  const matrix = offlineEmbeddingMatrix(vocab);
  await writeModelFolder(target, {
    config: {
      model_type: 'bert',
      architectures: ['BertModel'],
      hidden_size: OFFLINE_MODEL_DIMS,
      vocab_size: vocab.length,
      max_position_embeddings: 512,
      abstracts_chat_offline_model: true,
    },
    tokenizer: wordPieceTokenizerJson(vocab),
    tokenizerConfig: bertTokenizerConfig(),
    onnx: gatherModelBytes(matrix, vocab.length, OFFLINE_MODEL_DIMS),
  });
  return target;
}

/**
 * Writes a model folder in the transformers.js layout (config.json, tokenizer.json,
 * tokenizer_config.json, onnx/model.onnx): to a temporary folder first, then renamed into place, so
 * a half-written model is never loaded.
 */
export async function writeModelFolder(
  target: string,
  files: { config: object; tokenizer: object; tokenizerConfig: object; onnx: Uint8Array; otherOnnx?: Record<string, Uint8Array> },
): Promise<void> {
  const tmp = `${target}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(path.join(tmp, 'onnx'), { recursive: true });
  await writeFile(path.join(tmp, 'config.json'), JSON.stringify(files.config));
  await writeFile(path.join(tmp, 'tokenizer.json'), JSON.stringify(files.tokenizer));
  await writeFile(path.join(tmp, 'tokenizer_config.json'), JSON.stringify(files.tokenizerConfig));
  await writeFile(path.join(tmp, 'onnx', 'model.onnx'), files.onnx);
  for (const [name, bytes] of Object.entries(files.otherOnnx ?? {})) await writeFile(path.join(tmp, 'onnx', name), bytes);
  const complete = () => existsSync(path.join(target, 'onnx', 'model.onnx')) && existsSync(path.join(target, 'config.json'));
  // Another process (a second ingest, the server beside npm run mcp) may write the same model at the
  // same time: a complete model is never removed, since that process may be loading it. Renaming
  // onto an existing folder fails, so the first rename wins and the others discard theirs.
  try {
    await rename(tmp, target);
  } catch (error) {
    if (complete()) {
      await rm(tmp, { recursive: true, force: true });
      return;
    }
    // A leftover without its files (written by an older version): replace it.
    await rm(target, { recursive: true, force: true });
    await rename(tmp, target).catch(async (again) => {
      await rm(tmp, { recursive: true, force: true });
      if (!complete()) throw again ?? error;
    });
  }
}

/** True when a model directory holds the project's offline model. */
export async function isOfflineModelDir(dir: string): Promise<boolean> {
  try {
    const config = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8'));
    return config.abstracts_chat_offline_model === true;
  } catch {
    return false;
  }
}
