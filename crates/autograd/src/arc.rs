//! The handle of tensor headers, storages and graph nodes: an `Arc` without a weak count (one
//! atomic operation to drop a handle, not std's two), whose blocks come from a small free list
//! per thread instead of `malloc` and go back to it instead of `free`.
//!
//! Why: every op's result is a header and a storage and, in the graph, a node: blocks of 48
//! to 216 bytes made and freed per op, 53 of the lecture step's 82 allocations. glibc takes
//! about 140 instructions for a `malloc` and its `free` (callgrind), together a fifth of the
//! step's instructions; a pop and a push on a per-thread list take a few. The lecture step:
//! 55 353 -> 47 490 instructions, 4.20 -> 3.81 µs on the Zen 4 (`docs/performance.md`, "The
//! small-op path").
//!
//! The blocks: up to 256 bytes, in 16-byte size classes aligned to 16, from this thread's
//! [`FreeLists`] (`free_lists.rs` has the rules); larger or more aligned values go to the
//! global allocator.

use crate::free_lists::{self, class_of, FreeLists};
use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;
use std::sync::atomic::{fence, AtomicUsize, Ordering};

/// The alignment of every pooled block.
const ALIGN: usize = 16;

thread_local! {
    static POOL: FreeLists = const { FreeLists::new(ALIGN) };
}

/// The size class of a block for `layout`, or `None` for one the lists do not keep.
#[inline(always)]
fn pooled_class(layout: Layout) -> Option<usize> {
    class_of(layout.size()).filter(|_| layout.align() <= ALIGN)
}

/// The layout of the pooled blocks of `class` (`POOL`'s, also where `POOL` is gone).
#[inline(always)]
fn class_layout(class: usize) -> Layout {
    free_lists::class_layout(class, ALIGN)
}

/// A block for `layout`: from this thread's list where it has one, else new.
#[inline(always)]
fn alloc_block(layout: Layout) -> NonNull<u8> {
    let layout = match pooled_class(layout) {
        Some(class) => {
            if let Ok(Some(p)) = POOL.try_with(|lists| lists.pop(class)) {
                return p;
            }
            class_layout(class)
        }
        None => layout,
    };
    // SAFETY: `layout` has a non-zero size (a block holds at least its count).
    let p = unsafe { alloc(layout) };
    NonNull::new(p).unwrap_or_else(|| handle_alloc_error(layout))
}

/// Gives back a block [`alloc_block`] returned for `layout`.
///
/// # Safety
///
/// `p` came from `alloc_block(layout)` and is no longer used.
#[inline(always)]
unsafe fn free_block(p: NonNull<u8>, layout: Layout) {
    let Some(class) = pooled_class(layout) else {
        // SAFETY: allocated with `layout` itself (no size class).
        unsafe { dealloc(p.as_ptr(), layout) };
        return;
    };
    // SAFETY: forwarded from the caller; pooled blocks have their class's layout, which
    // `POOL`'s lists (aligned to `ALIGN`) use.
    let kept = POOL.try_with(|lists| unsafe { lists.push(class, p) });
    if kept != Ok(true) {
        // SAFETY: as above.
        unsafe { dealloc(p.as_ptr(), class_layout(class)) };
    }
}

/// The block behind an [`Arc`]: the count of handles, then the value (`repr(C)`: a block of
/// `MaybeUninit<T>` has the layout of one of `T`, [`UniqueArc::assume_init`]).
#[repr(C)]
struct Block<T> {
    count: AtomicUsize,
    value: T,
}

/// A shared handle on a `T` (std's `Arc` without weak handles); see the module docs.
pub(crate) struct Arc<T> {
    ptr: NonNull<Block<T>>,
    _owns: PhantomData<Block<T>>,
}

// SAFETY: as std's `Arc`: the value is shared between threads (`Sync`) and dropped on
// whichever thread drops the last handle (`Send`).
unsafe impl<T: Send + Sync> Send for Arc<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for Arc<T> {}

/// The only handle on a new `T`, which can therefore be changed in place before it is shared
/// ([`UniqueArc::shareable`]).
pub(crate) struct UniqueArc<T>(Arc<T>);

