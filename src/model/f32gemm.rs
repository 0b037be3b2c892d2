//! An f32 linear layer with an AVX-512 kernel. candle's CPU matmul (the `gemm` crate, stable
//! Rust) stops at AVX2; on CPUs with AVX-512 this one runs the encoder's products 16 lanes wide.
//! Elsewhere [`PackedLinear::available`] is false and the caller keeps candle's matmul.
//!
//! Weight layout: output channels in blocks of 16; inside a block, for each input k, the 16
//! channels' weights side by side, so one aligned load meets one broadcast element of x.
use rayon::prelude::*;

const NB: usize = 16;
/// Kernel tile: MR rows × NT blocks of 16 columns, 28 accumulators of the 32 vector registers.
/// 14 × 2 ran 14-22 % faster than 6 × 4 on the encoder's products: fewer weight loads per FMA
/// (the weights stream from L2, the rows' inputs sit in L1).
const MR: usize = 14;
const NT: usize = 2;

#[derive(Debug, Clone)]
pub struct PackedLinear {
    pub n: usize,
    pub k: usize,
    packed: Vec<f32>,
    bias: Vec<f32>,
}

impl PackedLinear {
    /// Whether this CPU runs the kernel.
    pub fn available() -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            std::is_x86_feature_detected!("avx512f")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    }

    /// From a row-major (n, k) weight and its bias.
    pub fn new(w: &[f32], bias: &[f32], n: usize, k: usize) -> PackedLinear {
        assert_eq!(w.len(), n * k);
        assert_eq!(bias.len(), n);
        let nblocks = n.div_ceil(NB);
        let mut packed = vec![0f32; nblocks * k * NB];
        for c in 0..n {
            let (blk, lane) = (c / NB, c % NB);
            for j in 0..k {
                packed[(blk * k + j) * NB + lane] = w[c * k + j];
            }
        }
        PackedLinear { n, k, packed, bias: bias.to_vec() }
    }

    /// The weight back in row-major (n, k).
    pub fn weight(&self) -> Vec<f32> {
        let mut w = vec![0f32; self.n * self.k];
        for c in 0..self.n {
            for j in 0..self.k {
                w[c * self.k + j] = self.packed[((c / NB) * self.k + j) * NB + c % NB];
            }
        }
        w
    }

    pub fn bias(&self) -> &[f32] {
        &self.bias
    }

    /// `y = x Wᵀ + b` for row-major x (m, k); returns (m, n).
    pub fn forward(&self, x: &[f32], m: usize) -> Vec<f32> {
        self.forward_act(x, m, false)
    }

    /// [`Self::forward`], then GELU when `gelu` (in registers, before the tile is stored).
    pub fn forward_act(&self, x: &[f32], m: usize, gelu: bool) -> Vec<f32> {
        let mut y = vec![0f32; m * self.n];
        self.forward_act_into(x, m, gelu, &mut y);
        y
    }

    /// [`Self::forward_act`] into `y` (m × n), every element of which is written: the encoder
    /// reuses one buffer per product across layers instead of zeroing fresh pages each time.
    pub fn forward_act_into(&self, x: &[f32], m: usize, gelu: bool, y: &mut [f32]) {
        assert_eq!(x.len(), m * self.k);
        assert_eq!(y.len(), m * self.n);
        let (k, n) = (self.k, self.n);
        let panel = panel_rows(m, rayon::current_num_threads());
        y.par_chunks_mut(panel * n).enumerate().for_each(|(p, yp)| {
            let r0 = p * panel;
            let rows = yp.len() / n;
            self.panel(&x[r0 * k..(r0 + rows) * k], yp, rows, gelu);
        });
    }

    /// `rows` rows of y, then GELU when `gelu` (the AVX-512 kernel applies it to each tile in
    /// registers, on the same values the separate pass would read).
    fn panel(&self, x: &[f32], y: &mut [f32], rows: usize, gelu: bool) {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has the feature the kernel is compiled for; x is rows × k and y is
            // rows × n, which is what the kernel reads and writes.
            unsafe { avx512::panel(self, x, y, rows, gelu) };
            return;
        }
        self.panel_portable(x, y, rows);
        if gelu {
            super::ops::gelu_in_place(y);
        }
    }

    fn panel_portable(&self, x: &[f32], y: &mut [f32], rows: usize) {
        let (k, n) = (self.k, self.n);
        for r in 0..rows {
            for c in 0..n {
                let mut acc = self.bias[c];
                for j in 0..k {
                    acc += x[r * k + j] * self.packed[((c / NB) * k + j) * NB + c % NB];
                }
                y[r * n + c] = acc;
            }
        }
    }
}

