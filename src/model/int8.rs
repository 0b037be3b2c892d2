//! An int8 linear layer for CPUs: weights quantised once per output channel (symmetric, i8),
//! activations per row at run time (u8, asymmetric: the row's own minimum to maximum in 255 steps),
//! products summed in i32. On CPUs with
//! AVX-512 VNNI one `vpdpbusd` does 64 multiply-adds, four times what an f32 FMA does, so the
//! matrix products of the encoder run several times faster than in f32; elsewhere a portable loop
//! gives the same numbers (slowly).
//!
//! Weight layout: output channels in blocks of 16; inside a block, for each group of 4
//! consecutive inputs, 16 × 4 bytes (channel-major), which is the operand order of `vpdpbusd`:
//! one 4-byte group of a row of x broadcast against 16 channels at once. Sixteen such groups in a
//! row are also exactly an AMX B tile (16 rows of 64 bytes), so on CPUs with AMX-INT8 (Intel
//! Sapphire Rapids and later) the same packed weights feed `tdpbusd`, which multiplies a 16 × 64
//! tile of x by a 64 × 16 tile of weights in one instruction (16 times the work of `vpdpbusd`).
use rayon::prelude::*;

/// Output channels per block (one 512-bit register of i32).
const NB: usize = 16;
/// Rows of x per micro-kernel call.
const MR: usize = 4;
/// Channel blocks per micro-kernel call.
const NT: usize = 4;
/// Inputs are padded to a multiple of this (one AMX tile row: 64 bytes).
const KALIGN: usize = 64;
/// Rows per parallel task: a panel of x stays in L1/L2 while it meets every channel block; also
/// two AMX A tiles.
const PANEL: usize = 32;

