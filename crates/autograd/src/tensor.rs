//! [`Tensor`]: an n-dimensional array on `ndarray` that can record the operations applied to it.
//!
//! A tensor and its recorded history refer to each other (a [`Tensor`] holds the [`graph::Node`]
//! that produced it; a node holds its input tensors), so the graph is this module's child.

pub mod graph;

use self::graph::Node;
use crate::element::{DType, Element, Scalar};
use crate::error::{Result, TensorError};
use crate::shape::{numel, Shape};
use crate::storage::{DataMut, DataRef, Layout, Storage};
use ndarray::ArrayD;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
// The handles of headers, storages and graph nodes: no weak count, blocks pooled per thread
// (`arc.rs`).
use crate::arc::{Arc, UniqueArc};

/// Tensor ids are handed to each thread in blocks of this many, so that making a tensor takes
/// an id without an atomic read-modify-write (one per block instead).
const ID_BLOCK: u64 = 1024;
/// The first id of the next block.
static NEXT_ID_BLOCK: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// This thread's next id and the end of its block (a `const` slot without a destructor).
    static IDS: std::cell::Cell<(u64, u64)> = const { std::cell::Cell::new((0, 0)) };
}

/// A process-unique tensor id.
#[inline]
fn next_id() -> u64 {
    IDS.with(|ids| {
        let (next, end) = ids.get();
        if next < end {
            ids.set((next + 1, end));
            return next;
        }
        let start = NEXT_ID_BLOCK.fetch_add(ID_BLOCK, Ordering::Relaxed);
        ids.set((start + 1, start + ID_BLOCK));
        start
    })
}

/// `make()` in a new `Arc`, written straight into its allocation. `Arc::new(value)` builds the
/// value first and then copies it into the allocation: for a tensor's header or a graph node
/// (about 200 bytes) a call of `memcpy` (the lecture step ran 4 % faster without them).
#[inline(always)]
pub(crate) fn arc_in_place<V>(make: impl FnOnce() -> V) -> Arc<V> {
    UniqueArc::new_with(make).shareable()
}

/// A hook on a tensor's gradient: sees the gradient flowing in and may return a replacement.
pub type Hook<T> = std::sync::Arc<dyn Fn(&Tensor<T>) -> Option<Tensor<T>> + Send + Sync>;

/// An n-dimensional tensor of `f32` (default) or `f64`, with reverse-mode autograd.
///
/// A `Tensor` is a cheap handle (an `Arc`): cloning it shares the data and the gradient, like
/// assigning a tensor to a second name in Python. Tensors are `Send + Sync`, so a trained model
/// can move to another thread.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// let x = Tensor::from_vec(vec![2.0f32, 3.0], &[2]).requires_grad_(true);
/// let y = (&x * &x + &x).sum(); // y = Σ x² + x
/// y.backward();
/// assert_eq!(x.grad().unwrap().to_vec(), vec![5.0, 7.0]); // 2x + 1
/// ```
pub struct Tensor<T: Scalar = f32> {
    pub(crate) inner: Arc<Inner<T>>,
}

pub(crate) struct Inner<T: Scalar> {
    pub(crate) id: u64,
    /// The buffer, shared with every view of it.
    pub(crate) storage: Arc<Storage<T>>,
    /// How this tensor reads the buffer.
    pub(crate) layout: Layout,
    pub(crate) grad: Mutex<Option<Tensor<T>>>,
    pub(crate) requires_grad: AtomicBool,
    pub(crate) retains_grad: AtomicBool,
    /// The op that produced the current values (`None` for a leaf). An in-place op on a tensor
    /// in the graph replaces it (PyTorch's "rebase_history"), so it sits behind a lock.
    pub(crate) history: parking_lot::Mutex<Option<Arc<Node<T>>>>,
    /// `history.is_none()`, readable without the lock.
    pub(crate) leaf: AtomicBool,
    /// Bumped each time an in-place op replaces `history`: a node that recorded this tensor as
    /// an input under an older history refuses to route a gradient through the new one.
    pub(crate) generation: AtomicU64,
    /// For a view (`narrow`, `select`, `t`, slicing, …): the tensor it is a view of, never
    /// itself a view (PyTorch's `._base`). An in-place op on the view that joins the graph
    /// rewrites this base's history (`CopySlices`, see `ops/inplace.rs`).
    pub(crate) view_base: Option<Tensor<T>>,
    /// The rarely used parts (hooks registered while a leaf, the label), allocated on first
    /// use: every op's result builds a header, so it is kept small.
    pub(crate) extras: parking_lot::Mutex<Option<Box<Extras<T>>>>,
    /// Set once a hook is registered: backward skips the hooks' lock for the (usual) tensor
    /// without any.
    pub(crate) has_hooks: AtomicBool,
}

