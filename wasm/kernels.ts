/**
 * dynopool's native CPU kernels: a register-tiled float32 GEMM in WebAssembly SIMD, and the
 * convolution kernels built on it (im2col packed straight from the image); after them, the
 * elementwise kernels (binary with broadcasting, unary, where), batch normalisation and max
 * pooling, each equal to the reference's float32 results. AssemblyScript,
 * compiled by `npm run build:wasm` (scripts/build-wasm.js) into src/backends/wasm/kernels.wasm.
 *
 * Every pointer is a byte address in the one (shared) linear memory, which the JavaScript side
 * (src/backends/wasm/runtime.ts) owns: it copies the operands in, gives each thread its own
 * scratch area of scratchBytes() bytes, and copies the result out. Nothing here allocates.
 *
 * ## The GEMM: C[M, N] (+)= A[M, K] . B[K, N]
 *
 * The loop nest is the one of BLIS / XNNPACK / GotoBLAS. The operands are cut into blocks that
 * fit the caches, each block is copied ("packed") into the order in which the micro-kernel
 * reads it, and the micro-kernel computes one MR x NR tile of C with its accumulators in
 * registers:
 *
 *     for jc in N step NC              (a column block of C and B)
 *       for pc in K step KC            (a slice of the shared dimension)
 *         pack B[pc:pc+KC, jc:jc+NC]   -> bpack: NC/NR panels of KC x NR      (L2)
 *         for ic in M step MC
 *           pack A[ic:ic+MC, pc:pc+KC] -> apack: MC/MR panels of MR x KC      (L2)
 *           for jr in NC step NR         one B panel, KC x NR = 8 KiB         (L1)
 *             for ir in MC step MR       one A panel, MR x KC = 4 KiB         (L1)
 *               micro-kernel: C[ir:ir+MR, jr:jr+NR] (+)= Apanel . Bpanel
 *
 * Packed layouts (k runs down, one line is what one step of k reads):
 *
 *     apack panel (MR = 4 rows of A)      bpack panel (NR = 8 columns of B)
 *     k=0: a00 a10 a20 a30                 k=0: b00 b01 b02 b03 | b04 b05 b06 b07
 *     k=1: a01 a11 a21 a31                 k=1: b10 b11 b12 b13 | b14 b15 b16 b17
 *     ...                                  ...   (two v128 loads per step)
 *
 * The micro-kernel (micro4x8) keeps the 4 x 8 tile of C in eight f32x4 registers:
 *
 *                  B row k:  [ b0 b1 b2 b3 ][ b4 b5 b6 b7 ]
 *       splat(a0k) x          c00 += a*b0   c01 += a*b1
 *       splat(a1k) x          c10 += ...    c11 += ...
 *       splat(a2k) x          c20           c21
 *       splat(a3k) x          c30           c31
 *
 * so every step of k is 2 vector loads of B, 4 load-and-splats of A, 8 multiplies and 8 adds
 * (baseline wasm SIMD has no fused multiply-add): 32 multiply-adds for 14 instructions, with
 * 8 + 2 + 1 registers live, inside the 16 of x86-64 and arm64.
 *
 * Edges: a pack pads a short panel (fewer than MR rows or NR columns) with zeros, so the
 * micro-kernel always computes a full tile; a tile that sticks out of C is computed into a
 * scratch tile and only its valid part is copied (added) to C. K needs no padding.
 *
 * Float semantics: float32 multiplies and adds, accumulated over one KC slice in registers,
 * then added to C. Zeros in the packs (the padding of a convolution's im2col) are multiplied
 * like any value, so an infinite weight at a padded tap gives NaN, as in PyTorch and the
 * reference.
 */

// ---- tiling parameters --------------------------------------------------------------------

/** Rows of C per micro-kernel tile (one f32 splat each). */
const MR: i32 = 4;
/** Columns of C per micro-kernel tile (two f32x4). */
const NR: i32 = 8;
/** The slice of K packed at a time: an A panel (MR x KC) and a B panel (KC x NR) stay in L1. */
const KC: i32 = 256;
/** Rows of A packed at a time (MC x KC floats = 128 KiB, in L2). A multiple of MR. */
const MC: i32 = 128;
/** Columns of B packed at a time (KC x NC floats = 512 KiB, in L2). A multiple of NR. */
const NC: i32 = 512;

/** A row or column index that is never inside an image (marks padded columns of a pack). */
const OUTSIDE: i32 = -(1 << 28);

// scratch area of one thread, in bytes from its start
const APACK: usize = 0;
const BPACK: usize = APACK + <usize>(MC * KC * 4);
const TILE: usize = BPACK + <usize>(KC * NC * 4);
const IDX: usize = TILE + <usize>(MR * NR * 4);
const SCRATCH: usize = IDX + <usize>(4 * NR * 4);

/** The bytes of scratch each thread needs (the JavaScript side allocates them). */
export function scratchBytes(): i32 {
  return <i32>SCRATCH;
}

/** The first byte that the JavaScript side may use (after this module's static data). */
export function heapBase(): i32 {
  return <i32>__heap_base;
}

export function tileMR(): i32 {
  return MR;
}
export function tileNR(): i32 {
  return NR;
}

// ---- where A and B come from -------------------------------------------------------------
//
// A(i, k) lives at aPtr + 4 * (i * aRS + (k / aKP) * aKS + (k % aKP) * aCS): a strided matrix
// (aKP = K), or, for the weight gradient, dy seen as [OC, N * P] (k = n * P + p).
//
// B(k, j) comes from one of three sources (bKind):
//   B_STRIDED  a strided matrix: bPtr + 4 * (k * bRS + j * bCS)
//   B_IM2COL   the im2col matrix of one image, [Cg * KH * KW, OH * OW]: k is a tap (c, kh, kw),
//              j an output pixel (oh, ow); the value is x[c, oh*SH - PH + kh*DH, ow*SW - PW +
//              kw*DW], or 0 in the padding
//   B_IM2COLT  its transpose over the whole batch, [N * OH * OW, Cg * KH * KW]: k = (n, pixel),
//              j = tap (the weight gradient's right operand)

const B_STRIDED: i32 = 0;
const B_IM2COL: i32 = 1;
const B_IM2COLT: i32 = 2;

let aPtr: usize = 0;
let aRS: i32 = 0;
let aCS: i32 = 0;
let aKP: i32 = 0;
let aKS: i32 = 0;

let bKind: i32 = 0;
let bPtr: usize = 0;
let bRS: i32 = 0;
let bCS: i32 = 0;

// convolution geometry (for the im2col sources), read from a geometry record by each entry
let gN: i32 = 0;
let gC: i32 = 0;
let gH: i32 = 0;
let gW: i32 = 0;
let gOC: i32 = 0;
let gKH: i32 = 0;
let gKW: i32 = 0;
let gOH: i32 = 0;
let gOW: i32 = 0;
let gSH: i32 = 0;
let gSW: i32 = 0;
let gPH: i32 = 0;
let gPW: i32 = 0;
let gDH: i32 = 0;
let gDW: i32 = 0;
let gG: i32 = 0;
/**
 * B_IM2COL over the whole batch: column j is the pixel j % P of image j / P (bPtr is image 0),
 * so one GEMM computes every image's output (used when the images have few output pixels).
 */
let gBatch: bool = false;

/** Reads the geometry record [N, C, H, W, OC, KH, KW, OH, OW, SH, SW, PH, PW, DH, DW, groups]. */
function readGeometry(geo: usize): void {
  gN = load<i32>(geo, 0);
  gC = load<i32>(geo, 4);
  gH = load<i32>(geo, 8);
  gW = load<i32>(geo, 12);
  gOC = load<i32>(geo, 16);
  gKH = load<i32>(geo, 20);
  gKW = load<i32>(geo, 24);
  gOH = load<i32>(geo, 28);
  gOW = load<i32>(geo, 32);
  gSH = load<i32>(geo, 36);
  gSW = load<i32>(geo, 40);
  gPH = load<i32>(geo, 44);
  gPW = load<i32>(geo, 48);
  gDH = load<i32>(geo, 52);
  gDW = load<i32>(geo, 56);
  gG = load<i32>(geo, 60);
}

/** x[ih, iw] of the plane at `plane` (a byte address), or 0 outside the image. */
// @ts-ignore: decorator
@inline
function pixel(plane: usize, ih: i32, iw: i32): f32 {
  return <u32>ih < <u32>gH && <u32>iw < <u32>gW ? load<f32>(plane + (<usize>(ih * gW + iw) << 2)) : 0;
}

// ---- packing ----------------------------------------------------------------------------

/**
 * Packs A[i0 : i0 + mc, k0 : k0 + kc] into MR-row panels (rows past mc are zeros). Where A's
 * rows are contiguous in k (aCS = 1: the weights, dy of the weight gradient), four steps of k
 * of a full panel are one 4 x 4 transpose of vectors.
 */
function packA(i0: i32, mc: i32, k0: i32, kc: i32, dst: usize): void {
  const rowBytes = <usize>aRS << 2;
  for (let ip = 0; ip < mc; ip += MR) {
    const mr = min(MR, mc - ip);
    let d = dst + (<usize>(ip * kc) << 2);
    // k as (block, offset) = (k / aKP, k % aKP), stepped without dividing in the loop
    let kb = k0 / aKP,
      ko = k0 % aKP;
    let k = 0;
    while (k < kc) {
      const col = aPtr + (<usize>(kb * aKS + ko * aCS + (i0 + ip) * aRS) << 2);
      if (mr == MR && aCS == 1 && ko + 4 <= aKP && k + 4 <= kc) {
        const r0 = v128.load(col),
          r1 = v128.load(col + rowBytes),
          r2 = v128.load(col + 2 * rowBytes),
          r3 = v128.load(col + 3 * rowBytes);
        transpose4(r0, r1, r2, r3, d, MR * 4);
        d += <usize>(4 * MR * 4);
        k += 4;
        ko += 4;
      } else {
        for (let i = 0; i < MR; i++) {
          store<f32>(d + (<usize>i << 2), i < mr ? load<f32>(col + (<usize>(i * aRS) << 2)) : 0);
        }
        d += <usize>(MR * 4);
        k++;
        ko++;
      }
      if (ko == aKP) {
        ko = 0;
        kb++;
      }
    }
  }
}

