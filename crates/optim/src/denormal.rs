//! [`set_flush_denormal`]: `torch.set_flush_denormal` — treat subnormal floats as zero in all
//! arithmetic (x86's FTZ and DAZ flags).
//!
//! The optimizers do not need it: every update flushes the subnormal values it would store in
//! its state (see the optimizers' docs), which is enough to keep a training loop off the
//! subnormal slow path. This switch is for everything else (the forward and backward passes).
//!
//! What "process-wide" means here: the flags live in each thread's MXCSR register. The call sets
//! them on the calling thread and on every thread of rayon's global pool (the threads tapegrad's
//! kernels run on); threads spawned afterwards by a thread with the flags set inherit them (the
//! kernel copies the register on `clone`), threads that already exist elsewhere do not.

/// `torch.set_flush_denormal(mode)`: with `true`, subnormal inputs and results of `f32` / `f64`
/// arithmetic are treated as zero (MXCSR's DAZ and FTZ bits); `false` restores IEEE behaviour.
/// Returns whether the CPU supports it (`true` on x86-64; `false` elsewhere, where nothing
/// changes — as PyTorch returns `False` there).
///
/// ```
/// use std::hint::black_box;
/// use tapegrad_optim::set_flush_denormal;
/// if set_flush_denormal(true) {
///     assert_eq!(black_box(1e-30f32) * black_box(1e-10f32), 0.0); // 1e-40 is subnormal
///     set_flush_denormal(false);
///     assert!(black_box(1e-30f32) * black_box(1e-10f32) > 0.0);
/// }
/// ```
pub fn set_flush_denormal(mode: bool) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        set_on_this_thread(mode);
        rayon::broadcast(|_| set_on_this_thread(mode));
        true
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = mode;
        false
    }
}

/// MXCSR's flush-to-zero (bit 15) and denormals-are-zero (bit 6) flags.
#[cfg(target_arch = "x86_64")]
const FTZ_DAZ: u32 = (1 << 15) | (1 << 6);

#[cfg(target_arch = "x86_64")]
fn set_on_this_thread(mode: bool) {
    let mut csr: u32 = 0;
    // SAFETY: stmxcsr stores the 32-bit MXCSR into `csr`, a valid, aligned u32 on our stack;
    // ldmxcsr loads it back with only the FTZ/DAZ bits changed (no reserved bit is set, so it
    // cannot fault). Rounding mode and exception masks are untouched.
    unsafe {
        std::arch::asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack, preserves_flags));
        let new = if mode { csr | FTZ_DAZ } else { csr & !FTZ_DAZ };
        std::arch::asm!("ldmxcsr [{}]", in(reg) &new, options(nostack, preserves_flags, readonly));
    }
}
