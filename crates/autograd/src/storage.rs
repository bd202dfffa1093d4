//! Storage and layout: PyTorch's model of a tensor as a shared buffer seen through a shape,
//! strides and an offset.
//!
//! * [`Storage`] is the buffer: a `Vec<T>` behind a read–write lock, and a **version counter**
//!   that every write bumps (PyTorch's `_version`). A tensor and all its views hold one
//!   `Arc<Storage>`; writing through a view changes what the base sees, and the reverse.
//! * [`Layout`] is how one tensor reads that buffer: element `(i0, i1, …)` lives at
//!   `offset + Σ ik·stride[k]`. Views (`transpose`, `narrow`, `expand`, …) are new layouts over
//!   the same storage; no values move. Strides are never negative (as in PyTorch; `flip`
//!   copies). `expand` gives stride 0, so several indices may name one element: such a layout
//!   can be read but not written.
//!
//! ## Locking, and why no call can hang
//! Readers take the lock shared, writers exclusive. Four rules make a deadlock impossible:
//! 1. Reads are *recursive*: a read never waits behind a queued writer, so `&w * &w` (two reads
//!    of one storage) cannot stall when another thread is about to write `w`.
//! 2. A thread never waits for a lock it already holds: each thread keeps the list of guards it
//!    holds, and asking to write a storage it is reading (or to read one it is writing), as in
//!    `*p.data_mut() -= &*p.data()`, panics at once with a message naming the fix, instead of
//!    waiting for itself forever.
//! 3. A library call takes at most one write lock, and takes it together with its reads in one
//!    global order (by storage address), so two threads doing `a += &b` and `b += &a` cannot
//!    wait for each other.
//! 4. A thread that already holds a guard (user code keeping a `data()` guard alive while it
//!    calls into the library) waits for another lock at most [`LOCK_TIMEOUT`], then panics with
//!    a message that names the tensor: a cycle between such threads is reported, never a hang.

use crate::shape::{shape_of, Shape};
use ndarray::{ArrayViewD, ArrayViewMutD, IxDyn, ShapeBuilder};
use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::cell::{Cell, RefCell};
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How long a thread that already holds a tensor guard waits for another before reporting a
/// likely deadlock (rule 4 above).
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(20);

/// The buffer behind a tensor and its views, with its version counter.
pub(crate) struct Storage<T: 'static> {
    data: RwLock<Vec<T>>,
    version: AtomicU64,
}

/// A large buffer outlives its storage in the [buffer cache](crate::buffer_cache).
impl<T: 'static> Drop for Storage<T> {
    fn drop(&mut self) {
        crate::buffer_cache::recycle(std::mem::take(self.data.get_mut()));
    }
}

impl<T> Storage<T> {
    pub(crate) fn new(values: Vec<T>) -> Self {
        Storage {
            data: RwLock::new(values),
            version: AtomicU64::new(0),
        }
    }

    /// How many times the storage has been written in place (PyTorch's `t._version`).
    pub(crate) fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// Counts one more write. Called only with the write lock held, so no other writer can
    /// race it: a load and a store, not an atomic read-modify-write.
    fn bump_version(&self) {
        let v = self.version.load(Ordering::Relaxed);
        self.version.store(v + 1, Ordering::Release);
    }

    /// A key naming this storage in the per-thread list of held guards and in the lock order.
    pub(crate) fn key(&self) -> usize {
        self as *const Self as usize
    }

    #[inline]
    pub(crate) fn read(&self, what: &dyn Fn() -> String) -> ReadLock<'_, T> {
        self.lock(
            what,
            || self.data.read_recursive(),
            || self.data.try_read_recursive_for(LOCK_TIMEOUT),
        )
    }

    #[inline]
    pub(crate) fn write(&self, what: &dyn Fn() -> String) -> WriteLock<'_, T> {
        let lock = self.lock(
            what,
            || self.data.write(),
            || self.data.try_write_for(LOCK_TIMEOUT),
        );
        self.bump_version();
        lock
    }

    /// A guard `G` taken with `take`, or, where this thread already holds a guard that could
    /// deadlock with it (rule 4), with `take_timed`, panicking when that times out; registered
    /// in this thread's list of held guards. Always inlined: with `#[inline]` alone it stayed a
    /// call, 33 of them a lecture step (callgrind).
    #[inline(always)]
    fn lock<G: LockKind>(
        &self,
        what: &dyn Fn() -> String,
        take: impl FnOnce() -> G,
        take_timed: impl FnOnce() -> Option<G>,
    ) -> Held<G> {
        let key = self.key();
        let guard = if held_check(key, G::WRITE, what) {
            take_timed().unwrap_or_else(|| deadlock_panic(what))
        } else {
            take()
        };
        push_held(key, G::WRITE);
        Held { guard, key }
    }
}

