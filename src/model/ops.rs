//! CPU kernels that candle runs slowly for this workload: exact-enough erf GELU and a softmax
//! that only looks at each sequence's real keys (right padding), both vectorisable and split
//! across threads. Other devices and dtypes fall back to candle's ops.
use candle_core::{CpuStorage, CustomOp1, DType, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

/// exp(x) for x <= 0-ish ranges used by softmax; relative error ~2e-7 (Cephes-style).
/// Written without float-to-int casts or `signum` (Rust's saturating `as` cast kept the loops
/// below scalar): 2^n comes from the bits of the rounding sum itself.
#[inline(always)]
fn fast_exp(x: f32) -> f32 {
    let x = x.max(-87.0).min(88.0);
    // Adding 1.5·2^23 rounds x·log2(e) to the nearest integer n, which then sits in the low
    // mantissa bits of `t`.
    let t = x * std::f32::consts::LOG2_E + 12_582_912.0;
    let n = t - 12_582_912.0;
    let r = x - n * 0.693_145_75 - n * 1.428_606_8e-6;
    let p = 1.0
        + r * (1.0
            + r * (0.5 + r * (0.166_666_67 + r * (0.041_666_668 + r * (0.008_333_452 + r * 0.001_388_531)))));
    let two_n = f32::from_bits(t.to_bits().wrapping_sub(0x4B40_0000).wrapping_add(127) << 23);
    two_n * p
}

/// erf via Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7).
#[inline(always)]
fn fast_erf(x: f32) -> f32 {
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let y = 1.0
        - (((((1.061_405_4 * t - 1.453_152_1) * t) + 1.421_413_8) * t - 0.284_496_74) * t + 0.254_829_6) * t
            * fast_exp(-a * a);
    y.copysign(x)
}

#[inline(always)]
fn gelu1(x: f32) -> f32 {
    0.5 * x * (1.0 + fast_erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

#[inline(always)]
fn gelu_slice_generic(o: &mut [f32], i: &[f32]) {
    for (o, &x) in o.iter_mut().zip(i) {
        *o = gelu1(x);
    }
}

// The crate is compiled for baseline x86-64 (SSE2); these wrappers let the same loops be
// vectorised 8 or 16 wide where the CPU can.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn gelu_slice_avx2(o: &mut [f32], i: &[f32]) {
    gelu_slice_generic(o, i)
}

/// AVX-512 lane mask of the first `min(left, 16)` lanes: a whole register, or the tail of a row.
#[inline(always)]
pub(crate) fn lanes16(left: usize) -> u16 {
    ((1u32 << left.min(16)) - 1) as u16
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn gelu_slice_avx512(o: &mut [f32], i: &[f32]) {
    use std::arch::x86_64::*;
    let n = o.len().min(i.len());
    let mut c = 0;
    while c < n {
        let mask = lanes16(n - c);
        let x = _mm512_maskz_loadu_ps(mask, i.as_ptr().add(c));
        _mm512_mask_storeu_ps(o.as_mut_ptr().add(c), mask, gelu16(x));
        c += 16;
    }
}

/// [`gelu1`] on 16 lanes, with the division of erf's rational term replaced by a reciprocal
/// estimate and one Newton step (relative error under 1e-7; `vdivps` cost more than the rest of
/// the function together).
/// [`fast_exp`] of 16 lanes at once, for x ≤ 0 (the Horner steps fused).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn exp16(x: std::arch::x86_64::__m512) -> std::arch::x86_64::__m512 {
    use std::arch::x86_64::*;
    let set = _mm512_set1_ps;
    let v = _mm512_max_ps(x, set(-87.0));
    let tt = _mm512_add_ps(_mm512_mul_ps(v, set(std::f32::consts::LOG2_E)), set(12_582_912.0));
    let nn = _mm512_sub_ps(tt, set(12_582_912.0));
    let rr = _mm512_sub_ps(_mm512_sub_ps(v, _mm512_mul_ps(nn, set(0.693_145_75))), _mm512_mul_ps(nn, set(1.428_606_8e-6)));
    let mut q = set(0.001_388_531);
    for k in [0.008_333_452f32, 0.041_666_668, 0.166_666_67, 0.5, 1.0, 1.0] {
        q = _mm512_fmadd_ps(q, rr, set(k));
    }
    let bits = _mm512_slli_epi32::<23>(_mm512_add_epi32(_mm512_sub_epi32(_mm512_castps_si512(tt), _mm512_set1_epi32(0x4B40_0000)), _mm512_set1_epi32(127)));
    _mm512_mul_ps(_mm512_castsi512_ps(bits), q)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
pub(crate) unsafe fn gelu16(x: std::arch::x86_64::__m512) -> std::arch::x86_64::__m512 {
    use std::arch::x86_64::*;
    let set = _mm512_set1_ps;
    let one = set(1.0);
    let z = _mm512_mul_ps(x, set(std::f32::consts::FRAC_1_SQRT_2));
    let a = _mm512_abs_ps(z);
    let d = _mm512_fmadd_ps(a, set(0.327_591_1), one);
    let r = _mm512_rcp14_ps(d);
    let t = _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, set(2.0)));
    let mut p = set(1.061_405_4);
    for k in [-1.453_152_1f32, 1.421_413_8, -0.284_496_74, 0.254_829_6] {
        p = _mm512_fmadd_ps(p, t, set(k));
    }
    let p = _mm512_mul_ps(p, t);
    let e = exp16(_mm512_mul_ps(_mm512_sub_ps(_mm512_setzero_ps(), a), a));
    let y = _mm512_fnmadd_ps(p, e, one);
    // y ≥ 0: the sign of z makes it erf
    let sign = _mm512_and_si512(_mm512_castps_si512(z), _mm512_set1_epi32(i32::MIN));
    let erf = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(y), sign));
    _mm512_mul_ps(_mm512_mul_ps(set(0.5), x), _mm512_add_ps(one, erf))
}

