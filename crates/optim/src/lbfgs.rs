//! `torch.optim.LBFGS`: limited-memory BFGS — a quasi-Newton direction from the last
//! `history_size` steps and gradient changes, with a fixed step (`lr`) or PyTorch's strong-Wolfe
//! line search; each `step` runs up to `max_iter` iterations and calls the closure to
//! re-evaluate the loss and gradients.
//!
//! PyTorch's algorithm (per `step(closure)`; all parameters as one flat vector x, g = ∇f(x),
//! negated with `maximize`):
//!
//! ```text
//! f, g ← closure();  if max|g| ≤ tolerance_grad: return
//! repeat up to max_iter times:
//!     if first iteration ever:  d ← −g, H ← 1, history empty
//!     else:
//!         y ← g − g_prev,  s ← t·d,  if y·s > 1e-10: push (y, s, ρ = 1/(y·s)), H ← y·s / y·y
//!         two-loop recursion:  q ← −g;  for i newest→oldest: αᵢ ← ρᵢ sᵢ·q, q ← q − αᵢ yᵢ
//!                              d ← H q;  for i oldest→newest: β ← ρᵢ yᵢ·d, d ← d + (αᵢ − β) sᵢ
//!     g_prev ← g, f_prev ← f
//!     t ← min(1, 1/Σ|g|)·lr on the first iteration ever, else lr
//!     if g·d > −tolerance_change: stop
//!     line_search_fn = "strong_wolfe": f, g, t ← strong-Wolfe search along d (c₁ = 1e-4,
//!         c₂ = 0.9, cubic interpolation, at most max_eval − evaluations so far); x ← x + t d
//!     else: x ← x + t d; f, g ← closure() (unless this is the last iteration)
//!     stop when: max_iter iterations, max_eval evaluations, max|g| ≤ tolerance_grad,
//!         max|t d| ≤ tolerance_change, or |f − f_prev| < tolerance_change
//! ```
//!
//! Vectors are kept in the parameters' type and dot products accumulated in `f64`; the step t,
//! ρ and H are rounded to the parameters' type (PyTorch keeps them as 0-d tensors), the other
//! scalars are `f64`. The iterates follow PyTorch's to rounding, not bit for bit (PyTorch's dot
//! products go through BLAS).

use crate::error::{at_least_zero, OptimError};
use crate::optimizer::{clear_grad, Optimizer};
use crate::state::{OptimizerStateDict, SavedParamGroup, SavedParamState};
use tapegrad_autograd::{Element, Tensor};

/// PyTorch's `line_search_fn` for [`LBFGS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineSearch {
    /// `"strong_wolfe"`: PyTorch's strong-Wolfe line search with cubic interpolation.
    StrongWolfe,
}

/// `torch.optim.LBFGS`'s hyper-parameters, with PyTorch's defaults.
///
/// ```
/// use tapegrad_optim::LbfgsConfig;
/// let c = LbfgsConfig::default();
/// assert_eq!((c.lr, c.max_iter, c.max_eval, c.history_size), (1.0, 20, None, 100));
/// assert_eq!((c.tolerance_grad, c.tolerance_change, c.line_search_fn), (1e-7, 1e-9, None));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LbfgsConfig {
    /// Step length γ (default 1).
    pub lr: f64,
    /// Iterations per `step` (default 20).
    pub max_iter: usize,
    /// Closure evaluations per `step` (default `None`: max_iter · 5 / 4).
    pub max_eval: Option<usize>,
    /// Stop when every |gradient| ≤ this (default 1e-7).
    pub tolerance_grad: f64,
    /// Stop when the step or the loss change is below this (default 1e-9).
    pub tolerance_change: f64,
    /// Number of (s, y) pairs kept (default 100).
    pub history_size: usize,
    /// `None` (default): fixed steps of `lr`; `Some(StrongWolfe)`: line search.
    pub line_search_fn: Option<LineSearch>,
    /// Maximise the objective (default false).
    pub maximize: bool,
}