/** Packs B[k0 : k0 + kc, j0 : j0 + nc] into NR-column panels (columns past nc are zeros). */
function packB(k0: i32, kc: i32, j0: i32, nc: i32, dst: usize, idx: usize): void {
  for (let jp = 0; jp < nc; jp += NR) {
    const nr = min(NR, nc - jp);
    const d = dst + (<usize>(jp * kc) << 2);
    if (bKind == B_STRIDED) packBStrided(k0, kc, j0 + jp, nr, d);
    else if (bKind == B_IM2COL) packBIm2col(k0, kc, j0 + jp, nr, d, idx);
    else packBIm2colT(k0, kc, j0 + jp, nr, d, idx);
  }
}

function packBStrided(k0: i32, kc: i32, j0: i32, nr: i32, d: usize): void {
  if (nr == NR && bCS == 1) {
    // a full panel of a row-major B: two vector copies per row
    let s = bPtr + (<usize>(k0 * bRS + j0) << 2);
    const step = <usize>bRS << 2;
    for (let k = 0; k < kc; k++) {
      v128.store(d, v128.load(s));
      v128.store(d, v128.load(s, 16), 16);
      s += step;
      d += <usize>(NR * 4);
    }
    return;
  }
  for (let k = 0; k < kc; k++) {
    const row = bPtr + (<usize>((k0 + k) * bRS + j0 * bCS) << 2);
    for (let j = 0; j < NR; j++) {
      store<f32>(d + (<usize>j << 2), j < nr ? load<f32>(row + (<usize>(j * bCS) << 2)) : 0);
    }
    d += <usize>(NR * 4);
  }
}

/**
 * One im2col panel: columns are the output pixels j0 .. j0 + nr of the image at bPtr, rows the
 * taps k0 .. k0 + kc. The panel's pixel origins (ih, iw of tap 0) are worked out once into idx.
 */
function packBIm2col(k0: i32, kc: i32, j0: i32, nr: i32, d: usize, idx: usize): void {
  const P = gOH * gOW;
  const columns = gBatch ? gN * P : P;
  const imageBytes = <u32>(gC * gH * gW) << 2;
  for (let j = 0; j < NR; j++) {
    const q = j0 + j;
    const inPanel = j < nr && q < columns;
    const p = q % P;
    const oh = p / gOW,
      ow = p % gOW;
    store<i32>(idx + (<usize>j << 2), inPanel ? oh * gSH - gPH : OUTSIDE);
    store<i32>(idx + (<usize>(NR + j) << 2), inPanel ? ow * gSW - gPW : OUTSIDE);
    // the byte offset of the column's image (0 outside the batch mode)
    store<u32>(idx + (<usize>(2 * NR + j) << 2), inPanel ? <u32>(q / P) * imageBytes : 0);
  }
  // a full panel along one output row of one image with stride 1 reads 8 consecutive values
  const oneRow =
    nr == NR &&
    gSW == 1 &&
    load<i32>(idx) == load<i32>(idx, (NR - 1) * 4) &&
    load<i32>(idx, 2 * NR * 4) == load<i32>(idx, (3 * NR - 1) * 4);
  const taps = gKH * gKW;
  const planeBytes = <usize>(gH * gW) << 2;
  let c = k0 / taps,
    r = k0 % taps;
  let kh = r / gKW,
    kw = r % gKW;
  for (let k = 0; k < kc; k++) {
    const plane = bPtr + <usize>c * planeBytes;
    const dh = kh * gDH,
      dw = kw * gDW;
    if (oneRow) {
      const ih = load<i32>(idx) + dh;
      const iw = load<i32>(idx, NR * 4) + dw;
      const image = plane + <usize>load<u32>(idx, 2 * NR * 4);
      if (<u32>ih >= <u32>gH) {
        v128.store(d, f32x4.splat(0));
        v128.store(d, f32x4.splat(0), 16);
      } else if (iw >= 0 && iw + NR <= gW) {
        const s = image + (<usize>(ih * gW + iw) << 2);
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
      } else {
        for (let j = 0; j < NR; j++) store<f32>(d + (<usize>j << 2), pixel(image, ih, iw + j));
      }
    } else {
      for (let j = 0; j < NR; j++) {
        const ih = load<i32>(idx + (<usize>j << 2)) + dh;
        const iw = load<i32>(idx + (<usize>(NR + j) << 2)) + dw;
        const image = plane + <usize>load<u32>(idx + (<usize>(2 * NR + j) << 2));
        store<f32>(d + (<usize>j << 2), pixel(image, ih, iw));
      }
    }
    d += <usize>(NR * 4);
    if (++kw == gKW) {
      kw = 0;
      if (++kh == gKH) {
        kh = 0;
        c++;
      }
    }
  }
}

/**
 * One panel of the batch's transposed im2col: columns are the taps j0 .. j0 + nr (channel
 * offset and kernel offsets worked out once into idx), rows the (image, pixel) pairs k0 .. k0+kc.
 */
function packBIm2colT(k0: i32, kc: i32, j0: i32, nr: i32, d: usize, idx: usize): void {
  const taps = gKH * gKW;
  const T = (gC / gG) * taps;
  for (let j = 0; j < NR; j++) {
    const t = j0 + j;
    const inPanel = j < nr && t < T;
    const c = t / taps,
      r = t % taps;
    store<i32>(idx + (<usize>j << 2), inPanel ? c * gH * gW : 0);
    store<i32>(idx + (<usize>(NR + j) << 2), inPanel ? (r / gKW) * gDH : OUTSIDE);
    store<i32>(idx + (<usize>(2 * NR + j) << 2), inPanel ? (r % gKW) * gDW : OUTSIDE);
  }
  const P = gOH * gOW;
  const imageBytes = <usize>(gC * gH * gW) << 2;
  let n = k0 / P,
    p = k0 % P;
  let oh = p / gOW,
    ow = p % gOW;
  let k = 0;
  while (k < kc) {
    const image = bPtr + <usize>n * imageBytes;
    const ih0 = oh * gSH - gPH,
      iw0 = ow * gSW - gPW;
    if (gSW == 1 && ow + 4 <= gOW && k + 4 <= kc) {
      // four pixels along an output row: each tap reads 4 consecutive input values (one vector
      // where they are inside the image), and two 4 x 4 transposes make them 4 rows of the panel
      const v0 = tapRun(image, ih0, iw0, idx, 0),
        v1 = tapRun(image, ih0, iw0, idx, 1),
        v2 = tapRun(image, ih0, iw0, idx, 2),
        v3 = tapRun(image, ih0, iw0, idx, 3),
        v4 = tapRun(image, ih0, iw0, idx, 4),
        v5 = tapRun(image, ih0, iw0, idx, 5),
        v6 = tapRun(image, ih0, iw0, idx, 6),
        v7 = tapRun(image, ih0, iw0, idx, 7);
      transpose4(v0, v1, v2, v3, d, NR * 4);
      transpose4(v4, v5, v6, v7, d + 16, NR * 4);
      d += <usize>(4 * NR * 4);
      k += 4;
      ow += 4;
    } else {
      for (let j = 0; j < NR; j++) {
        const ih = ih0 + load<i32>(idx + (<usize>(NR + j) << 2));
        const iw = iw0 + load<i32>(idx + (<usize>(2 * NR + j) << 2));
        const plane = image + (<usize>load<i32>(idx + (<usize>j << 2)) << 2);
        store<f32>(d + (<usize>j << 2), pixel(plane, ih, iw));
      }
      d += <usize>(NR * 4);
      k++;
      ow++;
    }
    if (ow == gOW) {
      ow = 0;
      if (++oh == gOH) {
        oh = 0;
        n++;
      }
    }
  }
}

/**
 * The values of tap j (idx as packBIm2colT sets it) at 4 consecutive output pixels of a row
 * whose first reads (ih0, iw0) + the tap's offsets, with stride 1: x[ih, iw .. iw + 3] or 0
 * outside the image.
 */
// @ts-ignore: decorator
@inline
function tapRun(image: usize, ih0: i32, iw0: i32, idx: usize, j: i32): v128 {
  const ih = ih0 + load<i32>(idx + (<usize>(NR + j) << 2));
  const iw = iw0 + load<i32>(idx + (<usize>(2 * NR + j) << 2));
  if (<u32>ih >= <u32>gH) return f32x4.splat(0);
  const plane = image + (<usize>load<i32>(idx + (<usize>j << 2)) << 2);
  if (iw >= 0 && iw + 4 <= gW) return v128.load(plane + (<usize>(ih * gW + iw) << 2));
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, pixel(plane, ih, iw));
  v = f32x4.replace_lane(v, 1, pixel(plane, ih, iw + 1));
  v = f32x4.replace_lane(v, 2, pixel(plane, ih, iw + 2));
  v = f32x4.replace_lane(v, 3, pixel(plane, ih, iw + 3));
  return v;
}

