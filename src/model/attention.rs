//! Self-attention on the CPU in one pass per (sequence, block of query rows): scores against the
//! sequence's real keys only, softmax, and the weighted sum of values, read straight from the fused
//! QKV rows and written straight into the context rows. It replaces two batched matmuls, a softmax
//! op and three layout copies. Each row depends only on its own sequence's real tokens, so the
//! result is the same whatever batch the sequence is in; padded query rows are left at zero
//! (nothing reads them).
use candle_core::{CpuStorage, CustomOp1, DType, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

/// Query rows per task.
const ROWS: usize = 16;
/// Keys per score vector (one 512-bit register of f32).
const KB: usize = 16;
/// Query rows per register block of the AVX-512 kernel.
const G: usize = 8;

/// `qkv`: (b, t, 3h) row-major with h = nh × d, Q already scaled by 1/√d; `lens[i]`: real tokens
/// of sequence i (right padding). Returns the context (b, t, h).
pub fn attend(qkv: &[f32], b: usize, t: usize, nh: usize, d: usize, lens: &[usize]) -> Vec<f32> {
    let mut ctx = vec![0f32; b * t * nh * d];
    attend_into(qkv, b, t, nh, d, lens, &mut ctx);
    ctx
}

/// [`attend`] into `ctx` (b, t, h); its padded rows are set to zero, so a reused buffer reads
/// the same as a fresh one.
pub fn attend_into(qkv: &[f32], b: usize, t: usize, nh: usize, d: usize, lens: &[usize], ctx: &mut [f32]) {
    let h = nh * d;
    assert_eq!(qkv.len(), b * t * 3 * h);
    assert_eq!(lens.len(), b);
    assert_eq!(ctx.len(), b * t * h);
    ctx.par_chunks_mut(t * h).enumerate().for_each(|(bi, cseq)| {
        let n = lens[bi].clamp(1, t);
        let seq = &qkv[bi * t * 3 * h..(bi + 1) * t * 3 * h];
        let np = n.div_ceil(KB) * KB;
        // Kᵀ (d × np, zero-padded keys) and V (n × d) of every head, gathered once per sequence.
        let mut kt = vec![0f32; nh * d * np];
        let mut v = vec![0f32; nh * n * d];
        kt.par_chunks_mut(d * np).zip(v.par_chunks_mut(n * d)).enumerate().for_each(|(hd, (kt, v))| {
            for j in 0..n {
                let r = &seq[j * 3 * h..(j + 1) * 3 * h];
                for (c, &x) in r[h + hd * d..h + (hd + 1) * d].iter().enumerate() {
                    kt[c * np + j] = x;
                }
                v[j * d..(j + 1) * d].copy_from_slice(&r[2 * h + hd * d..2 * h + (hd + 1) * d]);
            }
        });
        // Blocks of query rows of this sequence, in parallel; padded rows are skipped.
        cseq.par_chunks_mut(ROWS * h).enumerate().for_each(|(blk, out)| {
            let i0 = blk * ROWS;
            if i0 >= n {
                out.fill(0.0);
                return;
            }
            let rows = (n - i0).min(ROWS);
            out[rows * h..].fill(0.0);
            block(&Heads { seq, kt: &kt, v: &v, h, d, nh, n, np }, i0, rows, out);
        });
    });
}

/// One sequence's fused QKV rows and its gathered keys and values.
struct Heads<'a> {
    seq: &'a [f32],
    kt: &'a [f32],
    v: &'a [f32],
    h: usize,
    d: usize,
    nh: usize,
    n: usize,
    np: usize,
}

struct Fused {
    nh: usize,
    lens: Vec<usize>,
}

impl CustomOp1 for Fused {
    fn name(&self) -> &'static str {
        "veille-fused-attention"
    }
    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let CpuStorage::F32(v) = s else { candle_core::bail!("attention: f32 only") };
        let (a, z) = l.contiguous_offsets().ok_or_else(|| candle_core::Error::Msg("attention: not contiguous".into()))?;
        let (b, t, h3) = l.shape().dims3()?;
        let d = h3 / 3 / self.nh;
        Ok((CpuStorage::F32(attend(&v[a..z], b, t, self.nh, d, &self.lens)), Shape::from((b, t, h3 / 3))))
    }
}