thread_local! {
    /// Quantised rows of the last call on this thread, reused: a fresh multi-MB buffer per
    /// product cost a zeroing pass on one thread while the other waited.
    static XQ: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

#[derive(Debug, Clone)]
pub struct Int8Linear {
    /// Output channels.
    pub n: usize,
    /// Inputs.
    pub k: usize,
    /// `k` rounded up to a multiple of [`KALIGN`].
    kp: usize,
    packed: Vec<i8>,
    scale: Vec<f32>,
    /// scale × Σ_k q[n][k]: with x ≈ s·a + lo, Σ x·w = scale·(s·Σ a·q + lo·Σ q).
    wsum: Vec<f32>,
    bias: Vec<f32>,
}

impl Int8Linear {
    /// From a row-major (n, k) weight (PyTorch `nn.Linear` order) and its bias.
    pub fn new(w: &[f32], bias: &[f32], n: usize, k: usize) -> Int8Linear {
        assert_eq!(w.len(), n * k);
        assert_eq!(bias.len(), n);
        let kp = k.div_ceil(KALIGN) * KALIGN;
        // an even number of blocks, so that the AMX kernel always reads pairs (the extra is zero)
        let nblocks = n.div_ceil(2 * NB) * 2;
        let mut packed = vec![0i8; nblocks * kp * NB];
        let mut scale = vec![1f32; n];
        let mut wsum = vec![0f32; n];
        for c in 0..n {
            let row = &w[c * k..(c + 1) * k];
            let m = row.iter().fold(0f32, |a, &x| a.max(x.abs()));
            let s = if m > 0.0 { m / 127.0 } else { 1.0 };
            scale[c] = s;
            let (blk, lane) = (c / NB, c % NB);
            let mut sum = 0i32;
            for (j, &x) in row.iter().enumerate() {
                let q = (x / s).round().clamp(-127.0, 127.0) as i8;
                sum += q as i32;
                packed[blk * kp * NB + (j / 4) * NB * 4 + lane * 4 + j % 4] = q;
            }
            wsum[c] = s * sum as f32;
        }
        Int8Linear { n, k, kp, packed, scale, wsum, bias: bias.to_vec() }
    }

    /// `y = x Wᵀ + b` for row-major x (m, k); returns (m, n).
    pub fn forward(&self, x: &[f32], m: usize) -> Vec<f32> {
        self.forward_act(x, m, false)
    }

    /// [`Self::forward`], then GELU when `gelu` (in registers, before each row of sums is stored).
    pub fn forward_act(&self, x: &[f32], m: usize, gelu: bool) -> Vec<f32> {
        let mut y = vec![0f32; m * self.n];
        self.forward_act_into(x, m, gelu, &mut y);
        y
    }

    /// [`Self::forward_act`] into `y` (m × n), every element of which is written.
    pub fn forward_act_into(&self, x: &[f32], m: usize, gelu: bool, y: &mut [f32]) {
        assert_eq!(x.len(), m * self.k);
        assert_eq!(y.len(), m * self.n);
        let (kp, n) = (self.kp, self.n);
        // Per-row activation quantisation: u8 = round((x - lo) / s). The padding columns meet zero
        // weights, and the padding rows (up to a whole panel) are computed and dropped, so their
        // values do not matter: the buffer is reused from the last call without clearing.
        let mp = m.div_ceil(PANEL) * PANEL;
        let mut xq = XQ.with(|b| std::mem::take(&mut *b.borrow_mut()));
        xq.resize(xq.len().max(mp * kp), 0);
        let xq_rows = &mut xq[..mp * kp];
        let mut xs = vec![RowScale::default(); m];
        xq_rows.par_chunks_mut(kp).zip(xs.par_iter_mut()).zip(x.par_chunks(self.k)).for_each(|((q, s), row)| *s = quantize_row(row, q));
        let xq_rows = &*xq_rows;
        y.par_chunks_mut(PANEL * n).enumerate().for_each(|(p, yp)| {
            let r0 = p * PANEL;
            let rows = yp.len() / n;
            self.panel(&xq_rows[r0 * kp..(r0 + PANEL) * kp], &xs[r0..r0 + rows], yp, rows, gelu);
        });
        XQ.with(|b| *b.borrow_mut() = xq);
    }

    /// `rows` (≤ [`PANEL`]) rows of y, then GELU when `gelu`; xq holds a whole panel of
    /// quantised rows.
    fn panel(&self, xq: &[u8], xs: &[RowScale], y: &mut [f32], rows: usize, gelu: bool) {
        #[cfg(target_arch = "x86_64")]
        if amx::available() {
            // SAFETY: the CPU has AMX-INT8 and AVX-512 and the OS granted the tile state; xq holds
            // PANEL rows of kp bytes, packed an even number of blocks, y rows × n.
            unsafe { amx::panel(self, xq, xs, y, rows, gelu) };
            return;
        }
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx512vnni") && std::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has the features the kernel is compiled for; slices are sized by
            // the caller (xq: rows × kp, y: rows × n) and the kernel stays inside them.
            unsafe { avx512::panel(self, xq, xs, y, rows, gelu) };
            return;
        }
        self.panel_portable(xq, xs, y, rows);
        if gelu {
            super::ops::gelu_in_place(y);
        }
    }

    fn panel_portable(&self, xq: &[u8], xs: &[RowScale], y: &mut [f32], rows: usize) {
        let (kp, n) = (self.kp, self.n);
        for r in 0..rows {
            let xr = &xq[r * kp..(r + 1) * kp];
            for c in 0..n {
                let (blk, lane) = (c / NB, c % NB);
                let base = blk * kp * NB + lane * 4;
                let mut acc = 0i32;
                for g in 0..kp / 4 {
                    let w = &self.packed[base + g * NB * 4..base + g * NB * 4 + 4];
                    for j in 0..4 {
                        acc += xr[g * 4 + j] as i32 * w[j] as i32;
                    }
                }
                y[r * n + c] = acc as f32 * (xs[r].step * self.scale[c]) + (xs[r].lo * self.wsum[c] + self.bias[c]);
            }
        }
    }

    pub fn bias(&self) -> &[f32] {
        &self.bias
    }

    /// The weights as the layer uses them (row-major (n, k)).
    pub fn dequantized(&self) -> Vec<f32> {
        let mut w = vec![0f32; self.n * self.k];
        for c in 0..self.n {
            let (blk, lane) = (c / NB, c % NB);
            for j in 0..self.k {
                w[c * self.k + j] = self.packed[blk * self.kp * NB + (j / 4) * NB * 4 + lane * 4 + j % 4] as f32 * self.scale[c];
            }
        }
        w
    }

    /// Memory held by the weights, bytes.
    pub fn bytes(&self) -> usize {
        self.packed.len() + 12 * self.n
    }
}

