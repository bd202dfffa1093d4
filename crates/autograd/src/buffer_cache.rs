//! Large buffers kept for reuse: a freed tensor's buffer of 128 KiB or more goes to a small
//! cache, and the next op asking for a buffer of about that size gets it back instead of a
//! fresh one from the system allocator.
//!
//! Why: glibc serves allocations that large with `mmap` (or trims them off its heap when they
//! are freed), so each op's output costs a page fault per 4 KiB, the kernel zeroing the page,
//! and on two threads a TLB shootdown when it is unmapped. A training step allocates the same
//! sizes every time, so keeping them saves all of that: an LSTM step over 32 × 32 × 128 spent
//! about a quarter of its time in the kernel without this (`docs/performance.md`). PyTorch's
//! CUDA caching allocator does the same for device memory; on the CPU PyTorch leaves it to
//! `malloc`.
//!
//! The rules:
//! * a buffer is cached when its storage is dropped (the last tensor or view of it went away)
//!   and its capacity is at least [`MIN_BYTES`]; f32 and f64 buffers only;
//! * a request for `len` elements takes the smallest cached buffer of that type holding
//!   between `len` and `len + len / 4` elements (never a much larger one, which would keep
//!   memory a small tensor does not use);
//! * the cache holds at most [`cache_limit`] bytes (64 MiB unless [`set_cache_limit`] says
//!   otherwise) and [`MAX_ENTRIES`] buffers, dropping the oldest first. What it holds counts
//!   in the process's resident memory: `char_gpt`'s peak went from 33 to 89 MiB (PyTorch's
//!   process: about 840 MiB); a limit of 32 MiB kept it to 50 MiB, but let a ResNet block
//!   step take 3 950 fresh pages where 64 MiB leaves 2 420 and 128 MiB none;
//! * a reused buffer's old values are never seen: callers either write every element
//!   ([`uninit`]) or get zeros ([`zeroed`]).
//!
//! [`empty_cache`] frees everything held (PyTorch's `torch.cuda.empty_cache()`).
//!
//! Small buffers (256 bytes or less, of 4- or 8-byte elements) are kept apart, per thread:
//! an op's small output takes a freed buffer of its 16-byte size class off this thread's list
//! (`free_lists.rs`: at most 64 a class, freed when the thread ends), and a dropped storage's
//! small buffer goes back on the dropping thread's list. They are not counted in
//! [`cached_bytes`] nor bound by [`cache_limit`] (at most 272 KiB a thread). Why: the lecture
//! step made about 20 such buffers a step, each a `malloc` and a `free` of glibc's.

use crate::free_lists::{self, class_bytes, FreeLists};
use parking_lot::Mutex;
use std::any::Any;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::LocalKey;

/// The smallest buffer worth keeping, in bytes (glibc's default `mmap` threshold).
pub const MIN_BYTES: usize = 128 << 10;
/// The most buffers the cache holds at once.
pub const MAX_ENTRIES: usize = 256;
const DEFAULT_LIMIT: usize = 64 << 20;

static LIMIT: AtomicUsize = AtomicUsize::new(DEFAULT_LIMIT);
static CACHE: Mutex<Cache> = Mutex::new(Cache::new());

/// Frees every buffer the cache holds (PyTorch's `torch.cuda.empty_cache()`); the memory goes
/// back to the allocator.
///
/// ```
/// use tapegrad_autograd::{buffer_cache, Tensor};
/// drop(Tensor::<f32>::zeros(&[1024, 1024])); // 4 MiB: kept for the next op of that size
/// buffer_cache::empty_cache();
/// assert_eq!(buffer_cache::cached_bytes(), 0);
/// ```
pub fn empty_cache() {
    let freed = std::mem::take(&mut *CACHE.lock());
    drop(freed);
}

/// Bytes held by the cache now (PyTorch's `torch.cuda.memory_reserved()` less what is in use).
pub fn cached_bytes() -> usize {
    CACHE.lock().bytes
}

/// The most bytes the cache may hold.
pub fn cache_limit() -> usize {
    LIMIT.load(Ordering::Relaxed)
}

/// Sets the most bytes the cache may hold, dropping the oldest buffers beyond it; `0` turns
/// the cache off (every buffer is freed when its tensor goes).
///
/// ```
/// use tapegrad_autograd::buffer_cache;
/// let before = buffer_cache::cache_limit();
/// buffer_cache::set_cache_limit(0);
/// assert_eq!(buffer_cache::cached_bytes(), 0);
/// buffer_cache::set_cache_limit(before);
/// ```
pub fn set_cache_limit(bytes: usize) {
    LIMIT.store(bytes, Ordering::Relaxed);
    let dropped = CACHE.lock().shrink_to(bytes);
    drop(dropped);
}

