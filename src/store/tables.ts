// One binary file of named typed arrays behind a small JSON header, so an index opens with a
// single sequential read and no re-parsing: the arrays are views over the bytes just read.
// Layout: "ABT1", u32 header length, the header (JSON: what the caller stored, plus each array's
// type, offset and length), zero padding to 8 bytes, then the arrays, each 8-byte aligned.
import { readFile, writeFile } from 'node:fs/promises';

type ArrayKind = 'Int32Array' | 'Int16Array' | 'Uint32Array' | 'Uint16Array' | 'Uint8Array' | 'Float32Array';
export type Table = Int32Array | Int16Array | Uint32Array | Uint16Array | Uint8Array | Float32Array;
const CONSTRUCTORS = { Int32Array, Int16Array, Uint32Array, Uint16Array, Uint8Array, Float32Array } as const;
const MAGIC = 'ABT1';
const align8 = (n: number) => (n + 7) & ~7;

interface Header<M> {
  meta: M;
  arrays: Record<string, { kind: ArrayKind; offset: number; length: number }>;
}

export async function writeTables<M>(file: string, meta: M, arrays: Record<string, Table>): Promise<void> {
  const layout: Header<M>['arrays'] = {};
  let offset = 0;
  for (const [name, a] of Object.entries(arrays)) {
    layout[name] = { kind: a.constructor.name as ArrayKind, offset, length: a.length };
    offset = align8(offset + a.byteLength);
  }
  const header = Buffer.from(JSON.stringify({ meta, arrays: layout } satisfies Header<M>));
  const start = align8(8 + header.length);
  const out = Buffer.alloc(start + offset);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(header.length, 4);
  header.copy(out, 8);
  for (const [name, a] of Object.entries(arrays)) Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(out, start + layout[name].offset);
  await writeFile(file, out);
}

export async function readTables<M>(file: string): Promise<{ meta: M; arrays: Record<string, Table> }> {
  const bytes = await readFile(file);
  if (bytes.toString('latin1', 0, 4) !== MAGIC) throw new Error(`${file} is not a table file`);
  const headerLength = bytes.readUInt32LE(4);
  const header = JSON.parse(bytes.toString('utf8', 8, 8 + headerLength)) as Header<M>;
  // Typed-array views need aligned offsets; a fresh read is aligned, a pooled small one may not be.
  const buffer: Uint8Array = bytes.byteOffset % 8 === 0 ? bytes : new Uint8Array(bytes);
  const start = buffer.byteOffset + align8(8 + headerLength);
  const arrays: Record<string, Table> = {};
  for (const [name, { kind, offset, length }] of Object.entries(header.arrays)) arrays[name] = new CONSTRUCTORS[kind](buffer.buffer as ArrayBuffer, start + offset, length);
  return { meta: header.meta, arrays };
}