impl Default for LbfgsConfig {
    fn default() -> Self {
        LbfgsConfig {
            lr: 1.0,
            max_iter: 20,
            max_eval: None,
            tolerance_grad: 1e-7,
            tolerance_change: 1e-9,
            history_size: 100,
            line_search_fn: None,
            maximize: false,
        }
    }
}

impl LbfgsConfig {
    fn max_eval(&self) -> usize {
        self.max_eval.unwrap_or(self.max_iter * 5 / 4)
    }
}

/// What LBFGS keeps between steps (PyTorch keeps it in the state of the first parameter).
#[derive(Debug, Clone, Default)]
struct History<T> {
    func_evals: u64,
    n_iter: u64,
    d: Vec<T>,
    t: f64,
    old_dirs: Vec<Vec<T>>,
    old_stps: Vec<Vec<T>>,
    ro: Vec<f64>,
    h_diag: f64,
    prev_flat_grad: Vec<T>,
    prev_loss: f64,
}

/// `torch.optim.LBFGS(params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
/// tolerance_change=1e-9, history_size=100, line_search_fn=None, maximize=False)`. One
/// parameter group only; [`LBFGS::step_with`] takes the closure PyTorch's `step(closure)` takes
/// (it zeroes the gradients, computes the loss, calls `backward`, and returns the loss).
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_optim::{LbfgsConfig, LineSearch, Optimizer, LBFGS};
/// // Rosenbrock's function from (-1.5, 2): L-BFGS with line search reaches (1, 1).
/// let x: Tensor<f64> = Tensor::from_vec(vec![-1.5, 2.0], &[2]).requires_grad_(true);
/// let c = LbfgsConfig { line_search_fn: Some(LineSearch::StrongWolfe), max_iter: 100, ..Default::default() };
/// let mut opt = LBFGS::new(vec![x.clone()], c)?;
/// for _ in 0..5 {
///     opt.step_with(|| {
///         x.set_grad(None);
///         let (x0, x1) = (x.select(0, 0), x.select(0, 1));
///         let loss = (-&x0 + 1.0).pow(2.0) + (&x1 - &x0.pow(2.0)).pow(2.0) * 100.0;
///         loss.backward();
///         loss
///     });
/// }
/// let v = x.to_vec();
/// assert!((v[0] - 1.0).abs() < 1e-4 && (v[1] - 1.0).abs() < 1e-4, "{v:?}");
/// # Ok::<(), tapegrad_optim::OptimError>(())
/// ```
#[allow(clippy::upper_case_acronyms)]
pub struct LBFGS<T: Element = f32> {
    params: Vec<Tensor<T>>,
    config: LbfgsConfig,
    initial_lr: Option<f64>,
    state: Option<History<T>>,
}

impl<T: Element> LBFGS<T> {
    /// `LBFGS(params, **config)`; PyTorch's checks.
    pub fn new(
        params: impl IntoIterator<Item = Tensor<T>>,
        config: LbfgsConfig,
    ) -> Result<Self, OptimError> {
        at_least_zero("Invalid learning rate", config.lr)?;
        let params: Vec<Tensor<T>> = params.into_iter().collect();
        if params.is_empty() {
            return Err(OptimError::InvalidParams(
                "optimizer got an empty parameter list".into(),
            ));
        }
        if params.iter().any(|p| !p.is_leaf()) {
            return Err(OptimError::InvalidParams(
                "can't optimize a non-leaf Tensor".into(),
            ));
        }
        Ok(LBFGS {
            params,
            config,
            initial_lr: None,
            state: None,
        })
    }

    /// The hyper-parameters.
    pub fn config(&self) -> &LbfgsConfig {
        &self.config
    }

    /// All gradients as one flat vector (zeros for a parameter without one), negated with
    /// `maximize`.
    fn flat_grad(&self) -> Vec<T> {
        let mut out = Vec::new();
        for p in &self.params {
            match p.grad() {
                Some(g) => out.extend(g.to_vec()),
                None => out.extend(std::iter::repeat_n(T::zero(), p.numel())),
            }
        }
        if self.config.maximize {
            out.iter_mut().for_each(|v| *v = -*v);
        }
        out
    }