/// How one row of activations was quantised: x ≈ step · a + lo.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct RowScale {
    step: f32,
    lo: f32,
}

/// The row's range in 255 steps. Asymmetric, because rows rarely are symmetric: after GELU they
/// lie in [-0.17, max], and LayerNorm outputs carry a few large channels of one sign; the
/// full 256 levels then cover only the values present (up to twice finer than ±max/127).
fn row_scale(lo: f32, hi: f32) -> RowScale {
    let step = if hi > lo { (hi - lo) / 255.0 } else { 1.0 };
    RowScale { step, lo }
}

/// Quantises one row of activations to u8 and returns its scale. Rounding is to nearest even,
/// which is one instruction where `round` is a libm call.
#[inline(always)]
fn quantize_row_generic(row: &[f32], q: &mut [u8]) -> RowScale {
    let (lo, hi) = row.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    if row.is_empty() {
        return row_scale(0.0, 0.0);
    }
    let rs = row_scale(lo, hi);
    let inv = 1.0 / rs.step;
    let lo = rs.lo;
    for (o, &v) in q.iter_mut().zip(row) {
        *o = ((v - lo) * inv).round_ties_even().clamp(0.0, 255.0) as u8;
    }
    rs
}

/// The same as [`quantize_row_generic`], 16 lanes at a time with explicit conversions (the
/// compiler's saturating `as` casts cost more than the arithmetic).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn quantize_row_avx512(row: &[f32], q: &mut [u8]) -> RowScale {
    use std::arch::x86_64::*;
    if row.is_empty() {
        return row_scale(0.0, 0.0);
    }
    let body = row.len() - row.len() % 16;
    let (mut vlo, mut vhi) = (_mm512_set1_ps(f32::INFINITY), _mm512_set1_ps(f32::NEG_INFINITY));
    for c in (0..body).step_by(16) {
        let v = _mm512_loadu_ps(row.as_ptr().add(c));
        vlo = _mm512_min_ps(vlo, v);
        vhi = _mm512_max_ps(vhi, v);
    }
    let (lo, hi) = row[body..]
        .iter()
        .fold((_mm512_reduce_min_ps(vlo), _mm512_reduce_max_ps(vhi)), |(a, b), &v| (a.min(v), b.max(v)));
    let rs = row_scale(lo, hi);
    let inv = 1.0 / rs.step;
    let lo = rs.lo;
    let (vinv, vl) = (_mm512_set1_ps(inv), _mm512_set1_ps(lo));
    let (zero, top) = (_mm512_setzero_si512(), _mm512_set1_epi32(255));
    for c in (0..body).step_by(16) {
        // cvtps rounds to nearest even under the default rounding mode, as round_ties_even does
        let r = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(row.as_ptr().add(c)), vl), vinv));
        let r = _mm512_min_epi32(_mm512_max_epi32(r, zero), top);
        _mm_storeu_si128(q.as_mut_ptr().add(c) as *mut __m128i, _mm512_cvtepi32_epi8(r));
    }
    for (o, &v) in q[body..].iter_mut().zip(&row[body..]) {
        *o = ((v - lo) * inv).round_ties_even().clamp(0.0, 255.0) as u8;
    }
    rs
}

fn quantize_row(row: &[f32], q: &mut [u8]) -> RowScale {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has the feature the function is compiled for.
        return unsafe { quantize_row_avx512(row, q) };
    }
    quantize_row_generic(row, q)
}

/// Whether this CPU runs int8 products with a matrix unit (AMX-INT8 or AVX-512 VNNI) rather than
/// the portable loop.
pub fn has_fast_kernel() -> bool {
    kernel_name() != "portable"
}