fn gelu_slice(o: &mut [f32], i: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has the features the function is compiled for.
            return unsafe { gelu_slice_avx512(o, i) };
        }
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: as above.
            return unsafe { gelu_slice_avx2(o, i) };
        }
    }
    gelu_slice_generic(o, i)
}

/// GELU in place, on rows a linear layer has just written (still in cache): the same function
/// as [`gelu`], so the fused and unfused paths give the same numbers.
pub(crate) fn gelu_in_place(x: &mut [f32]) {
    #[inline(always)]
    fn generic(x: &mut [f32]) {
        for v in x.iter_mut() {
            *v = gelu1(*v);
        }
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn avx512(x: &mut [f32]) {
        use std::arch::x86_64::*;
        let n = x.len();
        let mut c = 0;
        while c < n {
            let mask = lanes16(n - c);
            let p = x.as_mut_ptr().add(c);
            _mm512_mask_storeu_ps(p, mask, gelu16(_mm512_maskz_loadu_ps(mask, p)));
            c += 16;
        }
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn avx2(x: &mut [f32]) {
        generic(x)
    }
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has the features the function is compiled for.
            return unsafe { avx512(x) };
        }
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: as above.
            return unsafe { avx2(x) };
        }
    }
    generic(x)
}

/// `x = LayerNorm(x + y)` row by row (rows of `w.len()`), in place: the residual sum and the
/// norm in one pass over rows that are in cache, where candle would write the sum, then read it
/// twice more. Mean and variance are taken in f64 per row, as exact as the f32 inputs allow.
pub(crate) fn add_layer_norm(x: &mut [f32], y: &[f32], w: &[f32], b: &[f32], eps: f32) {
    let h = w.len();
    assert!(h > 0 && x.len() == y.len() && x.len() % h == 0 && b.len() == h);
    let f = |x: &mut [f32], y: &[f32]| {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has the feature the function is compiled for.
            return unsafe { ln_rows_avx512(x, y, w, b, eps) };
        }
        ln_rows_generic(x, y, w, b, eps)
    };
    // 32 rows per task: enough work to be worth a split, and both cores busy at 1 × 128.
    x.par_chunks_mut(32 * h).zip(y.par_chunks(32 * h)).for_each(|(xc, yc)| f(xc, yc));
}