/// The attention context (B, T, H) from fused QKV rows (B, T, 3H) on the CPU in f32, for right-
/// padded sequences of `lens` real tokens (all `T` when `None`); `None` elsewhere (other devices
/// and dtypes take the matmul path).
pub fn context(qkv: &Tensor, nh: usize, lens: Option<&[usize]>) -> Result<Option<Tensor>> {
    if !qkv.device().is_cpu() || qkv.dtype() != DType::F32 {
        return Ok(None);
    }
    let (b, t, _) = qkv.dims3()?;
    let lens = lens.map(|l| l.to_vec()).unwrap_or_else(|| vec![t; b]);
    Ok(Some(qkv.contiguous()?.apply_op1_no_bwd(&Fused { nh, lens })?))
}

fn block(x: &Heads, i0: usize, rows: usize, out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has the features the function is compiled for.
            return unsafe { block_avx512(x, i0, rows, out) };
        }
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: as above.
            return unsafe { block_avx2(x, i0, rows, out) };
        }
    }
    block_generic(x, i0, rows, out)
}

/// The same loops with AVX-512 intrinsics: the compiler left the value loop scalar.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn block_avx512(x: &Heads, i0: usize, rows: usize, out: &mut [f32]) {
    use std::arch::x86_64::*;
    let Heads { seq, kt, v, h, d, nh, n, np } = *x;
    if d % KB != 0 {
        return block_generic(x, i0, rows, out);
    }
    let row3 = 3 * h;
    let mut s = vec![0f32; G * np];
    let mut p = vec![0f32; G * np];
    for hd in 0..nh {
        let kt = &kt[hd * d * np..(hd + 1) * d * np];
        let v = &v[hd * n * d..(hd + 1) * n * d];
        for g in (0..rows).step_by(G) {
            let gr = (rows - g).min(G);
            let qp = |r: usize| seq.as_ptr().add((i0 + g + r.min(gr - 1)) * row3 + hd * d);
            let q: [*const f32; G] = std::array::from_fn(qp);
            // Scores: G query rows × two blocks of 16 keys, 2G independent sums in registers.
            let mut jb = 0;
            while jb < np {
                let two = jb + 2 * KB <= np;
                let mut a = [_mm512_setzero_ps(); 2 * G];
                for c in 0..d {
                    // SAFETY: kt holds d rows of np keys; jb + KB (or 2 KB when `two`) <= np.
                    let k0 = _mm512_loadu_ps(kt.as_ptr().add(c * np + jb));
                    let k1 = if two { _mm512_loadu_ps(kt.as_ptr().add(c * np + jb + KB)) } else { k0 };
                    for r in 0..G {
                        let x = _mm512_set1_ps(*q[r].add(c));
                        a[r] = _mm512_fmadd_ps(x, k0, a[r]);
                        a[G + r] = _mm512_fmadd_ps(x, k1, a[G + r]);
                    }
                }
                let sp = s.as_mut_ptr();
                for r in 0..G {
                    _mm512_storeu_ps(sp.add(r * np + jb), a[r]);
                    if two {
                        _mm512_storeu_ps(sp.add(r * np + jb + KB), a[G + r]);
                    }
                }
                jb += if two { 2 * KB } else { KB };
            }
            // Unnormalised probabilities; 1/sum is applied to the d outputs instead of the n
            // probabilities.
            let mut inv = [0f32; G];
            for r in 0..gr {
                inv[r] = 1.0 / super::ops::exp_shifted_avx512(&mut p[r * np..r * np + n], &s[r * np..r * np + n]);
            }
            let pp = p.as_ptr();
            let mut c0 = 0;
            // Values: G rows × 32 columns per pass over the keys (each broadcast probability
            // feeds two FMAs), 2G independent sums in registers; then 16 columns if d asks.
            // Rows past gr work on stale probabilities and are never stored.
            // SAFETY: v holds n rows of d values; c0 + width <= d; p holds G rows of np.
            while c0 + 2 * KB <= d {
                let mut acc = [_mm512_setzero_ps(); 2 * G];
                for j in 0..n {
                    let v0 = _mm512_loadu_ps(v.as_ptr().add(j * d + c0));
                    let v1 = _mm512_loadu_ps(v.as_ptr().add(j * d + c0 + KB));
                    for r in 0..G {
                        let pj = _mm512_set1_ps(*pp.add(r * np + j));
                        acc[r] = _mm512_fmadd_ps(pj, v0, acc[r]);
                        acc[G + r] = _mm512_fmadd_ps(pj, v1, acc[G + r]);
                    }
                }
                for r in 0..gr {
                    let o = out.as_mut_ptr().add((g + r) * h + hd * d + c0);
                    let sc = _mm512_set1_ps(inv[r]);
                    _mm512_storeu_ps(o, _mm512_mul_ps(acc[r], sc));
                    _mm512_storeu_ps(o.add(KB), _mm512_mul_ps(acc[G + r], sc));
                }
                c0 += 2 * KB;
            }
            while c0 < d {
                let mut acc = [_mm512_setzero_ps(); G];
                for j in 0..n {
                    let vv = _mm512_loadu_ps(v.as_ptr().add(j * d + c0));
                    for r in 0..G {
                        acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(*pp.add(r * np + j)), vv, acc[r]);
                    }
                }
                for r in 0..gr {
                    _mm512_storeu_ps(out.as_mut_ptr().add((g + r) * h + hd * d + c0), _mm512_mul_ps(acc[r], _mm512_set1_ps(inv[r])));
                }
                c0 += KB;
            }
        }
    }
}