impl<T> UniqueArc<T> {
    /// `make()` written straight into a new block (no copy of a value built on the stack).
    #[inline(always)]
    pub(crate) fn new_with(make: impl FnOnce() -> T) -> Self {
        let layout = Layout::new::<Block<T>>();
        let ptr = alloc_block(layout).cast::<Block<T>>();
        // SAFETY: a fresh block with the layout of `Block<T>`.
        unsafe {
            let block = ptr.as_ptr();
            std::ptr::addr_of_mut!((*block).count).write(AtomicUsize::new(1));
            std::ptr::addr_of_mut!((*block).value).write(make());
        }
        UniqueArc(Arc {
            ptr,
            _owns: PhantomData,
        })
    }

    /// `value` in a new block.
    #[inline(always)]
    pub(crate) fn new(value: T) -> Self {
        Self::new_with(|| value)
    }

    /// The value's address, for writing it field by field before [`UniqueArc::assume_init`].
    #[inline(always)]
    pub(crate) fn as_mut_ptr(&mut self) -> *mut T {
        // SAFETY: the only handle on the block.
        unsafe { std::ptr::addr_of_mut!((*self.0.ptr.as_ptr()).value) }
    }

    /// The handle, to be shared.
    #[inline(always)]
    pub(crate) fn shareable(self) -> Arc<T> {
        self.0
    }

    /// The value, its block given back.
    pub(crate) fn into_inner(self) -> T {
        let this = std::mem::ManuallyDrop::new(self);
        let ptr = this.0.ptr;
        // SAFETY: the only handle: the value is read out once and the block freed without
        // dropping it again.
        unsafe {
            let value = std::ptr::addr_of!((*ptr.as_ptr()).value).read();
            free_block(ptr.cast(), Layout::new::<Block<T>>());
            value
        }
    }
}

impl<T> UniqueArc<std::mem::MaybeUninit<T>> {
    /// A new block whose value is not written yet (`std::sync::Arc::new_uninit`), to be
    /// written field by field through [`UniqueArc::as_mut_ptr`]: a value built whole and then
    /// moved in is copied with wider loads than its fields were stored with, which the CPU
    /// cannot forward from its store buffer.
    #[inline(always)]
    pub(crate) fn new_uninit() -> Self {
        Self::new_with(std::mem::MaybeUninit::uninit)
    }

    /// The block, its value written.
    ///
    /// # Safety
    ///
    /// Every field of the value has been written (`MaybeUninit::assume_init`).
    #[inline(always)]
    pub(crate) unsafe fn assume_init(self) -> UniqueArc<T> {
        let this = std::mem::ManuallyDrop::new(self);
        // `Block` is `repr(C)` and `MaybeUninit<T>` has `T`'s size and alignment, so the block
        // is one of `T` (and is freed with that layout).
        UniqueArc(Arc {
            ptr: this.0.ptr.cast(),
            _owns: PhantomData,
        })
    }
}

impl<T> Deref for UniqueArc<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for UniqueArc<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the only handle on the block.
        unsafe { &mut (*self.0.ptr.as_ptr()).value }
    }
}

impl<T> Arc<T> {
    /// `value` in a new block (`std::sync::Arc::new`).
    #[inline(always)]
    pub(crate) fn new(value: T) -> Self {
        UniqueArc::new(value).shareable()
    }

    #[inline(always)]
    fn block(&self) -> &Block<T> {
        // SAFETY: the block lives as long as any handle on it.
        unsafe { self.ptr.as_ref() }
    }

    /// How many handles share the value (`Arc::strong_count`).
    #[inline]
    pub(crate) fn count(this: &Self) -> usize {
        this.block().count.load(Ordering::Acquire)
    }

    /// Do both handles share one value?
    #[inline]
    pub(crate) fn ptr_eq(a: &Self, b: &Self) -> bool {
        a.ptr == b.ptr
    }

    /// The value, mutably, where this is its only handle.
    pub(crate) fn get_mut(this: &mut Self) -> Option<&mut T> {
        // SAFETY: with the count at 1 this `&mut` handle is the only one; the Acquire load
        // orders the other handles' last uses before it.
        (Self::count(this) == 1).then(|| unsafe { &mut (*this.ptr.as_ptr()).value })
    }

    /// This handle as the only one, or `None` (and the handle dropped) where others remain.
    pub(crate) fn into_unique(this: Self) -> Option<UniqueArc<T>> {
        (Self::count(&this) == 1).then_some(UniqueArc(this))
    }
}

impl<T> Clone for Arc<T> {
    #[inline(always)]
    fn clone(&self) -> Self {
        let old = self.block().count.fetch_add(1, Ordering::Relaxed);
        // As std: a count this large means handles were leaked on purpose; stop before it wraps.
        if old > isize::MAX as usize {
            std::process::abort();
        }
        Arc {
            ptr: self.ptr,
            _owns: PhantomData,
        }
    }
}

