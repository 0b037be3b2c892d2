//! An int8 linear layer for CPUs: weights quantised once per output channel (symmetric, i8),
//! activations per row at run time (u8 with a +128 offset), products summed in i32. On CPUs with
//! AVX-512 VNNI one `vpdpbusd` does 64 multiply-adds, four times what an f32 FMA does, so the
//! matrix products of the encoder run several times faster than in f32; elsewhere a portable loop
//! gives the same numbers (slowly).
//!
//! Weight layout: output channels in blocks of 16; inside a block, for each group of 4
//! consecutive inputs, 16 × 4 bytes (channel-major), which is the operand order of `vpdpbusd`:
//! one 4-byte group of a row of x broadcast against 16 channels at once.
use rayon::prelude::*;

/// Output channels per block (one 512-bit register of i32).
const NB: usize = 16;
/// Rows of x per micro-kernel call.
const MR: usize = 4;
/// Channel blocks per micro-kernel call.
const NT: usize = 4;

#[derive(Debug, Clone)]
pub struct Int8Linear {
    /// Output channels.
    pub n: usize,
    /// Inputs.
    pub k: usize,
    /// `k` rounded up to a multiple of 4.
    kp: usize,
    packed: Vec<i8>,
    scale: Vec<f32>,
    /// 128 × Σ_k w[n][k], subtracted to undo the activation offset.
    offset: Vec<i32>,
    bias: Vec<f32>,
}

impl Int8Linear {
    /// From a row-major (n, k) weight (PyTorch `nn.Linear` order) and its bias.
    pub fn new(w: &[f32], bias: &[f32], n: usize, k: usize) -> Int8Linear {
        assert_eq!(w.len(), n * k);
        assert_eq!(bias.len(), n);
        let kp = k.div_ceil(4) * 4;
        let nblocks = n.div_ceil(NB);
        let mut packed = vec![0i8; nblocks * kp * NB];
        let mut scale = vec![1f32; n];
        let mut offset = vec![0i32; n];
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
            offset[c] = 128 * sum;
        }
        Int8Linear { n, k, kp, packed, scale, offset, bias: bias.to_vec() }
    }

    /// `y = x Wᵀ + b` for row-major x (m, k); returns (m, n).
    pub fn forward(&self, x: &[f32], m: usize) -> Vec<f32> {
        assert_eq!(x.len(), m * self.k);
        let (kp, n) = (self.kp, self.n);
        // Per-row activation quantisation: u8 = round(x / s) + 128.
        let mut xq = vec![128u8; m * kp];
        let mut xs = vec![0f32; m];
        xq.par_chunks_mut(kp).zip(xs.par_iter_mut()).zip(x.par_chunks(self.k)).for_each(|((q, s), row)| *s = quantize_row(row, q));
        let mut y = vec![0f32; m * n];
        // Rows in panels of 32 per task: a panel of x stays in L1 while it meets every channel block.
        const PANEL: usize = 32;
        y.par_chunks_mut(PANEL * n).enumerate().for_each(|(p, yp)| {
            let r0 = p * PANEL;
            let rows = yp.len() / n;
            self.panel(&xq[r0 * kp..(r0 + rows) * kp], &xs[r0..r0 + rows], yp, rows);
        });
        y
    }

    fn panel(&self, xq: &[u8], xs: &[f32], y: &mut [f32], rows: usize) {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx512vnni") && std::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has the features the kernel is compiled for; slices are sized by
            // the caller (xq: rows × kp, y: rows × n) and the kernel stays inside them.
            unsafe { avx512::panel(self, xq, xs, y, rows) };
            return;
        }
        self.panel_portable(xq, xs, y, rows);
    }

    fn panel_portable(&self, xq: &[u8], xs: &[f32], y: &mut [f32], rows: usize) {
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
                y[r * n + c] = (acc - self.offset[c]) as f32 * xs[r] * self.scale[c] + self.bias[c];
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

/// Quantises one row of activations to u8 (+128 offset) and returns its scale. Rounding is to
/// nearest even, which is one instruction where `round` is a libm call.
#[inline(always)]
fn quantize_row_generic(row: &[f32], q: &mut [u8]) -> f32 {
    const L: usize = 16;
    let body = row.len() - row.len() % L;
    let mut mx = [0f32; L];
    for c in row[..body].chunks_exact(L) {
        for j in 0..L {
            mx[j] = mx[j].max(c[j].abs());
        }
    }
    let m = mx.iter().chain(&row[body..]).fold(0f32, |a, &v| a.max(v.abs()));
    let s = if m > 0.0 { m / 127.0 } else { 1.0 };
    let inv = 1.0 / s;
    for (o, &v) in q.iter_mut().zip(row) {
        *o = ((v * inv).round_ties_even().clamp(-127.0, 127.0) as i32 + 128) as u8;
    }
    s
}

/// The same as [`quantize_row_generic`], 16 lanes at a time with explicit conversions (the
/// compiler's saturating `as` casts cost more than the arithmetic).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn quantize_row_avx512(row: &[f32], q: &mut [u8]) -> f32 {
    use std::arch::x86_64::*;
    let body = row.len() - row.len() % 16;
    let mut mx = _mm512_setzero_ps();
    for c in (0..body).step_by(16) {
        mx = _mm512_max_ps(mx, _mm512_abs_ps(_mm512_loadu_ps(row.as_ptr().add(c))));
    }
    let m = row[body..].iter().fold(_mm512_reduce_max_ps(mx), |a, &v| a.max(v.abs()));
    let s = if m > 0.0 { m / 127.0 } else { 1.0 };
    let inv = 1.0 / s;
    let vinv = _mm512_set1_ps(inv);
    let (lo, hi, off) = (_mm512_set1_epi32(-127), _mm512_set1_epi32(127), _mm512_set1_epi32(128));
    for c in (0..body).step_by(16) {
        // cvtps rounds to nearest even under the default rounding mode, as round_ties_even does
        let r = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(row.as_ptr().add(c)), vinv));
        let r = _mm512_add_epi32(_mm512_min_epi32(_mm512_max_epi32(r, lo), hi), off);
        _mm_storeu_si128(q.as_mut_ptr().add(c) as *mut __m128i, _mm512_cvtepi32_epi8(r));
    }
    for (o, &v) in q[body..].iter_mut().zip(&row[body..]) {
        *o = ((v * inv).round_ties_even().clamp(-127.0, 127.0) as i32 + 128) as u8;
    }
    s
}

