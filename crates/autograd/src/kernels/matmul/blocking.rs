//! Cache blocking from the detected cache sizes, after the analytical model
//! of BLIS (Low, Igual, Smith and Quintana-Ortí, "Analytical modeling is
//! enough for high-performance BLIS", ACM TOMS 43(2), 2016).
//!
//! The loop nest in `driver.rs` keeps one `kc x nr` micro-panel of `B` in L1
//! while the `mr x kc` micro-panels of `A` stream past it, one `mc x kc` block
//! of `A` in L2, and one `kc x nc` block of `B` in this core's share of L3. So:
//!
//! * `kc`: the `B` micro-panel fills L1, `kc = L1 / (nr * size)`. BLIS gives
//!   it half of L1; measured on Zen 4 (32 KiB L1), the half-L1 `kc` (128 for
//!   `f32`, 64 for `f64`) was 5-15 % slower at n = 256-1024 than the full-L1
//!   one: the micro-kernel's loads are far below L2's bandwidth, so streaming
//!   part of a panel from L2 costs less than loading and storing the `C` tile
//!   twice as often;
//! * `mc`: the `A` block takes half of L2 but at most 512 KiB,
//!   `mc = min(L2 / 2, 512 KiB) / (kc * size)`. On Sapphire Rapids (2 MiB L2,
//!   under KVM) the half-L2 block of 1 MiB ran 4-15 % slower than 512 KiB at
//!   n = 512-2048, on one thread and on two, in `f32` and `f64`; a 256 KiB
//!   block was as fast as 512 KiB. Zen 4's half-L2 (1 MiB L2) is 512 KiB, so
//!   the cap leaves it as measured there;
//! * `nc`: the `B` block takes half of this core's share of L3,
//!   `nc = L3 / cores_sharing / 2 / (kc * size)` (L2 instead without an L3).
//!
//! Each is rounded down to a multiple of its granule and clamped, so that an
//! odd cache report cannot produce a degenerate blocking. The sizes are read
//! once per process (CPUID leaf 4 on Intel, 0x8000001D on AMD; sysfs on other
//! architectures), so the blocking, and with it the order of every sum,
//! depends on the machine and the kernel, never on the thread count.

use super::kernel::Kernel;
use std::sync::OnceLock;

/// Per-core data cache sizes in bytes (L3: the share of one core).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheSizes {
    /// L1 data cache.
    pub l1d: usize,
    /// L2 cache.
    pub l2: usize,
    /// This core's share of the L3 cache (0 when there is none).
    pub l3_share: usize,
}

/// What is assumed when the caches cannot be read: 32 KiB, 1 MiB, 2 MiB per core.
pub const FALLBACK: CacheSizes = CacheSizes {
    l1d: 32 << 10,
    l2: 1 << 20,
    l3_share: 2 << 20,
};

/// The largest packed `A` block, in bytes (see the module docs on `mc`).
const A_BLOCK_MAX: usize = 512 << 10;

/// The cache blocking of one kernel (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Blocking {
    /// Depth of a packed block (`k` blocking).
    pub kc: usize,
    /// Rows of a packed `A` block (a multiple of `mr`).
    pub mc: usize,
    /// Columns of a packed `B` block (a multiple of `nr`).
    pub nc: usize,
}

/// The blocking for an `mr x nr` tile of `size`-byte elements on a CPU with `caches`.
pub fn blocking_for(caches: CacheSizes, mr: usize, nr: usize, size: usize) -> Blocking {
    let kc = (caches.l1d / (nr * size)).clamp(64, 512) / 8 * 8;
    let mc = ((caches.l2 / 2).min(A_BLOCK_MAX) / (kc * size)).clamp(4 * mr, 4096) / mr * mr;
    let l3 = if caches.l3_share == 0 {
        caches.l2
    } else {
        caches.l3_share
    };
    let nc = (l3 / 2 / (kc * size)).clamp(4 * nr, 8192) / nr * nr;
    Blocking { kc, mc, nc }
}

/// The blocking for an `mr x nr` tile of `T` on this CPU.
pub fn blocking<T>(mr: usize, nr: usize) -> Blocking {
    blocking_for(cache_sizes(), mr, nr, std::mem::size_of::<T>())
}

/// The `KC` block height and the widest `NC` block of a `k x n` right operand with `kern`. The
/// `k` blocking depends only on `k` and the kernel (never on how `m` / `n` are split), which
/// keeps results independent of the thread count.
pub(super) fn b_blocks<T>(kern: &Kernel<T>, k: usize, n: usize) -> (usize, usize) {
    let blk = blocking::<T>(kern.mr, kern.nr);
    let kc = k.div_ceil(k.div_ceil(blk.kc).max(1));
    (kc.max(1), blk.nc.min(n.div_ceil(kern.nr) * kern.nr).max(1))
}

/// This CPU's cache sizes, read once.
pub fn cache_sizes() -> CacheSizes {
    static SIZES: OnceLock<CacheSizes> = OnceLock::new();
    *SIZES.get_or_init(|| detect().unwrap_or(FALLBACK))
}