    /// x ← x + step·update (`p.add_(update, alpha=step)` per parameter).
    fn add_grad(&self, step: f64, update: &[T]) {
        let step = T::from_f64(step);
        let mut offset = 0;
        for p in &self.params {
            let n = p.numel();
            let mut data = p.data_mut();
            for (x, &u) in data.iter_mut().zip(&update[offset..offset + n]) {
                *x = u.mul_add(step, *x);
            }
            offset += n;
        }
    }

    fn clone_params(&self) -> Vec<Vec<T>> {
        self.params.iter().map(|p| p.to_vec()).collect()
    }

    fn set_params(&self, values: &[Vec<T>]) {
        for (p, v) in self.params.iter().zip(values) {
            let mut data = p.data_mut();
            for (x, &y) in data.iter_mut().zip(v) {
                *x = y;
            }
        }
    }

    /// `closure()` as a float, negated with `maximize`.
    fn evaluate(&self, closure: &mut dyn FnMut() -> Tensor<T>) -> (Tensor<T>, f64) {
        let loss = closure();
        let v = loss.item().as_f64();
        (loss, if self.config.maximize { -v } else { v })
    }

    /// PyTorch's `step(closure)`: up to `max_iter` L-BFGS iterations; returns the loss of the
    /// first evaluation.
    pub fn step_with(&mut self, mut closure: impl FnMut() -> Tensor<T>) -> Tensor<T> {
        let c = self.config;
        let max_eval = c.max_eval();
        let mut st = self.state.take().unwrap_or_default();
        let (orig_loss, mut loss) = self.evaluate(&mut closure);
        let mut current_evals = 1;
        st.func_evals += 1;
        let mut flat_grad = self.flat_grad();
        if max_abs(&flat_grad) <= c.tolerance_grad {
            self.state = Some(st);
            return orig_loss;
        }
        let mut n_iter = 0;
        while n_iter < c.max_iter {
            n_iter += 1;
            st.n_iter += 1;
            if st.n_iter == 1 {
                st.d = flat_grad.iter().map(|g| -*g).collect();
                st.old_dirs.clear();
                st.old_stps.clear();
                st.ro.clear();
                st.h_diag = 1.0;
            } else {
                let y: Vec<T> = flat_grad
                    .iter()
                    .zip(&st.prev_flat_grad)
                    .map(|(a, b)| *a - *b)
                    .collect();
                let t = T::from_f64(st.t);
                let s: Vec<T> = st.d.iter().map(|d| *d * t).collect();
                let ys = dot(&y, &s);
                if ys > 1e-10 {
                    if st.old_dirs.len() == c.history_size {
                        st.old_dirs.remove(0);
                        st.old_stps.remove(0);
                        st.ro.remove(0);
                    }
                    st.h_diag = round::<T>(ys / dot(&y, &y));
                    st.old_dirs.push(y);
                    st.old_stps.push(s);
                    st.ro.push(round::<T>(1.0 / ys));
                }
                // The two-loop recursion.
                let num_old = st.old_dirs.len();
                let mut al = vec![0.0; num_old];
                let mut q: Vec<T> = flat_grad.iter().map(|g| -*g).collect();
                for i in (0..num_old).rev() {
                    al[i] = dot(&st.old_stps[i], &q) * st.ro[i];
                    axpy(&mut q, -al[i], &st.old_dirs[i]);
                }
                let h = T::from_f64(st.h_diag);
                let mut r: Vec<T> = q.iter().map(|v| *v * h).collect();
                for (i, a) in al.iter().enumerate() {
                    let be_i = dot(&st.old_dirs[i], &r) * st.ro[i];
                    axpy(&mut r, a - be_i, &st.old_stps[i]);
                }
                st.d = r;
            }
            st.prev_flat_grad = flat_grad.clone();
            st.prev_loss = loss;
            st.t = round::<T>(if st.n_iter == 1 {
                let sum: f64 = flat_grad.iter().map(|g| g.abs().as_f64()).sum();
                (1.0f64).min(1.0 / sum) * c.lr
            } else {
                c.lr
            });
            let gtd = dot(&flat_grad, &st.d);
            if gtd > -c.tolerance_change {
                break;
            }
            let mut ls_func_evals = 0;
            let mut opt_cond = false;
            match c.line_search_fn {
                Some(LineSearch::StrongWolfe) => {
                    let x_init = self.clone_params();
                    let d = st.d.clone();
                    let (f_new, g_new, t, evals) = self.strong_wolfe(
                        &mut closure,
                        &x_init,
                        st.t,
                        &d,
                        loss,
                        &flat_grad,
                        gtd,
                        max_eval.saturating_sub(current_evals),
                    );
                    loss = f_new;
                    flat_grad = g_new;
                    st.t = round::<T>(t);
                    ls_func_evals = evals;
                    self.add_grad(st.t, &st.d);
                    opt_cond = max_abs(&flat_grad) <= c.tolerance_grad;
                }
                None => {
                    self.add_grad(st.t, &st.d);
                    if n_iter != c.max_iter {
                        loss = self.evaluate(&mut closure).1;
                        flat_grad = self.flat_grad();
                        opt_cond = max_abs(&flat_grad) <= c.tolerance_grad;
                        ls_func_evals = 1;
                    }
                }
            }
            current_evals += ls_func_evals;
            st.func_evals += ls_func_evals as u64;
            if n_iter == c.max_iter || current_evals >= max_eval || opt_cond {
                break;
            }
            let t = st.t;
            if st
                .d
                .iter()
                .map(|d| (d.as_f64() * t).abs())
                .fold(0.0, f64::max)
                <= c.tolerance_change
            {
                break;
            }
            if (loss - st.prev_loss).abs() < c.tolerance_change {
                break;
            }
        }
        self.state = Some(st);
        orig_loss
    }