fn quantize_row(row: &[f32], q: &mut [u8]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has the feature the function is compiled for.
        return unsafe { quantize_row_avx512(row, q) };
    }
    quantize_row_generic(row, q)
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{Int8Linear, MR, NB, NT};
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx512f,avx512vnni")]
    pub unsafe fn panel(l: &Int8Linear, xq: &[u8], xs: &[f32], y: &mut [f32], rows: usize) {
        let nblocks = l.n.div_ceil(NB);
        let mut b0 = 0;
        while b0 < nblocks {
            let nt = (nblocks - b0).min(NT);
            let mut r0 = 0;
            while r0 < rows {
                let mr = (rows - r0).min(MR);
                match (mr, nt) {
                    (4, 4) => tile::<4, 4>(l, xq, xs, y, r0, b0),
                    (4, 3) => tile::<4, 3>(l, xq, xs, y, r0, b0),
                    (4, 2) => tile::<4, 2>(l, xq, xs, y, r0, b0),
                    (4, 1) => tile::<4, 1>(l, xq, xs, y, r0, b0),
                    (3, _) => tile_n::<3>(l, xq, xs, y, r0, b0, nt),
                    (2, _) => tile_n::<2>(l, xq, xs, y, r0, b0, nt),
                    _ => tile_n::<1>(l, xq, xs, y, r0, b0, nt),
                }
                r0 += mr;
            }
            b0 += nt;
        }
    }

    #[target_feature(enable = "avx512f,avx512vnni")]
    unsafe fn tile_n<const R: usize>(l: &Int8Linear, xq: &[u8], xs: &[f32], y: &mut [f32], r0: usize, b0: usize, nt: usize) {
        match nt {
            4 => tile::<R, 4>(l, xq, xs, y, r0, b0),
            3 => tile::<R, 3>(l, xq, xs, y, r0, b0),
            2 => tile::<R, 2>(l, xq, xs, y, r0, b0),
            _ => tile::<R, 1>(l, xq, xs, y, r0, b0),
        }
    }

    /// R rows × C channel blocks of 16, over all of k.
    #[target_feature(enable = "avx512f,avx512vnni")]
    unsafe fn tile<const R: usize, const C: usize>(l: &Int8Linear, xq: &[u8], xs: &[f32], y: &mut [f32], r0: usize, b0: usize) {
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
        let n = l.n;
        for (r, ar) in acc.iter().enumerate() {
            let sx = _mm512_set1_ps(xs[r0 + r]);
            for (c, a) in ar.iter().enumerate() {
                let c0 = (b0 + c) * NB;
                let live = (n - c0).min(NB);
                let mask: __mmask16 = if live == NB { 0xffff } else { ((1u32 << live) - 1) as __mmask16 };
                let off = _mm512_maskz_loadu_epi32(mask, l.offset.as_ptr().add(c0) as *const _);
                let sw = _mm512_maskz_loadu_ps(mask, l.scale.as_ptr().add(c0));
                let b = _mm512_maskz_loadu_ps(mask, l.bias.as_ptr().add(c0));
                let v = _mm512_cvtepi32_ps(_mm512_sub_epi32(*a, off));
                let out = _mm512_fmadd_ps(v, _mm512_mul_ps(sx, sw), b);
                _mm512_mask_storeu_ps(y.as_mut_ptr().add((r0 + r) * n + c0), mask, out);
            }
        }
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
            // the SIMD kernel and the portable loop agree exactly (same integer sums)
            let kp = k.div_ceil(4) * 4;
            let mut xq = vec![128u8; m * kp];
            let mut xs = vec![0f32; m];
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

    #[test]
    fn zero_rows_and_weights_give_the_bias() {
        let l = Int8Linear::new(&[0.0; 32], &[1.5, -2.0], 2, 16);
        assert_eq!(l.forward(&[0.0; 16], 1), vec![1.5, -2.0]);
    }
}