/// A cached buffer with room for `len` elements (and at most `len / 4` more), emptied, if
/// one is held; for a small buffer of 4- or 8-byte elements (at most 256 bytes), this
/// thread's, or a new one, of `len` elements rounded up to 16 bytes ([`take_small`]).
///
/// (The size test inline, where every op's output asks; the cache's lock out of line.)
#[inline]
pub(crate) fn cached<T: 'static>(len: usize) -> Option<Vec<T>> {
    if len.saturating_mul(std::mem::size_of::<T>()) < MIN_BYTES {
        return take_small(len);
    }
    take_cached(len)
}

/// The locked part of [`cached`].
#[inline(never)]
fn take_cached<T: 'static>(len: usize) -> Option<Vec<T>> {
    CACHE.lock().take::<T>(len)
}

/// An empty vector with room for at least `len` elements, reused from the cache when one fits.
/// The caller writes every element before `set_len(len)`.
pub(crate) fn uninit<T: 'static>(len: usize) -> Vec<T> {
    cached(len).unwrap_or_else(|| Vec::with_capacity(len))
}

/// `len` zeros, in a reused buffer when one fits (`vec![zero; len]` otherwise, which `calloc`
/// may serve with pages the kernel has already zeroed).
pub(crate) fn zeroed<T: Clone + 'static>(len: usize, zero: T) -> Vec<T> {
    match cached(len) {
        Some(mut v) => {
            v.resize(len, zero);
            v
        }
        None => vec![zero; len],
    }
}

/// Gives a buffer no longer used to the cache, or a small one to this thread's lists
/// ([`put_small`]); frees it when it is of another type or size, or the cache is full.
///
/// (The size test inline, where every storage is dropped; the cache's lock out of line.)
#[inline]
pub(crate) fn recycle<T: 'static>(v: Vec<T>) {
    if v.capacity() * std::mem::size_of::<T>() < MIN_BYTES {
        put_small(v);
        return;
    }
    put_cached(v);
}

thread_local! {
    /// This thread's small buffers of 4-byte elements (`f32`, `i32`, `u32`).
    static SMALL4: FreeLists = const { FreeLists::new(4) };
    /// This thread's small buffers of 8-byte elements (`f64`, `i64`).
    static SMALL8: FreeLists = const { FreeLists::new(8) };
}

/// This thread's lists for buffers of `T`: elements of 4 or 8 bytes aligned to their size
/// (a buffer of `cap` of them is then allocated as `cap · size` bytes aligned to `size`,
/// whatever the type, so an `f32` buffer can serve an `i32` tensor); `None` for other types.
#[inline(always)]
fn small_lists<T>() -> Option<&'static LocalKey<FreeLists>> {
    match (std::mem::size_of::<T>(), std::mem::align_of::<T>()) {
        (4, 4) => Some(&SMALL4),
        (8, 8) => Some(&SMALL8),
        _ => None,
    }
}

/// An empty buffer for `len` elements of `T` (`len · size` under [`MIN_BYTES`]) with its
/// capacity rounded up to its 16-byte size class: off this thread's list of that class, or
/// new (and so returnable to it by [`put_small`]); `None` for another type or a buffer over
/// 256 bytes.
#[inline]
fn take_small<T>(len: usize) -> Option<Vec<T>> {
    let lists = small_lists::<T>()?;
    let size = std::mem::size_of::<T>();
    let class = free_lists::class_of(len * size)?;
    let cap = class_bytes(class) / size;
    Some(match lists.try_with(|l| l.pop(class)) {
        // SAFETY: a block of `class` from the lists of `T`'s size and alignment: allocated as
        // `Vec::with_capacity(cap)` of a type of that size and alignment (the layout of
        // `Layout::array::<T>(cap)`), given back by `put_small` and no longer used.
        Ok(Some(p)) => unsafe { Vec::from_raw_parts(p.as_ptr().cast::<T>(), 0, cap) },
        _ => Vec::with_capacity(cap),
    })
}