    /// The parameters moved to x + t·d, evaluated, and put back: (loss, flat gradient).
    fn directional_evaluate(
        &self,
        closure: &mut dyn FnMut() -> Tensor<T>,
        x: &[Vec<T>],
        t: f64,
        d: &[T],
    ) -> (f64, Vec<T>) {
        self.add_grad(t, d);
        let (_, loss) = self.evaluate(closure);
        let g = self.flat_grad();
        self.set_params(x);
        (loss, g)
    }

    /// PyTorch's `_strong_wolfe` (c₁ = 1e-4, c₂ = 0.9, tolerance_change 1e-9): returns
    /// (loss, gradient, step, evaluations).
    #[allow(clippy::too_many_arguments)]
    fn strong_wolfe(
        &self,
        closure: &mut dyn FnMut() -> Tensor<T>,
        x: &[Vec<T>],
        mut t: f64,
        d: &[T],
        f: f64,
        g: &[T],
        gtd: f64,
        max_ls: usize,
    ) -> (f64, Vec<T>, f64, usize) {
        let (c1, c2, tolerance_change) = (1e-4, 0.9, 1e-9);
        let d_norm = max_abs(d);
        let (mut f_new, mut g_new) = self.directional_evaluate(closure, x, t, d);
        let mut ls_func_evals = 1;
        let mut gtd_new = dot(&g_new, d);
        let (mut t_prev, mut f_prev, mut g_prev, mut gtd_prev) = (0.0, f, g.to_vec(), gtd);
        let mut done = false;
        let mut ls_iter = 0;
        // The bracket: (step, loss, gradient, directional derivative) at each end.
        let mut bracket: Vec<(f64, f64, Vec<T>, f64)> = Vec::new();
        while ls_iter < max_ls {
            if f_new > f + c1 * t * gtd || (ls_iter > 1 && f_new >= f_prev) {
                bracket = vec![
                    (t_prev, f_prev, g_prev, gtd_prev),
                    (t, f_new, g_new.clone(), gtd_new),
                ];
                break;
            }
            if gtd_new.abs() <= -c2 * gtd {
                bracket = vec![(t, f_new, g_new.clone(), gtd_new)];
                done = true;
                break;
            }
            if gtd_new >= 0.0 {
                bracket = vec![
                    (t_prev, f_prev, g_prev, gtd_prev),
                    (t, f_new, g_new.clone(), gtd_new),
                ];
                break;
            }
            let (min_step, max_step) = (t + 0.01 * (t - t_prev), t * 10.0);
            let tmp = t;
            t = cubic_interpolate(
                t_prev,
                f_prev,
                gtd_prev,
                t,
                f_new,
                gtd_new,
                Some((min_step, max_step)),
            );
            t_prev = tmp;
            f_prev = f_new;
            g_prev = g_new.clone();
            gtd_prev = gtd_new;
            (f_new, g_new) = self.directional_evaluate(closure, x, t, d);
            ls_func_evals += 1;
            gtd_new = dot(&g_new, d);
            ls_iter += 1;
        }
        if ls_iter == max_ls {
            bracket = vec![
                (0.0, f, g.to_vec(), gtd),
                (t, f_new, g_new.clone(), gtd_new),
            ];
        }
        let order = |b: &[(f64, f64, Vec<T>, f64)]| {
            if b[0].1 <= b[b.len() - 1].1 {
                (0, 1)
            } else {
                (1, 0)
            }
        };
        let (mut low, mut high) = order(&bracket);
        let mut insuf_progress = false;
        while !done && ls_iter < max_ls {
            let (b0, b1) = (bracket[0].0, bracket[1].0);
            if (b1 - b0).abs() * d_norm < tolerance_change {
                break;
            }
            t = cubic_interpolate(
                b0,
                bracket[0].1,
                bracket[0].3,
                b1,
                bracket[1].1,
                bracket[1].3,
                None,
            );
            let (bmax, bmin) = (b0.max(b1), b0.min(b1));
            let eps = 0.1 * (bmax - bmin);
            if (bmax - t).min(t - bmin) < eps {
                if insuf_progress || t >= bmax || t <= bmin {
                    t = if (t - bmax).abs() < (t - bmin).abs() {
                        bmax - eps
                    } else {
                        bmin + eps
                    };
                    insuf_progress = false;
                } else {
                    insuf_progress = true;
                }
            } else {
                insuf_progress = false;
            }
            (f_new, g_new) = self.directional_evaluate(closure, x, t, d);
            ls_func_evals += 1;
            gtd_new = dot(&g_new, d);
            ls_iter += 1;
            if f_new > f + c1 * t * gtd || f_new >= bracket[low].1 {
                bracket[high] = (t, f_new, g_new.clone(), gtd_new);
                (low, high) = order(&bracket);
            } else {
                if gtd_new.abs() <= -c2 * gtd {
                    done = true;
                } else if gtd_new * (bracket[high].0 - bracket[low].0) >= 0.0 {
                    bracket[high] = bracket[low].clone();
                }
                bracket[low] = (t, f_new, g_new.clone(), gtd_new);
            }
        }
        let (t, f_new, g_new, _) = bracket.swap_remove(low);
        (f_new, g_new, t, ls_func_evals)
    }
}