/// The rows of [`add_layer_norm`].
#[inline(always)]
fn ln_rows_generic(x: &mut [f32], y: &[f32], w: &[f32], b: &[f32], eps: f32) {
    let h = w.len();
    for (xr, yr) in x.chunks_exact_mut(h).zip(y.chunks_exact(h)) {
        let mut acc = [0f32; LANES];
        for (xc, yc) in xr.chunks_mut(LANES).zip(yr.chunks(LANES)) {
            for j in 0..xc.len() {
                xc[j] += yc[j];
                acc[j] += xc[j];
            }
        }
        let mean = acc.iter().map(|&v| v as f64).sum::<f64>() / h as f64;
        let m = mean as f32;
        let mut sq = [0f32; LANES];
        for xc in xr.chunks(LANES) {
            for j in 0..xc.len() {
                let d = xc[j] - m;
                sq[j] += d * d;
            }
        }
        let var = sq.iter().map(|&v| v as f64).sum::<f64>() / h as f64;
        let inv = (1.0 / (var + eps as f64).sqrt()) as f32;
        for ((v, &wj), &bj) in xr.iter_mut().zip(w).zip(b) {
            *v = (*v - m) * inv * wj + bj;
        }
    }
}

/// [`ln_rows_generic`] in intrinsics (the compiled loops stayed scalar): the same lanes, the same f64
/// folds and the same unfused multiply-adds, so the result is the same bit for bit.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn ln_rows_avx512(x: &mut [f32], y: &[f32], w: &[f32], b: &[f32], eps: f32) {
    use std::arch::x86_64::*;
    let h = w.len();
    let mask = |c: usize| lanes16(h - c);
    let fold = |v: __m512| -> f64 {
        let mut l = [0f32; LANES];
        _mm512_storeu_ps(l.as_mut_ptr(), v);
        l.iter().map(|&v| v as f64).sum::<f64>()
    };
    for (xr, yr) in x.chunks_exact_mut(h).zip(y.chunks_exact(h)) {
        let (xp, yp) = (xr.as_mut_ptr(), yr.as_ptr());
        let mut acc = _mm512_setzero_ps();
        for c in (0..h).step_by(LANES) {
            let k = mask(c);
            let v = _mm512_add_ps(_mm512_maskz_loadu_ps(k, xp.add(c)), _mm512_maskz_loadu_ps(k, yp.add(c)));
            _mm512_mask_storeu_ps(xp.add(c), k, v);
            acc = _mm512_add_ps(acc, v);
        }
        let m = (fold(acc) / h as f64) as f32;
        let mv = _mm512_set1_ps(m);
        let mut sq = _mm512_setzero_ps();
        for c in (0..h).step_by(LANES) {
            let k = mask(c);
            let d = _mm512_maskz_sub_ps(k, _mm512_maskz_loadu_ps(k, xp.add(c)), mv);
            sq = _mm512_add_ps(sq, _mm512_mul_ps(d, d));
        }
        let inv = _mm512_set1_ps((1.0 / (fold(sq) / h as f64 + eps as f64).sqrt()) as f32);
        for c in (0..h).step_by(LANES) {
            let k = mask(c);
            let d = _mm512_sub_ps(_mm512_maskz_loadu_ps(k, xp.add(c)), mv);
            let v = _mm512_mul_ps(_mm512_mul_ps(d, inv), _mm512_maskz_loadu_ps(k, w.as_ptr().add(c)));
            _mm512_mask_storeu_ps(xp.add(c), k, _mm512_add_ps(v, _mm512_maskz_loadu_ps(k, b.as_ptr().add(c))));
        }
    }
}

/// Lanes of the reductions below: a float fold is sequential (no reassociation), so the max and
/// the sum are kept per lane and combined at the end.
const LANES: usize = 16;

