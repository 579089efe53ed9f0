// A BERT encoder with the compute shape of all-MiniLM-L6-v2 (6 layers, hidden 384, 12 heads,
// intermediate 1536, 512 positions) and seeded random weights, in the transformers.js layout.
// Its vectors are meaningless; it exists so the benchmarks measure what real embedding costs,
// since the real weights cannot be downloaded here. Written with onnx-proto, opset 17, twice: fp32
// (onnx/model.onnx) and int8 (onnx/model_quantized.onnx) from the same weights, the second the way
// ONNX Runtime's dynamic quantization (quantize_dynamic) writes the files transformers.js-ready
// repositories ship: each linear layer's MatMul becomes DynamicQuantizeLinear on the activations
// (uint8, one scale per tensor) → MatMulInteger against int8 weights (symmetric, one scale per
// tensor) → Cast → Mul by the two scales. Attention's activation × activation MatMuls stay fp32.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { bertTokenizerConfig, offlineVocabulary, wordPieceTokenizerJson, writeModelFolder } from '../src/embeddings/offline-model.js';
import { words } from '../src/text/terms.js';

const { onnx } = onnxProto;
const T = onnx.TensorProto.DataType;

export const MINILM_SHAPED_NAME = 'minilm-shaped-random';
export const MINILM_SHAPE = { layers: 6, hidden: 384, heads: 12, intermediate: 1536, maxPositions: 512, vocab: 30522 };

/**
 * A 30,522-token WordPiece vocabulary like BERT's: whole words from `text` (so a sentence costs about
 * as many tokens as with the real tokenizer), then letter pieces for everything else.
 */
export function minilmVocabulary(text: string): string[] {
  const base = offlineVocabulary(); // specials, punctuation, stopwords, letters, 2- and 3-letter pieces
  const specialsAndShort = base.filter((t) => t.replace(/^##/, '').length <= 2 || t.startsWith('['));
  const vocab = [...specialsAndShort];
  const seen = new Set(vocab);
  for (const w of words(text)) if (!seen.has(w) && vocab.length < MINILM_SHAPE.vocab) (seen.add(w), vocab.push(w));
  for (const t of base) if (!seen.has(t) && vocab.length < MINILM_SHAPE.vocab) (seen.add(t), vocab.push(t));
  return vocab;
}

function gaussian(seed: number): () => number {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
}

class GraphBuilder {
  readonly nodes: onnxProto.onnx.INodeProto[] = [];
  readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private counter = 0;
  // Both variants draw the same numbers in the same order, so they share their weights.
  private readonly random = gaussian(42);

  constructor(private readonly quantized: boolean) {}

  private randomWeights(n: number): Float32Array {
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = this.random() * 0.02;
    return data;
  }

  float(name: string, dims: number[], fill: 'random' | 'zeros' | 'ones' | number | Float32Array): string {
    const n = dims.reduce((a, b) => a * b, 1);
    const data = fill instanceof Float32Array ? fill : new Float32Array(n);
    if (fill === 'random') data.set(this.randomWeights(n));
    else if (fill === 'ones') data.fill(1);
    else if (typeof fill === 'number') data.fill(fill);
    this.initializers.push({ name, dims, dataType: T.FLOAT, rawData: new Uint8Array(data.buffer) });
    return name;
  }

  int64(name: string, values: number[], dims: number[] = [values.length]): string {
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push({ name, dims, dataType: T.INT64, rawData: new Uint8Array(data.buffer) });
    return name;
  }

  int8(name: string, data: Int8Array, dims: number[]): string {
    this.initializers.push({ name, dims, dataType: T.INT8, rawData: new Uint8Array(data.buffer) });
    return name;
  }

  /** A node with several outputs, named after it. */
  ops(type: string, inputs: string[], outputs: number): string[] {
    const base = `${type.toLowerCase()}_${this.counter++}`;
    const names = Array.from({ length: outputs }, (_, i) => `${base}_${i}`);
    this.nodes.push(onnx.NodeProto.create({ opType: type, input: inputs, output: names }));
    return names;
  }

  op(type: string, inputs: string[], attributes: Record<string, number | number[]> = {}, output?: string): string {
    const out = output ?? `${type.toLowerCase()}_${this.counter++}`;
    const attribute = Object.entries(attributes).map(([name, v]) =>
      Array.isArray(v)
        ? onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v })
        : Number.isInteger(v) && name !== 'epsilon'
          ? onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: v })
          : onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f: v }),
    );
    this.nodes.push(onnx.NodeProto.create({ opType: type, input: inputs, output: [out], attribute }));
    return out;
  }

  linear(x: string, name: string, inDim: number, outDim: number): string {
    const weights = this.randomWeights(inDim * outDim);
    const bias = this.float(`${name}.bias`, [outDim], 'zeros');
    if (!this.quantized) return this.op('Add', [this.op('MatMul', [x, this.float(`${name}.weight`, [inDim, outDim], weights)]), bias]);
    let max = 0;
    for (const w of weights) max = Math.max(max, Math.abs(w));
    const scale = max / 127 || 1;
    const q = Int8Array.from(weights, (w) => Math.max(-127, Math.min(127, Math.round(w / scale))));
    const [xq, xScale, xZero] = this.ops('DynamicQuantizeLinear', [x], 3);
    const product = this.op('MatMulInteger', [xq, this.int8(`${name}.weight_quantized`, q, [inDim, outDim]), xZero, this.int8(`${name}.weight_zero_point`, new Int8Array(1), [])]);
    const scales = this.op('Mul', [xScale, this.float(`${name}.weight_scale`, [], scale)]);
    return this.op('Add', [this.op('Mul', [this.op('Cast', [product], { to: T.FLOAT }), scales]), bias]);
  }

  layerNorm(x: string, name: string, dim: number): string {
    return this.op('LayerNormalization', [x, this.float(`${name}.gamma`, [dim], 'ones'), this.float(`${name}.beta`, [dim], 'zeros')], { axis: -1, epsilon: 1e-12 });
  }
}