/// Puts `v`'s buffer on this thread's list of its size class when its capacity is exactly a
/// class's (every buffer [`take_small`] hands out), after dropping its elements; else, or when
/// that list is full, frees it.
#[inline]
fn put_small<T>(mut v: Vec<T>) {
    let Some(lists) = small_lists::<T>() else {
        return;
    };
    let bytes = v.capacity() * std::mem::size_of::<T>();
    let Some(class) = free_lists::class_of(bytes).filter(|&c| class_bytes(c) == bytes) else {
        return;
    };
    v.clear();
    let v = std::mem::ManuallyDrop::new(v);
    let p = NonNull::new(v.as_ptr().cast_mut().cast::<u8>()).expect("a non-empty allocation");
    // SAFETY: `v`'s allocation, `Layout::array::<T>(cap)`: `bytes` (a class's size) aligned to
    // `T`'s size, the layout of `lists`' blocks of `class`; `v` is never used again unless
    // the list refuses it.
    let kept = lists.try_with(|l| unsafe { l.push(class, p) });
    if kept != Ok(true) {
        drop(std::mem::ManuallyDrop::into_inner(v));
    }
}

/// The locked part of [`recycle`].
#[inline(never)]
fn put_cached<T: 'static>(v: Vec<T>) {
    let dropped = CACHE.lock().put(v, cache_limit());
    drop(dropped); // freed outside the lock
}

/// A cached buffer of one of the cached element types.
enum Held {
    F32(Vec<f32>),
    F64(Vec<f64>),
}

impl Held {
    fn wrap<T: 'static>(v: Vec<T>) -> Option<Held> {
        let mut slot = Some(v);
        let any = &mut slot as &mut dyn Any;
        if let Some(s) = any.downcast_mut::<Option<Vec<f32>>>() {
            return s.take().map(Held::F32);
        }
        if let Some(s) = any.downcast_mut::<Option<Vec<f64>>>() {
            return s.take().map(Held::F64);
        }
        None
    }

    /// The buffer as a `Vec<T>`, emptied, if it holds `T`s.
    fn unwrap<T: 'static>(self) -> Option<Vec<T>> {
        let mut slot: Option<Vec<T>> = None;
        let any = &mut slot as &mut dyn Any;
        match self {
            Held::F32(mut v) => {
                v.clear();
                *any.downcast_mut::<Option<Vec<f32>>>()? = Some(v);
            }
            Held::F64(mut v) => {
                v.clear();
                *any.downcast_mut::<Option<Vec<f64>>>()? = Some(v);
            }
        }
        slot
    }

    fn is<T: 'static>(&self) -> bool {
        let id = std::any::TypeId::of::<T>();
        match self {
            Held::F32(_) => id == std::any::TypeId::of::<f32>(),
            Held::F64(_) => id == std::any::TypeId::of::<f64>(),
        }
    }

    fn capacity(&self) -> usize {
        match self {
            Held::F32(v) => v.capacity(),
            Held::F64(v) => v.capacity(),
        }
    }

    fn bytes(&self) -> usize {
        match self {
            Held::F32(v) => v.capacity() * 4,
            Held::F64(v) => v.capacity() * 8,
        }
    }
}

/// The buffers held, oldest first, and their total size.
#[derive(Default)]
struct Cache {
    held: Vec<Held>,
    bytes: usize,
}

impl Cache {
    const fn new() -> Self {
        Cache {
            held: Vec::new(),
            bytes: 0,
        }
    }

