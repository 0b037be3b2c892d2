//! Self-attention with its two products on AMX-BF16 tiles (bf16 inputs, f32 sums): Q·Kᵀ per block
//! of 16 query rows × 16 keys, softmax in f32, then P·V. Used beside the int8 linear layers, whose
//! 8-bit activations already carry less precision than bf16's 8-bit mantissa; f32 runs keep
//! [`super::attention::attend`]. Rows depend only on their own sequence, as there, so a sequence
//! reads the same alone and in a padded batch.
#![cfg(target_arch = "x86_64")]
use super::amx::TileConfig;
use rayon::prelude::*;
use std::arch::asm;
use std::arch::x86_64::*;

/// Query rows per tile.
const QR: usize = 16;

/// bf16 attention when the CPU has AMX-BF16 (and `VEILLE_ATTENTION` is not `f32`) and the head
/// width is a multiple of 32; `None` otherwise. Same arguments and result as `attend`.
#[cfg(test)]
pub fn attend(qkv: &[f32], b: usize, t: usize, nh: usize, d: usize, lens: &[usize]) -> Option<Vec<f32>> {
    let mut ctx = vec![0f32; b * t * nh * d];
    attend_into(qkv, b, t, nh, d, lens, &mut ctx).then_some(ctx)
}

/// [`attend`] into `ctx` (b, t, h), padded rows set to zero; false (ctx untouched) where
/// [`attend`] gives None.
pub fn attend_into(qkv: &[f32], b: usize, t: usize, nh: usize, d: usize, lens: &[usize], ctx: &mut [f32]) -> bool {
    if d % 32 != 0 || !available() {
        return false;
    }
    let h = nh * d;
    assert_eq!(qkv.len(), b * t * 3 * h);
    assert_eq!(lens.len(), b);
    assert_eq!(ctx.len(), b * t * h);
    ctx.par_chunks_mut(t * h).enumerate().for_each(|(bi, cseq)| {
        let n = lens[bi].clamp(1, t);
        let seq = &qkv[bi * t * 3 * h..(bi + 1) * t * 3 * h];
        // Keys padded to a multiple of 32 (one P·V step), with zero keys and zero values.
        let np = n.div_ceil(32) * 32;
        let mut kp = vec![0u16; nh * 2 * np * d];
        let mut vp = vec![0u16; nh * np * d];
        kp.par_chunks_mut(2 * np * d).zip(vp.par_chunks_mut(np * d)).enumerate().for_each(|(hd, (kp, vp))| {
            // SAFETY: `available` checked AVX-512.
            unsafe { pack_head_avx512(seq, h, hd, d, n, kp, vp) };
        });
        let x = Seq { seq, kp: &kp, vp: &vp, h, d, nh, n, np };
        cseq.par_chunks_mut(QR * h).enumerate().for_each(|(blk, out)| {
            let i0 = blk * QR;
            if i0 < n {
                out[(n - i0).min(QR) * h..].fill(0.0);
                // SAFETY: `available` checked AMX-BF16, AVX-512 and the tile permission.
                unsafe { block(&x, i0, (n - i0).min(QR), out) };
            } else {
                out.fill(0.0);
            }
        });
    });
    true
}

fn available() -> bool {
    static OK: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *OK.get_or_init(|| {
        !std::env::var("VEILLE_ATTENTION").is_ok_and(|v| v.eq_ignore_ascii_case("f32")) && super::amx::bf16()
    })
}

/// f32 → bf16, rounding to nearest even (no NaN reaches here: inputs are finite activations).
#[inline(always)]
fn bf16(x: f32) -> u16 {
    let b = x.to_bits();
    ((b + 0x7fff + ((b >> 16) & 1)) >> 16) as u16
}

/// x as bf16 `hi` + bf16 `lo` (about 16 significant bits together).
#[cfg(test)]
fn split(x: f32) -> (u16, u16) {
    let hi = bf16(x);
    (hi, bf16(x - f32::from_bits((hi as u32) << 16)))
}