/// A read or a write guard of a storage's values.
pub(crate) trait LockKind {
    /// Is it a write guard?
    const WRITE: bool;
}
impl<T> LockKind for RwLockReadGuard<'_, Vec<T>> {
    const WRITE: bool = false;
}
impl<T> LockKind for RwLockWriteGuard<'_, Vec<T>> {
    const WRITE: bool = true;
}

/// A held lock on a storage, `G` its read or write guard (registered in this thread's list
/// while alive).
pub(crate) struct Held<G: LockKind> {
    guard: G,
    key: usize,
}

/// A held read lock on a storage.
pub(crate) type ReadLock<'a, T> = Held<RwLockReadGuard<'a, Vec<T>>>;
/// A held write lock on a storage.
pub(crate) type WriteLock<'a, T> = Held<RwLockWriteGuard<'a, Vec<T>>>;

impl<T, G: LockKind + Deref<Target = Vec<T>>> Deref for Held<G> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.guard
    }
}

impl<T, G: LockKind + DerefMut<Target = Vec<T>>> DerefMut for Held<G> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.guard
    }
}

impl<G: LockKind> Drop for Held<G> {
    fn drop(&mut self) {
        pop_held(self.key, G::WRITE);
    }
}

/// How many guards the per-thread list keeps in its fixed slots; more (rare: user code holding
/// many guards at once) spill into [`HELD_MORE`].
const HELD_SLOTS: usize = 16;

/// The storages this thread holds a guard on, as `key | is_write` (a storage is aligned to 8
/// bytes, so bit 0 of its key is free). Made of `Cell`s with no destructor, so the
/// thread-local is a plain TLS slot (no lazy registration or state check on each access): the
/// fast path of every `data()` is one load of `len`, one store and, on drop, one compare.
struct HeldList {
    len: Cell<usize>,
    slots: [Cell<usize>; HELD_SLOTS],
}