    /// The smallest held `T` buffer with room for `len` and at most `len / 4` more.
    fn take<T: 'static>(&mut self, len: usize) -> Option<Vec<T>> {
        let fits = |h: &Held| h.is::<T>() && (len..=len + len / 4).contains(&h.capacity());
        let (i, _) = (self.held.iter().enumerate())
            .filter(|(_, h)| fits(h))
            .min_by_key(|(_, h)| h.capacity())?;
        let h = self.held.remove(i);
        self.bytes -= h.bytes();
        h.unwrap()
    }

    /// Keeps `v` within `limit` bytes; returns what no longer fits, for the caller to free
    /// after releasing the lock.
    fn put<T: 'static>(&mut self, v: Vec<T>, limit: usize) -> Vec<Held> {
        let Some(h) = Held::wrap(v) else {
            return Vec::new();
        };
        if h.bytes() > limit {
            return vec![h];
        }
        self.bytes += h.bytes();
        self.held.push(h);
        let mut dropped = self.shrink_to(limit);
        while self.held.len() > MAX_ENTRIES {
            let h = self.held.remove(0);
            self.bytes -= h.bytes();
            dropped.push(h);
        }
        dropped
    }

    /// Drops the oldest buffers until at most `limit` bytes are held; returns them.
    fn shrink_to(&mut self, limit: usize) -> Vec<Held> {
        let mut dropped = Vec::new();
        while self.bytes > limit {
            let h = self.held.remove(0);
            self.bytes -= h.bytes();
            dropped.push(h);
        }
        dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const N: usize = MIN_BYTES / 4; // the smallest f32 buffer kept

    #[test]
    fn a_returned_buffer_is_handed_out_again_for_a_close_size_and_type() {
        let mut cache = Cache::new();
        let v: Vec<f32> = vec![7.0; 2 * N];
        let ptr = v.as_ptr();
        assert!(cache.put(v, 1 << 30).is_empty());
        assert_eq!(cache.bytes, 2 * N * 4);
        assert!(cache.take::<f64>(N).is_none(), "same bytes, other type");
        assert!(cache.take::<f32>(2 * N + 1).is_none(), "too small");
        assert!(cache.take::<f32>(N).is_none(), "2N is more than N + N/4");
        let got = cache.take::<f32>(2 * N * 4 / 5 + 4).unwrap(); // 2 N ≤ 1.6 N + 1.6 N / 4
        assert_eq!((got.as_ptr(), got.len(), got.capacity()), (ptr, 0, 2 * N));
        assert_eq!(cache.bytes, 0);
    }

    #[test]
    fn the_smallest_fitting_buffer_is_chosen() {
        let mut cache = Cache::new();
        let (big, small): (Vec<f64>, Vec<f64>) =
            (Vec::with_capacity(N + 100), Vec::with_capacity(N));
        let small_ptr = small.as_ptr();
        cache.put(big, 1 << 30);
        cache.put(small, 1 << 30);
        let first = cache.take::<f64>(N).unwrap();
        assert_eq!(first.as_ptr(), small_ptr);
        assert_eq!(cache.take::<f64>(N).unwrap().capacity(), N + 100);
    }

    #[test]
    fn the_oldest_buffers_go_first_when_the_limit_or_the_count_is_reached() {
        let mut cache = Cache::new();
        let limit = 3 * N * 4; // three buffers of N f32
        for i in 0..4 {
            let dropped = cache.put(vec![i as f32; N], limit);
            assert_eq!(dropped.len(), usize::from(i == 3));
        }
        assert_eq!((cache.held.len(), cache.bytes), (3, limit));
        let first = cache.take::<f32>(N).unwrap();
        assert_eq!(first.capacity(), N);
        assert!(
            cache.put(vec![0.0f32; 4 * N], limit).len() == 1,
            "larger than the limit"
        );
        for _ in 0..MAX_ENTRIES + 5 {
            cache.put(vec![0.0f32; N], usize::MAX);
        }
        assert_eq!(cache.held.len(), MAX_ENTRIES);
        assert_eq!(cache.bytes, MAX_ENTRIES * N * 4);
        assert_eq!(cache.shrink_to(0).len(), MAX_ENTRIES);
        assert_eq!(cache.bytes, 0);
    }

    /// Empties this thread's list of 4-byte buffers of `class` (the thread may have run other
    /// tests) and returns how many it held.
    fn drain4(class: usize) -> usize {
        let mut n = 0;
        while let Some(p) = SMALL4.with(|l| l.pop(class)) {
            // SAFETY: a free block of the list, allocated with its layout.
            unsafe { std::alloc::dealloc(p.as_ptr(), SMALL4.with(|l| l.layout(class))) };
            n += 1;
        }
        n
    }

    #[test]
    fn a_small_buffer_goes_back_on_this_threads_list_and_serves_the_next_of_its_class() {
        drain4(1);
        // 5 f32 = 20 bytes: class 1 (17 to 32 bytes), capacity rounded up to 8.
        let v: Vec<f32> = cached(5).unwrap();
        assert_eq!((v.len(), v.capacity()), (0, 8));
        let p = v.as_ptr() as usize;
        recycle(v);
        assert_eq!(SMALL4.with(|l| l.count(1)), 1, "kept, not freed");
        // 7 i32 = 28 bytes: the same class and element size, so the same block.
        let w: Vec<i32> = cached(7).unwrap();
        assert_eq!((w.as_ptr() as usize, w.len(), w.capacity()), (p, 0, 8));
        assert_eq!(SMALL4.with(|l| l.count(1)), 0);
        // A capacity that is not a class's, a 1-byte type, a buffer over 256 bytes: not kept.
        recycle(Vec::<f32>::with_capacity(5));
        assert_eq!(SMALL4.with(|l| l.count(1)), 0);
        assert!(cached::<u8>(5).is_none());
        assert!(cached::<f32>(65).is_none());
        recycle(w);
        assert_eq!(drain4(1), 1);
    }

    #[test]
    fn other_types_are_not_kept() {
        let mut cache = Cache::new();
        assert!(cache.put(vec![1i64; N], usize::MAX).is_empty());
        assert!(cache.held.is_empty());
    }
}