/// Reads the deterministic cache parameters (CPUID leaf 4 on Intel, 0x8000001D on AMD).
#[cfg(target_arch = "x86_64")]
fn detect() -> Option<CacheSizes> {
    use std::arch::x86_64::{__cpuid, __cpuid_count};
    // Leaves above the reported maximum are not queried.
    let max_ext = __cpuid(0x8000_0000).eax;
    let topo_ext = max_ext >= 0x8000_0001 && __cpuid(0x8000_0001).ecx & (1 << 22) != 0;
    let max_leaf = __cpuid(0).eax;
    let leaf = if topo_ext && max_ext >= 0x8000_001D {
        0x8000_001D
    } else if max_leaf >= 4 {
        4
    } else {
        return None;
    };
    let mut sizes = CacheSizes {
        l1d: 0,
        l2: 0,
        l3_share: 0,
    };
    for sub in 0..16 {
        let r = __cpuid_count(leaf, sub);
        let kind = r.eax & 0x1f; // 0: no more caches, 1: data, 2: instruction, 3: unified
        if kind == 0 {
            break;
        }
        if kind == 2 {
            continue;
        }
        let level = (r.eax >> 5) & 0x7;
        let sharing = ((r.eax >> 14) & 0xfff) as usize + 1; // logical CPUs sharing it
        let ways = ((r.ebx >> 22) & 0x3ff) as usize + 1;
        let partitions = ((r.ebx >> 12) & 0x3ff) as usize + 1;
        let line = (r.ebx & 0xfff) as usize + 1;
        let sets = r.ecx as usize + 1;
        let bytes = ways * partitions * line * sets;
        match level {
            1 => sizes.l1d = bytes,
            2 => sizes.l2 = bytes,
            3 => sizes.l3_share = bytes / sharing,
            _ => {}
        }
    }
    (sizes.l1d > 0 && sizes.l2 > 0).then_some(sizes)
}

/// Reads the cache sizes from sysfs (Linux on other architectures).
#[cfg(not(target_arch = "x86_64"))]
fn detect() -> Option<CacheSizes> {
    let mut sizes = CacheSizes {
        l1d: 0,
        l2: 0,
        l3_share: 0,
    };
    for index in 0..8 {
        let dir = format!("/sys/devices/system/cpu/cpu0/cache/index{index}");
        let read = |f: &str| std::fs::read_to_string(format!("{dir}/{f}")).ok();
        let (Some(level), Some(kind), Some(size)) = (read("level"), read("type"), read("size"))
        else {
            break;
        };
        let size = size.trim();
        let bytes = match size.strip_suffix('K') {
            Some(kib) => kib.parse::<usize>().ok()? << 10,
            None => size.strip_suffix('M')?.parse::<usize>().ok()? << 20,
        };
        match (level.trim(), kind.trim()) {
            ("1", "Data") => sizes.l1d = bytes,
            ("2", _) => sizes.l2 = bytes,
            ("3", _) => {
                let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
                sizes.l3_share = bytes / cores;
            }
            _ => {}
        }
    }
    (sizes.l1d > 0 && sizes.l2 > 0).then_some(sizes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocking_follows_the_cache_sizes() {
        // Zen 4: 32 KiB L1d, 1 MiB L2, 32 MiB L3 shared by 8 cores (4 MiB each).
        let zen4 = CacheSizes {
            l1d: 32 << 10,
            l2: 1 << 20,
            l3_share: 4 << 20,
        };
        // f32, 8 x 32 tile: kc = 32768 / (32 * 4) = 256; mc = 1 MiB / 2 / (256 * 4) = 512
        // (a multiple of 8); nc = 4 MiB / 2 / 1024 = 2048 (a multiple of 32).
        assert_eq!(
            blocking_for(zen4, 8, 32, 4),
            Blocking {
                kc: 256,
                mc: 512,
                nc: 2048
            }
        );
        // Sapphire Rapids: 48 KiB L1d, 2 MiB L2, 1.875 MiB of L3 per core.
        let spr = CacheSizes {
            l1d: 48 << 10,
            l2: 2 << 20,
            l3_share: 1920 << 10,
        };
        // f64, 8 x 16 tile: kc = 49152 / (16 * 8) = 384; half of L2 is 1 MiB, capped at
        // 512 KiB: mc = 524288 / (384 * 8) = 170 -> 168; nc = 1966080 / 2 / 3072 = 320.
        assert_eq!(
            blocking_for(spr, 8, 16, 8),
            Blocking {
                kc: 384,
                mc: 168,
                nc: 320
            }
        );
        // f32, 8 x 32 tile: kc = 49152 / (32 * 4) = 384; mc = 524288 / (384 * 4) = 341 -> 336;
        // nc = 1966080 / 2 / 1536 = 640.
        assert_eq!(
            blocking_for(spr, 8, 32, 4),
            Blocking {
                kc: 384,
                mc: 336,
                nc: 640
            }
        );
        // A tiny or missing report is clamped to usable blocks.
        let tiny = CacheSizes {
            l1d: 1024,
            l2: 4096,
            l3_share: 0,
        };
        // kc = 1024 / 128 = 8 -> 64 (clamped); mc = max(4096 / 2 / 256 = 8, 4 * 8) = 32; nc: L3 falls back to
        // L2, 4096 / 2 / 256 = 8 -> 4 * 32 = 128.
        assert_eq!(
            blocking_for(tiny, 8, 32, 4),
            Blocking {
                kc: 64,
                mc: 32,
                nc: 128
            }
        );
    }

    #[test]
    fn this_cpu_reports_plausible_caches() {
        let c = cache_sizes();
        assert!((8 << 10..=1 << 20).contains(&c.l1d), "{c:?}");
        assert!((64 << 10..=64 << 20).contains(&c.l2), "{c:?}");
    }
}