/// exp(i - max i) into `o`; returns the sum (the softmax without its last pass, for callers
/// that fold 1/sum into a smaller result).
#[inline(always)]
fn exp_shifted_generic(o: &mut [f32], i: &[f32]) -> f32 {
    let body = i.len() - i.len() % LANES;
    let mut mx = [f32::NEG_INFINITY; LANES];
    for c in i[..body].chunks_exact(LANES) {
        for j in 0..LANES {
            mx[j] = if c[j] > mx[j] { c[j] } else { mx[j] };
        }
    }
    let m = mx.iter().chain(&i[body..]).fold(f32::NEG_INFINITY, |a, &x| if x > a { x } else { a });
    let mut acc = [0f32; LANES];
    for (oc, ic) in o[..body].chunks_exact_mut(LANES).zip(i[..body].chunks_exact(LANES)) {
        for j in 0..LANES {
            let e = fast_exp(ic[j] - m);
            oc[j] = e;
            acc[j] += e;
        }
    }
    let mut sum: f32 = acc.iter().sum();
    for (o, &x) in o[body..].iter_mut().zip(&i[body..]) {
        *o = fast_exp(x - m);
        sum += *o;
    }
    sum
}

/// [`exp_shifted_generic`] in AVX-512 intrinsics (callers check the CPU): the attention's
/// softmax over 128-512 keys, where the compiled generic loop spent its time in scalar
/// reductions and tails.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn exp_shifted_avx512(o: &mut [f32], i: &[f32]) -> f32 {
    use std::arch::x86_64::*;
    assert_eq!(o.len(), i.len());
    let n = i.len();
    let mask = |c: usize| lanes16(n - c);
    let mut mx = _mm512_set1_ps(f32::NEG_INFINITY);
    for c in (0..n).step_by(16) {
        mx = _mm512_max_ps(mx, _mm512_mask_loadu_ps(mx, mask(c), i.as_ptr().add(c)));
    }
    let m = _mm512_set1_ps(_mm512_reduce_max_ps(mx));
    let mut acc = _mm512_setzero_ps();
    for c in (0..n).step_by(16) {
        let k = mask(c);
        let e = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, i.as_ptr().add(c)), m));
        _mm512_mask_storeu_ps(o.as_mut_ptr().add(c), k, e);
        acc = _mm512_mask_add_ps(acc, k, acc, e);
    }
    _mm512_reduce_add_ps(acc)
}

#[inline(always)]
fn softmax_row_generic(o: &mut [f32], i: &[f32]) {
    let sum = exp_shifted_generic(o, i);
    let inv = 1.0 / sum;
    o.iter_mut().for_each(|x| *x *= inv);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn softmax_row_avx2(o: &mut [f32], i: &[f32]) {
    softmax_row_generic(o, i)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn softmax_row_avx512(o: &mut [f32], i: &[f32]) {
    softmax_row_generic(o, i)
}

fn softmax_row(o: &mut [f32], i: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has the features the function is compiled for.
            return unsafe { softmax_row_avx512(o, i) };
        }
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: as above.
            return unsafe { softmax_row_avx2(o, i) };
        }
    }
    softmax_row_generic(o, i)
}

/// Softmax of `i` into `o` (same length), for the fused attention.
pub(crate) fn softmax_slice(o: &mut [f32], i: &[f32]) {
    softmax_row(o, i)
}

struct Gelu;
impl CustomOp1 for Gelu {
    fn name(&self) -> &'static str {
        "veille-gelu"
    }
    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let CpuStorage::F32(v) = s else { candle_core::bail!("gelu: f32 only") };
        let (a, b) = l.contiguous_offsets().ok_or_else(|| candle_core::Error::Msg("gelu: not contiguous".into()))?;
        let src = &v[a..b];
        let mut out = vec![0f32; src.len()];
        out.par_chunks_mut(16 * 1024).zip(src.par_chunks(16 * 1024)).for_each(|(o, i)| gelu_slice(o, i));
        Ok((CpuStorage::F32(out), l.shape().clone()))
    }
}

