//! Per-thread lists of freed small blocks, by size class: what [`crate::arc`] (tensor
//! headers, storages, graph nodes) and the small value buffers of
//! [`crate::buffer_cache`] take their blocks from instead of `malloc`, and give them back to
//! instead of `free`.
//!
//! Why: a training step of a small network makes and frees a few blocks per op, and glibc
//! takes about 140 instructions for a `malloc` and its `free` (callgrind), a pop and a push on
//! a list of this thread's a few. Class `c` holds blocks of `16 · (c + 1)` bytes, `c < 16`
//! (up to 256 bytes), all with one alignment per set of lists; a list keeps at most [`KEEP`]
//! blocks, and a block freed beyond that goes back to the global allocator. A block made on
//! one thread and freed on another is simply kept by the second. When a thread ends, its
//! lists are freed; a block given back after that (by another thread-local's destructor)
//! goes to the global allocator.

use std::alloc::{dealloc, Layout};
use std::cell::Cell;
use std::ptr::NonNull;

/// The largest block kept, in bytes.
pub(crate) const MAX_BYTES: usize = 256;
/// The most blocks a list keeps: at most `16 · 64` blocks of 256 bytes or less a set of
/// lists, 136 KiB.
pub(crate) const KEEP: usize = 64;
const CLASSES: usize = MAX_BYTES / 16;

/// The size class of a block of `bytes` (rounded up to a multiple of 16), or `None` for an
/// empty block or one above [`MAX_BYTES`].
#[inline(always)]
pub(crate) fn class_of(bytes: usize) -> Option<usize> {
    (bytes > 0 && bytes <= MAX_BYTES).then(|| (bytes - 1) / 16)
}

/// The bytes of a block of size class `class`.
#[inline(always)]
pub(crate) const fn class_bytes(class: usize) -> usize {
    16 * (class + 1)
}

/// The layout of a block of size class `class` aligned to `align` (a power of two, at most 16).
#[inline(always)]
pub(crate) const fn class_layout(class: usize, align: usize) -> Layout {
    // SAFETY: the size is a non-zero multiple of 16, the alignment a power of two at most 16,
    // far below `isize::MAX`.
    unsafe { Layout::from_size_align_unchecked(class_bytes(class), align) }
}

/// One thread's lists of free blocks of one alignment, by size class.
pub(crate) struct FreeLists {
    heads: [Cell<*mut u8>; CLASSES],
    counts: [Cell<usize>; CLASSES],
    align: usize,
}

impl FreeLists {
    /// Empty lists of blocks aligned to `align` (a power of two, at most 16).
    pub(crate) const fn new(align: usize) -> Self {
        FreeLists {
            heads: [const { Cell::new(std::ptr::null_mut()) }; CLASSES],
            counts: [const { Cell::new(0) }; CLASSES],
            align,
        }
    }

    /// The layout every block of `class` was allocated with.
    #[inline(always)]
    pub(crate) fn layout(&self, class: usize) -> Layout {
        class_layout(class, self.align)
    }

    /// A block of `class` off its list, if it has one.
    #[inline(always)]
    pub(crate) fn pop(&self, class: usize) -> Option<NonNull<u8>> {
        let head = NonNull::new(self.heads[class].get())?;
        // SAFETY: `head` is a free block of this class; its first bytes hold the link (written
        // unaligned: a block may be aligned to less than a pointer).
        let next = unsafe { head.as_ptr().cast::<*mut u8>().read_unaligned() };
        self.heads[class].set(next);
        self.counts[class].set(self.counts[class].get() - 1);
        Some(head)
    }

    /// Puts the unused block `p` on the list of `class`, or returns `false` when that list is
    /// full (the caller frees the block).
    ///
    /// # Safety
    ///
    /// `p` was allocated with `self.layout(class)` and is no longer used.
    #[inline(always)]
    pub(crate) unsafe fn push(&self, class: usize, p: NonNull<u8>) -> bool {
        let count = self.counts[class].get();
        if count >= KEEP {
            return false;
        }
        // SAFETY: the block is at least 16 bytes and no longer used.
        unsafe {
            p.as_ptr()
                .cast::<*mut u8>()
                .write_unaligned(self.heads[class].get())
        };
        self.heads[class].set(p.as_ptr());
        self.counts[class].set(count + 1);
        true
    }

    /// How many blocks the list of `class` holds.
    #[cfg(test)]
    pub(crate) fn count(&self, class: usize) -> usize {
        self.counts[class].get()
    }
}

impl Drop for FreeLists {
    fn drop(&mut self) {
        for class in 0..CLASSES {
            while let Some(p) = self.pop(class) {
                // SAFETY: every block on the list of `class` was allocated with
                // `self.layout(class)` and is not in use.
                unsafe { dealloc(p.as_ptr(), self.layout(class)) };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_round_up_to_16_bytes() {
        assert_eq!(class_of(0), None);
        assert_eq!(
            (class_of(1), class_of(16), class_of(17)),
            (Some(0), Some(0), Some(1))
        );
        assert_eq!((class_of(256), class_of(257)), (Some(15), None));
        assert_eq!(class_bytes(15), 256);
    }

    #[test]
    fn blocks_come_back_last_in_first_out_up_to_keep() {
        let lists = FreeLists::new(4);
        let layout = lists.layout(2);
        assert_eq!((layout.size(), layout.align()), (48, 4));
        // SAFETY: blocks of the class's layout, each pushed once and popped once.
        unsafe {
            let blocks: Vec<NonNull<u8>> = (0..KEEP + 2)
                .map(|_| NonNull::new(std::alloc::alloc(layout)).unwrap())
                .collect();
            let kept: Vec<bool> = blocks.iter().map(|&p| lists.push(2, p)).collect();
            assert_eq!(kept.iter().filter(|&&k| k).count(), KEEP);
            assert!(!kept[KEEP] && !kept[KEEP + 1]);
            for &p in &blocks[KEEP..] {
                std::alloc::dealloc(p.as_ptr(), layout);
            }
            assert_eq!(lists.count(2), KEEP);
            assert_eq!(lists.pop(2), Some(blocks[KEEP - 1]));
            assert_eq!(lists.pop(2), Some(blocks[KEEP - 2]));
            assert_eq!(lists.pop(1), None);
            assert_eq!(lists.count(2), KEEP - 2);
        }
        // The rest are freed by `drop`.
    }
}