thread_local! {
    static HELD: HeldList = const {
        HeldList {
            len: Cell::new(0),
            slots: [const { Cell::new(0) }; HELD_SLOTS],
        }
    };
    /// Entries past the first [`HELD_SLOTS`] (entry `HELD_SLOTS + i` is `HELD_MORE[i]`).
    static HELD_MORE: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

impl HeldList {
    #[inline]
    fn get(&self, i: usize) -> usize {
        if i < HELD_SLOTS {
            self.slots[i].get()
        } else {
            get_more(i - HELD_SLOTS)
        }
    }

    #[inline]
    fn set(&self, i: usize, e: usize) {
        if i < HELD_SLOTS {
            self.slots[i].set(e);
        } else {
            set_more(i - HELD_SLOTS, e);
        }
    }
}

/// Entry `j` of [`HELD_MORE`].
#[cold]
#[inline(never)]
fn get_more(j: usize) -> usize {
    HELD_MORE.with(|m| m.borrow()[j])
}

/// Sets entry `j` of [`HELD_MORE`], one past its end included.
#[cold]
#[inline(never)]
fn set_more(j: usize, e: usize) {
    HELD_MORE.with(|m| {
        let mut m = m.borrow_mut();
        if j == m.len() {
            m.push(e);
        } else {
            m[j] = e;
        }
    });
}

fn entry(key: usize, write: bool) -> usize {
    debug_assert_eq!(key & 1, 0);
    key | write as usize
}

/// Panics if this thread holds a conflicting guard on `key`; returns whether it holds any
/// guard at all (then the lock is waited for with a timeout, rule 4).
#[inline]
fn held_check(key: usize, write: bool, what: &dyn Fn() -> String) -> bool {
    HELD.with(|h| {
        let n = h.len.get();
        if n == 0 {
            return false;
        }
        let conflict = (0..n).map(|i| h.get(i)).find(|&e| {
            let (k, w) = (e & !1, e & 1 == 1);
            k == key && (write || w)
        });
        if let Some(e) = conflict {
            conflict_panic(e & 1 == 1, write, what);
        }
        true
    })
}

#[cold]
fn conflict_panic(held_write: bool, write: bool, what: &dyn Fn() -> String) -> ! {
    let (held, want) = if held_write {
        ("a data_mut() guard", if write { "write" } else { "read" })
    } else {
        ("a data() guard", "write")
    };
    panic!(
        "{}: this thread already holds {held} on this tensor's storage and now asks to {want} \
         it, which would wait for itself forever. Drop the guard first (end the statement, \
         or copy the values out with .to_vec()/.detach().clone_tensor()), or use an in-place \
         op such as sub_(&x) / `*p -= &x`, which reads and writes safely",
        what()
    );
}

#[cold]
fn deadlock_panic(what: &dyn Fn() -> String) -> ! {
    panic!(
        "{}: waited {} s for a tensor's lock while this thread holds another tensor's data() or \
         data_mut() guard: another thread is waiting for that guard, a deadlock. Drop guards \
         before calling into tapegrad",
        what(),
        LOCK_TIMEOUT.as_secs()
    )
}

#[inline]
fn push_held(key: usize, write: bool) {
    HELD.with(|h| {
        let n = h.len.get();
        h.set(n, entry(key, write));
        h.len.set(n + 1);
    });
}

/// Removes one entry `(key, write)`; guards usually drop in reverse order, so the last slot is
/// checked first (inline), then the one before it (a pair of guards dropped in the order they
/// were taken: an optimizer update's write and read locks), and a removal elsewhere
/// ([`pop_held_slow`]) moves the last entry into the gap.
#[inline]
fn pop_held(key: usize, write: bool) {
    let e = entry(key, write);
    HELD.with(|h| {
        let n = h.len.get();
        if n > 0 && n <= HELD_SLOTS && h.slots[n - 1].get() == e {
            h.len.set(n - 1);
        } else if n > 1 && n <= HELD_SLOTS && h.slots[n - 2].get() == e {
            h.slots[n - 2].set(h.slots[n - 1].get());
            h.len.set(n - 1);
        } else {
            pop_held_slow(h, n, e);
        }
    });
}

#[cold]
#[inline(never)]
fn pop_held_slow(h: &HeldList, n: usize, e: usize) {
    if n == 0 {
        return;
    }
    let last = h.get(n - 1);
    if last != e {
        match (0..n - 1).rposition(|i| h.get(i) == e) {
            Some(i) => h.set(i, last),
            None => return,
        }
    }
    if n > HELD_SLOTS {
        HELD_MORE.with(|m| m.borrow_mut().truncate(n - 1 - HELD_SLOTS));
    }
    h.len.set(n - 1);
}

/// How a tensor reads its storage: shape, strides (in elements) and offset, plus what every
/// read needs derived once (the extent, contiguity), since a layout never changes after it is
/// made. (The ndarray dimension of a view is built on each `data()`, not cached: hot ops read
/// contiguous tensors as plain slices, and a smaller layout is cheaper to create for every op's
/// output: measured with callgrind on the lecture step.) After editing
/// `shape`/`strides`/`offset` of a copy, call [`Layout::refreshed`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    pub(crate) shape: Shape,
    pub(crate) strides: Shape,
    pub(crate) offset: usize,
    end: usize,
    contiguous: bool,
}

impl Clone for Layout {
    fn clone(&self) -> Self {
        // `shape_of` copies the inline dimensions (the derived `clone()` would go
        // through an iterator).
        Layout {
            shape: shape_of(&self.shape),
            strides: shape_of(&self.strides),
            offset: self.offset,
            end: self.end,
            contiguous: self.contiguous,
        }
    }
}

impl Layout {
    /// Recomputes the derived values after `shape`, `strides` or `offset` were edited.
    pub(crate) fn refreshed(mut self) -> Self {
        self.end = self.compute_end();
        self.contiguous = self.compute_contiguous();
        self
    }

    /// The row-major (C-contiguous) layout of `shape` at offset 0 (the layout of every fresh
    /// result: derived values written directly, nothing to check).
    #[inline]
    pub(crate) fn contiguous(shape: &[usize]) -> Self {
        let strides = contiguous_strides(shape);
        let n: usize = shape.iter().product();
        Layout {
            shape: shape_of(shape),
            strides,
            offset: 0,
            end: n,
            contiguous: true,
        }
    }

    /// Is this the row-major layout (size-1 dimensions may have any stride, as in PyTorch)?
    #[inline]
    pub(crate) fn is_contiguous(&self) -> bool {
        self.contiguous
    }

    fn compute_contiguous(&self) -> bool {
        let mut expected = 1;
        for (&d, &s) in self.shape.iter().zip(&self.strides).rev() {
            if d == 0 {
                return true;
            }
            if d != 1 {
                if s != expected {
                    return false;
                }
                expected *= d;
            }
        }
        true
    }