/** Stores the transpose of the 4 x 4 matrix with rows r0 .. r3: its row t at d + t * stride. */
// @ts-ignore: decorator
@inline
function transpose4(r0: v128, r1: v128, r2: v128, r3: v128, d: usize, stride: usize): void {
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5),
    t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5),
    t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7),
    t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(d, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
  v128.store(d + stride, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
  v128.store(d + 2 * stride, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
  v128.store(d + 3 * stride, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
}

const roundUp = (n: i32, to: i32): i32 => ((n + to - 1) / to) * to;

/**
 * Packs all of A (M x K, from the current source) at dst, KC slice after KC slice, each slice
 * MR-row panels over all of M (zero-padded to a multiple of MR): the layout gemm reads with
 * `apre`. Its size: roundUp(M, MR) * K floats.
 */
function packWhole(M: i32, K: i32, dst: usize): void {
  const Mp = roundUp(M, MR);
  for (let pc = 0; pc < K; pc += KC) packA(0, M, pc, min(KC, K - pc), dst + (<usize>(pc * Mp) << 2));
}

// ---- the micro-kernel -------------------------------------------------------------------

/**
 * C[0:4, 0:8] (+)= A panel . B panel over kc steps; C rows are ldc bytes apart. `add`: C holds
 * earlier partial sums to add to (else it is overwritten).
 */
// @ts-ignore: decorator
@inline
function micro4x8(kc: i32, a: usize, b: usize, c: usize, ldc: usize, add: bool): void {
  let c00 = f32x4.splat(0),
    c01 = c00,
    c10 = c00,
    c11 = c00,
    c20 = c00,
    c21 = c00,
    c30 = c00,
    c31 = c00;
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let av = v128.load32_splat(a);
    c00 = f32x4.add(c00, f32x4.mul(av, b0));
    c01 = f32x4.add(c01, f32x4.mul(av, b1));
    av = v128.load32_splat(a, 4);
    c10 = f32x4.add(c10, f32x4.mul(av, b0));
    c11 = f32x4.add(c11, f32x4.mul(av, b1));
    av = v128.load32_splat(a, 8);
    c20 = f32x4.add(c20, f32x4.mul(av, b0));
    c21 = f32x4.add(c21, f32x4.mul(av, b1));
    av = v128.load32_splat(a, 12);
    c30 = f32x4.add(c30, f32x4.mul(av, b0));
    c31 = f32x4.add(c31, f32x4.mul(av, b1));
    a += 16;
    b += 32;
  }
  if (add) {
    c00 = f32x4.add(v128.load(c), c00);
    c01 = f32x4.add(v128.load(c, 16), c01);
    c10 = f32x4.add(v128.load(c + ldc), c10);
    c11 = f32x4.add(v128.load(c + ldc, 16), c11);
    c20 = f32x4.add(v128.load(c + 2 * ldc), c20);
    c21 = f32x4.add(v128.load(c + 2 * ldc, 16), c21);
    c30 = f32x4.add(v128.load(c + 3 * ldc), c30);
    c31 = f32x4.add(v128.load(c + 3 * ldc, 16), c31);
  }
  v128.store(c, c00);
  v128.store(c, c01, 16);
  v128.store(c + ldc, c10);
  v128.store(c + ldc, c11, 16);
  v128.store(c + 2 * ldc, c20);
  v128.store(c + 2 * ldc, c21, 16);
  v128.store(c + 3 * ldc, c30);
  v128.store(c + 3 * ldc, c31, 16);
}

// ---- the blocked GEMM -------------------------------------------------------------------

/**
 * C[0:M, jlo:jhi] (+)= A . B[:, jlo:jhi] with A and B from the current sources (see above); C
 * is row-major with rows ldc floats apart. A thread computes one column range [jlo, jhi).
 * `apre`: all of A already packed by packWhole (0: pack A block by block here).
 */
function gemm(
  M: i32,
  K: i32,
  c: usize,
  ldc: i32,
  accumulate: bool,
  jlo: i32,
  jhi: i32,
  scratch: usize,
  apre: usize,
): void {
  const apack = scratch + APACK,
    bpack = scratch + BPACK,
    tile = scratch + TILE,
    idx = scratch + IDX;
  const ldcBytes = <usize>ldc << 2;
  for (let jc = jlo; jc < jhi; jc += NC) {
    const nc = min(NC, jhi - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc);
      const add = accumulate || pc > 0;
      packB(pc, kc, jc, nc, bpack, idx);
      for (let ic = 0; ic < M; ic += MC) {
        const mc = min(MC, M - ic);
        // A packed by packWhole (the same weights for every image), or packed here
        const ablock = apre != 0 ? apre + (<usize>(pc * roundUp(M, MR) + ic * kc) << 2) : apack;
        if (apre == 0) packA(ic, mc, pc, kc, apack);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const bp = bpack + (<usize>(jr * kc) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const ap = ablock + (<usize>(ir * kc) << 2);
            const cp = c + <usize>(ic + ir) * ldcBytes + (<usize>(jc + jr) << 2);
            if (mr == MR && nr == NR) {
              micro4x8(kc, ap, bp, cp, ldcBytes, add);
            } else {
              // an edge tile: compute all of it, keep the part inside C
              micro4x8(kc, ap, bp, tile, <usize>(NR * 4), false);
              for (let i = 0; i < mr; i++) {
                for (let j = 0; j < nr; j++) {
                  const t = load<f32>(tile + (<usize>(i * NR + j) << 2));
                  const o = cp + <usize>i * ldcBytes + (<usize>j << 2);
                  store<f32>(o, add ? load<f32>(o) + t : t);
                }
              }
            }
          }
        }
      }
    }
  }
}

// ---- entry points -----------------------------------------------------------------------
//
// Each entry point computes one thread's share of a kernel: the JavaScript side calls it on the
// main thread and on the worker with different ranges and scratch areas.

/**
 * Batched matmul c[b] = a[b] . b[b] over the output columns [jlo, jhi): a [B, M, K] (element
 * (i, k) at i * aRow + k * aCol, so a transposed operand is just other strides), b [B, K, N]
 * likewise, c [B, M, N] row-major.
 */
export function matmul(
  B: i32,
  M: i32,
  K: i32,
  N: i32,
  a: usize,
  aRow: i32,
  aCol: i32,
  b: usize,
  bRow: i32,
  bCol: i32,
  c: usize,
  jlo: i32,
  jhi: i32,
  scratch: usize,
): void {
  for (let bt = 0; bt < B; bt++) {
    aPtr = a + (<usize>(bt * M * K) << 2);
    aRS = aRow;
    aCS = aCol;
    aKP = max(K, 1);
    aKS = 0;
    bKind = B_STRIDED;
    bPtr = b + (<usize>(bt * K * N) << 2);
    bRS = bRow;
    bCS = bCol;
    gemm(M, K, c + (<usize>(bt * M * N) << 2), N, false, jlo, jhi, scratch, 0);
  }
}

/**
 * Convolution forward, y [N, OC, OH, OW] from x [N, C, H, W] and w [OC, C/groups, KH, KW]
 * (packed by packConvWeights):
 * per image and group, y_g [OCg, P] = w_g [OCg, Cg*KH*KW] . im2col(x_g) [Cg*KH*KW, P], over the
 * output pixels [plo, phi) of every image. `batched` (for images with few output pixels): one
 * GEMM per group over the whole batch, into y as [OC, N * P], split by its columns.
 */
export function conv2d(
  geo: usize,
  x: usize,
  w: usize,
  y: usize,
  plo: i32,
  phi: i32,
  scratch: usize,
  wpacked: usize,
  batched: bool,
): void {
  readGeometry(geo);
  const Cg = gC / gG,
    OCg = gOC / gG,
    T = Cg * gKH * gKW,
    P = gOH * gOW;
  gBatch = batched;
  if (batched) {
    // one GEMM over the batch: y is [OC, N * P] (the caller reorders it to [N, OC, P]), and
    // [plo, phi) are columns of it
    for (let g = 0; g < gG; g++) {
      bKind = B_IM2COL;
      bPtr = x + (<usize>(g * Cg * gH * gW) << 2);
      const apre = wpacked + (<usize>(g * roundUp(OCg, MR) * T) << 2);
      gemm(OCg, T, y + (<usize>(g * OCg * gN * P) << 2), gN * P, false, plo, phi, scratch, apre);
    }
    gBatch = false;
    return;
  }
  for (let n = 0; n < gN; n++) {
    for (let g = 0; g < gG; g++) {
      bKind = B_IM2COL;
      bPtr = x + (<usize>((n * gC + g * Cg) * gH * gW) << 2);
      const apre = wpacked + (<usize>(g * roundUp(OCg, MR) * T) << 2);
      gemm(OCg, T, y + (<usize>((n * gOC + g * OCg) * P) << 2), P, false, plo, phi, scratch, apre);
    }
  }
}

/**
 * Packs the weights for conv2d (transposed: false, A_g = w_g [OCg, T]) or for conv2dGradInput
 * (transposed: true, A_g = w_g^T [T, OCg]), every group, into the layout of packWhole, once per
 * call: every image then reuses them. Size: groups * roundUp(rows, MR) * columns floats.
 */
export function packConvWeights(geo: usize, w: usize, transposed: bool, dst: usize): void {
  readGeometry(geo);
  const OCg = gOC / gG,
    T = (gC / gG) * gKH * gKW;
  const M = transposed ? T : OCg,
    K = transposed ? OCg : T;
  for (let g = 0; g < gG; g++) {
    aPtr = w + (<usize>(g * OCg * T) << 2);
    aRS = transposed ? 1 : T;
    aCS = transposed ? T : 1;
    aKP = K;
    aKS = 0;
    packWhole(M, K, dst + (<usize>(g * roundUp(M, MR) * K) << 2));
  }
}

/**
 * Input gradient, dx [N, C, H, W] from dy [N, OC, OH, OW] and w (packed by packConvWeights,
 * transposed), for the images [nlo, nhi):
 * per image and group, col [Cg*KH*KW, P] = w_g^T . dy_g, then col2im adds every column entry
 * into the input pixel it was read from (taps in the padding are dropped). `col` holds
 * Cg*KH*KW*P floats. `batched` 1 and 2 are the two phases of the batch mode (for images with
 * few output pixels): one GEMM over all images, colT [N*P, C*KH*KW] = dy as [N*P, OC] . w (w
 * itself at `wpacked`, unpacked), split by its columns (taps), then col2im per image, split by
 * images.
 */