/** The ONNX bytes of the MiniLM-shaped encoder for a vocabulary of `vocabSize` tokens, fp32 or int8 (dynamic quantization). */
export function minilmShapedModelBytes(vocabSize: number, quantized = false): Uint8Array {
  const { layers, hidden, heads, intermediate, maxPositions } = MINILM_SHAPE;
  const headDim = hidden / heads;
  const g = new GraphBuilder(quantized);

  // Embeddings: word + position + token type, then LayerNorm.
  const words = g.op('Gather', [g.float('embeddings.word', [vocabSize, hidden], 'random'), 'input_ids'], { axis: 0 });
  const seqLen = g.op('Gather', [g.op('Shape', ['input_ids']), g.int64('one_index', [1], [])], { axis: 0 });
  const positions = g.op('Range', [g.int64('zero', [0], []), seqLen, g.int64('step', [1], [])]);
  const pos = g.op('Gather', [g.float('embeddings.position', [maxPositions, hidden], 'random'), positions], { axis: 0 });
  const types = g.op('Gather', [g.float('embeddings.token_type', [2, hidden], 'random'), 'token_type_ids'], { axis: 0 });
  let x = g.layerNorm(g.op('Add', [g.op('Add', [words, pos]), types]), 'embeddings.norm', hidden);

  // Additive attention mask: 0 where attended, -10000 where padded; shape [B, 1, 1, S].
  const mask = g.op('Unsqueeze', [g.op('Cast', ['attention_mask'], { to: T.FLOAT }), g.int64('mask_axes', [1, 2])]);
  const maskBias = g.op('Mul', [g.op('Sub', [g.float('one_f', [], 'ones'), mask]), g.float('neg_big', [], -10000)]);
  const splitHeads = g.int64('split_heads', [0, 0, heads, headDim]);
  const mergeHeads = g.int64('merge_heads', [0, 0, hidden]);
  const scale = g.float('attention_scale', [], 1 / Math.sqrt(headDim));
  const half = g.float('half', [], 0.5);
  const sqrt2 = g.float('sqrt2', [], Math.SQRT2);
  const oneF = 'one_f';

  for (let l = 0; l < layers; l++) {
    const p = `layer${l}`;
    const heads4 = (t: string, perm: number[]) => g.op('Transpose', [g.op('Reshape', [t, splitHeads])], { perm });
    const q = heads4(g.linear(x, `${p}.q`, hidden, hidden), [0, 2, 1, 3]);
    const k = heads4(g.linear(x, `${p}.k`, hidden, hidden), [0, 2, 3, 1]);
    const v = heads4(g.linear(x, `${p}.v`, hidden, hidden), [0, 2, 1, 3]);
    const scores = g.op('Softmax', [g.op('Add', [g.op('Mul', [g.op('MatMul', [q, k]), scale]), maskBias])], { axis: -1 });
    const context = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [scores, v])], { perm: [0, 2, 1, 3] }), mergeHeads]);
    x = g.layerNorm(g.op('Add', [g.linear(context, `${p}.attn_out`, hidden, hidden), x]), `${p}.attn_norm`, hidden);
    const h = g.linear(x, `${p}.ffn_in`, hidden, intermediate);
    const gelu = g.op('Mul', [g.op('Mul', [h, half]), g.op('Add', [oneF, g.op('Erf', [g.op('Div', [h, sqrt2])])])]);
    x = g.layerNorm(g.op('Add', [g.linear(gelu, `${p}.ffn_out`, intermediate, hidden), x]), `${p}.ffn_norm`, hidden);
  }
  g.op('Identity', [x], {}, 'last_hidden_state');

  const int64Input = (name: string) =>
    onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: T.INT64, shape: { dim: [{ dimParam: 'batch_size' }, { dimParam: 'sequence_length' }] } } } });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'abstracts-chat-bench',
    opsetImport: [{ domain: '', version: 17 }],
    graph: onnx.GraphProto.create({
      name: MINILM_SHAPED_NAME,
      node: g.nodes,
      initializer: g.initializers,
      input: [int64Input('input_ids'), int64Input('attention_mask'), int64Input('token_type_ids')],
      output: [
        onnx.ValueInfoProto.create({
          name: 'last_hidden_state',
          type: { tensorType: { elemType: T.FLOAT, shape: { dim: [{ dimParam: 'batch_size' }, { dimParam: 'sequence_length' }, { dimValue: hidden }] } } },
        }),
      ],
    }),
  });
  return onnx.ModelProto.encode(model).finish();
}