/// One head's keys and values in the tile layouts `tdpbf16ps` reads as its B operand: pairs of
/// the reduced dimension side by side. Keys (reduce over d): for each block of 16 keys and each
/// step of 32 dims, 16 rows (dim pairs) × 16 keys × 2. Values (reduce over keys): for each step
/// of 32 keys and each block of 16 columns, 16 rows (key pairs) × 16 columns × 2. The reference
/// for [`pack_head_avx512`].
#[cfg(test)]
fn pack_head(seq: &[f32], h: usize, hd: usize, d: usize, n: usize, kp: &mut [u16], vp: &mut [u16]) {
    let (steps, cbs) = (d / 32, d / 16);
    let (kh, kl) = kp.split_at_mut(kp.len() / 2);
    for j in 0..n {
        let r = &seq[j * 3 * h..(j + 1) * 3 * h];
        let k = &r[h + hd * d..h + (hd + 1) * d];
        let v = &r[2 * h + hd * d..2 * h + (hd + 1) * d];
        let (kb, kk) = (j / 16, j % 16);
        for c in 0..d {
            let (step, p, e) = (c / 32, (c % 32) / 2, c % 2);
            let at = ((kb * steps + step) * 16 + p) * 32 + kk * 2 + e;
            (kh[at], kl[at]) = split(k[c]);
        }
        let (ks, p, e) = (j / 32, (j % 32) / 2, j % 2);
        for c in 0..d {
            let (cb, kc) = (c / 16, c % 16);
            vp[((ks * cbs + cb) * 16 + p) * 32 + kc * 2 + e] = bf16(v[c]);
        }
    }
}

/// [`pack_head`] with AVX-512: each key's 32 dims become one vector of 16 dim pairs, scattered
/// to its 16 rows; two keys' values interleave into pairs per 16 columns. Same bytes.
#[target_feature(enable = "avx512f")]
unsafe fn pack_head_avx512(seq: &[f32], h: usize, hd: usize, d: usize, n: usize, kp: &mut [u16], vp: &mut [u16]) {
    let (steps, cbs) = (d / 32, d / 16);
    // 32 rounded 16-bit values in order, from two vectors of 16 in the low halves of 32-bit lanes.
    let join = |a: __m512i, b: __m512i| _mm512_inserti64x4::<1>(_mm512_castsi256_si512(_mm512_cvtepi32_epi16(a)), _mm512_cvtepi32_epi16(b));
    let rows = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), _mm512_set1_epi32(16));
    let half = kp.len() / 2;
    let (kh, kl) = kp.split_at_mut(half);
    for j in 0..n {
        let k = seq.as_ptr().add(j * 3 * h + h + hd * d);
        let (kb, kk) = (j / 16, j % 16);
        for step in 0..steps {
            let (h0, l0) = split16(_mm512_loadu_ps(k.add(step * 32)));
            let (h1, l1) = split16(_mm512_loadu_ps(k.add(step * 32 + 16)));
            let at = (kb * steps + step) * 16 * 32 + kk * 2;
            _mm512_i32scatter_epi32::<4>(kh.as_mut_ptr().add(at) as *mut i32, rows, join(h0, h1));
            _mm512_i32scatter_epi32::<4>(kl.as_mut_ptr().add(at) as *mut i32, rows, join(l0, l1));
        }
    }
    for j in (0..n).step_by(2) {
        let (ks, p) = (j / 32, (j % 32) / 2);
        let v0 = seq.as_ptr().add(j * 3 * h + 2 * h + hd * d);
        let v1 = (j + 1 < n).then(|| seq.as_ptr().add((j + 1) * 3 * h + 2 * h + hd * d));
        for cb in 0..cbs {
            let a = round16(_mm512_loadu_ps(v0.add(cb * 16)));
            let b = v1.map_or(_mm512_setzero_si512(), |v1| round16(_mm512_loadu_ps(v1.add(cb * 16))));
            let pair = _mm512_or_si512(a, _mm512_slli_epi32(b, 16));
            _mm512_storeu_si512(vp.as_mut_ptr().add(((ks * cbs + cb) * 16 + p) * 32) as *mut _, pair);
        }
    }
}

/// [`bf16`] of 16 lanes, each result in the low half of its 32-bit lane.
#[inline]
#[target_feature(enable = "avx512f")]
fn round16(x: __m512) -> __m512i {
    let b = _mm512_castps_si512(x);
    let odd = _mm512_and_si512(_mm512_srli_epi32(b, 16), _mm512_set1_epi32(1));
    _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(b, _mm512_set1_epi32(0x7fff)), odd), 16)
}

/// [`split`] of 16 lanes: (hi, lo) as [`round16`] lays them out.
#[inline]
#[target_feature(enable = "avx512f")]
fn split16(x: __m512) -> (__m512i, __m512i) {
    let hi = round16(x);
    (hi, round16(_mm512_sub_ps(x, _mm512_castsi512_ps(_mm512_slli_epi32(hi, 16)))))
}

