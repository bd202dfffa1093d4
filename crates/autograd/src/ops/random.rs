//! Random tensors with PyTorch's CPU recipes: `rand`, `randn`, `uniform_`, `normal_`,
//! `exponential_`, `bernoulli`, `multinomial`, `randint`, `randperm`.
//!
//! Each function has a form drawing from the process-wide default generator
//! ([`manual_seed`](crate::manual_seed)) and a `_with` form taking a [`Generator`] (PyTorch's
//! `generator=` keyword). Draws are serial, in row-major order, whatever the thread count, as
//! PyTorch's CPU kernels (`cpu_serial_kernel`) draw them.

use crate::element::{DType, Element};
use crate::rng::{with_generator, Generator};
use crate::shape::numel;
use crate::tensor::{alloc_elements, Tensor};
use std::any::Any;

fn dtype_panic(op: &str, d: DType) -> ! {
    panic!(
        "\"{op}\" not implemented for '{}': random floating-point draws need a Float or Double \
         tensor",
        d.scalar_type_name()
    )
}

/// Fills `v` (empty, its capacity checked by `alloc_elements`) with `n` values of
/// `uniform_(from, to)`: float math for `f32` (24-bit uniforms from one 32-bit draw), double
/// for `f64` (53 bits from a 64-bit draw).
fn uniform_values<T: Element>(
    mut v: Vec<T>,
    n: usize,
    lo: f64,
    hi: f64,
    g: Option<&Generator>,
) -> Vec<T> {
    v.resize(n, T::zero());
    // The float types fill the tensor's own buffer; `T` is one of them or the op panics.
    let any = &mut v as &mut dyn Any;
    if let Some(x) = any.downcast_mut::<Vec<f32>>() {
        with_generator(g, |r| r.uniform_f32_fill(x, lo as f32, hi as f32));
    } else if let Some(x) = any.downcast_mut::<Vec<f64>>() {
        with_generator(g, |r| r.uniform_f64_fill(x, lo, hi));
    } else {
        dtype_panic("uniform_kernel_cpu", T::DTYPE);
    }
    v
}

/// Fills `v` (as [`uniform_values`]) with `n` values of `normal_kernel`: `normal_fill` (AVX2
/// recipe for `f32`) for 16 or more values, else the scalar `normal_distribution<double>` with
/// its cached second value.
fn normal_values<T: Element>(
    mut v: Vec<T>,
    n: usize,
    mean: f64,
    std: f64,
    g: Option<&Generator>,
) -> Vec<T> {
    assert!(
        std >= 0.0,
        "normal expects std >= 0.0, but found std {std}; pass a non-negative standard deviation"
    );
    if !matches!(T::DTYPE, DType::F32 | DType::F64) {
        dtype_panic("normal_kernel_cpu", T::DTYPE);
    }
    if n < 16 {
        with_generator(g, |r| {
            v.extend((0..n).map(|_| T::from_f64(round_to::<T>(r.normal_f64(mean, std)))))
        });
        return v;
    }
    v.resize(n, T::zero());
    let any = &mut v as &mut dyn Any;
    if let Some(x) = any.downcast_mut::<Vec<f32>>() {
        with_generator(g, |r| r.normal_fill_f32(x, mean as f32, std as f32));
    } else if let Some(x) = any.downcast_mut::<Vec<f64>>() {
        with_generator(g, |r| r.normal_fill_f64(x, mean, std));
    }
    v
}

/// `static_cast<scalar_t>(double)`.
fn round_to<T: Element>(v: f64) -> f64 {
    match T::DTYPE {
        DType::F32 => v as f32 as f64,
        _ => v,
    }
}

impl<T: Element> Tensor<T> {
    /// Uniform samples in `[low, high)` from the default generator
    /// (`torch.empty(shape).uniform_(low, high)`). For `f32` the value is
    /// `u·(high−low)+low` in float with a 24-bit `u`, so it can round to `high` as in PyTorch.
    /// Panics, with PyTorch's messages, unless `low <= high` and both (and their distance) are
    /// finite.
    ///
    /// ```
    /// use tapegrad_autograd::{manual_seed, Tensor};
    /// manual_seed(0);
    /// let t = Tensor::<f32>::uniform(&[2], -1.0, 1.0);
    /// assert!(t.to_vec().iter().all(|&x| (-1.0..1.0).contains(&x)));
    /// ```
    pub fn uniform(shape: &[usize], low: T, high: T) -> Self {
        Self::uniform_impl(shape, low, high, None)
    }