    /// Can two indices name one element (a stride 0 on a dimension of size > 1)? Never for a
    /// contiguous layout, answered inline (every optimizer update and in-place gradient asks).
    #[inline]
    pub(crate) fn has_overlap(&self) -> bool {
        !self.is_contiguous() && self.strided_overlap()
    }

    /// [`Layout::has_overlap`] for a layout that is not contiguous.
    #[inline(never)]
    fn strided_overlap(&self) -> bool {
        if self.shape.contains(&0) {
            return false;
        }
        // Sort dimensions by stride; each must step past everything the smaller ones span.
        let mut dims: Vec<(usize, usize)> = self
            .shape
            .iter()
            .zip(&self.strides)
            .filter(|(&d, _)| d > 1)
            .map(|(&d, &s)| (s, d))
            .collect();
        dims.sort_unstable();
        let mut span = 1;
        for (s, d) in dims {
            if s < span {
                return true;
            }
            span = s * (d - 1) + 1;
        }
        false
    }

    /// One past the largest storage index this layout touches (0 if empty: an empty view
    /// touches nothing, whatever its offset, e.g. `narrow` of an empty tensor at a later start).
    fn compute_end(&self) -> usize {
        if self.shape.contains(&0) {
            return 0;
        }
        self.offset
            + self
                .shape
                .iter()
                .zip(&self.strides)
                .map(|(&d, &s)| (d - 1) * s)
                .sum::<usize>()
            + 1
    }

    /// The elements this layout names in `buf`, copied row-major: an odometer over the outer
    /// dimensions around a tight loop over the innermost one. The fast path for strided views,
    /// which `ndarray`'s dynamic-rank iterator walks element by element.
    ///
    /// Dimensions that step through the storage as one are merged first, so the inner run is
    /// as long as it can be; a contiguous inner run of at most 64 elements is copied inline,
    /// eight at a time, rather than by a `memcpy` call each (attention's heads, `[B, H, L, D]`
    /// read from `[B, L, H, D]`, are runs of `D` = 16).
    pub(crate) fn gather<T: Copy + 'static>(&self, buf: &[T]) -> Vec<T> {
        let n: usize = self.shape.iter().product();
        if n == 0 {
            return Vec::new();
        }
        assert!(self.end <= buf.len(), "layout outside its storage");
        let mut out = crate::buffer_cache::uninit(n);
        if self.contiguous || self.shape.is_empty() {
            out.extend_from_slice(&buf[self.offset..self.offset + n]);
            return out;
        }
        if self.strides.iter().all(|&s| s == 0) {
            // One value broadcast everywhere (the gradient of a sum).
            out.resize(n, buf[self.offset]);
            return out;
        }
        let (mut shape, mut strides) = self.merged_dims();
        if shape.len() == 1 {
            // One strided dimension: the runs' loop below runs once.
            shape.insert(0, 1);
            strides.insert(0, 0);
        }
        let rank = shape.len();
        let (inner, step) = (shape[rank - 1], strides[rank - 1]);
        let (rows, row_stride) = (shape[rank - 2], strides[rank - 2]);
        let dst = &mut out.spare_capacity_mut()[..n];
        let mut idx: smallvec::SmallVec<[usize; 6]> = smallvec::smallvec![0; rank - 2];
        let (mut base, mut at) = (self.offset, 0);
        loop {
            // The two innermost dimensions: `rows` runs of `inner` elements.
            let block = &mut dst[at..at + rows * inner];
            if row_stride == 1 && step != 1 {
                // A transposed block: element (r, j) at base + r + j·step.
                let src = &buf[base..base + rows + (inner - 1) * step];
                transpose_uninit(block, src, rows, inner, step);
            } else {
                for (r, run) in block.chunks_exact_mut(inner).enumerate() {
                    let from = base + r * row_stride;
                    if step == 1 {
                        copy_run_uninit(run, &buf[from..from + inner]);
                    } else {
                        for (j, d) in run.iter_mut().enumerate() {
                            d.write(buf[from + j * step]);
                        }
                    }
                }
            }
            at += rows * inner;
            // Next outer index, last outer dimension fastest.
            let mut d = rank - 2;
            loop {
                if d == 0 {
                    // SAFETY: the runs wrote all `n` elements, `dst[..n]` (one per outer index).
                    unsafe { out.set_len(n) };
                    return out;
                }
                d -= 1;
                idx[d] += 1;
                base += strides[d];
                if idx[d] < shape[d] {
                    break;
                }
                base -= strides[d] * shape[d];
                idx[d] = 0;
            }
        }
    }

    /// The layout's dimensions with those of size 1 left out and each dimension whose stride is
    /// the next one's stride times its size merged into it (they step through the storage as
    /// one dimension). Names the same elements in the same order.
    fn merged_dims(&self) -> (Shape, Shape) {
        let (mut shape, mut strides) = (Shape::new(), Shape::new());
        for (&d, &s) in self.shape.iter().zip(&self.strides) {
            if d == 1 {
                continue;
            }
            match (shape.last_mut(), strides.last_mut()) {
                (Some(pd), Some(ps)) if *ps == s * d => {
                    *pd *= d;
                    *ps = s;
                }
                _ => {
                    shape.push(d);
                    strides.push(s);
                }
            }
        }
        if shape.is_empty() {
            // Every dimension of size 1: one element.
            shape.push(1);
            strides.push(1);
        }
        (shape, strides)
    }

    /// An ndarray view of `buf` through this layout.
    #[inline]
    pub(crate) fn view<'a, T>(&self, buf: &'a [T]) -> ArrayViewD<'a, T> {
        assert!(self.end <= buf.len(), "layout outside its storage");
        if self.shape.contains(&0) {
            // ndarray's own empty layout (PyTorch's strides, e.g. [1, 1] for [2, 0], are what
            // `stride()` reports).
            return ArrayViewD::from_shape(IxDyn(&self.shape), &buf[..0]).expect("empty");
        }
        let shape = IxDyn(&self.shape).strides(IxDyn(&self.strides));
        // SAFETY: every element the layout names lies in `buf[offset .. end()]`, checked above,
        // and strides are non-negative.
        unsafe { ArrayViewD::from_shape_ptr(shape, buf.as_ptr().add(self.offset)) }
    }

    /// A mutable ndarray view of `buf` through this layout (which must not overlap itself).
    #[inline]
    pub(crate) fn view_mut<'a, T>(&self, buf: &'a mut [T]) -> ArrayViewMutD<'a, T> {
        assert!(self.end <= buf.len(), "layout outside its storage");
        assert!(!self.has_overlap(), "writing through an overlapping layout");
        if self.shape.contains(&0) {
            return ArrayViewMutD::from_shape(IxDyn(&self.shape), &mut buf[..0]).expect("empty");
        }
        let shape = IxDyn(&self.shape).strides(IxDyn(&self.strides));
        // SAFETY: in bounds (checked), non-negative strides, and no two indices alias (checked),
        // so the view's elements are distinct places in the exclusively borrowed `buf`.
        unsafe { ArrayViewMutD::from_shape_ptr(shape, buf.as_mut_ptr().add(self.offset)) }
    }
}

