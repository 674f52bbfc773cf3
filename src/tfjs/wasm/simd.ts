// A (batched) matmul as a WebAssembly SIMD module that works in tfjs' own wasm
// heap (it imports the backend's memory, so no copies).
//
// tfjs' wasm backend sends a batched product either to XNNPACK one item at a
// time — which packs B and builds an operator per call, more work than the
// product itself when an item is attention's 64×16 @ 16×64 — or, under 8192
// multiply-adds an item, to a scalar loop (~4 GFLOP/s; MoT's [cells, G, E] @
// [cells, E, d] lands there); even its single 2-D products reach ~30 GFLOP/s.
// This kernel runs the whole batch in one call at 40–55 GFLOP/s on one core: a
// 4-row × 8-column register block (8 f32x4 accumulators; each B row loaded once
// for the 4 rows, each A element splatted once for 2 vectors), with 1-row and
// 4-column blocks for the edges.
//
// The module is assembled here from its opcodes (the binary format is small and
// stable), so there is no build step and no generated file.

/**
 * `bmm(a, b, c, batch, m, k, n, aStride, bStride, cStride, aRowStep, aInnerStep)`:
 * C[m, n] = A[m, k] @ B[k, n] for each of `batch` items, in bytes: a, b, c the
 * first item's offsets and aStride, bStride, cStride from one item to the next
 * (bStride 0: B shared). B and C are row-major; A's element [i, q] is at
 * i·aRowStep + q·aInnerStep, so a stored Aᵀ ([k, m]) needs no transpose: it is
 * (4, 4m) where a plain A is (4k, 4).
 */
export type BatchedMatMul = (
  a: number, b: number, c: number, batch: number, m: number, k: number, n: number,
  aStride: number, bStride: number, cStride: number, aRowStep: number, aInnerStep: number,
) => void;

// Opcodes (WebAssembly core 2.0 and its fixed-width SIMD proposal, both in Node ≥ 16).
const OP = {
  block: 0x02, loop: 0x03, if: 0x04, end: 0x0b, br: 0x0c, brIf: 0x0d, void: 0x40,
  localGet: 0x20, localSet: 0x21, localTee: 0x22,
  i32Const: 0x41, i32Eqz: 0x45, i32Ne: 0x47, i32LeS: 0x4c,
  i32Add: 0x6a, i32Sub: 0x6b, i32Mul: 0x6c,
  simd: 0xfd,
} as const;
const SIMD = { load: 0x00, load32Splat: 0x09, store: 0x0b, const: 0x0c, f32x4Add: 0xe4, f32x4Mul: 0xe6 } as const;
const I32 = 0x7f;
const V128 = 0x7b;

function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