export function conv2dGradInput(
  geo: usize,
  dy: usize,
  dx: usize,
  nlo: i32,
  nhi: i32,
  scratch: usize,
  col: usize,
  wpacked: usize,
  batched: i32,
): void {
  readGeometry(geo);
  const Cg = gC / gG,
    OCg = gOC / gG,
    T = Cg * gKH * gKW,
    P = gOH * gOW,
    HW = gH * gW,
    NP = gN * P;
  if (batched == 1) {
    // the batch in one GEMM, transposed: dy is [N * P, OC] (reordered by the caller), w the
    // raw weights, and colT_g [N * P, T] = dy_g . w_g over the columns (taps) [nlo, nhi)
    for (let g = 0; g < gG; g++) {
      aPtr = dy + (<usize>(g * OCg) << 2);
      aRS = gOC;
      aCS = 1;
      aKP = OCg;
      aKS = 0;
      bKind = B_STRIDED;
      bPtr = wpacked + (<usize>(g * OCg * T) << 2);
      bRS = T;
      bCS = 1;
      gemm(NP, OCg, col + (<usize>(g * NP * T) << 2), T, false, nlo, nhi, scratch, 0);
    }
    return;
  }
  if (batched == 2) {
    // then col2im of the images [nlo, nhi) from that colT (a tap's entries T floats apart)
    for (let n = nlo; n < nhi; n++) {
      memory.fill(dx + (<usize>(n * gC * HW) << 2), 0, <usize>(gC * HW) << 2);
      for (let g = 0; g < gG; g++) {
        const at = col + (<usize>(g * NP * T + n * P * T) << 2);
        col2im(at, 1, T, dx + (<usize>((n * gC + g * Cg) * HW) << 2), Cg);
      }
    }
    return;
  }
  for (let n = nlo; n < nhi; n++) {
    memory.fill(dx + (<usize>(n * gC * HW) << 2), 0, <usize>(gC * HW) << 2);
    for (let g = 0; g < gG; g++) {
      bKind = B_STRIDED;
      bPtr = dy + (<usize>((n * gOC + g * OCg) * P) << 2);
      bRS = P;
      bCS = 1;
      gemm(T, OCg, col, P, false, 0, P, scratch, wpacked + (<usize>(g * roundUp(T, MR) * OCg) << 2));
      col2im(col, P, 1, dx + (<usize>((n * gC + g * Cg) * HW) << 2), Cg);
    }
  }
}

/**
 * dx_g[c, ih, iw] += col[(c, kh, kw), (oh, ow)] for every tap inside the image; col's entry for
 * tap t and output pixel p is at col + 4 * (t * tapStride + p * pixStride) (floats: tapStride =
 * P, pixStride = 1 for a [T, P] col; 1 and T for its transpose).
 */
function col2im(col: usize, tapStride: i32, pixStride: i32, dx: usize, Cg: i32): void {
  const pixBytes = <usize>pixStride << 2;
  let s = col;
  for (let c = 0; c < Cg; c++) {
    const plane = dx + (<usize>(c * gH * gW) << 2);
    for (let kh = 0; kh < gKH; kh++) {
      for (let kw = 0; kw < gKW; kw++) {
        const iw0 = kw * gDW - gPW;
        // the output columns whose input column is inside the image: [owLo, owHi)
        let owLo = 0;
        while (owLo < gOW && owLo * gSW + iw0 < 0) owLo++;
        let owHi = gOW;
        while (owHi > owLo && (owHi - 1) * gSW + iw0 >= gW) owHi--;
        for (let oh = 0; oh < gOH; oh++) {
          const ih = oh * gSH - gPH + kh * gDH;
          if (<u32>ih < <u32>gH) {
            const row = plane + (<usize>(ih * gW + iw0) << 2);
            const src = s + <usize>(oh * gOW) * pixBytes;
            for (let ow = owLo; ow < owHi; ow++) {
              const o = row + (<usize>(ow * gSW) << 2);
              store<f32>(o, load<f32>(o) + load<f32>(src + <usize>ow * pixBytes));
            }
          }
        }
        s += <usize>tapStride << 2;
      }
    }
  }
}

/**
 * Weight gradient, dw [OC, C/groups, KH, KW] from x and dy, over the taps [tlo, thi) of every
 * group: dw_g [OCg, T] = dy_g [OCg, N*P] . im2col(x_g)^T [N*P, T], the whole batch in one GEMM.
 */
export function conv2dGradWeight(geo: usize, x: usize, dy: usize, dw: usize, tlo: i32, thi: i32, scratch: usize): void {
  readGeometry(geo);
  const Cg = gC / gG,
    OCg = gOC / gG,
    T = Cg * gKH * gKW,
    P = gOH * gOW;
  for (let g = 0; g < gG; g++) {
    aPtr = dy + (<usize>(g * OCg * P) << 2);
    aRS = P;
    aCS = 1;
    aKP = P;
    aKS = gOC * P;
    bKind = B_IM2COLT;
    bPtr = x + (<usize>(g * Cg * gH * gW) << 2);
    gemm(OCg, gN * P, dw + (<usize>(g * OCg * T) << 2), T, false, tlo, thi, scratch, 0);
  }
}

// ==== elementwise kernels ====================================================================
//
// float32 in, float32 out, four lanes at a time (f32x4) where the operands are contiguous. A
// single IEEE add, subtract, multiply, divide or square root of float32 values rounds exactly
// as the reference's float64 operation rounded to float32, so these match it bit for bit. The
// NaN rules are the reference's (src/ops/elementwise/elementwise.cpu.ts): maximum / minimum
// with a NaN operand and relu(NaN) are NaN, comparisons with NaN are 0. They are written with
// masks and bitselect rather than f32x4.max / relaxed ops, whose zero-sign and NaN rules differ.

/** Binary op codes (src/backends/wasm/kernels.ts, BINARY_OPS): the order of that list. */
const ADD: i32 = 0,
  SUB: i32 = 1,
  MUL: i32 = 2,
  DIV: i32 = 3,
  MAXIMUM: i32 = 4,
  MINIMUM: i32 = 5,
  EQ: i32 = 6,
  GT: i32 = 7,
  GE: i32 = 8,
  LT: i32 = 9,
  LE: i32 = 10,
  /** relu's backward, a = x, b = dy: a <= 0 ? 0 : b (a NaN x passes dy). */
  RELU_GRAD: i32 = 11,
  /** out = a (b unused): `expand`, a broadcast copy of a, runs on the binary loops. */
  COPY: i32 = 12;

/** A comparison mask (all ones or all zeros per lane) as 1.0 or 0.0. */
@inline
function maskToOne(m: v128): v128 {
  return v128.and(m, f32x4.splat(1.0));
}

/** a op b on four lanes. */
@inline
function binaryV(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case ADD:
      return f32x4.add(a, b);
    case SUB:
      return f32x4.sub(a, b);
    case MUL:
      return f32x4.mul(a, b);
    case DIV:
      return f32x4.div(a, b);
    case MAXIMUM: // a >= b || a is NaN ? a : b
      return v128.bitselect(a, b, v128.or(f32x4.ge(a, b), f32x4.ne(a, a)));
    case MINIMUM: // a <= b || a is NaN ? a : b
      return v128.bitselect(a, b, v128.or(f32x4.le(a, b), f32x4.ne(a, a)));
    case EQ:
      return maskToOne(f32x4.eq(a, b));
    case GT:
      return maskToOne(f32x4.gt(a, b));
    case GE:
      return maskToOne(f32x4.ge(a, b));
    case LT:
      return maskToOne(f32x4.lt(a, b));
    case LE:
      return maskToOne(f32x4.le(a, b));
    case RELU_GRAD: // a <= 0 ? 0 : b (+0, as the reference's literal 0)
      return v128.andnot(b, f32x4.le(a, f32x4.splat(0)));
    default: // COPY
      return a;
  }
}

/** a op b on one value (the same rules as binaryV). */
@inline
function binaryS(op: i32, a: f32, b: f32): f32 {
  switch (op) {
    case ADD:
      return a + b;
    case SUB:
      return a - b;
    case MUL:
      return a * b;
    case DIV:
      return a / b;
    case MAXIMUM:
      return a >= b || a != a ? a : b;
    case MINIMUM:
      return a <= b || a != a ? a : b;
    case EQ:
      return a == b ? 1 : 0;
    case GT:
      return a > b ? 1 : 0;
    case GE:
      return a >= b ? 1 : 0;
    case LT:
      return a < b ? 1 : 0;
    case LE:
      return a <= b ? 1 : 0;
    case RELU_GRAD:
      return a <= 0 ? 0 : b;
    default:
      return a;
  }
}

/**
 * n results out[i] = a[i * sa] op b[i * sb] along one row, with sa, sb in {0, 1} (0: the operand
 * is broadcast along the row, one value splatted into every lane). Inlined into binaryRow once
 * per op code, so that the optimiser folds the switch of binaryV out of the loop.
 */
@inline
function binaryRowOp(op: i32, a: usize, sa: i32, b: usize, sb: i32, o: usize, n: i32): void {
  let i = 0;
  if (sa == 1 && sb == 1) {
    for (; i + 4 <= n; i += 4) {
      const k = <usize>i << 2;
      v128.store(o + k, binaryV(op, v128.load(a + k), v128.load(b + k)));
    }
  } else if (sa == 1 && sb == 0) {
    const bv = v128.load32_splat(b);
    for (; i + 4 <= n; i += 4) {
      const k = <usize>i << 2;
      v128.store(o + k, binaryV(op, v128.load(a + k), bv));
    }
  } else if (sa == 0 && sb == 1) {
    const av = v128.load32_splat(a);
    for (; i + 4 <= n; i += 4) {
      const k = <usize>i << 2;
      v128.store(o + k, binaryV(op, av, v128.load(b + k)));
    }
  }
  for (; i < n; i++) {
    const va = load<f32>(a + (<usize>(i * sa) << 2)),
      vb = load<f32>(b + (<usize>(i * sb) << 2));
    store<f32>(o + (<usize>i << 2), binaryS(op, va, vb));
  }
}

/** One row of a binary op, dispatched once per row to the loop specialised for `op`. */
function binaryRow(op: i32, a: usize, sa: i32, b: usize, sb: i32, o: usize, n: i32): void {
  switch (op) {
    case ADD:
      binaryRowOp(ADD, a, sa, b, sb, o, n);
      break;
    case SUB:
      binaryRowOp(SUB, a, sa, b, sb, o, n);
      break;
    case MUL:
      binaryRowOp(MUL, a, sa, b, sb, o, n);
      break;
    case DIV:
      binaryRowOp(DIV, a, sa, b, sb, o, n);
      break;
    case MAXIMUM:
      binaryRowOp(MAXIMUM, a, sa, b, sb, o, n);
      break;
    case MINIMUM:
      binaryRowOp(MINIMUM, a, sa, b, sb, o, n);
      break;
    case EQ:
      binaryRowOp(EQ, a, sa, b, sb, o, n);
      break;
    case GT:
      binaryRowOp(GT, a, sa, b, sb, o, n);
      break;
    case GE:
      binaryRowOp(GE, a, sa, b, sb, o, n);
      break;
    case LT:
      binaryRowOp(LT, a, sa, b, sb, o, n);
      break;
    case LE:
      binaryRowOp(LE, a, sa, b, sb, o, n);
      break;
    case RELU_GRAD:
      binaryRowOp(RELU_GRAD, a, sa, b, sb, o, n);
      break;
    default:
      binaryRowOp(COPY, a, sa, b, sb, o, n);
  }
}