/// See [`Inner::extras`].
pub(crate) struct Extras<T: Scalar> {
    /// Gradient hooks registered while the tensor was a leaf (a non-leaf's live on its node).
    pub(crate) hooks: Vec<Hook<T>>,
    pub(crate) label: Option<std::sync::Arc<str>>,
}

impl<T: Scalar> Default for Extras<T> {
    fn default() -> Self {
        Extras {
            hooks: Vec::new(),
            label: None,
        }
    }
}

/// How many recorded graph nodes are alive in the process (for leak tests: a training loop must
/// keep this flat).
pub fn live_graph_nodes() -> u64 {
    graph::live_nodes()
}

impl<T: Scalar> Clone for Tensor<T> {
    fn clone(&self) -> Self {
        Tensor {
            inner: Arc::clone(&self.inner),
        }
    }
}

fn lock<U>(m: &Mutex<U>) -> std::sync::MutexGuard<'_, U> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// An empty `Vec` with room for `shape`'s elements, or a panic with PyTorch's wording when the
/// element count overflows or the allocator refuses (never an abort).
pub(crate) fn alloc_elements<T: 'static>(op: &str, shape: &[usize]) -> Vec<T> {
    let n = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    let bytes = n.and_then(|n| n.checked_mul(std::mem::size_of::<T>().max(1)));
    let (Some(n), Some(bytes)) = (n, bytes) else {
        panic!(
            "{op}: Trying to create tensor of shape {shape:?}: the number of elements overflows; \
             use a smaller shape"
        );
    };
    if let Some(v) = crate::buffer_cache::cached(n) {
        return v;
    }
    let mut v = Vec::new();
    if v.try_reserve_exact(n).is_err() || bytes > isize::MAX as usize {
        panic!(
            "{op}: DefaultCPUAllocator: can't allocate memory: you tried to allocate {bytes} \
             bytes for a tensor of shape {shape:?}"
        );
    }
    v
}

// ---------------------------------------------------------------- construction
impl<T: Scalar> Tensor<T> {
    pub(crate) fn from_parts(
        data: ArrayD<T>,
        node: Option<Arc<Node<T>>>,
        requires_grad: bool,
    ) -> Self {
        let shape = Shape::from_slice(data.shape());
        // Every freshly computed value is stored row-major (C layout).
        let values = if data.is_standard_layout() {
            match data.into_raw_vec_and_offset() {
                (v, Some(0) | None) => v,
                (v, Some(off)) => v[off..].to_vec(),
            }
        } else {
            data.iter().copied().collect()
        };
        let values = if values.len() == numel(&shape) {
            values
        } else {
            values[..numel(&shape)].to_vec()
        };
        Self::from_storage(
            Arc::new(Storage::new(values)),
            Layout::contiguous(&shape),
            node,
            requires_grad,
        )
    }

    /// A fresh tensor owning row-major `values` of `shape` (no ndarray in between: the output
    /// path of hot ops).
    #[inline]
    pub(crate) fn from_values(
        values: Vec<T>,
        shape: &[usize],
        node: Option<Arc<Node<T>>>,
        requires_grad: bool,
    ) -> Self {
        debug_assert_eq!(values.len(), numel(shape));
        // The vector's three words are read one by one and the storage and the layout built
        // in their allocations: moved whole, each was read back with wider loads than its
        // fields had been stored with, which the CPU cannot forward from its store buffer (on
        // Emerald Rapids most of this function's time in the lecture step).
        let mut values = std::mem::ManuallyDrop::new(values);
        let (ptr, len, cap) = (values.as_mut_ptr(), values.len(), values.capacity());
        // SAFETY: the parts of `values`, which is not dropped (`ManuallyDrop`).
        let storage = arc_in_place(|| Storage::new(unsafe { Vec::from_raw_parts(ptr, len, cap) }));
        Self::build(
            storage,
            || Layout::contiguous(shape),
            node,
            requires_grad,
            None,
        )
    }

    /// A tensor reading `storage` through `layout`: a new tensor, or a view of another's storage.
    pub(crate) fn from_storage(
        storage: Arc<Storage<T>>,
        layout: Layout,
        node: Option<Arc<Node<T>>>,
        requires_grad: bool,
    ) -> Self {
        Self::with_history(storage, layout, node, requires_grad, None)
    }

    pub(crate) fn with_history(
        storage: Arc<Storage<T>>,
        layout: Layout,
        node: Option<Arc<Node<T>>>,
        requires_grad: bool,
        view_base: Option<Tensor<T>>,
    ) -> Self {
        Self::build(storage, || layout, node, requires_grad, view_base)
    }

