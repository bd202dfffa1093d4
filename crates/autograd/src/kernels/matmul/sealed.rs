//! Per-type, per-path dispatch: the sealed supertrait of
//! [`GemmScalar`](super::GemmScalar), which picks each element type's kernel
//! descriptor (`kernel.rs`) for a path, and the thread-local pack buffers.

use super::kernel::Kernel;
use super::KernelPath;
use std::cell::RefCell;

/// Thread-local pack buffers for one element type.
pub type PackBuffers<T> = RefCell<(Vec<T>, Vec<T>)>;

/// Per-type implementation details of [`super::GemmScalar`].
pub trait Sealed: Sized + 'static {
    /// The micro-kernel for `path` and an output `n`
    /// columns wide.
    fn kernel(path: KernelPath, n: usize) -> Kernel<Self>;
    /// Runs `f` with this thread's reusable pack buffers.
    fn with_buffers<R>(f: impl FnOnce(&PackBuffers<Self>) -> R) -> R;
}

thread_local! {
    static BUF_F32: PackBuffers<f32> = const { RefCell::new((Vec::new(), Vec::new())) };
    static BUF_F64: PackBuffers<f64> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// `Sealed` for one element type: every path's kernel is the constant `$kernel` of that
/// path's module, but AVX-512 takes `$narrow_kernel` for outputs at most `$narrow` columns
/// wide; the pack buffers are the thread-local `$buffers`.
macro_rules! sealed_for {
    ($t:ty, $buffers:ident, $kernel:ident, $narrow_kernel:ident if n <= $narrow:literal) => {
        impl Sealed for $t {
            fn kernel(path: KernelPath, n: usize) -> Kernel<$t> {
                match path {
                    #[cfg(target_arch = "x86_64")]
                    KernelPath::Avx512 if n <= $narrow => super::avx512::$narrow_kernel,
                    #[cfg(target_arch = "x86_64")]
                    KernelPath::Avx512 => super::avx512::$kernel,
                    #[cfg(target_arch = "x86_64")]
                    KernelPath::Avx2Fma => super::avx2::$kernel,
                    #[cfg(not(target_arch = "x86_64"))]
                    KernelPath::Avx512 | KernelPath::Avx2Fma => {
                        unreachable!("x86 kernel path requested on a non-x86_64 target")
                    }
                    KernelPath::Portable => super::portable::$kernel,
                }
            }
            fn with_buffers<R>(f: impl FnOnce(&PackBuffers<$t>) -> R) -> R {
                $buffers.with(f)
            }
        }
    };
}

sealed_for!(f32, BUF_F32, KERNEL_F32, KERNEL_F32_NARROW if n <= 16);
sealed_for!(f64, BUF_F64, KERNEL_F64, KERNEL_F64_NARROW if n <= 8);