// The crate is compiled for baseline x86-64: this wrapper lets the generic loops use 8-wide
// registers where the CPU has them.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn block_avx2(x: &Heads, i0: usize, rows: usize, out: &mut [f32]) {
    block_generic(x, i0, rows, out)
}

#[inline(always)]
fn block_generic(x: &Heads, i0: usize, rows: usize, out: &mut [f32]) {
    let Heads { seq, kt, v, h, d, nh, n, np } = *x;
    let row3 = 3 * h;
    let mut s = vec![0f32; 4 * np];
    let mut p = vec![0f32; np];
    for hd in 0..nh {
        let kt = &kt[hd * d * np..(hd + 1) * d * np];
        let v = &v[hd * n * d..(hd + 1) * n * d];
        for g in (0..rows).step_by(4) {
            let gr = (rows - g).min(4);
            // Scores of up to four query rows, 16 keys at a time in registers.
            let q = |r: usize| -> &[f32] {
                let i = i0 + g + r.min(gr - 1);
                &seq[i * row3 + hd * d..i * row3 + (hd + 1) * d]
            };
            let (q0, q1, q2, q3) = (q(0), q(1), q(2), q(3));
            for jb in (0..np).step_by(KB) {
                let mut a = [[0f32; KB]; 4];
                for c in 0..d {
                    let k: &[f32; KB] = kt[c * np + jb..c * np + jb + KB].try_into().expect("KB keys");
                    let (x0, x1, x2, x3) = (q0[c], q1[c], q2[c], q3[c]);
                    for l in 0..KB {
                        a[0][l] += x0 * k[l];
                        a[1][l] += x1 * k[l];
                        a[2][l] += x2 * k[l];
                        a[3][l] += x3 * k[l];
                    }
                }
                for (r, ar) in a.iter().enumerate() {
                    s[r * np + jb..r * np + jb + KB].copy_from_slice(ar);
                }
            }
            for r in 0..gr {
                super::ops::softmax_slice(&mut p[..n], &s[r * np..r * np + n]);
                let o = &mut out[(g + r) * h + hd * d..(g + r) * h + (hd + 1) * d];
                // 16 output columns at a time, accumulated in registers over every key.
                let mut c0 = 0;
                while c0 + KB <= d {
                    let mut acc = [0f32; KB];
                    for (j, &pj) in p[..n].iter().enumerate() {
                        let vr: &[f32; KB] = v[j * d + c0..j * d + c0 + KB].try_into().expect("KB values");
                        for l in 0..KB {
                            acc[l] += pj * vr[l];
                        }
                    }
                    o[c0..c0 + KB].copy_from_slice(&acc);
                    c0 += KB;
                }
                for c in c0..d {
                    o[c] = p[..n].iter().enumerate().fold(0f32, |a, (j, &pj)| a + pj * v[j * d + c]);
                }
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Straightforward attention in f64 for comparison.
    fn reference(qkv: &[f32], b: usize, t: usize, nh: usize, d: usize, lens: &[usize]) -> Vec<f32> {
        let h = nh * d;
        let mut out = vec![0f32; b * t * h];
        for bi in 0..b {
            let n = lens[bi];
            let row = |i: usize| &qkv[(bi * t + i) * 3 * h..(bi * t + i + 1) * 3 * h];
            for hd in 0..nh {
                for i in 0..n {
                    let q = &row(i)[hd * d..(hd + 1) * d];
                    let sc: Vec<f64> = (0..n).map(|j| (0..d).map(|c| q[c] as f64 * row(j)[h + hd * d + c] as f64).sum()).collect();
                    let m = sc.iter().cloned().fold(f64::MIN, f64::max);
                    let z: f64 = sc.iter().map(|x| (x - m).exp()).sum();
                    for c in 0..d {
                        let val: f64 = (0..n).map(|j| (sc[j] - m).exp() / z * row(j)[2 * h + hd * d + c] as f64).sum();
                        out[(bi * t + i) * h + hd * d + c] = val as f32;
                    }
                }
            }
        }
        out
    }

    /// Deterministic values in [-2, 2) (also used by the bf16 attention's tests).
    pub(crate) fn data(len: usize, seed: u64) -> Vec<f32> {
        let mut x = seed;
        (0..len)
            .map(|_| {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((x >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 4.0
            })
            .collect()
    }

    #[test]
    fn fused_attention_matches_the_reference_on_padded_batches() {
        // Odd sizes: keys not a multiple of 16, query blocks not a multiple of 4 or 16.
        for &(b, t, nh, d, ref lens) in &[(3usize, 37usize, 3usize, 8usize, vec![37usize, 5, 20]), (2, 130, 2, 32, vec![130, 1]), (1, 16, 12, 32, vec![16])] {
            let qkv = data(b * t * 3 * nh * d, (b * t + d) as u64);
            let got = attend(&qkv, b, t, nh, d, lens);
            let want = reference(&qkv, b, t, nh, d, lens);
            for (k, (g, w)) in got.iter().zip(&want).enumerate() {
                assert!((g - w).abs() <= 1e-4 * (1.0 + w.abs()), "b{b} t{t} at {k}: {g} vs {w}");
            }
        }
    }

    #[test]
    fn a_sequence_reads_the_same_alone_and_in_a_padded_batch() {
        // Batched output equals one-at-a-time output, bit for bit.
        let (nh, d) = (4, 16);
        let h = nh * d;
        let a = data(9 * 3 * h, 7);
        let bseq = data(23 * 3 * h, 9);
        let alone = attend(&a, 1, 9, nh, d, &[9]);
        let mut batch = vec![0f32; 2 * 23 * 3 * h];
        batch[..a.len()].copy_from_slice(&a);
        batch[23 * 3 * h..].copy_from_slice(&bseq);
        let both = attend(&batch, 2, 23, nh, d, &[9, 23]);
        assert_eq!(&both[..9 * h], &alone[..]);
        assert_eq!(&both[23 * h..], &attend(&bseq, 1, 23, nh, d, &[23])[..]);
    }

    #[test]
    fn a_reused_context_buffer_reads_like_a_fresh_one() {
        // The encoder hands attend_into the previous layer's context: padded rows must be
        // cleared, real rows overwritten.
        let (b, t, nh, d, lens) = (2usize, 37usize, 3usize, 8usize, [37usize, 5]);
        let qkv = data(b * t * 3 * nh * d, 5);
        let mut ctx = vec![f32::NAN; b * t * nh * d];
        attend_into(&qkv, b, t, nh, d, &lens, &mut ctx);
        assert_eq!(ctx, attend(&qkv, b, t, nh, d, &lens));
    }
}