/**
 * out = a op b with NumPy broadcasting, for the output elements [lo, hi) (row-major).
 *
 * `rec` holds the broadcast with its dimensions collapsed by the JavaScript side (size-1
 * dimensions dropped, neighbours that are contiguous in both operands merged):
 *
 *     rec: nd, then per dimension (outermost first): size, a's stride, b's stride
 *
 * in elements, a stride of 0 where that operand is broadcast. The innermost strides are then 0
 * or 1, so each output row is one call of binaryRow; an odometer (idx, in the thread's scratch)
 * walks the outer dimensions. Same-shape operands collapse to one row.
 */
export function binary(op: i32, rec: usize, a: usize, b: usize, out: usize, lo: i32, hi: i32, scratch: usize): void {
  const nd = load<i32>(rec);
  const dims = rec + 4; // dimension d: size at dims + 12d, strides at + 4 and + 8
  const idx = scratch;
  // the multi-index of element lo, and the operands' offsets there
  let rem = lo,
    offA = 0,
    offB = 0;
  for (let d = nd - 1; d >= 0; d--) {
    const dd = dims + <usize>(d * 12);
    const size = load<i32>(dd);
    const id = rem % size;
    rem /= size;
    store<i32>(idx + (<usize>d << 2), id);
    offA += id * load<i32>(dd, 4);
    offB += id * load<i32>(dd, 8);
  }
  const last = dims + <usize>((nd - 1) * 12);
  const inner = load<i32>(last),
    ia = load<i32>(last, 4),
    ib = load<i32>(last, 8);
  const lastIdx = idx + (<usize>(nd - 1) << 2);
  let pos = lo;
  while (pos < hi) {
    const col = load<i32>(lastIdx);
    const n = min(inner - col, hi - pos);
    binaryRow(op, a + (<usize>offA << 2), ia, b + (<usize>offB << 2), ib, out + (<usize>pos << 2), n);
    pos += n;
    offA += n * ia;
    offB += n * ib;
    store<i32>(lastIdx, col + n);
    // carry into the outer dimensions
    for (let d = nd - 1; d > 0; d--) {
      const dd = dims + <usize>(d * 12);
      const size = load<i32>(dd);
      if (load<i32>(idx + (<usize>d << 2)) < size) break;
      store<i32>(idx + (<usize>d << 2), 0);
      offA -= size * load<i32>(dd, 4);
      offB -= size * load<i32>(dd, 8);
      const up = idx + (<usize>(d - 1) << 2);
      store<i32>(up, load<i32>(up) + 1);
      const outer = dd - 12; // dimension d - 1
      offA += load<i32>(outer, 4);
      offB += load<i32>(outer, 8);
    }
  }
}

/** Unary op codes (src/backends/wasm/kernels.ts, UNARY_OPS): the order of that list. */
const NEG: i32 = 0,
  ABS: i32 = 1,
  RELU: i32 = 2,
  STEP: i32 = 3,
  SQRT: i32 = 4,
  FLOOR: i32 = 5,
  SIGN: i32 = 6;

/** f(x) on four lanes: relu(x) = x > 0 || x is NaN ? x : 0, step(x) = x > 0, sign(NaN) = 0. */
@inline
function unaryV(op: i32, x: v128): v128 {
  switch (op) {
    case NEG:
      return f32x4.neg(x);
    case ABS:
      return f32x4.abs(x);
    case RELU:
      return v128.and(x, v128.or(f32x4.gt(x, f32x4.splat(0)), f32x4.ne(x, x)));
    case STEP:
      return maskToOne(f32x4.gt(x, f32x4.splat(0)));
    case SQRT:
      return f32x4.sqrt(x);
    case FLOOR:
      return f32x4.floor(x);
    default: {
      // SIGN: 1 where x > 0, -1 where x < 0, else 0 (NaN included)
      const zero = f32x4.splat(0);
      return v128.or(
        v128.and(f32x4.gt(x, zero), f32x4.splat(1.0)),
        v128.and(f32x4.lt(x, zero), f32x4.splat(-1.0)),
      );
    }
  }
}

/** f(x) on one value (the same rules as unaryV). */
@inline
function unaryS(op: i32, x: f32): f32 {
  switch (op) {
    case NEG:
      return -x;
    case ABS:
      return abs<f32>(x);
    case RELU:
      return x > 0 || x != x ? x : 0;
    case STEP:
      return x > 0 ? 1 : 0;
    case SQRT:
      return sqrt<f32>(x);
    case FLOOR:
      return floor<f32>(x);
    default:
      return x > 0 ? 1 : x < 0 ? -1 : 0;
  }
}

/** out[i] = f(x[i]) for one op, specialised by inlining (as binaryRowOp). */
@inline
function unaryRange(op: i32, x: usize, out: usize, lo: i32, hi: i32): void {
  let i = lo;
  for (; i + 4 <= hi; i += 4) {
    const k = <usize>i << 2;
    v128.store(out + k, unaryV(op, v128.load(x + k)));
  }
  for (; i < hi; i++) store<f32>(out + (<usize>i << 2), unaryS(op, load<f32>(x + (<usize>i << 2))));
}

/** out = f(x) elementwise over [lo, hi). */
export function unary(op: i32, x: usize, out: usize, lo: i32, hi: i32): void {
  switch (op) {
    case NEG:
      unaryRange(NEG, x, out, lo, hi);
      break;
    case ABS:
      unaryRange(ABS, x, out, lo, hi);
      break;
    case RELU:
      unaryRange(RELU, x, out, lo, hi);
      break;
    case STEP:
      unaryRange(STEP, x, out, lo, hi);
      break;
    case SQRT:
      unaryRange(SQRT, x, out, lo, hi);
      break;
    case FLOOR:
      unaryRange(FLOOR, x, out, lo, hi);
      break;
    default:
      unaryRange(SIGN, x, out, lo, hi);
  }
}

/** out[i] = cond[i] != 0 ? a[i] : b[i] over [lo, hi) (a NaN condition counts as true). */
export function where(cond: usize, a: usize, b: usize, out: usize, lo: i32, hi: i32): void {
  let i = lo;
  for (; i + 4 <= hi; i += 4) {
    const k = <usize>i << 2;
    const m = f32x4.ne(v128.load(cond + k), f32x4.splat(0));
    v128.store(out + k, v128.bitselect(v128.load(a + k), v128.load(b + k), m));
  }
  for (; i < hi; i++) {
    const k = <usize>i << 2;
    store<f32>(out + k, load<f32>(cond + k) != 0 ? load<f32>(a + k) : load<f32>(b + k));
  }
}

// ==== the fused SGD update =================================================================
//
// One pass of SGD for one parameter (src/ops/optim/sgd.kernels.ts): reads p, grad and the
// momentum buffer, writes p' and buf'. f32 arithmetic rounds each operation as the reference's
// float64-then-float32 does (no fused multiply-add in wasm), so the results are the reference's.

/** sgdUpdate's flags (src/backends/wasm/kernels.ts, sgdUpdateWasm): which terms are on. */
const SGD_DECAY: i32 = 1,
  SGD_MOMENTUM: i32 = 2,
  SGD_BUFFER: i32 = 4,
  SGD_NESTEROV: i32 = 8;

/**
 * SGD over the elements [lo, hi): p' into outP and, with SGD_MOMENTUM, buf' into outBuf (buf
 * read only with SGD_BUFFER). `s` holds the float32 scalars [weightDecay, momentum,
 * 1 - dampening, lr]; `flags` the SGD_ bits (a buffer or Nesterov without SGD_MOMENTUM is
 * ignored). The flags are the same for every element, so their branches predict perfectly: the
 * loop is bound by its 3 reads and 2 writes, not by them (one loop, not one per combination).
 */
export function sgdUpdate(p: usize, g: usize, buf: usize, outP: usize, outBuf: usize, s: usize, flags: i32, lo: i32, hi: i32): void {
  const decay = (flags & SGD_DECAY) != 0,
    momentum = (flags & SGD_MOMENTUM) != 0,
    buffer = (flags & SGD_BUFFER) != 0,
    nesterov = (flags & SGD_NESTEROV) != 0;
  const wd = load<f32>(s),
    mom = load<f32>(s, 4),
    damp = load<f32>(s, 8),
    lr = load<f32>(s, 12);
  const wd4 = f32x4.splat(wd),
    mom4 = f32x4.splat(mom),
    damp4 = f32x4.splat(damp),
    lr4 = f32x4.splat(lr);
  let i = lo;
  for (; i + 4 <= hi; i += 4) {
    const k = <usize>i << 2;
    const pv = v128.load(p + k);
    let gv = v128.load(g + k);
    if (decay) gv = f32x4.add(gv, f32x4.mul(pv, wd4));
    if (momentum) {
      const b = buffer ? f32x4.add(f32x4.mul(v128.load(buf + k), mom4), f32x4.mul(gv, damp4)) : gv;
      v128.store(outBuf + k, b);
      gv = nesterov ? f32x4.add(gv, f32x4.mul(b, mom4)) : b;
    }
    v128.store(outP + k, f32x4.sub(pv, f32x4.mul(gv, lr4)));
  }
  for (; i < hi; i++) {
    const k = <usize>i << 2;
    const pv = load<f32>(p + k);
    let gv = load<f32>(g + k);
    if (decay) gv = gv + pv * wd;
    if (momentum) {
      const b: f32 = buffer ? load<f32>(buf + k) * mom + gv * damp : gv;
      store<f32>(outBuf + k, b);
      gv = nesterov ? gv + b * mom : b;
    }
    store<f32>(outP + k, pv - gv * lr);
  }
}