/// [`bf16`] over a slice, 16 at a time.
#[target_feature(enable = "avx512f")]
unsafe fn to_bf16(x: &[f32], out: &mut [u16]) {
    let mut i = 0;
    while i + 16 <= x.len() {
        let r = round16(_mm512_loadu_ps(x.as_ptr().add(i)));
        _mm256_storeu_si256(out.as_mut_ptr().add(i) as *mut __m256i, _mm512_cvtepi32_epi16(r));
        i += 16;
    }
    for (o, &v) in out[i..].iter_mut().zip(&x[i..]) {
        *o = bf16(v);
    }
}

/// [`split`] over a slice whose length is a multiple of 16.
#[target_feature(enable = "avx512f")]
unsafe fn split_bf16(x: &[f32], hi: &mut [u16], lo: &mut [u16]) {
    debug_assert!(x.len() % 16 == 0 && hi.len() == x.len() && lo.len() == x.len());
    for i in (0..x.len()).step_by(16) {
        let (h, l) = split16(_mm512_loadu_ps(x.as_ptr().add(i)));
        _mm256_storeu_si256(hi.as_mut_ptr().add(i) as *mut __m256i, _mm512_cvtepi32_epi16(h));
        _mm256_storeu_si256(lo.as_mut_ptr().add(i) as *mut __m256i, _mm512_cvtepi32_epi16(l));
    }
}

struct Seq<'a> {
    seq: &'a [f32],
    kp: &'a [u16],
    vp: &'a [u16],
    h: usize,
    d: usize,
    nh: usize,
    n: usize,
    np: usize,
}