/// PyTorch's `_cubic_interpolate`: the minimiser of the cubic through two points with their
/// derivatives, clamped to `bounds` (default: between the points); the midpoint if the cubic
/// has none.
fn cubic_interpolate(
    x1: f64,
    f1: f64,
    g1: f64,
    x2: f64,
    f2: f64,
    g2: f64,
    bounds: Option<(f64, f64)>,
) -> f64 {
    let (lo, hi) = bounds.unwrap_or(if x1 <= x2 { (x1, x2) } else { (x2, x1) });
    let d1 = g1 + g2 - 3.0 * (f1 - f2) / (x1 - x2);
    let d2_square = d1 * d1 - g1 * g2;
    if d2_square >= 0.0 {
        let d2 = d2_square.sqrt();
        let min_pos = if x1 <= x2 {
            x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2.0 * d2))
        } else {
            x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2.0 * d2))
        };
        min_pos.max(lo).min(hi)
    } else {
        (lo + hi) / 2.0
    }
}

/// `v` rounded to `T`: the scalars PyTorch keeps as 0-d tensors of the parameters' type (t, ρ,
/// H); a state dict then stores them exactly.
fn round<T: Element>(v: f64) -> f64 {
    T::from_f64(v).as_f64()
}

/// Σ aᵢbᵢ accumulated in f64.
fn dot<T: Element>(a: &[T], b: &[T]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x.as_f64() * y.as_f64()).sum()
}