/// Copies `src` into `dst` (the same length): a short run inline, eight elements at a time
/// (a `memcpy` call costs more than copying 64 bytes), a long one by `memcpy`. The packing's
/// `copy_run` (`kernels/matmul/pack.rs`) is the same inline loop for an initialised
/// destination and runs of at most a panel row, so without the `memcpy` branch.
#[inline]
fn copy_run_uninit<T: Copy>(dst: &mut [std::mem::MaybeUninit<T>], src: &[T]) {
    debug_assert_eq!(src.len(), dst.len());
    if src.len() > 64 {
        // SAFETY: both slices hold `src.len()` elements and cannot overlap (`dst` is borrowed
        // mutably); `MaybeUninit<T>` has `T`'s layout.
        unsafe {
            std::ptr::copy_nonoverlapping(src.as_ptr(), dst.as_mut_ptr().cast(), src.len());
        }
        return;
    }
    let (mut s8, mut d8) = (src.chunks_exact(8), dst.chunks_exact_mut(8));
    for (s, d) in (&mut s8).zip(&mut d8) {
        let block: [T; 8] = s.try_into().expect("eight");
        for (d, v) in d.iter_mut().zip(block) {
            d.write(v);
        }
    }
    for (d, &v) in d8.into_remainder().iter_mut().zip(s8.remainder()) {
        d.write(v);
    }
}