    /// [`Tensor::with_history`] with the layout made by `layout`: the header is written field
    /// by field into its allocation (built whole and moved in, it was read back with wider
    /// loads than its fields had been stored with: a store-forwarding stall at every op's
    /// result, most of `from_values`' time in the lecture step on Emerald Rapids).
    #[inline(always)]
    fn build(
        storage: Arc<Storage<T>>,
        layout: impl FnOnce() -> Layout,
        node: Option<Arc<Node<T>>>,
        requires_grad: bool,
        view_base: Option<Tensor<T>>,
    ) -> Self {
        let mut block = UniqueArc::<std::mem::MaybeUninit<Inner<T>>>::new_uninit();
        let p = block.as_mut_ptr().cast::<Inner<T>>();
        let leaf = node.is_none();
        // SAFETY: `p` is the block's value, written here in full (every field once) before
        // `assume_init`. The layout goes first: if `layout()` panics, nothing has been moved
        // into the block yet, which is freed (its `MaybeUninit` value never dropped) while the
        // arguments drop as usual.
        unsafe {
            use std::ptr::addr_of_mut;
            addr_of_mut!((*p).layout).write(layout());
            addr_of_mut!((*p).id).write(next_id());
            addr_of_mut!((*p).storage).write(storage);
            addr_of_mut!((*p).grad).write(Mutex::new(None));
            addr_of_mut!((*p).requires_grad).write(AtomicBool::new(requires_grad));
            addr_of_mut!((*p).retains_grad).write(AtomicBool::new(false));
            addr_of_mut!((*p).leaf).write(AtomicBool::new(leaf));
            addr_of_mut!((*p).history).write(parking_lot::Mutex::new(node));
            addr_of_mut!((*p).generation).write(AtomicU64::new(0));
            addr_of_mut!((*p).view_base).write(view_base);
            addr_of_mut!((*p).extras).write(parking_lot::Mutex::new(None));
            addr_of_mut!((*p).has_hooks).write(AtomicBool::new(false));
            Tensor {
                inner: block.assume_init().shareable(),
            }
        }
    }

    /// A leaf tensor owning `array` (`torch.from_numpy`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let t = Tensor::from_array(ndarray::arr2(&[[1.0f32, 2.0], [3.0, 4.0]]));
    /// assert_eq!(t.shape().as_slice(), &[2, 2]);
    /// ```
    pub fn from_array<D: ndarray::Dimension>(array: ndarray::Array<T, D>) -> Self {
        Self::from_parts(array.into_dyn(), None, false)
    }

    /// A leaf tensor from row-major values and a shape; panics if the lengths differ.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    /// assert_eq!(t.to_vec(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    /// ```
    pub fn from_vec(values: Vec<T>, shape: &[usize]) -> Self {
        Self::try_from_vec(values, shape).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Fallible [`Tensor::from_vec`].
    pub fn try_from_vec(values: Vec<T>, shape: &[usize]) -> Result<Self> {
        let Some(n) = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d)) else {
            return Err(TensorError::Invalid(format!(
                "from_vec: the shape {shape:?} has more elements than fit in memory"
            )));
        };
        if values.len() != n {
            return Err(TensorError::DataLength {
                op: "from_vec",
                len: values.len(),
                shape: shape.to_vec(),
                numel: n,
            });
        }
        Ok(Self::from_values(values, shape, None, false))
    }

    /// A 0-d tensor holding one value (`torch.tensor(3.0)`).
    pub fn scalar(value: T) -> Self {
        Self::from_array(ndarray::arr0(value))
    }

    /// A tensor filled with `value` (`torch.full`).
    pub fn full(shape: &[usize], value: T) -> Self {
        let mut v = alloc_elements::<T>("full", shape);
        v.resize(numel(shape), value);
        Self::from_vec(v, shape)
    }

    /// A tensor of zeros (`torch.zeros`).
    pub fn zeros(shape: &[usize]) -> Self {
        Self::full(shape, T::ZERO)
    }

    /// A tensor of ones (`torch.ones`).
    pub fn ones(shape: &[usize]) -> Self {
        Self::full(shape, T::ONE)
    }

    /// Zeros with this tensor's shape.
    pub fn zeros_like(&self) -> Self {
        Self::zeros(&self.shape())
    }

    /// Ones with this tensor's shape.
    pub fn ones_like(&self) -> Self {
        Self::ones(&self.shape())
    }

    /// `start, start+step, …` up to but excluding `end` (`torch.arange`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// assert_eq!(Tensor::<f32>::arange(0.0, 1.0, 0.25).to_vec(), vec![0.0, 0.25, 0.5, 0.75]);
    /// ```
    pub fn arange(start: T, end: T, step: T) -> Self {
        assert!(
            T::DTYPE != DType::Bool,
            "arange: \"arange_cpu\" not implemented for 'Bool'"
        );
        let (a, b, st) = (start.as_f64(), end.as_f64(), step.as_f64());
        assert!(st != 0.0, "arange: step must be nonzero");
        assert!(
            a.is_finite() && b.is_finite(),
            "arange: unsupported range: {start} -> {end} (start and end must be finite)"
        );
        assert!(
            (st > 0.0 && b >= a) || (st < 0.0 && b <= a),
            "arange: upper bound and larger bound inconsistent with step sign (start {start}, \
             end {end}, step {step})"
        );
        let n = ((b - a) / st).ceil().max(0.0);
        assert!(
            n <= (isize::MAX as usize / std::mem::size_of::<T>()) as f64,
            "arange: the range {start} -> {end} with step {step} has {n} elements, more than \
             memory can hold"
        );
        let n = n as usize;
        // Reserved first, so a size the machine cannot hold panics with a message (no abort).
        let mut v = alloc_elements::<T>("arange", &[n]);
        if T::DTYPE == DType::I64 {
            // Exact integer arithmetic, as ATen's integral arange.
            let (a, st) = (start.as_i64(), step.as_i64());
            v.extend((0..n as i64).map(|i| T::from_i64(a + i * st)));
        } else if T::DTYPE == DType::F32 {
            // `start + i·step` in the element type, as ATen's vectorised kernel computes it.
            let (a, st) = (a as f32, st as f32);
            v.extend((0..n).map(|i| T::from_f64((a + i as f32 * st) as f64)));
        } else {
            v.extend((0..n).map(|i| T::from_f64(a + i as f64 * st)));
        }
        Self::from_vec(v, &[n])
    }
}