function sleb(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

const name = (text: string) => [...uleb(text.length), ...Buffer.from(text, "utf8")];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const vector = (items: number[][]) => [...uleb(items.length), ...items.flat()];

/** The function body, written with a few structured-control helpers. */
class Body {
  readonly code: number[] = [];
  private nextLocal: number;
  readonly locals: number[] = [];

  constructor(params: number) {
    this.nextLocal = params;
  }

  local(type: number): number {
    this.locals.push(type);
    return this.nextLocal++;
  }

  emit(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }

  get(index: number): this {
    return this.emit(OP.localGet, ...uleb(index));
  }

  set(index: number): this {
    return this.emit(OP.localSet, ...uleb(index));
  }

  const(value: number): this {
    return this.emit(OP.i32Const, ...sleb(value));
  }

  simd(op: number, ...immediates: number[]): this {
    return this.emit(OP.simd, ...uleb(op), ...immediates);
  }

  /** `local = local + step` (step an i32 local or constant). */
  addTo(index: number, step: { local: number } | number): this {
    this.get(index);
    if (typeof step === "number") this.const(step);
    else this.get(step.local);
    return this.emit(OP.i32Add).set(index);
  }

  /** `while (cond) body`: cond leaves an i32 on the stack. */
  whileLoop(cond: () => void, body: () => void): this {
    this.emit(OP.block, OP.void, OP.loop, OP.void);
    cond();
    this.emit(OP.i32Eqz, OP.brIf, 1);
    body();
    return this.emit(OP.br, 0, OP.end, OP.end);
  }

  /** `do body while (--counter != 0)`. */
  countDown(counter: number, body: () => void): this {
    this.emit(OP.loop, OP.void);
    body();
    this.get(counter).const(1).emit(OP.i32Sub).emit(OP.localTee, ...uleb(counter)).emit(OP.brIf, 0, OP.end);
    return this;
  }
}

/** The module's bytes: one exported function `bmm`, memory imported as env.memory. */
export function batchedMatMulModule(): Uint8Array<ArrayBuffer> {
  const [a, b, c, batch, m, k, n, aStride, bStride, cStride, aRowStep, aInnerStep] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const f = new Body(12);
  const item = f.local(I32), rowA = f.local(I32), colB = f.local(I32), outC = f.local(I32);
  const i = f.local(I32), j = f.local(I32), kk = f.local(I32), pb = f.local(I32), pc = f.local(I32);
  const n4 = f.local(I32);
  const pa = [f.local(I32), f.local(I32), f.local(I32), f.local(I32)];
  const acc = Array.from({ length: 8 }, () => f.local(V128));
  const bv = [f.local(V128), f.local(V128)];
  const splat = f.local(V128);

  const zero = Array.from({ length: 16 }, () => 0);
  const memarg = (offset: number) => [2, ...uleb(offset)]; // align 2^2: tfjs' tensors are 4-byte aligned

  /** C[i..i+R, j..j+4V] = A[i..i+R, :] @ B[:, j..j+4V] for the item at rowA/colB/outC. */
  const block = (rows: number, vectors: number) => {
    for (let r = 0; r < rows * vectors; r++) f.simd(SIMD.const, ...zero).set(acc[r]);
    // pa[r] = rowA + (i + r)·aRowStep; pb = colB + j·4
    f.get(rowA).get(i).get(aRowStep).emit(OP.i32Mul).emit(OP.i32Add).set(pa[0]);
    for (let r = 1; r < rows; r++) f.get(pa[r - 1]).get(aRowStep).emit(OP.i32Add).set(pa[r]);
    f.get(colB).get(j).const(4).emit(OP.i32Mul).emit(OP.i32Add).set(pb);
    f.get(k).set(kk);
    f.countDown(kk, () => {
      for (let v = 0; v < vectors; v++) f.get(pb).simd(SIMD.load, ...memarg(16 * v)).set(bv[v]);
      for (let r = 0; r < rows; r++) {
        f.get(pa[r]).simd(SIMD.load32Splat, ...memarg(0)).set(splat); // A[i + r, kk] in every lane
        for (let v = 0; v < vectors; v++) {
          const x = acc[r * vectors + v];
          f.get(x).get(splat).get(bv[v]).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Add).set(x);
        }
        f.addTo(pa[r], { local: aInnerStep });
      }
      f.addTo(pb, { local: n4 });
    });
    // pc = outC + (i·n + j)·4, one row of C after another
    f.get(outC).get(i).get(n4).emit(OP.i32Mul).emit(OP.i32Add).get(j).const(4).emit(OP.i32Mul).emit(OP.i32Add).set(pc);
    for (let r = 0; r < rows; r++) {
      if (r > 0) f.addTo(pc, { local: n4 });
      for (let v = 0; v < vectors; v++) f.get(pc).get(acc[r * vectors + v]).simd(SIMD.store, ...memarg(16 * v));
    }
  };

  /** Every row of columns j..j+4V: blocks of 4 rows, then single rows. */
  const columns = (vectors: number) => {
    f.const(0).set(i);
    f.whileLoop(() => f.get(i).const(4).emit(OP.i32Add).get(m).emit(OP.i32LeS), () => {
      block(4, vectors);
      f.addTo(i, 4);
    });
    f.whileLoop(() => f.get(i).get(m).emit(OP.i32Ne), () => {
      block(1, vectors);
      f.addTo(i, 1);
    });
  };

  f.get(n).const(4).emit(OP.i32Mul).set(n4);
  f.get(a).set(rowA).get(b).set(colB).get(c).set(outC);
  f.get(batch).set(item);
  f.whileLoop(() => f.get(item), () => {
    f.const(0).set(j);
    f.whileLoop(() => f.get(j).const(8).emit(OP.i32Add).get(n).emit(OP.i32LeS), () => {
      columns(2);
      f.addTo(j, 8);
    });
    f.get(j).get(n).emit(OP.i32Ne).emit(OP.if, OP.void); // n % 8 == 4: one 4-column strip
    columns(1);
    f.emit(OP.end);
    f.addTo(rowA, { local: aStride }).addTo(colB, { local: bStride }).addTo(outC, { local: cStride });
    f.get(item).const(1).emit(OP.i32Sub).set(item);
  });
  f.emit(OP.end);

  // Locals are declared as runs of one type.
  const runs: number[][] = [];
  for (const type of f.locals) {
    const last = runs[runs.length - 1];
    if (last && last[1] === type) last[0]++;
    else runs.push([1, type]);
  }
  const body = [...vector(runs.map(([count, type]) => [...uleb(count), type])), ...f.code];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector([[0x60, ...vector(Array.from({ length: 12 }, () => [I32])), 0]])),
    ...section(2, vector([[...name("env"), ...name("memory"), 0x02, 0x00, 0x00]])),
    ...section(3, vector([[0]])),
    ...section(7, vector([[...name("bmm"), 0x00, 0]])),
    ...section(10, vector([[...uleb(body.length), ...body]])),
  ];
  return new Uint8Array(bytes);
}

const instances = new WeakMap<WebAssembly.Memory, BatchedMatMul | null>();

/**
 * The kernel bound to `memory`, or undefined where this engine has no wasm SIMD
 * (the caller keeps its other paths).
 */
export function batchedMatMulFor(memory: WebAssembly.Memory): BatchedMatMul | undefined {
  let kernel = instances.get(memory);
  if (kernel === undefined) {
    const bytes = batchedMatMulModule();
    kernel = WebAssembly.validate(bytes)
      ? (new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports.bmm as BatchedMatMul)
      : null;
    instances.set(memory, kernel);
  }
  return kernel ?? undefined;
}