    /// [`uniform`](Self::uniform) drawing from `generator` (`uniform_(low, high, generator=g)`).
    pub fn uniform_with(shape: &[usize], low: T, high: T, generator: &Generator) -> Self {
        Self::uniform_impl(shape, low, high, Some(generator))
    }

    fn uniform_impl(shape: &[usize], low: T, high: T, g: Option<&Generator>) -> Self {
        let (lo, hi) = (low.as_f64(), high.as_f64());
        assert!(
            lo.is_finite() && hi.is_finite(),
            "uniform_: from and to must be finite (from/to is out of bounds): got from={lo} and \
             to={hi}"
        );
        assert!(
            lo <= hi,
            "uniform_ expects to return a [from, to) range, but found from={lo} > to={hi}"
        );
        assert!(
            (high - low).is_finite(),
            "uniform_ expects to-from <= the largest finite value, but found to={hi} and \
             from={lo} which result in to-from to exceed the limit"
        );
        // Fails with PyTorch's message when the buffer can't be had.
        let v = alloc_elements::<T>("uniform", shape);
        Self::from_vec(uniform_values(v, numel(shape), lo, hi, g), shape)
    }

    /// Uniform samples in `[0, 1)` (`torch.rand(shape)`).
    ///
    /// ```
    /// use tapegrad_autograd::{manual_seed, Tensor};
    /// manual_seed(0);
    /// // torch.manual_seed(0); torch.rand(2, dtype=torch.float64)
    /// let t = Tensor::<f64>::rand(&[2]);
    /// assert_eq!(t.to_vec(), vec![0.9700530018065531, 0.707819864399788]);
    /// ```
    pub fn rand(shape: &[usize]) -> Self {
        Self::uniform(shape, T::zero(), T::one())
    }

    /// [`rand`](Self::rand) drawing from `generator` (`torch.rand(shape, generator=g)`).
    pub fn rand_with(shape: &[usize], generator: &Generator) -> Self {
        Self::uniform_with(shape, T::zero(), T::one(), generator)
    }

    /// Standard normal samples (`torch.randn(shape)`, i.e. `normal_(0, 1)`).
    ///
    /// ```
    /// use tapegrad_autograd::{manual_seed, Tensor};
    /// manual_seed(0);
    /// // torch.manual_seed(0); torch.randn(2)
    /// assert_eq!(Tensor::<f32>::randn(&[2]).to_vec(), vec![1.5409961, -0.2934289]);
    /// ```
    pub fn randn(shape: &[usize]) -> Self {
        Self::normal_impl("randn", shape, 0.0, 1.0, None)
    }

    /// [`randn`](Self::randn) drawing from `generator` (`torch.randn(shape, generator=g)`).
    pub fn randn_with(shape: &[usize], generator: &Generator) -> Self {
        Self::normal_impl("randn", shape, 0.0, 1.0, Some(generator))
    }

    /// Samples of N(mean, std²) (`torch.empty(shape).normal_(mean, std)`, also
    /// `torch.normal(mean, std, shape)`). With 16 or more values PyTorch's `normal_fill`
    /// (Box–Muller over a block of uniforms); with fewer, the scalar Box–Muller whose second
    /// value the generator keeps for the next call.
    pub fn normal(shape: &[usize], mean: f64, std: f64) -> Self {
        Self::normal_impl("normal_", shape, mean, std, None)
    }

    /// [`normal`](Self::normal) drawing from `generator`.
    pub fn normal_with(shape: &[usize], mean: f64, std: f64, generator: &Generator) -> Self {
        Self::normal_impl("normal_", shape, mean, std, Some(generator))
    }

    fn normal_impl(op: &str, shape: &[usize], mean: f64, std: f64, g: Option<&Generator>) -> Self {
        // Fails with PyTorch's message when the buffer can't be had.
        let v = alloc_elements::<T>(op, shape);
        Self::from_vec(normal_values(v, numel(shape), mean, std, g), shape)
    }

    /// Samples of Exp(λ) (`torch.empty(shape).exponential_(lambd)`): `−log1p(−u)/λ` with a
    /// 53-bit `u`, rounded to `T`.
    pub fn exponential(shape: &[usize], lambd: f64) -> Self {
        Self::exponential_impl(shape, lambd, None)
    }