/// Exact (erf) GELU.
pub fn gelu(x: &Tensor) -> Result<Tensor> {
    if x.device().is_cpu() && x.dtype() == DType::F32 {
        x.contiguous()?.apply_op1_no_bwd(&Gelu)
    } else {
        x.gelu_erf()
    }
}

struct LenSoftmax {
    lens: Vec<usize>,
}
impl CustomOp1 for LenSoftmax {
    fn name(&self) -> &'static str {
        "veille-len-softmax"
    }
    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let CpuStorage::F32(v) = s else { candle_core::bail!("softmax: f32 only") };
        let (a, b) = l.contiguous_offsets().ok_or_else(|| candle_core::Error::Msg("softmax: not contiguous".into()))?;
        let dims = l.shape().dims();
        let t = dims[dims.len() - 1];
        let bsz = dims[0];
        let per_batch = (b - a) / bsz.max(1);
        let src = &v[a..b];
        let mut out = vec![0f32; src.len()];
        let lens = &self.lens;
        out.par_chunks_mut(t).zip(src.par_chunks(t)).enumerate().for_each(|(r, (o, i))| {
            let n = lens[(r * t) / per_batch].min(t).max(1);
            softmax_row(&mut o[..n], &i[..n]);
        });
        Ok((CpuStorage::F32(out), l.shape().clone()))
    }
}