/// y ← y + alpha·x (`y.add_(x, alpha=alpha)`).
fn axpy<T: Element>(y: &mut [T], alpha: f64, x: &[T]) {
    let alpha = T::from_f64(alpha);
    for (a, &b) in y.iter_mut().zip(x) {
        *a = b.mul_add(alpha, *a);
    }
}

fn max_abs<T: Element>(v: &[T]) -> f64 {
    v.iter().map(|x| x.abs().as_f64()).fold(0.0, f64::max)
}

impl<T: Element> Optimizer<T> for LBFGS<T> {
    /// LBFGS needs its closure: use [`LBFGS::step_with`].
    fn step(&mut self) {
        panic!(
            "LBFGS.step() missing 1 required positional argument: 'closure' (LBFGS re-evaluates \
             the loss: call step_with(|| {{ zero the grads; let loss = ...; loss.backward(); \
             loss }}))"
        )
    }

    fn zero_grad_with(&mut self, set_to_none: bool) {
        for p in &self.params {
            clear_grad(p, set_to_none);
        }
    }

    fn num_param_groups(&self) -> usize {
        1
    }

    fn group_hyper(&self, group: usize, name: &str) -> Option<f64> {
        assert_eq!(group, 0, "LBFGS has one parameter group");
        let c = &self.config;
        match name {
            "lr" => Some(c.lr),
            "initial_lr" => self.initial_lr,
            "max_iter" => Some(c.max_iter as f64),
            "max_eval" => Some(c.max_eval() as f64),
            "tolerance_grad" => Some(c.tolerance_grad),
            "tolerance_change" => Some(c.tolerance_change),
            "history_size" => Some(c.history_size as f64),
            "maximize" => Some(c.maximize as u8 as f64),
            _ => None,
        }
    }

    fn set_group_hyper(&mut self, group: usize, name: &str, value: f64) -> Result<(), OptimError> {
        assert_eq!(group, 0, "LBFGS has one parameter group");
        match name {
            "lr" => self.config.lr = value,
            "initial_lr" => self.initial_lr = Some(value),
            "tolerance_grad" => self.config.tolerance_grad = value,
            "tolerance_change" => self.config.tolerance_change = value,
            _ => {
                return Err(OptimError::InvalidHyperparameter(format!(
                    "LBFGS: '{name}' cannot be set by name (set lr, tolerance_grad or \
                     tolerance_change)"
                )))
            }
        }
        Ok(())
    }

    /// The state of parameter 0, as PyTorch keeps it: `func_evals`, `n_iter`, `t`, `H_diag`,
    /// `prev_loss`, `d`, `prev_flat_grad` and the history `old_dirs.<i>`, `old_stps.<i>`,
    /// `ro.<i>`; flat vectors are 1-d tensors. Scalars are stored in `T` (rounded for f32).
    fn state_dict(&self) -> OptimizerStateDict<T> {
        let mut state = Vec::new();
        if let Some(st) = &self.state {
            let vec = |v: &Vec<T>| Tensor::from_vec(v.clone(), &[v.len()]);
            let scalar = |v: f64| Tensor::scalar(T::from_f64(v));
            let mut values = vec![
                ("func_evals".to_string(), scalar(st.func_evals as f64)),
                ("n_iter".to_string(), scalar(st.n_iter as f64)),
                ("t".to_string(), scalar(st.t)),
                ("H_diag".to_string(), scalar(st.h_diag)),
                ("prev_loss".to_string(), scalar(st.prev_loss)),
                ("d".to_string(), vec(&st.d)),
                ("prev_flat_grad".to_string(), vec(&st.prev_flat_grad)),
            ];
            for (i, ((y, s), r)) in st.old_dirs.iter().zip(&st.old_stps).zip(&st.ro).enumerate() {
                values.push((format!("old_dirs.{i}"), vec(y)));
                values.push((format!("old_stps.{i}"), vec(s)));
                values.push((format!("ro.{i}"), scalar(*r)));
            }
            state.push(SavedParamState { index: 0, values });
        }
        let c = &self.config;
        OptimizerStateDict {
            optimizer: "LBFGS".into(),
            state,
            param_groups: vec![SavedParamGroup {
                params: (0..self.params.len()).collect(),
                hyper: vec![
                    ("lr".into(), c.lr),
                    ("max_iter".into(), c.max_iter as f64),
                    ("max_eval".into(), c.max_eval() as f64),
                    ("tolerance_grad".into(), c.tolerance_grad),
                    ("tolerance_change".into(), c.tolerance_change),
                    ("history_size".into(), c.history_size as f64),
                    ("maximize".into(), c.maximize as u8 as f64),
                ],
            }],
        }
    }