/// Which int8 kernel this CPU runs (for benchmarks and logs).
pub fn kernel_name() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if amx::available() {
            return "AMX-INT8";
        }
        if std::is_x86_feature_detected!("avx512vnni") && std::is_x86_feature_detected!("avx512f") {
            return "AVX-512 VNNI";
        }
    }
    "portable"
}

#[cfg(target_arch = "x86_64")]
mod amx {
    use super::{Int8Linear, RowScale, NB, PANEL};
    use std::arch::asm;
    use std::sync::OnceLock;

    /// AMX-INT8 on the CPU with the tile state granted. `VEILLE_INT8_KERNEL=vnni` turns it off,
    /// to compare.
    pub fn available() -> bool {
        static OK: OnceLock<bool> = OnceLock::new();
        *OK.get_or_init(|| {
            !std::env::var("VEILLE_INT8_KERNEL").is_ok_and(|v| v.eq_ignore_ascii_case("vnni")) && crate::model::amx::int8()
        })
    }

    // Tiles 0-3 hold i32 sums (16 × 16), 4-5 rows of x (16 × 64 u8), 6-7 weights (16 groups of
    // 4 inputs × 16 channels, i8).

    #[repr(C, align(64))]
    struct Sums([i32; 4 * 256]);

    /// One cache line.
    #[derive(Clone, Copy)]
    #[repr(C, align(64))]
    struct Line([u8; 64]);

    /// PANEL (32) rows × every channel, two blocks of 16 channels at a time: a 2 × 2 grid of
    /// 16 × 16 sums per pass over k, 64 inputs per step.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn panel(l: &Int8Linear, xq: &[u8], xs: &[RowScale], y: &mut [f32], rows: usize, gelu: bool) {
        debug_assert_eq!(PANEL, 32);
        debug_assert!(xq.len() >= PANEL * l.kp && l.packed.len() >= l.n.div_ceil(2 * NB) * 2 * l.kp * NB);
        let cfg = crate::model::amx::TileConfig::full();
        asm!("ldtilecfg [{}]", in(reg) cfg.0.as_ptr(), options(nostack, readonly));
        let (kp, n) = (l.kp, l.n);
        let nblocks = n.div_ceil(NB);
        let mut sums = Sums([0; 4 * 256]);
        // The panel's rows regrouped as tiles: for each step of 64 inputs, the two 16 × 64 A tiles
        // side by side (2 KiB), so every tile load reads 16 consecutive cache lines in the order
        // the loop walks them instead of 16 rows kp bytes apart. The regrouping is PANEL × kp
        // bytes, read once for n / 32 passes over them.
        let steps = kp / 64;
        let mut a = vec![Line([0; 64]); steps * 32];
        for r in 0..PANEL {
            for t in 0..steps {
                a[(t * 2 + r / 16) * 16 + r % 16].0.copy_from_slice(&xq[r * kp + t * 64..r * kp + t * 64 + 64]);
            }
        }
        let ap = a.as_ptr() as *const u8;
        let mut b0 = 0;
        while b0 < nblocks {
            let w0 = l.packed.as_ptr().add(b0 * kp * NB);
            let w1 = w0.add(kp * NB);
            asm!("tilezero tmm0", "tilezero tmm1", "tilezero tmm2", "tilezero tmm3", options(nostack, nomem));
            for t in 0..steps {
                asm!(
                    "tileloadd tmm4, [{x0} + {sx}*1]",
                    "tileloadd tmm5, [{x1} + {sx}*1]",
                    "tileloadd tmm6, [{w0} + {sw}*1]",
                    "tileloadd tmm7, [{w1} + {sw}*1]",
                    "tdpbusd tmm0, tmm4, tmm6",
                    "tdpbusd tmm1, tmm4, tmm7",
                    "tdpbusd tmm2, tmm5, tmm6",
                    "tdpbusd tmm3, tmm5, tmm7",
                    x0 = in(reg) ap.add(t * 2048),
                    x1 = in(reg) ap.add(t * 2048 + 1024),
                    w0 = in(reg) w0.add(t * 16 * 64),
                    w1 = in(reg) w1.add(t * 16 * 64),
                    sx = in(reg) 64usize,
                    sw = in(reg) 64usize,
                    options(nostack, readonly),
                );
            }
            let sp = sums.0.as_mut_ptr();
            asm!(
                "tilestored [{p0} + {s}*1], tmm0",
                "tilestored [{p1} + {s}*1], tmm1",
                "tilestored [{p2} + {s}*1], tmm2",
                "tilestored [{p3} + {s}*1], tmm3",
                p0 = in(reg) sp,
                p1 = in(reg) sp.add(256),
                p2 = in(reg) sp.add(512),
                p3 = in(reg) sp.add(768),
                s = in(reg) 64usize,
                options(nostack),
            );
            for r in 0..rows {
                for c in 0..2.min(nblocks - b0) {
                    let tile = (r / 16) * 2 + c;
                    let acc = std::arch::x86_64::_mm512_loadu_si512(sums.0.as_ptr().add(tile * 256 + (r % 16) * 16) as *const _);
                    super::avx512::store_row(l, acc, xs[r], y, r, b0 + c, gelu);
                }
            }
            b0 += 2;
        }
        asm!("tilerelease", options(nostack, nomem));
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{Int8Linear, RowScale, MR, NB, NT};
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx512f,avx512vnni")]
    pub unsafe fn panel(l: &Int8Linear, xq: &[u8], xs: &[RowScale], y: &mut [f32], rows: usize, gelu: bool) {
        let nblocks = l.n.div_ceil(NB);
        let mut b0 = 0;
        while b0 < nblocks {
            let nt = (nblocks - b0).min(NT);
            let mut r0 = 0;
            while r0 < rows {
                let mr = (rows - r0).min(MR);
                match (mr, nt) {
                    (4, 4) => tile::<4, 4>(l, xq, xs, y, r0, b0, gelu),
                    (4, 3) => tile::<4, 3>(l, xq, xs, y, r0, b0, gelu),
                    (4, 2) => tile::<4, 2>(l, xq, xs, y, r0, b0, gelu),
                    (4, 1) => tile::<4, 1>(l, xq, xs, y, r0, b0, gelu),
                    (3, _) => tile_n::<3>(l, xq, xs, y, r0, b0, nt, gelu),
                    (2, _) => tile_n::<2>(l, xq, xs, y, r0, b0, nt, gelu),
                    _ => tile_n::<1>(l, xq, xs, y, r0, b0, nt, gelu),
                }
                r0 += mr;
            }
            b0 += nt;
        }
    }