// ==== batch normalisation ====================================================================
//
// x is [N, C, HW]; each entry point handles the channels [clo, chi), so two threads split the
// channels. The arithmetic is the reference's (src/ops/batchnorm/batchnorm.cpu.ts) in float64,
// in its order: the per-channel sums run sequentially in f64 and the per-element formulas are
// evaluated in f64 (two lanes at a time, f64x2) and rounded to float32 once, so the results equal
// the reference's float32 results.

/** Two float32 values at p, widened to f64x2. */
@inline
function load2(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(p));
}

/** Rounds an f64x2 to float32 and stores the two values at p. */
@inline
function store2(p: usize, v: v128): void {
  v128.store64_lane(p, f32x4.demote_f64x2_zero(v), 0);
}

/**
 * Per channel c: mean = sum(x) / M and the biased variance sum((x - mean)^2) / M over its
 * M = N * HW values, in two passes (no cancellation), rounded to float32 into mean[c], variance[c].
 */
export function batchNormStats(x: usize, mean: usize, variance: usize, N: i32, C: i32, HW: i32, clo: i32, chi: i32): void {
  const M = <f64>N * <f64>HW;
  for (let c = clo; c < chi; c++) {
    let s: f64 = 0;
    for (let n = 0; n < N; n++) {
      const p = x + (<usize>(n * C + c) * <usize>HW << 2);
      for (let i = 0; i < HW; i++) s += <f64>load<f32>(p + (<usize>i << 2));
    }
    const m = s / M;
    let q: f64 = 0;
    for (let n = 0; n < N; n++) {
      const p = x + (<usize>(n * C + c) * <usize>HW << 2);
      for (let i = 0; i < HW; i++) {
        const d = <f64>load<f32>(p + (<usize>i << 2)) - m;
        q += d * d;
      }
    }
    store<f32>(mean + (<usize>c << 2), <f32>m);
    store<f32>(variance + (<usize>c << 2), <f32>(q / M));
  }
}

/** y = (x - mean[c]) * (invStd[c] * weight[c]) + bias[c], per channel, in f64. */
export function batchNormApply(
  x: usize,
  mean: usize,
  invStd: usize,
  weight: usize,
  bias: usize,
  y: usize,
  N: i32,
  C: i32,
  HW: i32,
  clo: i32,
  chi: i32,
): void {
  for (let c = clo; c < chi; c++) {
    const k = <usize>c << 2;
    const scale = <f64>load<f32>(invStd + k) * <f64>load<f32>(weight + k);
    const m = <f64>load<f32>(mean + k),
      b = <f64>load<f32>(bias + k);
    const mv = f64x2.splat(m),
      sv = f64x2.splat(scale),
      bv = f64x2.splat(b);
    for (let n = 0; n < N; n++) {
      const o = <usize>(n * C + c) * <usize>HW << 2;
      const px = x + o,
        py = y + o;
      let i = 0;
      for (; i + 2 <= HW; i += 2) {
        const j = <usize>i << 2;
        store2(py + j, f64x2.add(f64x2.mul(f64x2.sub(load2(px + j), mv), sv), bv));
      }
      for (; i < HW; i++) {
        const j = <usize>i << 2;
        store<f32>(py + j, <f32>((<f64>load<f32>(px + j) - m) * scale + b));
      }
    }
  }
}

/**
 * The gradients of batchNormApply, with xhat = (x - mean) * invStd and M = N * HW:
 *
 *     dbias = sum(dy), dweight = sum(dy * xhat)                 (sequential f64 sums)
 *     training: dx = weight * invStd / M * (M * dy - dbias - xhat * dweight)
 *     eval:     dx = weight * invStd * dy
 */
export function batchNormBackward(
  x: usize,
  dy: usize,
  mean: usize,
  invStd: usize,
  weight: usize,
  dx: usize,
  dweight: usize,
  dbias: usize,
  N: i32,
  C: i32,
  HW: i32,
  training: bool,
  clo: i32,
  chi: i32,
): void {
  const M = <f64>N * <f64>HW;
  for (let c = clo; c < chi; c++) {
    const k = <usize>c << 2;
    const m = <f64>load<f32>(mean + k),
      is = <f64>load<f32>(invStd + k);
    let sdy: f64 = 0,
      sdyx: f64 = 0;
    for (let n = 0; n < N; n++) {
      const o = <usize>(n * C + c) * <usize>HW << 2;
      for (let i = 0; i < HW; i++) {
        const j = o + (<usize>i << 2);
        const g = <f64>load<f32>(dy + j);
        sdy += g;
        sdyx += g * (<f64>load<f32>(x + j) - m) * is;
      }
    }
    store<f32>(dbias + k, <f32>sdy);
    store<f32>(dweight + k, <f32>sdyx);
    const kk = <f64>load<f32>(weight + k) * is;
    const km = kk / M;
    const mv = f64x2.splat(m),
      isv = f64x2.splat(is),
      kv = f64x2.splat(training ? km : kk),
      Mv = f64x2.splat(M),
      sdyv = f64x2.splat(sdy),
      sdyxv = f64x2.splat(sdyx);
    for (let n = 0; n < N; n++) {
      const o = <usize>(n * C + c) * <usize>HW << 2;
      let i = 0;
      if (training) {
        for (; i + 2 <= HW; i += 2) {
          const j = o + (<usize>i << 2);
          const xhat = f64x2.mul(f64x2.sub(load2(x + j), mv), isv);
          const t = f64x2.sub(f64x2.sub(f64x2.mul(Mv, load2(dy + j)), sdyv), f64x2.mul(xhat, sdyxv));
          store2(dx + j, f64x2.mul(kv, t));
        }
        for (; i < HW; i++) {
          const j = o + (<usize>i << 2);
          const xhat = (<f64>load<f32>(x + j) - m) * is;
          store<f32>(dx + j, <f32>(km * (M * <f64>load<f32>(dy + j) - sdy - xhat * sdyx)));
        }
      } else {
        for (; i + 2 <= HW; i += 2) {
          const j = o + (<usize>i << 2);
          store2(dx + j, f64x2.mul(kv, load2(dy + j)));
        }
        for (; i < HW; i++) {
          const j = o + (<usize>i << 2);
          store<f32>(dx + j, <f32>(kk * <f64>load<f32>(dy + j)));
        }
      }
    }
  }
}

// ==== max pooling ============================================================================
//
// x is [N * C planes, H, W]; an entry point handles the planes [plo, phi). The pool geometry
// record (src/backends/wasm/kernels.ts, poolRecord) is
//
//     H, W, OH, OW, KH, KW, strideH, strideW, padH, padW
//
// Each window's winner is the reference's (src/ops/pool/pool.cpu.ts, argmaxWindow): the first
// maximum scanning rows then columns, padding never wins, and the first NaN beats everything.

/**
 * The plane offset (ih * W + iw) of the first maximum of the rows [h0, h1) and columns [w0, w1)
 * (already clipped to the image) of the plane at p, or -1 when that range is empty.
 */
@inline
function argmaxWindow(p: usize, W: i32, h0: i32, h1: i32, w0: i32, w1: i32): i32 {
  if (h0 >= h1 || w0 >= w1) return -1;
  let best = h0 * W + w0;
  let bestV = load<f32>(p + (<usize>best << 2));
  for (let ih = h0; ih < h1; ih++) {
    const row = p + (<usize>(ih * W) << 2);
    for (let iw = w0; iw < w1; iw++) {
      const v = load<f32>(row + (<usize>iw << 2));
      // branch-free (random data would mispredict): v wins if larger, or the first NaN
      const wins = (v > bestV) | ((v != v) & (bestV == bestV));
      best = select<i32>(ih * W + iw, best, wins);
      bestV = select<f32>(v, bestV, wins);
    }
  }
  return best;
}

/** Lane mask: does v replace best (v larger, or the first NaN), as argmaxWindow. */
@inline
function poolTakes(v: v128, best: v128): v128 {
  return v128.or(f32x4.gt(v, best), v128.and(f32x4.ne(v, v), f32x4.eq(best, best)));
}

/**
 * 2x2 windows, stride 2, no padding (VGG's pooling), 4 windows at a time in SIMD lanes: the
 * same winners as argmaxWindow (the first maximum in the order x00, x01, x10, x11, the first
 * NaN). Forward: y = the winner's value. Gradient (each pixel is in at most one window):
 * dx = dy + 0 at the winner (the reference's f64 sum from +0 of one float32 term, rounded: dy,
 * with -0 made +0), +0 elsewhere, including a last odd row or column that no window covers.
 */