impl<T> Deref for Arc<T> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        &self.block().value
    }
}

impl<T> Drop for Arc<T> {
    #[inline]
    fn drop(&mut self) {
        if self.block().count.fetch_sub(1, Ordering::Release) != 1 {
            return;
        }
        fence(Ordering::Acquire);
        self.drop_slow();
    }
}

impl<T> Arc<T> {
    #[inline(never)]
    fn drop_slow(&mut self) {
        // SAFETY: the last handle: nobody else reads the value; it is dropped once and its
        // block given back.
        unsafe {
            std::ptr::drop_in_place(std::ptr::addr_of_mut!((*self.ptr.as_ptr()).value));
            free_block(self.ptr.cast(), Layout::new::<Block<T>>());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts its drops in its own counter (each test has one: tests run side by side).
    struct Probe(u64, &'static AtomicUsize);
    impl Drop for Probe {
        fn drop(&mut self) {
            self.1.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Blocks on this thread's list of `class`.
    fn held(class: usize) -> usize {
        POOL.with(|lists| lists.count(class))
    }

    #[test]
    fn a_block_is_reused_by_the_next_value_of_its_class() {
        // Empty the list of class 5 (this thread may have run other tests).
        while let Some(p) = POOL.with(|lists| lists.pop(5)) {
            // SAFETY: a free block of class 5, allocated with its class layout.
            unsafe { dealloc(p.as_ptr(), class_layout(5)) };
        }
        let a = Arc::new([1u64; 10]); // 8 + 80 = 88 bytes: class 5 (81 to 96 bytes)
        assert_eq!(pooled_class(Layout::new::<Block<[u64; 10]>>()), Some(5));
        let p = a.ptr.cast::<u8>();
        drop(a);
        assert_eq!(
            held(5),
            1,
            "the freed block is on the list, not back with malloc"
        );
        let b = Arc::new([2u64; 9]); // 8 + 72 = 80 bytes: class 4
        assert_eq!(held(5), 1);
        let c = Arc::new([3u64; 11]); // 96 bytes: class 5, the freed block
        assert_eq!((c.ptr.cast::<u8>(), held(5)), (p, 0));
        assert_eq!(c[10] + b[8], 5);
    }

    #[test]
    fn value_dropped_once_when_the_last_handle_goes() {
        static DROPS: AtomicUsize = AtomicUsize::new(0);
        let a = Arc::new(Probe(7, &DROPS));
        let b = a.clone();
        assert_eq!(Arc::count(&a), 2);
        assert!(Arc::ptr_eq(&a, &b));
        drop(a);
        assert_eq!(DROPS.load(Ordering::SeqCst), 0);
        assert_eq!(b.0, 7);
        drop(b);
        assert_eq!(DROPS.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn unique_only_when_alone() {
        let mut a = Arc::new(5u32);
        let b = a.clone();
        assert!(Arc::get_mut(&mut a).is_none());
        assert!(Arc::into_unique(b).is_none());
        *Arc::get_mut(&mut a).unwrap() += 1;
        let mut u = Arc::into_unique(a).unwrap();
        *u += 1;
        assert_eq!(u.into_inner(), 7);
    }

    #[test]
    fn lists_hold_at_most_keep_blocks_and_large_blocks_bypass_them() {
        use crate::free_lists::KEEP;
        let many: Vec<Arc<[u8; 40]>> = (0..KEEP + 10).map(|i| Arc::new([i as u8; 40])).collect();
        drop(many);
        let class = pooled_class(Layout::new::<Block<[u8; 40]>>()).unwrap();
        assert_eq!(POOL.with(|lists| lists.count(class)), KEEP);
        assert_eq!(pooled_class(Layout::new::<Block<[u8; 300]>>()), None);
        let big = Arc::new([9u8; 300]);
        assert_eq!(big[299], 9);
    }

    #[test]
    fn handles_cross_threads() {
        static DROPS: AtomicUsize = AtomicUsize::new(0);
        let a = Arc::new(Probe(3, &DROPS));
        let b = a.clone();
        let t = std::thread::spawn(move || {
            assert_eq!(b.0, 3);
            drop(b);
            // A block made here and freed on the main thread.
            Arc::new(Probe(4, &DROPS))
        });
        let c = t.join().unwrap();
        assert_eq!(c.0 + a.0, 7);
        drop((a, c));
        assert_eq!(DROPS.load(Ordering::SeqCst), 2);
    }
}