    #[target_feature(enable = "avx512f,avx512vnni")]
    unsafe fn tile_n<const R: usize>(l: &Int8Linear, xq: &[u8], xs: &[RowScale], y: &mut [f32], r0: usize, b0: usize, nt: usize, gelu: bool) {
        match nt {
            4 => tile::<R, 4>(l, xq, xs, y, r0, b0, gelu),
            3 => tile::<R, 3>(l, xq, xs, y, r0, b0, gelu),
            2 => tile::<R, 2>(l, xq, xs, y, r0, b0, gelu),
            _ => tile::<R, 1>(l, xq, xs, y, r0, b0, gelu),
        }
    }

    /// R rows × C channel blocks of 16, over all of k.
    #[target_feature(enable = "avx512f,avx512vnni")]
    unsafe fn tile<const R: usize, const C: usize>(l: &Int8Linear, xq: &[u8], xs: &[RowScale], y: &mut [f32], r0: usize, b0: usize, gelu: bool) {
        let kp = l.kp;
        let groups = kp / 4;
        let mut acc = [[_mm512_setzero_si512(); C]; R];
        let wbase = l.packed.as_ptr().add(b0 * kp * NB);
        let xbase = xq.as_ptr().add(r0 * kp);
        for g in 0..groups {
            let mut w = [_mm512_setzero_si512(); C];
            for (c, wc) in w.iter_mut().enumerate() {
                *wc = _mm512_loadu_si512(wbase.add(c * kp * NB + g * NB * 4) as *const _);
            }
            for (r, ar) in acc.iter_mut().enumerate() {
                let xv = _mm512_set1_epi32((xbase.add(r * kp + g * 4) as *const i32).read_unaligned());
                for c in 0..C {
                    ar[c] = _mm512_dpbusd_epi32(ar[c], xv, w[c]);
                }
            }
        }
        for (r, ar) in acc.iter().enumerate() {
            for (c, a) in ar.iter().enumerate() {
                store_row(l, *a, xs[r0 + r], y, r0 + r, b0 + c, gelu);
            }
        }
    }