function maxPool2x2Planes(
  x: usize,
  yOrDy: usize,
  dx: usize,
  H: i32,
  W: i32,
  OH: i32,
  OW: i32,
  plo: i32,
  phi: i32,
  grad: bool,
): void {
  const HW = H * W,
    P = OH * OW;
  const zero = f32x4.splat(0);
  for (let pl = plo; pl < phi; pl++) {
    const p = x + (<usize>pl * <usize>HW << 2);
    const q = dx + (<usize>pl * <usize>HW << 2);
    let o = yOrDy + (<usize>pl * <usize>P << 2);
    if (grad) memory.fill(q, 0, <usize>HW << 2);
    for (let oh = 0; oh < OH; oh++) {
      const off0 = <usize>(2 * oh * W) << 2,
        off1 = off0 + (<usize>W << 2);
      let ow = 0;
      for (; ow + 4 <= OW; ow += 4) {
        const c = <usize>(2 * ow) << 2;
        const a0 = v128.load(p + off0 + c),
          a1 = v128.load(p + off0 + c + 16),
          b0 = v128.load(p + off1 + c),
          b1 = v128.load(p + off1 + c + 16);
        const x00 = v128.shuffle<i32>(a0, a1, 0, 2, 4, 6),
          x01 = v128.shuffle<i32>(a0, a1, 1, 3, 5, 7),
          x10 = v128.shuffle<i32>(b0, b1, 0, 2, 4, 6),
          x11 = v128.shuffle<i32>(b0, b1, 1, 3, 5, 7);
        let best = x00;
        const t1 = poolTakes(x01, best);
        best = v128.bitselect(x01, best, t1);
        const t2 = poolTakes(x10, best);
        best = v128.bitselect(x10, best, t2);
        const t3 = poolTakes(x11, best);
        best = v128.bitselect(x11, best, t3);
        if (!grad) {
          v128.store(o, best);
        } else {
          // the winner's mask: the last point that took it
          const m3 = t3,
            m2 = v128.andnot(t2, t3),
            m1 = v128.andnot(v128.andnot(t1, t2), t3),
            m0 = v128.not(v128.or(v128.or(t1, t2), t3));
          const d = f32x4.add(v128.load(o), zero);
          const e0 = v128.and(d, m0),
            o0 = v128.and(d, m1),
            e1 = v128.and(d, m2),
            o1 = v128.and(d, m3);
          v128.store(q + off0 + c, v128.shuffle<i32>(e0, o0, 0, 4, 1, 5));
          v128.store(q + off0 + c + 16, v128.shuffle<i32>(e0, o0, 2, 6, 3, 7));
          v128.store(q + off1 + c, v128.shuffle<i32>(e1, o1, 0, 4, 1, 5));
          v128.store(q + off1 + c + 16, v128.shuffle<i32>(e1, o1, 2, 6, 3, 7));
        }
        o += 16;
      }
      for (; ow < OW; ow++) {
        const at = argmaxWindow(p, W, 2 * oh, 2 * oh + 2, 2 * ow, 2 * ow + 2);
        if (grad) store<f32>(q + (<usize>at << 2), load<f32>(o) + <f32>0);
        else store<f32>(o, load<f32>(p + (<usize>at << 2)));
        o += 4;
      }
    }
  }
}

/**
 * Runs over the windows of the planes [plo, phi): calls maxPool2dPlane's body through `grad`
 * (0: forward, y[plane, oh, ow] = x at the winner; 1: gradient, acc[winner] += dy[plane, oh, ow]).
 */
@inline
function maxPoolPlanes(geo: usize, x: usize, yOrDy: usize, dx: usize, acc: usize, plo: i32, phi: i32, grad: bool): void {
  const H = load<i32>(geo),
    W = load<i32>(geo, 4),
    OH = load<i32>(geo, 8),
    OW = load<i32>(geo, 12),
    KH = load<i32>(geo, 16),
    KW = load<i32>(geo, 20),
    SH = load<i32>(geo, 24),
    SW = load<i32>(geo, 28),
    PH = load<i32>(geo, 32),
    PW = load<i32>(geo, 36);
  const HW = H * W,
    P = OH * OW;
  if (KH == 2 && KW == 2 && SH == 2 && SW == 2 && PH == 0 && PW == 0) {
    maxPool2x2Planes(x, yOrDy, dx, H, W, OH, OW, plo, phi, grad);
    return;
  }
  for (let pl = plo; pl < phi; pl++) {
    const p = x + (<usize>pl * <usize>HW << 2);
    let o = yOrDy + (<usize>pl * <usize>P << 2);
    if (grad) memory.fill(acc, 0, <usize>HW << 3);
    for (let oh = 0; oh < OH; oh++) {
      const hs = oh * SH - PH;
      const h0 = max(hs, 0),
        h1 = min(hs + KH, H);
      for (let ow = 0; ow < OW; ow++) {
        const ws = ow * SW - PW;
        const at = argmaxWindow(p, W, h0, h1, max(ws, 0), min(ws + KW, W));
        if (grad) {
          if (at >= 0) {
            const a = acc + (<usize>at << 3);
            store<f64>(a, load<f64>(a) + <f64>load<f32>(o));
          }
        } else store<f32>(o, at < 0 ? NaN : load<f32>(p + (<usize>at << 2)));
        o += 4;
      }
    }
    if (grad) {
      const q = dx + (<usize>pl * <usize>HW << 2);
      for (let i = 0; i < HW; i++) store<f32>(q + (<usize>i << 2), <f32>load<f64>(acc + (<usize>i << 3)));
    }
  }
}

/** y[plane, oh, ow] = the window's maximum (NaN for a window wholly in the padding). */
export function maxPool2d(geo: usize, x: usize, y: usize, plo: i32, phi: i32): void {
  maxPoolPlanes(geo, x, y, 0, 0, plo, phi, false);
}

/**
 * dx[plane] = the sum of dy over the windows that each pixel wins, accumulated in f64 in the
 * window order (the reference's) in acc (HW f64 of this thread's arena), then rounded.
 */
export function maxPool2dGrad(geo: usize, x: usize, dy: usize, dx: usize, acc: usize, plo: i32, phi: i32): void {
  maxPoolPlanes(geo, x, dy, dx, acc, plo, phi, true);
}

// ---- DynOPool sampling ----------------------------------------------------------------------
//
// The reference is src/ops/dynopool/dynosample.cpu.ts; these loops evaluate its float64
// formulas in its order, so their float32 results equal its own.
//
// Each output cell (i, j) of a plane is the maximum over 4 query points (u, v): rows
// u(i, -), u(i, +) and columns v(j, -), v(j, +), in the order (-,-), (-,+), (+,-), (+,+).
// The query coordinates are computed once per call on the JavaScript side (axisTaps) and
// passed as "tap" tables, one 32-byte record per coordinate, 2 per output row (or column):
//
//     i32 lo      (byte 0)  lower pixel (the coordinate clamped to [0, len - 1], floored)
//     i32 hi      (byte 4)  upper pixel (= lo at the clamped border)
//     f64 frac    (byte 8)  weight of hi
//     f64 dSize   (byte 16) d coordinate / d size (0 where the border clamps the coordinate)
//     f64 1-frac  (byte 24) weight of lo (computed once, on the JavaScript side)
//
// The sample at (u, v) is the bilinear interpolation of the plane, a weighted sum in float64
// of its distinct pixels only (2 per axis, 1 where lo = hi): a pixel weighted 0 still counts,
// so a NaN or Inf neighbour is not skipped (0 * Inf = NaN, as PyTorch's grid_sample).
//
//     r0 = row lo, r1 = row hi                 top    = (1 - fv) x[r0, v0] + fv x[r0, v1]
//     c0 = column lo, c1 = column hi           bottom = (1 - fv) x[r1, v0] + fv x[r1, v1]
//                                              sample = (1 - fu) top + fu bottom
//
// The sample is separable: its two horizontal interpolations depend only on the row and the
// column tap. So each plane first fills a table T[r, b] = the horizontal interpolation of row r
// at column tap b (H x 2 OW float64 values, the `top` / `bottom` above), and each of a cell's 4
// samples is then one vertical interpolation of two table entries: the same float64 operations
// on the same values as the reference, about half of them, in tight loops.
//
// Planes go in pairs, one per lane of an f64x2: every operation above is the same for all
// planes (the taps are shared), so lane 0 computes plane p and lane 1 plane p + 1 with the very
// same float64 operations. The table holds one f64x2 per entry, plane pair interleaved:
//
//     T[r, b] = (plane p, plane p + 1)     16 bytes,   H x 2 OW entries, row r's entries adjacent
//
// and a lone last plane (an odd count) fills both lanes with itself.
//
// The winner of a cell is its first maximal point, or its first NaN point (a NaN sample wins,
// as NaN wins a max-pooling window), found with lane masks and bitselect; the forward stores its
// value, rounded once to float32, and the backward sends the cell's dy to that point's 4 pixels
// with the bilinear weights, one plane at a time (the pixels differ between the lanes).

/** Tap record size in bytes (i32 lo, i32 hi, f64 frac, f64 dSize, f64 1 - frac). */
const TAP: usize = 32;

/** The two planes' float32 pixels at byte addresses a (lane 0) and b (lane 1), as float64. */
@inline
function dynoPixels(a: usize, b: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load32_lane(b, v128.load32_zero(a), 1));
}

/**
 * Fills T (this thread's table, H x 2 OW f64x2) for the planes at p0 (lane 0) and p1 (lane 1):
 * T[r, b] = the horizontal interpolation of row r at column tap b, (1 - fv) x[r, lo] + fv x[r, hi],
 * or x[r, lo] alone where the border clamps (lo = hi).
 */
@inline
function dynoRowTable(p0: usize, p1: usize, H: i32, W: i32, cols: usize, OW2: i32, T: usize): void {
  let t = T;
  for (let r = 0; r < H; r++) {
    const off = (<usize>(r * W)) << 2;
    const row0 = p0 + off,
      row1 = p1 + off;
    let cb = cols;
    for (let b = 0; b < OW2; b++) {
      const lo = (<usize>load<i32>(cb)) << 2,
        hi = (<usize>load<i32>(cb, 4)) << 2;
      const x0 = dynoPixels(row0 + lo, row1 + lo);
      if (hi == lo) v128.store(t, x0);
      else {
        const x1 = dynoPixels(row0 + hi, row1 + hi);
        // the weights, splat from the record: 1 - f (byte 24) and f (byte 8)
        v128.store(t, f64x2.add(f64x2.mul(v128.load64_splat(cb + 24), x0), f64x2.mul(v128.load64_splat(cb + 8), x1)));
      }
      t += 16;
      cb += TAP;
    }
  }
}

/**
 * One sample of both planes: the vertical interpolation (1 - fu) top + fu bottom of the table
 * entries at t0 (row lo) and t1 (row hi), with g = splat(1 - fu), f = splat(fu); top alone
 * where the row is clamped.
 */
@inline
function dynoVertical(t0: usize, t1: usize, g: v128, f: v128, clamped: bool): v128 {
  const top = v128.load(t0);
  if (clamped) return top;
  return f64x2.add(f64x2.mul(g, top), f64x2.mul(f, v128.load(t1)));
}

/**
 * Lane mask: does sample v replace the best so far? With best not NaN, take v unless v <= best
 * (NaN compares false, so a NaN v is taken; a tie keeps the earlier point); a NaN best stays.
 */
@inline
function dynoTakes(best: v128, v: v128): v128 {
  return v128.andnot(f64x2.eq(best, best), f64x2.le(v, best));
}

/**
 * The 4 samples of cell (i, j) for both planes, their winner's value (returned) and, in
 * dynoPoint, the winning point per lane (f64x2: 0 to 3, row sign * 2 + column sign).
 */