/// `dst[r·cols + j] = src[r + j·step]` for `r < rows`, `j < cols`: a transposed block written
/// row-major. Done in 16 x 16 tiles, each read along `src`'s contiguous runs and written within
/// 16 rows of `dst`, so both sides stay in L1; element by element, every read of a row of `dst`
/// went to another line of `src` (a `[16, 64, 64]` key gradient in attention's backward read
/// this way was about 0.85 ns an element on Zen 4).
fn transpose_uninit<T: Copy>(
    dst: &mut [std::mem::MaybeUninit<T>],
    src: &[T],
    rows: usize,
    cols: usize,
    step: usize,
) {
    const TILE: usize = 16;
    assert!(
        dst.len() == rows * cols
            && (rows == 0 || cols == 0 || rows + (cols - 1) * step <= src.len()),
        "transpose_uninit: a {rows} x {cols} block at step {step} outside its slices"
    );
    for r0 in (0..rows).step_by(TILE) {
        for j0 in (0..cols).step_by(TILE) {
            let j1 = (j0 + TILE).min(cols);
            for r in r0..(r0 + TILE).min(rows) {
                for (j, d) in (j0..j1).zip(&mut dst[r * cols + j0..r * cols + j1]) {
                    // SAFETY: r < rows and j < cols, so r + j·step < src.len() (asserted).
                    d.write(unsafe { *src.get_unchecked(r + j * step) });
                }
            }
        }
    }
}

/// Row-major strides of `shape`.
#[inline]
pub(crate) fn contiguous_strides(shape: &[usize]) -> Shape {
    let n = shape.len();
    if n <= 4 {
        // Computed in registers, no `memset` of a zeroed buffer first (see `shape_of`):
        // stride i is the product of the sizes after i, sizes past the rank counting as 1.
        let d = |i: usize| if i < n { shape[i].max(1) } else { 1 };
        let s2 = d(3);
        let s1 = d(2) * s2;
        let s0 = d(1) * s1;
        return Shape::from_buf_and_len([s0, s1, s2, 1], n);
    }
    let mut strides = Shape::from_elem(0, shape.len());
    let mut s = 1;
    for i in (0..shape.len()).rev() {
        strides[i] = s;
        s *= shape[i].max(1);
    }
    strides
}

/// The storage range a contiguous layout of `n` elements covers (empty for an empty tensor,
/// whatever its offset).
#[inline]
pub(crate) fn contiguous_range(layout: &Layout, n: usize) -> std::ops::Range<usize> {
    debug_assert!(layout.is_contiguous());
    if n == 0 {
        0..0
    } else {
        layout.offset..layout.offset + n
    }
}

/// Read access to a contiguous tensor's elements as one row-major slice: the fast path of hot
/// ops, which need no ndarray view. Holds the storage's read lock while alive.
pub(crate) struct SliceRef<'a, T> {
    slice: &'a [T],
    _lock: ReadLock<'a, T>,
}

impl<'a, T> SliceRef<'a, T> {
    #[inline]
    pub(crate) fn new(lock: ReadLock<'a, T>, range: std::ops::Range<usize>) -> Self {
        // SAFETY of the lifetime: as for `DataRef`, the slice lives in the locked Vec.
        let buf: &'a [T] = unsafe { std::slice::from_raw_parts(lock.as_ptr(), lock.len()) };
        SliceRef {
            slice: &buf[range],
            _lock: lock,
        }
    }
}

impl<T> Deref for SliceRef<'_, T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        self.slice
    }
}

/// A tensor's values as one row-major slice: its storage under the read lock when the layout
/// is contiguous, else a row-major copy (made by [`crate::Tensor::read_values`], in a buffer
/// from the cache, given back to it on drop).
pub(crate) enum Values<'a, T: 'static> {
    Shared(SliceRef<'a, T>),
    Copied(Vec<T>),
}

impl<T: 'static> Drop for Values<'_, T> {
    fn drop(&mut self) {
        if let Values::Copied(v) = self {
            crate::buffer_cache::recycle(std::mem::take(v));
        }
    }
}

impl<T> Deref for Values<'_, T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        match self {
            Values::Shared(s) => s,
            Values::Copied(v) => v,
        }
    }
}

/// Write access to one tensor's values and read access to another's, both as row-major
/// slices, for a fused update loop (an optimizer step): made by [`crate::Tensor::update_guard`],
/// which took the two locks in the library's lock order and bumped the written storage's
/// version once. A strided operand is seen through a row-major copy, written back (for the
/// destination) when the guard drops.
pub struct UpdateGuard<'a, T> {
    dst_lock: WriteLock<'a, T>,
    dst_layout: &'a Layout,
    dst_range: std::ops::Range<usize>,
    /// The destination's values when its layout is strided (written back on drop).
    dst_copy: Option<Vec<T>>,
    src_lock: Option<ReadLock<'a, T>>,
    src_range: std::ops::Range<usize>,
    /// The source's values when its layout is strided or it shares the destination's storage.
    src_copy: Option<Vec<T>>,
}