/// Rows per parallel task: each task streams the whole weight once per pass, and the feed-forward
/// weights (2.4 MB in f32) do not fit a core's L2, so tasks take up to 84 rows (six kernel tiles)
/// rather than a handful, in a count that splits evenly over the threads.
fn panel_rows(m: usize, threads: usize) -> usize {
    const MAX: usize = 6 * MR;
    let threads = threads.max(1);
    let tasks = threads * m.div_ceil(threads * MAX).max(1);
    m.div_ceil(tasks).div_ceil(MR).max(1) * MR
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{PackedLinear, MR, NB, NT};
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx512f")]
    pub unsafe fn panel(l: &PackedLinear, x: &[f32], y: &mut [f32], rows: usize, gelu: bool) {
        let nblocks = l.n.div_ceil(NB);
        let mut b0 = 0;
        while b0 < nblocks {
            let nt = (nblocks - b0).min(NT);
            let mut r0 = 0;
            while r0 < rows {
                let mr = (rows - r0).min(MR);
                match mr {
                    14 => cols::<14>(l, x, y, r0, b0, nt, gelu),
                    13 => cols::<13>(l, x, y, r0, b0, nt, gelu),
                    12 => cols::<12>(l, x, y, r0, b0, nt, gelu),
                    11 => cols::<11>(l, x, y, r0, b0, nt, gelu),
                    10 => cols::<10>(l, x, y, r0, b0, nt, gelu),
                    9 => cols::<9>(l, x, y, r0, b0, nt, gelu),
                    8 => cols::<8>(l, x, y, r0, b0, nt, gelu),
                    7 => cols::<7>(l, x, y, r0, b0, nt, gelu),
                    6 => cols::<6>(l, x, y, r0, b0, nt, gelu),
                    5 => cols::<5>(l, x, y, r0, b0, nt, gelu),
                    4 => cols::<4>(l, x, y, r0, b0, nt, gelu),
                    3 => cols::<3>(l, x, y, r0, b0, nt, gelu),
                    2 => cols::<2>(l, x, y, r0, b0, nt, gelu),
                    _ => cols::<1>(l, x, y, r0, b0, nt, gelu),
                }
                r0 += mr;
            }
            b0 += nt;
        }
    }

    #[target_feature(enable = "avx512f")]
    unsafe fn cols<const R: usize>(l: &PackedLinear, x: &[f32], y: &mut [f32], r0: usize, b0: usize, nt: usize, gelu: bool) {
        match nt {
            2 => tile::<R, 2>(l, x, y, r0, b0, gelu),
            _ => tile::<R, 1>(l, x, y, r0, b0, gelu),
        }
    }

    #[target_feature(enable = "avx512f")]
    unsafe fn tile<const R: usize, const C: usize>(l: &PackedLinear, x: &[f32], y: &mut [f32], r0: usize, b0: usize, gelu: bool) {
        let k = l.k;
        let mut acc = [[_mm512_setzero_ps(); C]; R];
        let wbase = l.packed.as_ptr().add(b0 * k * NB);
        let xbase = x.as_ptr().add(r0 * k);
        for j in 0..k {
            let mut w = [_mm512_setzero_ps(); C];
            for (c, wc) in w.iter_mut().enumerate() {
                *wc = _mm512_loadu_ps(wbase.add((c * k + j) * NB));
            }
            for (r, ar) in acc.iter_mut().enumerate() {
                let xv = _mm512_set1_ps(*xbase.add(r * k + j));
                for c in 0..C {
                    ar[c] = _mm512_fmadd_ps(xv, w[c], ar[c]);
                }
            }
        }
        let n = l.n;
        for (r, ar) in acc.iter().enumerate() {
            for (c, a) in ar.iter().enumerate() {
                let c0 = (b0 + c) * NB;
                let mask = crate::model::ops::lanes16(n - c0);
                let b = _mm512_maskz_loadu_ps(mask, l.bias.as_ptr().add(c0));
                let v = _mm512_add_ps(*a, b);
                let v = if gelu { crate::model::ops::gelu16(v) } else { v };
                _mm512_mask_storeu_ps(y.as_mut_ptr().add((r0 + r) * n + c0), mask, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panels_are_whole_kernel_tiles_and_split_evenly() {
        assert_eq!(panel_rows(128, 2), 70);
        assert_eq!(panel_rows(1024, 2), 84);
        assert_eq!(panel_rows(1, 2), MR);
        for m in [1usize, 7, 64, 130, 4096] {
            let p = panel_rows(m, 2);
            assert!(p % MR == 0 && p <= 84 && m.div_ceil(p) >= 2.min(m.div_ceil(MR)), "m {m}: {p}");
        }
    }

    #[test]
    fn packed_matmul_matches_the_plain_product_on_every_tail() {
        let mut seed = 11u64;
        let mut rnd = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((seed >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        };
        for &(m, n, k) in &[(1usize, 16usize, 1usize), (7, 40, 30), (37, 70, 64), (50, 384, 384), (13, 1536, 384), (14, 48, 20), (29, 80, 33)] {
            let w: Vec<f32> = (0..n * k).map(|_| rnd()).collect();
            let b: Vec<f32> = (0..n).map(|_| rnd()).collect();
            let x: Vec<f32> = (0..m * k).map(|_| rnd()).collect();
            let l = PackedLinear::new(&w, &b, n, k);
            assert_eq!(l.weight(), w);
            let y = l.forward(&x, m);
            let mut yp = vec![0f32; m * n];
            l.panel_portable(&x, &mut yp, m);
            for r in 0..m {
                for c in 0..n {
                    let exact: f32 = (0..k).map(|j| x[r * k + j] * w[c * k + j]).sum::<f32>() + b[c];
                    assert!((exact - y[r * n + c]).abs() < 1e-4, "{m}x{n}x{k} at ({r},{c})");
                    assert!((exact - yp[r * n + c]).abs() < 1e-4);
                }
            }
        }
    }

    #[test]
    fn forward_into_a_reused_buffer_overwrites_every_element() {
        let (m, n, k) = (31usize, 48usize, 20usize);
        let w: Vec<f32> = (0..n * k).map(|i| (i % 13) as f32 * 0.1 - 0.6).collect();
        let b: Vec<f32> = (0..n).map(|i| i as f32 * 0.01).collect();
        let x: Vec<f32> = (0..m * k).map(|i| (i % 7) as f32 * 0.2 - 0.5).collect();
        let l = PackedLinear::new(&w, &b, n, k);
        for gelu in [false, true] {
            let mut y = vec![f32::NAN; m * n];
            l.forward_act_into(&x, m, gelu, &mut y);
            assert_eq!(y, l.forward_act(&x, m, gelu));
        }
    }

    #[test]
    fn fused_gelu_equals_the_separate_pass_bit_for_bit() {
        let (m, n, k) = (29usize, 80usize, 33usize);
        let w: Vec<f32> = (0..n * k).map(|i| (i % 11) as f32 * 0.15 - 0.7).collect();
        let b: Vec<f32> = (0..n).map(|i| i as f32 * 0.02 - 0.5).collect();
        let x: Vec<f32> = (0..m * k).map(|i| (i % 9) as f32 * 0.1 - 0.4).collect();
        let l = PackedLinear::new(&w, &b, n, k);
        let mut want = l.forward(&x, m);
        crate::model::ops::gelu_in_place(&mut want);
        assert_eq!(l.forward_act(&x, m, true), want);
    }
}