    /// [`exponential`](Self::exponential) drawing from `generator`.
    pub fn exponential_with(shape: &[usize], lambd: f64, generator: &Generator) -> Self {
        Self::exponential_impl(shape, lambd, Some(generator))
    }

    fn exponential_impl(shape: &[usize], lambd: f64, g: Option<&Generator>) -> Self {
        assert!(
            lambd > 0.0,
            "exponential_ expects lambda > 0.0, but found lambda={lambd}"
        );
        if !T::DTYPE.is_floating_point() {
            dtype_panic("exponential_cpu", T::DTYPE);
        }
        let mut v = alloc_elements::<T>("exponential_", shape);
        with_generator(g, |r| {
            v.extend(
                (0..numel(shape)).map(|_| T::from_f64(round_to::<T>(r.exponential_f64(lambd)))),
            )
        });
        Self::from_vec(v, shape)
    }

    /// 0/1 samples with probability `p` each (`torch.empty(shape).bernoulli_(p)`): one 53-bit
    /// uniform per value, `u < p` (PyTorch's default CPU kernel; on Intel CPUs PyTorch's MKL
    /// build uses MKL's stream instead, see `docs/09_random_numbers.md`).
    pub fn bernoulli_scalar(shape: &[usize], p: f64) -> Self {
        Self::bernoulli_scalar_impl(shape, p, None)
    }

    /// [`bernoulli_scalar`](Self::bernoulli_scalar) drawing from `generator`.
    pub fn bernoulli_scalar_with(shape: &[usize], p: f64, generator: &Generator) -> Self {
        Self::bernoulli_scalar_impl(shape, p, Some(generator))
    }

    fn bernoulli_scalar_impl(shape: &[usize], p: f64, g: Option<&Generator>) -> Self {
        Self::from_vec(bernoulli_values(shape, p, T::one(), T::zero(), g), shape)
    }

    /// 0/1 samples with the probabilities in `self` (`torch.bernoulli(p)`): a 24-bit float
    /// uniform per value for `f32` probabilities, a 53-bit one for `f64`; not differentiable.
    ///
    /// ```
    /// use tapegrad_autograd::{manual_seed, Tensor};
    /// manual_seed(0);
    /// let p = Tensor::<f32>::from_vec(vec![0.0, 1.0, 0.5], &[3]);
    /// let s = p.bernoulli();
    /// assert_eq!(&s.to_vec()[..2], &[0.0, 1.0]);
    /// ```
    pub fn bernoulli(&self) -> Self {
        self.bernoulli_impl(None)
    }

    /// [`bernoulli`](Self::bernoulli) drawing from `generator`.
    pub fn bernoulli_with(&self, generator: &Generator) -> Self {
        self.bernoulli_impl(Some(generator))
    }

    fn bernoulli_impl(&self, g: Option<&Generator>) -> Self {
        let p = self.to_vec();
        let shape = self.shape().to_vec();
        let v: Vec<T> = match T::DTYPE {
            DType::F64 => with_generator(g, |r| {
                p.iter()
                    .map(|&pv| {
                        if r.bernoulli_f64(pv.as_f64()) {
                            T::one()
                        } else {
                            T::zero()
                        }
                    })
                    .collect()
            }),
            DType::F32 => with_generator(g, |r| {
                p.iter()
                    .map(|&pv| {
                        if r.bernoulli_f32(pv.as_f64() as f32) {
                            T::one()
                        } else {
                            T::zero()
                        }
                    })
                    .collect()
            }),
            d => dtype_panic("bernoulli_tensor_cpu_p_", d),
        };
        Self::from_vec(v, &shape)
    }

    /// `num_samples` category indices per row of the (unnormalised) probabilities in `self`,
    /// 1-D or 2-D (`torch.multinomial(self, num_samples, replacement)`). With replacement and
    /// more than one sample: PyTorch's binary search of a 53-bit uniform in the cumulative
    /// sums (in `T`); otherwise the exponential trick `argmax / topk of p / Exp(1)`.
    ///
    /// ```
    /// use tapegrad_autograd::{manual_seed, Tensor};
    /// manual_seed(0);
    /// let p = Tensor::<f32>::from_vec(vec![0.0, 3.0, 1.0], &[3]);
    /// let s = p.multinomial(4, true);
    /// assert!(s.to_vec().iter().all(|&i| i == 1 || i == 2));
    /// ```
    pub fn multinomial(&self, num_samples: usize, replacement: bool) -> Tensor<i64> {
        self.multinomial_impl(num_samples, replacement, None)
    }