impl<T: Element> Tensor<T> {
    /// `steps` evenly spaced values from `start` to `end` inclusive (`torch.linspace`), equal
    /// to PyTorch's bit for bit: ATen computes `step = (end - start) / (steps - 1)` in the
    /// element type, the first half as `start + step·i` and the second half as
    /// `end - step·(steps - 1 - i)`, each with one fused multiply-add.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// assert_eq!(Tensor::<f64>::linspace(0.0, 1.0, 3).to_vec(), vec![0.0, 0.5, 1.0]);
    /// ```
    pub fn linspace(start: T, end: T, steps: usize) -> Self {
        // Reserved first, so a size the machine cannot hold panics with a message (no abort).
        let mut v = alloc_elements::<T>("linspace", &[steps]);
        match steps {
            0 => {}
            1 => v.push(start),
            _ => {
                let step = (end - start) / T::from_f64((steps - 1) as f64);
                let half = steps / 2;
                v.extend((0..steps).map(|i| {
                    if i < half {
                        step.mul_add(T::from_f64(i as f64), start)
                    } else {
                        (-step).mul_add(T::from_f64((steps - 1 - i) as f64), end)
                    }
                }));
            }
        }
        Self::from_vec(v, &[steps])
    }
}

// ---------------------------------------------------------------- inspection
impl<T: Scalar> Tensor<T> {
    /// A process-unique id of this tensor (stable across clones of the handle).
    pub fn id(&self) -> u64 {
        self.inner.id
    }