let dynoPoint: v128 = f64x2.splat(0);

@inline
function dynoCell(
  ta0: usize,
  ta1: usize,
  tb0: usize,
  tb1: usize,
  ga: v128,
  fa: v128,
  gb: v128,
  fb: v128,
  ca: bool,
  cb: bool,
  c: usize,
  points: bool,
): v128 {
  // column taps 2 j (minus) and 2 j + 1 (plus) are adjacent table entries: c and c + 16
  let best = dynoVertical(ta0 + c, ta1 + c, ga, fa, ca);
  const s01 = dynoVertical(ta0 + c + 16, ta1 + c + 16, ga, fa, ca);
  const s10 = dynoVertical(tb0 + c, tb1 + c, gb, fb, cb);
  const s11 = dynoVertical(tb0 + c + 16, tb1 + c + 16, gb, fb, cb);
  let take = dynoTakes(best, s01);
  best = v128.bitselect(s01, best, take);
  // the point as a float64 0, 1, 2 or 3 (the mask and 1.0's bits: 1.0 or +0)
  let k = v128.and(take, f64x2.splat(1));
  take = dynoTakes(best, s10);
  best = v128.bitselect(s10, best, take);
  if (points) k = v128.bitselect(f64x2.splat(2), k, take);
  take = dynoTakes(best, s11);
  best = v128.bitselect(s11, best, take);
  if (points) dynoPoint = v128.bitselect(f64x2.splat(3), k, take);
  return best;
}

/**
 * DynOPool sampling forward over the planes [plo, phi), two at a time: y[plane, i, j] = the
 * winning sample of cell (i, j), rounded to float32, and win[plane, i, j] = its winning point
 * (0 to 3, row sign * 2 + column sign, as a float32), which the op saves for the backward.
 * `geo` holds H, W, OH, OW (i32); `rows` / `cols` are the tap tables (2 OH and 2 OW records);
 * T is this thread's row table (H x 2 OW f64x2).
 */
export function dynoSample(
  geo: usize,
  rows: usize,
  cols: usize,
  x: usize,
  y: usize,
  win: usize,
  T: usize,
  plo: i32,
  phi: i32,
): void {
  const H = load<i32>(geo),
    W = load<i32>(geo, 4),
    OH = load<i32>(geo, 8),
    OW = load<i32>(geo, 12);
  const HW = H * W,
    P = OH * OW,
    OW2 = 2 * OW,
    stride = (<usize>OW2) << 4;
  for (let pl = plo; pl < phi; pl += 2) {
    // the pair's second plane: the next one, or this one again (a lone last plane)
    const pair = pl + 1 < phi;
    const p0 = x + ((<usize>pl * <usize>HW) << 2),
      p1 = pair ? p0 + ((<usize>HW) << 2) : p0;
    const next = pair ? (<usize>P) << 2 : 0;
    let o = y + ((<usize>pl * <usize>P) << 2);
    dynoRowTable(p0, p1, H, W, cols, OW2, T);
    for (let i = 0; i < OH; i++) {
      const ra = rows + <usize>(2 * i) * TAP,
        rb = ra + TAP;
      const fa = load<f64>(ra, 8),
        fb = load<f64>(rb, 8);
      const ca = load<i32>(ra) == load<i32>(ra, 4),
        cb = load<i32>(rb) == load<i32>(rb, 4);
      const ta0 = T + <usize>load<i32>(ra) * stride,
        ta1 = T + <usize>load<i32>(ra, 4) * stride,
        tb0 = T + <usize>load<i32>(rb) * stride,
        tb1 = T + <usize>load<i32>(rb, 4) * stride;
      const ga = f64x2.splat(1 - fa),
        va = f64x2.splat(fa),
        gb = f64x2.splat(1 - fb),
        vb = f64x2.splat(fb);
      for (let j = 0; j < OW; j++) {
        const best = dynoCell(ta0, ta1, tb0, tb1, ga, va, gb, vb, ca, cb, (<usize>j) << 5, true);
        const r = f32x4.demote_f64x2_zero(best);
        // lane 1 first: for a lone plane both stores hit o, with the same value
        v128.store32_lane(o + next, r, 1);
        v128.store32_lane(o, r, 0);
        const k = f32x4.demote_f64x2_zero(dynoPoint);
        v128.store32_lane(o - y + win + next, k, 1);
        v128.store32_lane(o - y + win, k, 0);
        o += 4;
      }
    }
  }
}

/**
 * A winning point (a float32 0, 1, 2 or 3, as dynoSample writes them) as an integer, from its
 * bits: exponent - 126 plus the top mantissa bit (1.0, 2.0, 3.0), or 0 for +0 (cheaper than
 * the float conversion).
 */
// @ts-ignore: decorator
@inline
function dynoWinner(bits: u32): i32 {
  return select<i32>(<i32>(bits >> 23) - 126 + <i32>((bits >> 22) & 1), 0, bits != 0);
}

/**
 * DynOPool sampling backward over the planes [plo, phi), from the forward's winning points
 * (`win`, one float32 0 to 3 per cell, as dynoSample wrote them), one pass per plane:
 *
 * - dx: each cell's dy, times the winner's bilinear weights, added to its 4 pixels (r0 c0,
 *   r0 c1, r1 c0, r1 c1, in that order) in the float64 plane `acc` (2 H W float32 slots, this
 *   thread's), then rounded to float32;
 * - the plane's size-gradient sums: per cell, dh term = dy * dSize(u) * ((1 - fv) (x10 - x00)
 *   + fv (x11 - x01)) (only where dSize(u) is not 0) and dw term likewise with the roles of u
 *   and v swapped, each added in cell order to a running float64 sum from +0, stored at
 *   sums + 16 plane (dh, dw). The caller adds the planes' sums in plane order: the reference's
 *   order, so the threads can take any planes.
 */
export function dynoSampleBackward(
  geo: usize,
  rows: usize,
  cols: usize,
  x: usize,
  dy: usize,
  win: usize,
  dx: usize,
  acc: usize,
  sums: usize,
  plo: i32,
  phi: i32,
): void {
  const H = load<i32>(geo),
    W = load<i32>(geo, 4),
    OH = load<i32>(geo, 8),
    OW = load<i32>(geo, 12);
  const HW = H * W,
    P = OH * OW;
  // the rounding pass leaves acc zeroed for the next plane
  memory.fill(acc, 0, (<usize>HW) << 3);
  for (let q = plo; q < phi; q++) {
    const p = x + ((<usize>q * <usize>HW) << 2);
    let o = dy + ((<usize>q * <usize>P) << 2);
    let k = win + ((<usize>q * <usize>P) << 2);
    let dh: f64 = 0,
      dw: f64 = 0;
    for (let i = 0; i < OH; i++) {
      const r0 = rows + <usize>(2 * i) * TAP;
      for (let j = 0; j < OW; j++) {
        const point = dynoWinner(load<u32>(k));
        k += 4;
        const ra = r0 + <usize>(point >> 1) * TAP,
          cb = cols + <usize>(2 * j + (point & 1)) * TAP;
        const alo = load<i32>(ra),
          ahi = load<i32>(ra, 4),
          af = load<f64>(ra, 8),
          adS = load<f64>(ra, 16),
          ag = load<f64>(ra, 24);
        const blo = load<i32>(cb),
          bhi = load<i32>(cb, 4),
          bf = load<f64>(cb, 8),
          bdS = load<f64>(cb, 16),
          bg = load<f64>(cb, 24);
        const d = <f64>load<f32>(o);
        o += 4;
        const i00 = <usize>(alo * W + blo),
          i01 = <usize>(alo * W + bhi),
          i10 = <usize>(ahi * W + blo),
          i11 = <usize>(ahi * W + bhi);
        // dx (ag = 1 - af, bg = 1 - bf, from the tap records)
        const a00 = acc + (i00 << 3),
          a10 = acc + (i10 << 3);
        if (bhi != blo) {
          // a01 = a00 + 8, a11 = a10 + 8: each pair in one f64x2 (per address the same
          // additions in the same order; (d * g) * wb is the scalar's d * g * wb)
          const wb = f64x2(bg, bf);
          v128.store(a00, f64x2.add(v128.load(a00), f64x2.mul(f64x2.splat(d * ag), wb)));
          v128.store(a10, f64x2.add(v128.load(a10), f64x2.mul(f64x2.splat(d * af), wb)));
        } else {
          const a01 = acc + (i01 << 3),
            a11 = acc + (i11 << 3);
          store<f64>(a00, load<f64>(a00) + d * ag * bg);
          store<f64>(a01, load<f64>(a01) + d * ag * bf);
          store<f64>(a10, load<f64>(a10) + d * af * bg);
          store<f64>(a11, load<f64>(a11) + d * af * bf);
        }
        // the size gradients
        const x00 = <f64>load<f32>(p + (i00 << 2)),
          x01 = <f64>load<f32>(p + (i01 << 2)),
          x10 = <f64>load<f32>(p + (i10 << 2)),
          x11 = <f64>load<f32>(p + (i11 << 2));
        if (adS != 0) dh += d * adS * (bg * (x10 - x00) + bf * (x11 - x01));
        if (bdS != 0) dw += d * bdS * (ag * (x01 - x00) + af * (x11 - x10));
      }
    }
    store<f64>(sums + ((<usize>q) << 4), dh);
    store<f64>(sums + ((<usize>q) << 4), dw, 8);
    const out = dx + ((<usize>q * <usize>HW) << 2);
    // rounded two at a time (f32x4.demote_f64x2_zero: the scalar demotion, lane by lane)
    let e = 0;
    for (; e + 2 <= HW; e += 2) {
      const a = acc + ((<usize>e) << 3);
      v128.store64_lane(out + ((<usize>e) << 2), f32x4.demote_f64x2_zero(v128.load(a)), 0);
      v128.store(a, v128.splat<i64>(0));
    }
    if (e < HW) {
      store<f32>(out + ((<usize>e) << 2), <f32>load<f64>(acc + ((<usize>e) << 3)));
      store<f64>(acc + ((<usize>e) << 3), 0);
    }
  }
}