impl<'a, T: Copy + 'static> UpdateGuard<'a, T> {
    /// `src_lock` is `None` when `src_copy` holds the values already.
    #[inline(always)]
    pub(crate) fn new(
        dst_lock: WriteLock<'a, T>,
        dst_layout: &'a Layout,
        src_lock: Option<ReadLock<'a, T>>,
        src_layout: &Layout,
        src_copy: Option<Vec<T>>,
    ) -> Self {
        let dst_n = dst_layout.shape.iter().product();
        let (dst_range, dst_copy) = if dst_layout.is_contiguous() {
            (contiguous_range(dst_layout, dst_n), None)
        } else {
            (0..0, Some(dst_layout.gather(&dst_lock)))
        };
        let (src_range, src_copy) = match (src_copy, &src_lock) {
            (Some(v), _) => (0..0, Some(v)),
            (None, Some(lock)) if src_layout.is_contiguous() => (
                contiguous_range(src_layout, src_layout.shape.iter().product()),
                None,
            ),
            (None, Some(lock)) => (0..0, Some(src_layout.gather(lock))),
            (None, None) => unreachable!("a source lock or a copy"),
        };
        UpdateGuard {
            dst_lock,
            dst_layout,
            dst_range,
            dst_copy,
            src_lock,
            src_range,
            src_copy,
        }
    }

    /// The destination's values (writable) and the source's, both row-major.
    #[inline(always)]
    pub fn slices(&mut self) -> (&mut [T], &[T]) {
        let src: &[T] = match (&self.src_copy, &self.src_lock) {
            (Some(v), _) => v,
            (None, Some(lock)) => &lock[self.src_range.clone()],
            (None, None) => &[],
        };
        let dst: &mut [T] = match &mut self.dst_copy {
            Some(v) => v,
            None => &mut self.dst_lock[self.dst_range.clone()],
        };
        (dst, src)
    }
}

impl<T> Drop for UpdateGuard<'_, T> {
    fn drop(&mut self) {
        if let Some(values) = self.dst_copy.take() {
            let mut view = self.dst_layout.view_mut(&mut self.dst_lock);
            for (d, v) in view.iter_mut().zip(values) {
                *d = v;
            }
        }
    }
}

/// Read access to a tensor's values: derefs to an `ndarray` view through the tensor's layout
/// (strided for views). Holds the storage's read lock while alive.
pub struct DataRef<'a, T> {
    view: ArrayViewD<'a, T>,
    _lock: ReadLock<'a, T>,
}

impl<'a, T> DataRef<'a, T> {
    #[inline]
    pub(crate) fn new(lock: ReadLock<'a, T>, layout: &Layout) -> Self {
        // SAFETY of the lifetime: the view points into the locked Vec, which cannot be
        // reallocated or written while `_lock` (dropped after `view`) is held.
        let buf: &'a [T] = unsafe { std::slice::from_raw_parts(lock.as_ptr(), lock.len()) };
        DataRef {
            view: layout.view(buf),
            _lock: lock,
        }
    }
}

impl<'a, T> Deref for DataRef<'a, T> {
    type Target = ArrayViewD<'a, T>;
    fn deref(&self) -> &ArrayViewD<'a, T> {
        &self.view
    }
}

/// Write access to a tensor's values: derefs to a mutable `ndarray` view through the tensor's
/// layout. Holds the storage's write lock while alive; taking it bumps the version counter.
pub struct DataMut<'a, T> {
    view: ArrayViewMutD<'a, T>,
    _lock: WriteLock<'a, T>,
}

impl<'a, T> DataMut<'a, T> {
    #[inline]
    pub(crate) fn new(mut lock: WriteLock<'a, T>, layout: &Layout) -> Self {
        // SAFETY: as for `DataRef`, and the write lock makes this the only access.
        let buf: &'a mut [T] =
            unsafe { std::slice::from_raw_parts_mut(lock.as_mut_ptr(), lock.len()) };
        DataMut {
            view: layout.view_mut(buf),
            _lock: lock,
        }
    }
}

impl<'a, T> Deref for DataMut<'a, T> {
    type Target = ArrayViewMutD<'a, T>;
    fn deref(&self) -> &ArrayViewMutD<'a, T> {
        &self.view
    }
}

impl<'a, T> DerefMut for DataMut<'a, T> {
    fn deref_mut(&mut self) -> &mut ArrayViewMutD<'a, T> {
        &mut self.view
    }
}

#[cfg(test)]
mod tests {
    use super::{pop_held, push_held, HELD, HELD_SLOTS};