    /// Read access to the values: an `ndarray` view through this tensor's shape and strides,
    /// holding the storage's read lock until dropped. Reading a tensor while this thread writes
    /// it (a live [`Tensor::data_mut`] guard) panics with a message instead of waiting forever.
    #[inline]
    pub fn data(&self) -> DataRef<'_, T> {
        DataRef::new(
            self.inner.storage.read(&|| self.describe("data()")),
            &self.inner.layout,
        )
    }

    /// Write access to the values, for in-place updates outside the graph (an optimizer step,
    /// `with torch.no_grad(): w -= lr * w.grad`). Taking it bumps the storage's version counter,
    /// so a backward pass that saved this tensor reports the change instead of using the new
    /// values. Panics on an expanded tensor (several indices naming one element), as PyTorch's
    /// in-place ops do, and when this thread already holds a guard on the same storage.
    pub fn data_mut(&self) -> DataMut<'_, T> {
        if self.inner.layout.has_overlap() {
            panic!(
                "{}: unsupported operation: more than one element of the written-to tensor \
                 refers to a single memory location. Please clone() the tensor before \
                 performing the operation.",
                self.describe("data_mut()")
            );
        }
        DataMut::new(
            self.inner.storage.write(&|| self.describe("data_mut()")),
            &self.inner.layout,
        )
    }

    /// Runs `f` on this tensor's values (writable) and `src`'s values (read-only) under one
    /// acquisition of both locks, in the global lock order: the safe path for fused in-place
    /// updates (an optimizer step writing a parameter from its gradient), bumping this
    /// tensor's version counter once. `src` may share this tensor's storage (it is then read
    /// from a copy taken first). Panics as [`Tensor::data_mut`] does on an expanded tensor.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let p = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
    /// let g = Tensor::from_vec(vec![0.5f32, 0.5], &[2]);
    /// p.update_from(&g, |mut p, g| p -= &g); // p -= g
    /// assert_eq!(p.to_vec(), vec![0.5, 1.5]);
    /// assert_eq!(p.version(), 1);
    /// ```
    pub fn update_from<R>(
        &self,
        src: &Tensor<T>,
        f: impl FnOnce(ndarray::ArrayViewMutD<'_, T>, ndarray::ArrayViewD<'_, T>) -> R,
    ) -> R {
        if self.shares_storage(src) {
            let copy = src.clone_tensor();
            return self.update_from(&copy, f);
        }
        let (mut w, r) = self.data_mut_and_read(src);
        f(w.view_mut(), r.view())
    }

    /// Runs `f` on this tensor's values as one writable row-major slice and on `src`'s as one
    /// read-only row-major slice, under one write lock and one read lock taken in the library's
    /// lock order; the version counter is bumped once. This is the path fused update loops take
    /// (an optimizer step: PyTorch's fused kernels write `param` in place the same way). A
    /// non-contiguous tensor goes through a row-major copy (written back for `self`); a `src`
    /// sharing this tensor's storage is copied first. Panics, as [`Tensor::data_mut`], on an
    /// expanded tensor.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let p = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
    /// let g = Tensor::from_vec(vec![0.5f32, 0.5], &[2]);
    /// p.update_slices(&g, |p, g| p.iter_mut().zip(g).for_each(|(p, g)| *p -= g));
    /// assert_eq!(p.to_vec(), vec![0.5, 1.5]);
    /// assert_eq!(p.version(), 1);
    /// ```
    #[inline(always)]
    pub fn update_slices<R>(&self, src: &Tensor<T>, f: impl FnOnce(&mut [T], &[T]) -> R) -> R {
        let mut guard = self.update_guard(src);
        let (dst, src) = guard.slices();
        f(dst, src)
    }

    /// The locks of [`Tensor::update_slices`] as a guard, for update loops that must stay
    /// inlined in their caller (the optimizers' FMA-compiled bodies): `guard.slices()` gives
    /// `(&mut [T], &[T])`.
    #[inline]
    pub fn update_guard<'a>(&'a self, src: &'a Tensor<T>) -> crate::storage::UpdateGuard<'a, T> {
        let (dl, sl) = (&self.inner.layout, &src.inner.layout);
        if dl.has_overlap() {
            drop(self.data_mut()); // panics with PyTorch's message
        }
        if self.shares_storage(src) {
            let what_w = || self.describe("update (write)");
            // The source's values first, then the write lock alone.
            let copy: Vec<T> = src.to_vec();
            let w = self.inner.storage.write(&what_w);
            return crate::storage::UpdateGuard::new(w, dl, None, sl, Some(copy));
        }
        let (w, r) = self.lock_pair(src);
        crate::storage::UpdateGuard::new(w, dl, Some(r), sl, None)
    }

    /// The values as one row-major slice under the read lock, if the layout is contiguous (the
    /// fast path of hot ops: no ndarray view to build); `None` for a strided view.
    #[inline]
    pub(crate) fn read_contiguous(&self) -> Option<crate::storage::SliceRef<'_, T>> {
        let l = &self.inner.layout;
        if !l.is_contiguous() {
            return None;
        }
        let range = crate::storage::contiguous_range(l, numel(&l.shape));
        let lock = self.inner.storage.read(&|| self.describe("data()"));
        Some(crate::storage::SliceRef::new(lock, range))
    }

    /// The values as one row-major slice: shared under the read lock when contiguous, else
    /// copied (for kernels that take slices whatever the layout).
    #[inline]
    pub(crate) fn read_values(&self) -> crate::storage::Values<'_, T> {
        match self.read_contiguous() {
            Some(s) => crate::storage::Values::Shared(s),
            None => crate::storage::Values::Copied(self.to_vec()),
        }
    }

    /// Write access to this tensor and read access to `src`, both locks taken in the library's
    /// lock order (see [`Tensor::update_from`], which also accepts aliasing): for fused update
    /// loops that must stay inlined. Panics if the two share storage.
    pub fn data_mut_and_read<'a>(&'a self, src: &'a Tensor<T>) -> (DataMut<'a, T>, DataRef<'a, T>) {
        assert!(
            !self.shares_storage(src),
            "data_mut_and_read: the two tensors share storage; copy the source first \
             (clone_tensor) or use update_from"
        );
        if self.inner.layout.has_overlap() {
            drop(self.data_mut()); // panics with PyTorch's message
        }
        let (w, r) = self.lock_pair(src);
        (
            DataMut::new(w, &self.inner.layout),
            DataRef::new(r, &src.inner.layout),
        )
    }

    /// This tensor's storage write-locked and `src`'s read-locked, in the library's lock order
    /// (rule 3 of the storage module: by address), for an update of self from src. The two
    /// must not share storage.
    #[inline]
    fn lock_pair<'a>(
        &'a self,
        src: &'a Tensor<T>,
    ) -> (
        crate::storage::WriteLock<'a, T>,
        crate::storage::ReadLock<'a, T>,
    ) {
        let what_w = || self.describe("update (write)");
        let what_r = || src.describe("update (read)");
        let (dst_store, src_store) = (&self.inner.storage, &src.inner.storage);
        if dst_store.key() < src_store.key() {
            let w = dst_store.write(&what_w);
            (w, src_store.read(&what_r))
        } else {
            let r = src_store.read(&what_r);
            (dst_store.write(&what_w), r)
        }
    }

    /// `"op on a tensor of shape [..] (label)"`, for messages.
    pub(crate) fn describe(&self, op: &str) -> String {
        match self.label() {
            Some(l) => format!(
                "{op} on tensor '{l}' of shape {:?}",
                self.shape().as_slice()
            ),
            None => format!("{op} on a tensor of shape {:?}", self.shape().as_slice()),
        }
    }

    /// The shape (`t.shape`).
    pub fn shape(&self) -> Shape {
        // `shape_of` copies the (inline) dimensions; `clone()` would go through an iterator.
        crate::shape::shape_of(&self.inner.layout.shape)
    }

    /// The strides, in elements (`t.stride()`): how far apart in storage consecutive indices of
    /// each dimension are.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::<f32>::zeros(&[2, 3]);
    /// assert_eq!(x.stride(), vec![3, 1]);
    /// assert_eq!(x.t().stride(), vec![1, 3]); // a view: no values moved
    /// ```
    pub fn stride(&self) -> Vec<usize> {
        self.inner.layout.strides.to_vec()
    }

    /// Where this tensor's first element sits in its storage (`t.storage_offset()`).
    pub fn storage_offset(&self) -> usize {
        self.inner.layout.offset
    }

    /// Is the tensor stored row-major without gaps (`t.is_contiguous()`)?
    pub fn is_contiguous(&self) -> bool {
        self.inner.layout.is_contiguous()
    }

    /// Do the two tensors read the same storage (one is a view of the other, or both of a
    /// third)? PyTorch: `a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()`.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::<f32>::zeros(&[2, 3]);
    /// assert!(x.t().shares_storage(&x));
    /// assert!(!x.clone_tensor().shares_storage(&x));
    /// ```
    pub fn shares_storage(&self, other: &Tensor<T>) -> bool {
        Arc::ptr_eq(&self.inner.storage, &other.inner.storage)
    }

    /// How many times this tensor's storage was written in place (PyTorch's `t._version`).
    pub fn version(&self) -> u64 {
        self.inner.storage.version()
    }

    /// Number of dimensions.
    pub fn ndim(&self) -> usize {
        self.inner.layout.shape.len()
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        numel(&self.inner.layout.shape)
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        T::DTYPE
    }

    /// The values in row-major order.
    pub fn to_vec(&self) -> Vec<T> {
        let layout = &self.inner.layout;
        if self.numel() == 0 {
            return Vec::new();
        }
        let buf = self.inner.storage.read(&|| self.describe("to_vec()"));
        layout.gather(&buf)
    }

    /// A copy of the values as an `ndarray` array.
    pub fn to_array(&self) -> ArrayD<T> {
        self.data().to_owned()
    }

    /// The single value of a one-element tensor (`t.item()`); panics otherwise.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![2.5f32], &[1, 1]).item(), 2.5);
    /// ```
    pub fn item(&self) -> T {
        let d = self.data();
        assert!(
            d.len() == 1,
            "item(): a Tensor with {} elements (shape {:?}) cannot be converted to a scalar; \
             reduce it first (e.g. .sum() or .mean())",
            d.len(),
            d.shape()
        );
        *d.iter().next().expect("one element")
    }

    /// Does this tensor take part in gradient computation?
    pub fn requires_grad(&self) -> bool {
        self.inner.requires_grad.load(Ordering::Relaxed)
    }

    /// Marks a leaf as requiring a gradient (`t.requires_grad_(True)`), returning it for chaining.
    /// Panics on a non-leaf, as PyTorch does for `requires_grad_(False)` on one.
    pub fn requires_grad_(self, requires_grad: bool) -> Self {
        self.set_requires_grad(requires_grad);
        self
    }

    /// Sets `requires_grad` on a leaf.
    pub fn set_requires_grad(&self, requires_grad: bool) {
        assert!(
            !requires_grad || T::DTYPE.is_floating_point(),
            "set_requires_grad: only Tensors of floating point dtype can require gradients \
             (this one is {}); convert it first (.float())",
            T::DTYPE.torch_name()
        );
        assert!(
            self.is_leaf() || requires_grad,
            "set_requires_grad: you can only change requires_grad flags of leaf variables; \
             use .detach() to get a tensor outside the graph"
        );
        self.inner
            .requires_grad
            .store(requires_grad, Ordering::Relaxed);
    }

    /// Is this a leaf (created by the user, not by a recorded op)?
    pub fn is_leaf(&self) -> bool {
        self.inner.leaf.load(Ordering::Acquire)
    }

    /// PyTorch's name of the op that produced this tensor (`"MulBackward0"`), for non-leaves.
    pub fn grad_fn_name(&self) -> Option<&'static str> {
        self.node().map(|n| n.op.name())
    }

    /// The derivative rule of the op that produced this tensor, in words.
    pub fn grad_fn_rule(&self) -> Option<&'static str> {
        self.node().map(|n| n.op.rule())
    }

    /// The recorded op that produced the current values (`None` for a leaf).
    pub(crate) fn node(&self) -> Option<Arc<Node<T>>> {
        if self.is_leaf() {
            return None;
        }
        self.inner.history.lock().clone()
    }

    /// The tensors the producing op read (empty for leaves, and once backward freed the graph).
    pub fn grad_fn_inputs(&self) -> Vec<Tensor<T>> {
        self.node()
            .and_then(|n| n.inputs())
            .map(|v| v.into_vec())
            .unwrap_or_default()
    }

    /// The accumulated gradient (`t.grad`), if any.
    pub fn grad(&self) -> Option<Tensor<T>> {
        lock(&self.inner.grad).clone()
    }

    /// Replaces the gradient (`t.grad = g`); `None` clears it.
    ///
    /// Panics, as PyTorch's `x.grad = g` raises, if `g` is `self` itself or a view of its
    /// storage ("can't assign Variable as its own grad": `zero_grad` would then zero the
    /// values), or has another shape.
    pub fn set_grad(&self, grad: Option<Tensor<T>>) {
        if let Some(g) = grad.as_ref() {
            assert!(
                !g.shares_storage(self),
                "set_grad: can't assign Variable as its own grad (the gradient shares this \
                 tensor's storage); pass a copy (clone_tensor())"
            );
            assert!(
                g.inner.layout.shape == self.inner.layout.shape,
                "set_grad: assigned grad has data of a different size: the tensor has shape {:?} \
                 but the gradient {:?}",
                self.shape().as_slice(),
                g.shape().as_slice()
            );
        }
        // The old gradient is dropped after the lock is released: its drop may free a graph
        // and run the drops of what its hooks captured, which may read this `.grad` again.
        let old = std::mem::replace(&mut *lock(&self.inner.grad), grad);
        drop(old);
    }

    /// Zeroes the gradient in place, keeping its buffer (`t.grad.zero_()`); no-op without one.
    ///
    /// The `.grad` lock is released before the gradient's values are locked for writing: a
    /// thread holding the gradient's `data()` guard and asking for `p.grad()` meanwhile must
    /// not wait on a writer that waits on it.
    pub fn zero_grad(&self) {
        if let Some(g) = self.grad() {
            g.data_mut().fill(T::ZERO);
        }
    }

    /// A new leaf outside the graph that shares this tensor's storage (`t.detach()`): writing
    /// one changes the other.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).requires_grad_(true);
    /// let d = x.detach();
    /// assert!(d.shares_storage(&x) && !d.requires_grad());
    /// ```
    pub fn detach(&self) -> Tensor<T> {
        Tensor::from_storage(
            Arc::clone(&self.inner.storage),
            self.inner.layout.clone(),
            None,
            false,
        )
    }

    /// A copy of the values in a new contiguous storage, outside the graph
    /// (`t.detach().clone()`).
    pub fn clone_tensor(&self) -> Tensor<T> {
        Tensor::from_vec(self.to_vec(), &self.shape())
    }

    /// Keeps the gradient of this non-leaf after backward (`t.retain_grad()`).
    pub fn retain_grad(&self) {
        self.inner.retains_grad.store(true, Ordering::Relaxed);
    }

    /// Does this tensor keep its gradient after backward (leaves requiring grad always do)?
    pub fn retains_grad(&self) -> bool {
        self.inner.retains_grad.load(Ordering::Relaxed)
    }

    /// Registers a hook called with the gradient flowing into this tensor during backward
    /// (`t.register_hook(fn)`); returning `Some(g)` replaces the gradient.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).requires_grad_(true);
    /// x.register_hook(|g| Some(g * 2.0)); // double the gradient
    /// (&x * 3.0).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![6.0, 6.0]);
    /// ```
    ///
    /// **Lifetime, and the cycles a hook can make.** On a non-leaf the hook belongs to the graph
    /// (as PyTorch's hooks on a `grad_fn`): a backward that frees the graph (no
    /// `retain_graph`) drops it, and so does dropping the graph. A hook may therefore capture a
    /// handle to its own non-leaf tensor in a training loop: backward breaks the cycle each step.
    /// Two cycles remain, because Rust has no garbage collector to break them as Python's does:
    /// a non-leaf whose hook captures it and whose graph is never freed by a backward (a
    /// forward pass never backpropagated, or only with `retain_graph(true)`) keeps that graph
    /// alive; and a hook on a **leaf** lives as long as the leaf, so a leaf hook capturing the
    /// leaf (or a tensor computed from it) is never freed. Capture `t.detach()` (the same
    /// values, no graph) or only the values the hook needs. See docs/design.md, known limits.
    pub fn register_hook(
        &self,
        hook: impl Fn(&Tensor<T>) -> Option<Tensor<T>> + Send + Sync + 'static,
    ) {
        let hook: Hook<T> = std::sync::Arc::new(hook);
        match self.node() {
            Some(node) => {
                node.hooks.lock().push(hook);
                node.has_hooks.store(true, Ordering::Release);
            }
            None => self
                .inner
                .extras
                .lock()
                .get_or_insert_with(Default::default)
                .hooks
                .push(hook),
        }
        self.inner.has_hooks.store(true, Ordering::Release);
    }

    /// Is this the only handle to its values (no clone of the handle, no view of its storage)?
    /// Only then may backward write a gradient in place: a rule may hand out views of one
    /// gradient to several inputs (`permute` of the gradient `add` passed on), which must not
    /// see each other's sums.
    pub(crate) fn is_sole_owner(&self) -> bool {
        Arc::count(&self.inner) == 1 && Arc::count(&self.inner.storage) == 1
    }

    /// The gradient `grad` of this tensor after its hooks (unchanged, inline, when it has
    /// none: every tensor of a backward walk asks).
    #[inline]
    pub(crate) fn run_hooks(&self, grad: Tensor<T>) -> Tensor<T> {
        if !self.inner.has_hooks.load(Ordering::Acquire) {
            return grad;
        }
        self.run_registered_hooks(grad)
    }

    /// [`Tensor::run_hooks`] for a tensor with hooks.
    #[inline(never)]
    fn run_registered_hooks(&self, mut grad: Tensor<T>) -> Tensor<T> {
        // Called on a copy of the list, so a hook may register hooks without waiting on itself.
        // The tensor's own hooks (registered while it was a leaf) run first, then the graph's.
        let mut hooks: Vec<Hook<T>> = (self.inner.extras.lock().as_ref())
            .map(|e| e.hooks.clone())
            .unwrap_or_default();
        if let Some(node) = self.node() {
            hooks.extend(node.hooks.lock().iter().cloned());
        }
        for h in hooks.iter() {
            if let Some(g) = h(&grad) {
                assert!(
                    g.shape() == grad.shape(),
                    "hook 'hook' has changed the size of value: a gradient hook returned shape \
                     {:?} for a gradient of shape {:?}; return a tensor of the same shape",
                    g.shape().as_slice(),
                    grad.shape().as_slice()
                );
                grad = g;
            }
        }
        grad
    }

    /// Gives this tensor a name shown by graph listings, DOT output and explain traces
    /// (micrograd's `label`), returning it for chaining.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let w = Tensor::from_vec(vec![1.0f32], &[1]).with_label("w");
    /// assert_eq!(w.label().as_deref(), Some("w"));
    /// ```
    pub fn with_label(self, label: &str) -> Self {
        self.inner
            .extras
            .lock()
            .get_or_insert_with(Default::default)
            .label = Some(label.into());
        self
    }

    /// The name given by [`Tensor::with_label`], if any.
    pub fn label(&self) -> Option<String> {
        let extras = self.inner.extras.lock();
        extras.as_ref()?.label.as_deref().map(str::to_owned)
    }

    /// Same handle (pointer equality), as Python's `a is b`.
    pub fn same(&self, other: &Tensor<T>) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Converts to another element type (`t.double()`, `t.float()`); a new leaf outside the
    /// graph (see `to_dtype` for the differentiable form).
    pub fn cast<U: Scalar>(&self) -> Tensor<U> {
        Tensor::from_array(self.data().mapv(|v| U::from_f64(v.as_f64())))
    }
}

impl<T: Scalar, D: ndarray::Dimension> From<ndarray::Array<T, D>> for Tensor<T> {
    fn from(a: ndarray::Array<T, D>) -> Self {
        Tensor::from_array(a)
    }
}
