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

impl Sealed for f32 {
    fn kernel(path: KernelPath, n: usize) -> Kernel<f32> {
        match path {
            #[cfg(target_arch = "x86_64")]
            KernelPath::Avx512 if n <= 16 => super::avx512::KERNEL_F32_NARROW,
            #[cfg(target_arch = "x86_64")]
            KernelPath::Avx512 => super::avx512::KERNEL_F32,
            #[cfg(target_arch = "x86_64")]
            KernelPath::Avx2Fma => super::avx2::KERNEL_F32,
            #[cfg(not(target_arch = "x86_64"))]
            KernelPath::Avx512 | KernelPath::Avx2Fma => {
                unreachable!("x86 kernel path requested on a non-x86_64 target")
            }
            KernelPath::Portable => super::portable::KERNEL_F32,
        }
    }
    fn with_buffers<R>(f: impl FnOnce(&PackBuffers<f32>) -> R) -> R {
        BUF_F32.with(f)
    }
}

impl Sealed for f64 {
    fn kernel(path: KernelPath, n: usize) -> Kernel<f64> {
        match path {
            #[cfg(target_arch = "x86_64")]
            KernelPath::Avx512 if n <= 8 => super::avx512::KERNEL_F64_NARROW,
            #[cfg(target_arch = "x86_64")]
            KernelPath::Avx512 => super::avx512::KERNEL_F64,
            #[cfg(target_arch = "x86_64")]
            KernelPath::Avx2Fma => super::avx2::KERNEL_F64,
            #[cfg(not(target_arch = "x86_64"))]
            KernelPath::Avx512 | KernelPath::Avx2Fma => {
                unreachable!("x86 kernel path requested on a non-x86_64 target")
            }
            KernelPath::Portable => super::portable::KERNEL_F64,
        }
    }
    fn with_buffers<R>(f: impl FnOnce(&PackBuffers<f64>) -> R) -> R {
        BUF_F64.with(f)
    }
}