    /// [`multinomial`](Self::multinomial) drawing from `generator`.
    pub fn multinomial_with(
        &self,
        num_samples: usize,
        replacement: bool,
        generator: &Generator,
    ) -> Tensor<i64> {
        self.multinomial_impl(num_samples, replacement, Some(generator))
    }

    fn multinomial_impl(
        &self,
        n_sample: usize,
        replacement: bool,
        g: Option<&Generator>,
    ) -> Tensor<i64> {
        let dims = self.shape().to_vec();
        assert!(
            !dims.is_empty() && dims.len() <= 2,
            "multinomial: prob_dist must be 1 or 2 dim, got shape {dims:?}"
        );
        if !T::DTYPE.is_floating_point() {
            panic!(
                "multinomial only supports floating-point dtypes for input, got: {}",
                T::DTYPE.scalar_type_name()
            );
        }
        assert!(
            n_sample > 0,
            "multinomial: cannot sample n_sample <= 0 samples"
        );
        let n_cat = *dims.last().unwrap();
        assert!(
            replacement || n_sample <= n_cat,
            "multinomial: cannot sample n_sample > prob_dist.size(-1) samples without \
             replacement (n_sample={n_sample}, size(-1)={n_cat}); pass replacement=true or \
             fewer samples"
        );
        let n_dist = if dims.len() == 2 { dims[0] } else { 1 };
        let p = self.contiguous().to_vec();
        let mut out = Vec::with_capacity(n_dist * n_sample);
        if !replacement || n_sample == 1 {
            if !replacement {
                assert!(
                    p.iter()
                        .all(|&x| x.as_f64() >= 0.0 && x.as_f64() < f64::INFINITY),
                    "multinomial: probability tensor contains either `inf`, `nan` or element < 0"
                );
            }
            for row in p.chunks(n_cat.max(1)) {
                assert!(
                    row.iter().any(|&x| x.as_f64() != 0.0),
                    "multinomial: invalid multinomial distribution (sum of probabilities <= 0)"
                );
            }
            // q ~ Exp(1) in T, q = p / q, then argmax (one sample) or topk.
            let q: Vec<T> = Tensor::<T>::exponential_impl(&[n_dist * n_cat], 1.0, g).to_vec();
            for (prow, qrow) in p.chunks(n_cat).zip(q.chunks(n_cat)) {
                let r: Vec<T> = prow.iter().zip(qrow).map(|(&a, &b)| a / b).collect();
                let mut idx: Vec<usize> = (0..n_cat).collect();
                // Descending, NaN first (as max/topk treat NaN as largest), ties by index.
                idx.sort_by(|&a, &b| {
                    let (x, y) = (r[a].as_f64(), r[b].as_f64());
                    match (x.is_nan(), y.is_nan()) {
                        (true, true) => a.cmp(&b),
                        (true, false) => std::cmp::Ordering::Less,
                        (false, true) => std::cmp::Ordering::Greater,
                        _ => y.partial_cmp(&x).unwrap().then(a.cmp(&b)),
                    }
                });
                out.extend(idx[..n_sample].iter().map(|&i| i as i64));
            }
        } else {
            for row in p.chunks(n_cat) {
                let mut cum = Vec::with_capacity(n_cat);
                let mut sum = T::zero();
                for &v in row {
                    assert!(
                        v.as_f64() >= 0.0,
                        "multinomial: invalid multinomial distribution (encountering probability \
                         entry < 0)"
                    );
                    assert!(
                        v.as_f64().is_finite(),
                        "multinomial: invalid multinomial distribution (encountering probability \
                         entry = infinity or NaN)"
                    );
                    sum += v;
                    cum.push(sum);
                }
                assert!(
                    sum.as_f64() > 0.0,
                    "multinomial: invalid multinomial distribution (sum of probabilities <= 0)"
                );
                for c in cum.iter_mut() {
                    *c /= sum;
                }
                *cum.last_mut().unwrap() = T::one();
                with_generator(g, |r| {
                    for _ in 0..n_sample {
                        let u = r.uniform_f64(0.0, 1.0);
                        let (mut left, mut right) = (0usize, n_cat);
                        while right > left {
                            let mid = left + (right - left) / 2;
                            if cum[mid].as_f64() < u {
                                left = mid + 1;
                            } else {
                                right = mid;
                            }
                        }
                        out.push(left as i64);
                    }
                });
            }
        }
        let shape: Vec<usize> = if dims.len() == 2 {
            vec![n_dist, n_sample]
        } else {
            vec![n_sample]
        };
        Tensor::from_vec(out, &shape)
    }
}

