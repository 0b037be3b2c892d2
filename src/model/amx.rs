//! Intel AMX on x86-64 Linux: which tile instructions the CPU has, and the kernel's permission to
//! use the 8 KiB tile state (Linux hands it out only on request, once per process).
#![cfg(target_arch = "x86_64")]
use std::sync::OnceLock;

/// AMX tiles with the INT8 products (`tdpbusd`).
pub fn int8() -> bool {
    static OK: OnceLock<bool> = OnceLock::new();
    *OK.get_or_init(|| tiles_with(25))
}

/// AMX tiles with the BF16 products (`tdpbf16ps`).
pub fn bf16() -> bool {
    static OK: OnceLock<bool> = OnceLock::new();
    *OK.get_or_init(|| tiles_with(22))
}

/// CPUID leaf 7 EDX: bit 24 is AMX-TILE, `bit` the product family.
fn tiles_with(bit: u32) -> bool {
    if !std::is_x86_feature_detected!("avx512f") {
        return false;
    }
    let l7 = std::arch::x86_64::__cpuid_count(7, 0);
    (l7.edx >> 24) & 1 == 1 && (l7.edx >> bit) & 1 == 1 && tile_state()
}

fn tile_state() -> bool {
    static OK: OnceLock<bool> = OnceLock::new();
    *OK.get_or_init(request_tile_state)
}

#[cfg(target_os = "linux")]
fn request_tile_state() -> bool {
    const ARCH_REQ_XCOMP_PERM: libc::c_long = 0x1023;
    const XFEATURE_XTILEDATA: libc::c_long = 18;
    // SAFETY: a plain system call with integer arguments.
    unsafe { libc::syscall(libc::SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0 }
}

#[cfg(not(target_os = "linux"))]
fn request_tile_state() -> bool {
    false
}

/// Palette 1 with all eight tiles 16 rows × 64 bytes.
#[repr(C, align(64))]
pub struct TileConfig(pub [u8; 64]);

impl TileConfig {
    pub fn full() -> Self {
        let mut cfg = TileConfig([0; 64]);
        cfg.0[0] = 1;
        for t in 0..8 {
            cfg.0[16 + 2 * t] = 64; // bytes per row (u16, little-endian)
            cfg.0[48 + t] = 16; // rows
        }
        cfg
    }
}