    /// This thread's list of held guards, as `key | is_write` entries.
    fn held() -> Vec<usize> {
        HELD.with(|h| (0..h.len.get()).map(|i| h.get(i)).collect())
    }

    #[test]
    fn guards_dropped_in_any_order_leave_exactly_the_others_held() {
        // Keys are storage addresses: even numbers; bit 0 marks a write guard.
        let (a, b, c, d) = (0x1000, 0x2000, 0x3000, 0x4000);
        push_held(a, false);
        push_held(b, false);
        push_held(c, true);
        // The one before the last (a pair dropped in the order taken): the last moves into
        // its slot.
        pop_held(b, false);
        assert_eq!(held(), [a, c | 1]);
        push_held(d, false);
        // Deeper than that (the slow path): the last moves into the gap, too.
        pop_held(a, false);
        assert_eq!(held(), [d, c | 1]);
        // The same key with the other kind is not the entry held.
        pop_held(d, true);
        assert_eq!(held(), [d, c | 1]);
        pop_held(c, true);
        pop_held(d, false);
        assert!(held().is_empty());
        // Past the fixed slots, entries spill into the growable list and come back out.
        for i in 0..HELD_SLOTS + 3 {
            push_held(0x10_000 + 16 * i, false);
        }
        pop_held(0x10_000 + 16 * (HELD_SLOTS + 1), false);
        pop_held(0x10_000, false);
        let left = held();
        assert_eq!(left.len(), HELD_SLOTS + 1);
        for i in [0, HELD_SLOTS + 1] {
            assert!(!left.contains(&(0x10_000 + 16 * i)), "entry {i} still held");
        }
        for e in left {
            pop_held(e, false);
        }
        assert!(held().is_empty());
    }

    /// The element at each index of `layout`, row-major, by the definition: storage index =
    /// offset + Σ index·stride.
    fn by_definition(layout: &super::Layout, buf: &[u32]) -> Vec<u32> {
        let n: usize = layout.shape.iter().product();
        (0..n)
            .map(|mut flat| {
                let mut at = layout.offset;
                for (&d, &s) in layout.shape.iter().zip(&layout.strides).rev() {
                    at += (flat % d) * s;
                    flat /= d;
                }
                buf[at]
            })
            .collect()
    }

    #[test]
    fn gather_names_the_elements_of_every_kind_of_view() {
        use super::Layout;
        let buf: Vec<u32> = (0..40_000).collect();
        let strided = |shape: &[usize], strides: &[usize], offset: usize| {
            let mut l = Layout::contiguous(shape);
            l.strides = strides.iter().copied().collect();
            l.offset = offset;
            l.refreshed()
        };
        let mut cases = vec![
            // Attention's heads: [B, H, L, D] read from [B, L, H, D] (runs of D).
            strided(&[2, 4, 6, 16], &[384, 16, 64, 1], 0),
            // A 2-D transpose (inner stride > 1), and a broadcast middle dimension.
            strided(&[5, 7], &[1, 5], 3),
            strided(&[3, 4, 5], &[5, 0, 1], 1),
            // Size-1 dimensions with any stride, and two dimensions that merge into one that is
            // not contiguous ([3, 4] at strides [40, 10]: 12 elements, 10 apart).
            strided(&[2, 1, 3, 4], &[1000, 7, 40, 10], 5),
            strided(&[1, 1, 1], &[9, 9, 9], 11),
        ];
        // Narrowed last dimensions: inner runs of every length around the 8-wide blocks and
        // the 64-element limit, with the outer dimensions mergeable or not.
        // Transposed blocks (rows at stride 1): attention's key gradient, and sizes around the
        // 16 x 16 tiles, with and without mergeable outer dimensions.
        cases.push(strided(&[3, 64, 64], &[4096, 1, 64], 0));
        cases.push(strided(&[2, 17, 33], &[1200, 1, 35], 4));
        cases.push(strided(&[16, 15], &[1, 20], 1));
        cases.push(strided(&[2, 3, 31, 16], &[7, 2000, 1, 40], 3));
        for run in [1, 2, 7, 8, 9, 15, 16, 17, 63, 64, 65, 100] {
            cases.push(strided(&[3, 5, run], &[5 * 128, 128, 1], 2));
            cases.push(strided(&[4, 3, run], &[128, 3 * 128, 1], 0));
            cases.push(strided(&[6, run], &[run, 1], 0));
        }
        for layout in &cases {
            assert_eq!(
                layout.gather(&buf),
                by_definition(layout, &buf),
                "shape {:?} strides {:?} offset {}",
                layout.shape,
                layout.strides,
                layout.offset
            );
        }
    }
}