impl Tensor<i64> {
    /// Integers drawn uniformly from `[low, high)` (`torch.randint(low, high, shape)`):
    /// `random() % (high−low) + low`, or `random64()` when the range is 2³² or more.
    ///
    /// ```
    /// use tapegrad_autograd::{manual_seed, Tensor};
    /// manual_seed(0);
    /// // torch.manual_seed(0); torch.randint(0, 10, (5,))
    /// assert_eq!(Tensor::randint(0, 10, &[5]).to_vec(), vec![4, 9, 3, 0, 3]);
    /// ```
    pub fn randint(low: i64, high: i64, shape: &[usize]) -> Tensor<i64> {
        Self::randint_impl(low, high, shape, None)
    }

    /// [`randint`](Self::randint) drawing from `generator`.
    pub fn randint_with(
        low: i64,
        high: i64,
        shape: &[usize],
        generator: &Generator,
    ) -> Tensor<i64> {
        Self::randint_impl(low, high, shape, Some(generator))
    }

    fn randint_impl(low: i64, high: i64, shape: &[usize], g: Option<&Generator>) -> Tensor<i64> {
        assert!(
            low < high,
            "random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        );
        let range = (high as i128 - low as i128) as u64;
        let mut v = alloc_elements::<i64>("randint", shape);
        with_generator(g, |r| {
            v.extend((0..numel(shape)).map(|_| r.random_from_to(range, low, true)))
        });
        Tensor::from_vec(v, shape)
    }

    /// A random permutation of `0..n` (`torch.randperm(n)`): PyTorch's CPU shuffle, swapping
    /// position `i` with `i + random() % (n−i)` (an inside-out shuffle with `random64()` for
    /// `n ≥ 2³²/20`).
    ///
    /// ```
    /// use tapegrad_autograd::{manual_seed, Tensor};
    /// manual_seed(0);
    /// // torch.manual_seed(0); torch.randperm(5)
    /// assert_eq!(Tensor::randperm(5).to_vec(), vec![4, 0, 1, 3, 2]);
    /// ```
    pub fn randperm(n: usize) -> Tensor<i64> {
        Self::randperm_impl(n, None)
    }

    /// [`randperm`](Self::randperm) drawing from `generator` (`torch.randperm(n, generator=g)`).
    pub fn randperm_with(n: usize, generator: &Generator) -> Tensor<i64> {
        Self::randperm_impl(n, Some(generator))
    }

    fn randperm_impl(n: usize, g: Option<&Generator>) -> Tensor<i64> {
        Tensor::from_vec(randperm_vec(n, g), &[n])
    }
}

/// `randperm_cpu` as a `Vec` (for samplers and `random_split`).
pub fn randperm_vec(n: usize, g: Option<&Generator>) -> Vec<i64> {
    let mut v = alloc_elements::<i64>("randperm", &[n]);
    let n64 = n as i64;
    if n64 < (u32::MAX / 20) as i64 {
        v.extend(0..n64);
        with_generator(g, |r| {
            for i in 0..n.saturating_sub(1) {
                let z = (r.random() as u64 % (n - i) as u64) as usize;
                v.swap(i, i + z);
            }
        });
    } else {
        v.resize(n, 0);
        with_generator(g, |r| {
            for i in 0..n {
                let z = (r.random64() % (i as u64 + 1)) as usize;
                v[i] = v[z];
                v[z] = i as i64;
            }
        });
    }
    v
}

/// The values of `bernoulli_(p)` on a tensor of `shape`, with `one` and `zero` for the two
/// outcomes (`1` and `0` for [`Tensor::bernoulli_scalar`]; dropout's noise takes `1 / (1 − p)`
/// and `0` straight from the draws). Panics with PyTorch's message if `p` is not in `[0, 1]`.
pub(crate) fn bernoulli_values<T: Element>(
    shape: &[usize],
    p: f64,
    one: T,
    zero: T,
    g: Option<&Generator>,
) -> Vec<T> {
    assert!(
        (0.0..=1.0).contains(&p),
        "bernoulli_ expects p to be in [0, 1], but got p={p}"
    );
    let mut v = alloc_elements::<T>("bernoulli_", shape);
    v.resize(numel(shape), zero);
    with_generator(g, |r| r.bernoulli_f64_fill(p, &mut v, one, zero));
    v
}