/// Up to 16 query rows from `i0`, every head, into `out` (rows × h).
#[target_feature(enable = "avx512f")]
unsafe fn block(x: &Seq, i0: usize, rows: usize, out: &mut [f32]) {
    let Seq { seq, kp, vp, h, d, nh, n, np } = *x;
    let (steps, cbs) = (d / 32, d / 16);
    let cfg = TileConfig::full();
    asm!("ldtilecfg [{}]", in(reg) cfg.0.as_ptr(), options(nostack, readonly));
    // Rows of Q as bf16 hi, then lo.
    let mut q = vec![0u16; 2 * QR * d];
    let mut s = vec![0f32; QR * np];
    let mut p = vec![0u16; QR * np];
    let mut pf = vec![0f32; np];
    let mut o = [0f32; 512];
    for hd in 0..nh {
        for r in 0..rows {
            let src = &seq[(i0 + r) * 3 * h + hd * d..(i0 + r) * 3 * h + (hd + 1) * d];
            let (hi, lo) = q.split_at_mut(QR * d);
            split_bf16(src, &mut hi[r * d..(r + 1) * d], &mut lo[r * d..(r + 1) * d]);
        }
        let kh = kp.as_ptr().add(hd * 2 * np * d);
        let kl = kh.add(np * d);
        let vh = vp.as_ptr().add(hd * np * d);
        // Scores, 16 keys per tile, as hi·hi + hi·lo + lo·hi: Q·Kᵀ to about 16 bits, since the
        // softmax magnifies score errors by their size. Rows past `rows` are zero queries, unread.
        if steps == 1 {
            // One step of 32 dims (e5-small's heads): Q's two tiles stay loaded for every key block.
            asm!(
                "tileloadd tmm4, [{a} + {sa}*1]",
                "tileloadd tmm2, [{al} + {sa}*1]",
                a = in(reg) q.as_ptr(),
                al = in(reg) q.as_ptr().add(QR * d),
                sa = in(reg) d * 2,
                options(nostack, readonly),
            );
            for kb in 0..np / 16 {
                asm!(
                    "tilezero tmm0",
                    "tileloadd tmm5, [{b} + {sb}*1]",
                    "tileloadd tmm3, [{bl} + {sb}*1]",
                    "tdpbf16ps tmm0, tmm4, tmm5",
                    "tdpbf16ps tmm0, tmm4, tmm3",
                    "tdpbf16ps tmm0, tmm2, tmm5",
                    "tilestored [{p} + {s}*1], tmm0",
                    b = in(reg) kh.add(kb * 512),
                    bl = in(reg) kl.add(kb * 512),
                    sb = in(reg) 64usize,
                    p = in(reg) s.as_mut_ptr().add(kb * 16),
                    s = in(reg) np * 4,
                    options(nostack),
                );
            }
        } else {
            for kb in 0..np / 16 {
                asm!("tilezero tmm0", options(nostack, nomem));
                for step in 0..steps {
                    asm!(
                        "tileloadd tmm4, [{a} + {sa}*1]",
                        "tileloadd tmm2, [{al} + {sa}*1]",
                        "tileloadd tmm5, [{b} + {sb}*1]",
                        "tileloadd tmm3, [{bl} + {sb}*1]",
                        "tdpbf16ps tmm0, tmm4, tmm5",
                        "tdpbf16ps tmm0, tmm4, tmm3",
                        "tdpbf16ps tmm0, tmm2, tmm5",
                        a = in(reg) q.as_ptr().add(step * 32),
                        al = in(reg) q.as_ptr().add(QR * d + step * 32),
                        sa = in(reg) d * 2,
                        b = in(reg) kh.add((kb * steps + step) * 512),
                        bl = in(reg) kl.add((kb * steps + step) * 512),
                        sb = in(reg) 64usize,
                        options(nostack, readonly),
                    );
                }
                asm!("tilestored [{p} + {s}*1], tmm0", p = in(reg) s.as_mut_ptr().add(kb * 16), s = in(reg) np * 4, options(nostack));
            }
        }
        // Unnormalised probabilities over the real keys (padding stays 0); 1/sum scales outputs.
        let mut inv = [0f32; QR];
        for r in 0..rows {
            inv[r] = 1.0 / super::ops::exp_shifted_avx512(&mut pf[..n], &s[r * np..r * np + n]);
            to_bf16(&pf[..n], &mut p[r * np..r * np + n]);
        }
        // Values: two tiles of 16 output columns (d is a multiple of 32) per pass over the keys,
        // each P tile (32 keys) loaded once for both.
        for cb in (0..cbs).step_by(2) {
            asm!("tilezero tmm0", "tilezero tmm1", options(nostack, nomem));
            for ks in 0..np / 32 {
                asm!(
                    "tileloadd tmm6, [{a} + {sa}*1]",
                    "tileloadd tmm5, [{b0} + {sb}*1]",
                    "tileloadd tmm7, [{b1} + {sb}*1]",
                    "tdpbf16ps tmm0, tmm6, tmm5",
                    "tdpbf16ps tmm1, tmm6, tmm7",
                    a = in(reg) p.as_ptr().add(ks * 32),
                    sa = in(reg) np * 2,
                    b0 = in(reg) vh.add((ks * cbs + cb) * 512),
                    b1 = in(reg) vh.add((ks * cbs + cb + 1) * 512),
                    sb = in(reg) 64usize,
                    options(nostack, readonly),
                );
            }
            asm!(
                "tilestored [{p0} + {s}*1], tmm0",
                "tilestored [{p1} + {s}*1], tmm1",
                p0 = in(reg) o.as_mut_ptr(),
                p1 = in(reg) o.as_mut_ptr().add(256),
                s = in(reg) 64usize,
                options(nostack),
            );
            for r in 0..rows {
                let sc = _mm512_set1_ps(inv[r]);
                let dst = out.as_mut_ptr().add(r * h + hd * d + cb * 16);
                _mm512_storeu_ps(dst, _mm512_mul_ps(_mm512_loadu_ps(o.as_ptr().add(r * 16)), sc));
                _mm512_storeu_ps(dst.add(16), _mm512_mul_ps(_mm512_loadu_ps(o.as_ptr().add(256 + r * 16)), sc));
            }
        }
    }
    asm!("tilerelease", options(nostack, nomem));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::attention::tests::data;

    #[test]
    fn vector_bf16_matches_scalar_bf16() {
        if !std::is_x86_feature_detected!("avx512f") {
            eprintln!("SKIP vector_bf16_matches_scalar_bf16: no AVX-512 on this CPU");
            return;
        }
        let x: Vec<f32> = data(37, 3).iter().map(|v| v * 1e-3).chain([1.0 + 1.0 / 256.0, 0.0, 65504.0]).collect();
        let mut got = vec![0u16; x.len()];
        // SAFETY: the CPU has AVX-512F.
        unsafe { to_bf16(&x, &mut got) };
        assert_eq!(got, x.iter().map(|&v| bf16(v)).collect::<Vec<_>>());
        let x = &x[..32];
        let (mut hi, mut lo) = (vec![0u16; 32], vec![0u16; 32]);
        // SAFETY: as above.
        unsafe { split_bf16(x, &mut hi, &mut lo) };
        let want: (Vec<u16>, Vec<u16>) = x.iter().map(|&v| split(v)).unzip();
        assert_eq!((hi, lo), want);
    }

    #[test]
    fn vector_packing_matches_scalar_packing() {
        if !std::is_x86_feature_detected!("avx512f") {
            eprintln!("SKIP vector_packing_matches_scalar_packing: no AVX-512 on this CPU");
            return;
        }
        for &(nh, d, n) in &[(2usize, 32usize, 37usize), (1, 64, 16), (3, 32, 1)] {
            let h = nh * d;
            let seq = data(n * 3 * h, n as u64);
            let np = n.div_ceil(32) * 32;
            for hd in 0..nh {
                let (mut ka, mut va) = (vec![0u16; 2 * np * d], vec![0u16; np * d]);
                let (mut kb, mut vb) = (ka.clone(), va.clone());
                pack_head(&seq, h, hd, d, n, &mut ka, &mut va);
                // SAFETY: the CPU has AVX-512F.
                unsafe { pack_head_avx512(&seq, h, hd, d, n, &mut kb, &mut vb) };
                assert_eq!((ka, va), (kb, vb), "nh{nh} d{d} n{n} head {hd}");
            }
        }
    }

    #[test]
    fn bf16_rounds_to_nearest_even() {
        assert_eq!(bf16(1.0), 0x3f80);
        assert_eq!(f32::from_bits((bf16(1.0 + 1.0 / 256.0) as u32) << 16), 1.0); // tie → even
        assert_eq!(f32::from_bits((bf16(1.0 + 3.0 / 256.0) as u32) << 16), 1.0 + 4.0 / 256.0);
        assert_eq!(bf16(-2.5), 0xc020);
    }

    #[test]
    fn bf16_attention_stays_close_to_f32_attention() {
        if !available() {
            eprintln!("SKIP bf16_attention_stays_close_to_f32_attention: no AMX-BF16 on this CPU");
            return;
        }
        for &(b, t, nh, d, ref lens) in &[(3usize, 37usize, 3usize, 32usize, vec![37usize, 5, 20]), (2, 130, 2, 64, vec![130, 1]), (1, 512, 12, 32, vec![512])] {
            let qkv = data(b * t * 3 * nh * d, (b * t + d) as u64);
            let got = attend(&qkv, b, t, nh, d, lens).expect("available");
            let want = super::super::attention::attend(&qkv, b, t, nh, d, lens);
            let (mut err, mut norm) = (0f64, 0f64);
            for (g, w) in got.iter().zip(&want) {
                err += ((g - w) as f64).powi(2);
                norm += (*w as f64).powi(2);
            }
            // bf16 keeps 8 significant bits: the relative error of a whole context stays near 2⁻⁸.
            assert!((err / norm).sqrt() < 0.02, "b{b} t{t} d{d}: relative error {}", (err / norm).sqrt());
            for (bi, &l) in lens.iter().enumerate() {
                assert!(got[(bi * t + l) * nh * d..(bi + 1) * t * nh * d].iter().all(|&x| x == 0.0), "padded rows stay zero");
            }
        }
    }

    #[test]
    fn bf16_attention_reads_a_sequence_the_same_alone_and_in_a_padded_batch() {
        if !available() {
            eprintln!("SKIP bf16_attention_reads_a_sequence_the_same_alone_and_in_a_padded_batch: no AMX-BF16 on this CPU");
            return;
        }
        let (nh, d) = (2, 32);
        let h = nh * d;
        let a = data(9 * 3 * h, 7);
        let bseq = data(40 * 3 * h, 9);
        let alone = attend(&a, 1, 9, nh, d, &[9]).expect("available");
        let mut batch = vec![0f32; 2 * 40 * 3 * h];
        batch[..a.len()].copy_from_slice(&a);
        batch[40 * 3 * h..].copy_from_slice(&bseq);
        let both = attend(&batch, 2, 40, nh, d, &[9, 40]).expect("available");
        assert_eq!(&both[..9 * h], &alone[..]);
        assert_eq!(&both[40 * h..], &attend(&bseq, 1, 40, nh, d, &[40]).expect("available")[..]);
    }

    #[test]
    fn a_reused_bf16_context_buffer_reads_like_a_fresh_one() {
        if !available() {
            eprintln!("SKIP a_reused_bf16_context_buffer_reads_like_a_fresh_one: no AMX-BF16 on this CPU");
            return;
        }
        let (b, t, nh, d, lens) = (2usize, 40usize, 2usize, 32usize, [40usize, 9]);
        let qkv = data(b * t * 3 * nh * d, 5);
        let mut ctx = vec![f32::NAN; b * t * nh * d];
        assert!(attend_into(&qkv, b, t, nh, d, &lens, &mut ctx));
        assert_eq!(ctx, attend(&qkv, b, t, nh, d, &lens).expect("available"));
    }
}