/**
 * Writes the model under `modelsDir/minilm-shaped-random/` (once) and returns that directory.
 * @example const dir = await ensureMinilmShapedModel('bench/results/models', corpusText);
 */
export async function ensureMinilmShapedModel(modelsDir: string, vocabularyText: string): Promise<string> {
  const target = path.join(modelsDir, MINILM_SHAPED_NAME);
  if (existsSync(path.join(target, 'onnx', 'model_quantized.onnx'))) return target;
  await rm(target, { recursive: true, force: true }); // one written before the int8 variant existed
  const vocab = minilmVocabulary(vocabularyText);
  const { layers, hidden, heads, intermediate, maxPositions } = MINILM_SHAPE;
  await writeModelFolder(target, {
    config: {
      model_type: 'bert',
      architectures: ['BertModel'],
      hidden_size: hidden,
      num_hidden_layers: layers,
      num_attention_heads: heads,
      intermediate_size: intermediate,
      max_position_embeddings: maxPositions,
      vocab_size: vocab.length,
      note: 'random weights with the compute shape of all-MiniLM-L6-v2: for speed measurements only, its vectors are meaningless',
    },
    tokenizer: wordPieceTokenizerJson(vocab, 512),
    tokenizerConfig: bertTokenizerConfig(512),
    onnx: minilmShapedModelBytes(vocab.length),
    otherOnnx: { 'model_quantized.onnx': minilmShapedModelBytes(vocab.length, true) },
  });
  return target;
}