/// Softmax over the last dim of attention scores (B, H, T, T) where batch row `b` has
/// `lens[b]` real keys (right padding); padded keys get 0. `mask` is the additive-mask fallback
/// for other devices.
pub fn attention_softmax(att: &Tensor, lens: Option<&[usize]>, mask: Option<&Tensor>) -> Result<Tensor> {
    if att.device().is_cpu() && att.dtype() == DType::F32 {
        let (b, _, _, t) = att.dims4()?;
        let lens = lens.map(|l| l.to_vec()).unwrap_or_else(|| vec![t; b]);
        return att.contiguous()?.apply_op1_no_bwd(&LenSoftmax { lens });
    }
    let att = match mask {
        Some(m) => att.broadcast_add(m)?,
        None => att.clone(),
    };
    candle_nn::ops::softmax_last_dim(&att)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn vector_exp_shifted_matches_the_generic_loop_on_every_tail() {
        if !std::is_x86_feature_detected!("avx512f") {
            eprintln!("SKIP vector_exp_shifted_matches_the_generic_loop_on_every_tail: no AVX-512 on this CPU");
            return;
        }
        for n in [1usize, 15, 16, 17, 128, 130, 512] {
            let i: Vec<f32> = (0..n).map(|j| ((j * 37) % 101) as f32 * 0.37 - 20.0).collect();
            let (mut a, mut b) = (vec![0f32; n], vec![0f32; n]);
            let sa = exp_shifted_generic(&mut a, &i);
            // SAFETY: checked AVX-512 above.
            let sb = unsafe { exp_shifted_avx512(&mut b, &i) };
            assert!((sa - sb).abs() <= 1e-5 * sa, "n {n}: sum {sa} vs {sb}");
            for (x, y) in a.iter().zip(&b) {
                assert!((x - y).abs() <= 1e-6 * x.max(1e-30) + 1e-37, "n {n}: {x} vs {y}");
            }
            let m = i.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
            let exact: f64 = i.iter().map(|&x| ((x - m) as f64).exp()).sum();
            assert!(((sb as f64) - exact).abs() <= 1e-5 * exact, "n {n}: {sb} vs exp {exact}");
        }
    }
    /// The fused residual + LayerNorm against a plain f64 computation.
    #[test]
    fn add_layer_norm_matches_the_definition() {
        let h = 40;
        let x0: Vec<f32> = (0..3 * h).map(|i| ((i * 29) % 17) as f32 * 0.3 - 2.0).collect();
        let y: Vec<f32> = (0..3 * h).map(|i| ((i * 13) % 7) as f32 * 0.5 - 1.0).collect();
        let w: Vec<f32> = (0..h).map(|i| 1.0 + i as f32 * 0.01).collect();
        let b: Vec<f32> = (0..h).map(|i| i as f32 * -0.02).collect();
        let mut x = x0.clone();
        add_layer_norm(&mut x, &y, &w, &b, 1e-12);
        for r in 0..3 {
            let s: Vec<f64> = (0..h).map(|j| x0[r * h + j] as f64 + y[r * h + j] as f64).collect();
            let m = s.iter().sum::<f64>() / h as f64;
            let v = s.iter().map(|a| (a - m) * (a - m)).sum::<f64>() / h as f64;
            for j in 0..h {
                let want = (s[j] - m) / (v + 1e-12).sqrt() * w[j] as f64 + b[j] as f64;
                assert!((x[r * h + j] as f64 - want).abs() < 1e-5, "row {r} col {j}");
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn vector_layer_norm_equals_the_generic_rows_bit_for_bit() {
        if !std::is_x86_feature_detected!("avx512f") {
            eprintln!("SKIP vector_layer_norm_equals_the_generic_rows_bit_for_bit: no AVX-512 on this CPU");
            return;
        }
        for h in [1usize, 16, 40, 384] {
            let x0: Vec<f32> = (0..3 * h).map(|i| ((i * 29) % 17) as f32 * 0.31 - 2.0).collect();
            let y: Vec<f32> = (0..3 * h).map(|i| ((i * 13) % 7) as f32 * 0.47 - 1.0).collect();
            let w: Vec<f32> = (0..h).map(|i| 1.0 + i as f32 * 0.01).collect();
            let b: Vec<f32> = (0..h).map(|i| i as f32 * -0.02).collect();
            let (mut a, mut v) = (x0.clone(), x0.clone());
            ln_rows_generic(&mut a, &y, &w, &b, 1e-12);
            // SAFETY: checked AVX-512 above.
            unsafe { ln_rows_avx512(&mut v, &y, &w, &b, 1e-12) };
            assert_eq!(a, v, "h {h}");
        }
    }

    #[test]
    fn gelu_in_place_equals_the_gelu_op() {
        let v: Vec<f32> = (0..1000).map(|i| i as f32 * 0.013 - 6.5).collect();
        let op = gelu(&Tensor::new(v.as_slice(), &candle_core::Device::Cpu).unwrap()).unwrap().to_vec1::<f32>().unwrap();
        let mut w = v.clone();
        gelu_in_place(&mut w);
        assert_eq!(op, w);
    }

    #[test]
    fn softmax_rows_of_every_length_sum_to_one() {
        for n in [1usize, 5, 16, 17, 40, 128] {
            let i: Vec<f32> = (0..n).map(|k| ((k * 37) % 11) as f32 - 5.0).collect();
            let mut o = vec![0f32; n];
            softmax_row(&mut o, &i);
            let m = i.iter().cloned().fold(f32::MIN, f32::max);
            let z: f32 = i.iter().map(|x| (x - m).exp()).sum();
            for (a, x) in o.iter().zip(&i) {
                assert!((a - (x - m).exp() / z).abs() < 1e-6, "n {n}");
            }
        }
    }

    #[test]
    fn kernels_close_to_reference() {
        for i in -2000..2000 {
            let x = i as f32 / 200.0;
            assert!((fast_exp(x) - x.exp()).abs() <= 1e-6 * x.exp().max(1.0), "exp {x}");
            let g = 0.5 * x as f64 * (1.0 + libm_erf(x as f64 / 2f64.sqrt()));
            assert!((gelu1(x) as f64 - g).abs() < 1e-5, "gelu {x}");
            // the vector kernel this CPU runs (AVX-512's reciprocal-estimate variant where present)
            let mut v = [x];
            gelu_in_place(&mut v);
            assert!((v[0] as f64 - g).abs() < 1e-5, "vector gelu {x}: {}", v[0]);
        }
    }
    fn libm_erf(x: f64) -> f64 {
        // series/continued fraction good enough for a test: use candle's erf
        candle_core::cpu::erf::erf_f64(x)
    }
}