    /// Restores [`Optimizer::state_dict`]'s output into an LBFGS over parameters of the same
    /// total size (the hyper-parameters stay this optimizer's, except `lr`).
    fn load_state_dict(&mut self, sd: &OptimizerStateDict<T>) -> Result<(), OptimError> {
        if !sd.optimizer.is_empty() && sd.optimizer != "LBFGS" {
            return Err(OptimError::StateDict(format!(
                "the state dict was saved by {}, not LBFGS",
                sd.optimizer
            )));
        }
        let lr = sd
            .param_groups
            .first()
            .and_then(|g| g.hyper.iter().find(|(k, _)| k == "lr"))
            .map(|(_, v)| *v)
            .ok_or_else(|| OptimError::StateDict("LBFGS state misses param_groups.0.lr".into()))?;
        at_least_zero("Invalid learning rate", lr)?;
        let n: usize = self.params.iter().map(|p| p.numel()).sum();
        let Some(entry) = sd.state.iter().find(|e| e.index == 0) else {
            self.state = None;
            self.config.lr = lr;
            return Ok(());
        };
        let get = |k: &str| {
            entry
                .values
                .iter()
                .find(|(name, _)| name == k)
                .map(|(_, t)| t)
                .ok_or_else(|| OptimError::StateDict(format!("missing state entry '{k}'")))
        };
        let scalar = |k: &str| -> Result<f64, OptimError> {
            let t = get(k)?;
            let v = t.to_vec();
            match v.as_slice() {
                [x] if x.as_f64().is_finite() => Ok(x.as_f64()),
                _ => Err(OptimError::StateDict(format!(
                    "state entry '{k}' must be one finite number"
                ))),
            }
        };
        let vector = |k: &str| -> Result<Vec<T>, OptimError> {
            let v = get(k)?.to_vec();
            if v.len() != n || v.iter().any(|x| !x.as_f64().is_finite()) {
                return Err(OptimError::StateDict(format!(
                    "state entry '{k}' must hold {n} finite numbers"
                )));
            }
            Ok(v)
        };
        let count = |k: &str| -> Result<u64, OptimError> {
            let v = scalar(k)?;
            crate::error::saved_integer(k, v, 0, crate::error::MAX_SAVED_COUNT).map(|v| v as u64)
        };
        let mut st = History {
            func_evals: count("func_evals")?,
            n_iter: count("n_iter")?,
            d: vector("d")?,
            t: scalar("t")?,
            h_diag: scalar("H_diag")?,
            prev_flat_grad: vector("prev_flat_grad")?,
            prev_loss: scalar("prev_loss")?,
            ..Default::default()
        };
        let pairs = entry
            .values
            .iter()
            .filter(|(k, _)| k.starts_with("ro."))
            .count();
        if pairs > self.config.history_size {
            return Err(OptimError::StateDict(format!(
                "{pairs} history pairs saved, history_size is {}",
                self.config.history_size
            )));
        }
        for i in 0..pairs {
            st.old_dirs.push(vector(&format!("old_dirs.{i}"))?);
            st.old_stps.push(vector(&format!("old_stps.{i}"))?);
            st.ro.push(scalar(&format!("ro.{i}"))?);
        }
        self.state = Some(st);
        self.config.lr = lr;
        Ok(())
    }

    fn name(&self) -> &'static str {
        "LBFGS"
    }
}