    /// One row's 16 integer sums of channel block `blk` to f32 in y: undo both scales and the
    /// row's minimum, add the bias (the last block may be partly outside n), then GELU when
    /// `gelu`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn store_row(l: &Int8Linear, acc: __m512i, xs: RowScale, y: &mut [f32], row: usize, blk: usize, gelu: bool) {
        let n = l.n;
        let c0 = blk * NB;
        let mask = crate::model::ops::lanes16(n - c0);
        let ws = _mm512_maskz_loadu_ps(mask, l.wsum.as_ptr().add(c0));
        let sw = _mm512_maskz_loadu_ps(mask, l.scale.as_ptr().add(c0));
        let b = _mm512_maskz_loadu_ps(mask, l.bias.as_ptr().add(c0));
        let v = _mm512_cvtepi32_ps(acc);
        let out = _mm512_fmadd_ps(v, _mm512_mul_ps(_mm512_set1_ps(xs.step), sw), _mm512_fmadd_ps(_mm512_set1_ps(xs.lo), ws, b));
        let out = if gelu { crate::model::ops::gelu16(out) } else { out };
        _mm512_mask_storeu_ps(y.as_mut_ptr().add(row * n + c0), mask, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(seed: &mut u64) -> f32 {
        *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((*seed >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    /// Every shape class: row and channel tails, k not a multiple of 4.
    #[test]
    fn int8_matmul_matches_f32_and_the_portable_loop() {
        let mut seed = 7u64;
        for &(m, n, k) in &[(1usize, 16usize, 4usize), (5, 40, 30), (37, 70, 64), (64, 384, 384), (9, 1536, 384)] {
            let w: Vec<f32> = (0..n * k).map(|_| lcg(&mut seed)).collect();
            let b: Vec<f32> = (0..n).map(|_| lcg(&mut seed)).collect();
            let x: Vec<f32> = (0..m * k).map(|_| lcg(&mut seed) * 3.0).collect();
            let l = Int8Linear::new(&w, &b, n, k);
            let y = l.forward(&x, m);
            let mut worst = 0f32;
            for r in 0..m {
                for c in 0..n {
                    let exact: f32 = (0..k).map(|j| x[r * k + j] * w[c * k + j]).sum::<f32>() + b[c];
                    worst = worst.max((exact - y[r * n + c]).abs() / (k as f32).sqrt());
                }
            }
            assert!(worst < 0.05, "{m}x{n}x{k}: error {worst}");
            // the SIMD kernel (AMX or VNNI) and the portable loop agree (same integer sums)
            let kp = l.kp;
            let mut xq = vec![0u8; m * kp];
            let mut xs = vec![RowScale::default(); m];
            for r in 0..m {
                xs[r] = quantize_row_generic(&x[r * k..(r + 1) * k], &mut xq[r * kp..(r + 1) * kp]);
            }
            let mut yp = vec![0f32; m * n];
            l.panel_portable(&xq, &xs, &mut yp, m);
            let d = y.iter().zip(&yp).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
            assert!(d < 1e-3, "{m}x{n}x{k}: kernel vs portable {d}");
        }
    }

    #[test]
    fn row_quantisation_is_the_same_on_every_path() {
        let mut seed = 3u64;
        for n in [1usize, 15, 16, 17, 384, 1537] {
            let row: Vec<f32> = (0..n).map(|_| lcg(&mut seed) * 5.0).collect();
            let (mut a, mut b) = (vec![0u8; n], vec![0u8; n]);
            let sa = quantize_row(&row, &mut a);
            let sb = quantize_row_generic(&row, &mut b);
            assert_eq!((sa, &a), (sb, &b), "n {n}");
        }
    }

    /// A row after GELU spans [-0.17, max]: every value comes back within half a step of
    /// (max - min) / 255, about half the error of a symmetric ±max/127 grid.
    #[test]
    fn a_one_sided_row_uses_all_256_levels_of_its_range() {
        let mut seed = 11u64;
        let row: Vec<f32> = (0..384).map(|i| if i == 5 { 6.0 } else { (lcg(&mut seed) + 1.0) * 1.5 - 0.17 }).collect();
        let mut q = vec![0u8; row.len()];
        let rs = quantize_row(&row, &mut q);
        let lo = row.iter().cloned().fold(f32::INFINITY, f32::min);
        assert!((rs.step - (6.0 - lo) / 255.0).abs() < 1e-6);
        assert_eq!((q.iter().min(), q.iter().max()), (Some(&0), Some(&255)));
        for (&v, &a) in row.iter().zip(&q) {
            assert!((rs.step * a as f32 + rs.lo - v).abs() <= rs.step * 0.5 + 1e-6, "{v} -> {a}");
        }
    }

    #[test]
    fn zero_rows_and_weights_give_the_bias() {
        let l = Int8Linear::new(&[0.0; 32], &[1.5, -2.0], 2, 16);
        assert_eq!(l.forward(&[0.0; 16], 1), vec![1.5, -2.0]);
    }

    #[test]
    fn forward_into_a_reused_buffer_overwrites_every_element() {
        let (m, n, k) = (37usize, 40usize, 30usize);
        let mut seed = 5u64;
        let w: Vec<f32> = (0..n * k).map(|_| lcg(&mut seed)).collect();
        let b: Vec<f32> = (0..n).map(|_| lcg(&mut seed)).collect();
        let x: Vec<f32> = (0..m * k).map(|_| lcg(&mut seed)).collect();
        let l = Int8Linear::new(&w, &b, n, k);
        for gelu in [false, true] {
            let mut y = vec![f32::NAN; m * n];
            l.forward_act_into(&x, m, gelu, &mut y);
            assert_eq!(y, l.forward_act(&x, m, gelu));
        }
    }

    #[test]
    fn fused_gelu_equals_the_separate_pass_bit_for_bit() {
        let (m, n, k) = (37usize, 70usize, 30usize);
        let mut seed = 9u64;
        let w: Vec<f32> = (0..n * k).map(|_| lcg(&mut seed)).collect();
        let b: Vec<f32> = (0..n).map(|_| lcg(&mut seed)).collect();
        let x: Vec<f32> = (0..m * k).map(|_| lcg(&mut seed) * 3.0).collect();
        let l = Int8Linear::new(&w, &b, n, k);
        let mut want = l.forward(&x, m);
        crate::model::ops::gelu_in_place(&mut want);
        assert_eq!(l.forward_act(&x, m, true), want);
    }

    #[test]
    fn a_reused_quantisation_buffer_reads_like_a_fresh_one() {
        // The quantised rows are kept per thread between calls, padding included: a layer with
        // padded inputs (k = 30 of 64) after one that filled the buffer with other rows must
        // read as it does on a fresh thread.
        let mut seed = 13u64;
        let big = Int8Linear::new(&(0..64 * 200).map(|_| lcg(&mut seed)).collect::<Vec<_>>(), &[0.0; 64], 64, 200);
        let bx: Vec<f32> = (0..70 * 200).map(|_| lcg(&mut seed) * 4.0 + 2.0).collect();
        let (m, n, k) = (37usize, 40usize, 30usize);
        let l = Int8Linear::new(&(0..n * k).map(|_| lcg(&mut seed)).collect::<Vec<_>>(), &vec![0.5; n], n, k);
        let x: Vec<f32> = (0..m * k).map(|_| lcg(&mut seed)).collect();
        let fresh = std::thread::scope(|s| s.spawn(|| l.forward(&x, m)).join().expect("thread"));
        big.forward(&bx, 70);
        assert_eq!(l.forward(&x, m), fresh);
    }
}
