//! `feature_scaling`'s problem: a two-feature least-squares fit whose features differ in scale
//! by a factor of ten, its Hessian and minimum, the standardised version, and full-batch
//! gradient descent with `lr = 1/λ_max` on either.

use tapegrad::optim::Optimizer;
use tapegrad::prelude::*;

/// Number of samples.
pub const N: usize = 40;

/// A two-feature least-squares problem: rows of `x` (centred) and `y` (centred).
#[derive(Clone, Debug)]
pub struct Problem {
    /// Features, `N` rows of two.
    pub x: Vec<[f64; 2]>,
    /// Targets.
    pub y: Vec<f64>,
}

impl Problem {
    /// `J(w) = mean((x w - y)^2)` in plain f64.
    pub fn loss(&self, w1: f64, w2: f64) -> f64 {
        self.x
            .iter()
            .zip(&self.y)
            .map(|(r, y)| (w1 * r[0] + w2 * r[1] - y).powi(2))
            .sum::<f64>()
            / self.y.len() as f64
    }

    /// The Hessian `(2/n) XᵀX` as `[a, b, c]` for `[[a, b], [b, c]]`.
    pub fn hessian(&self) -> [f64; 3] {
        let n = self.y.len() as f64;
        let s = |i: usize, j: usize| self.x.iter().map(|r| r[i] * r[j]).sum::<f64>() * 2.0 / n;
        [s(0, 0), s(0, 1), s(1, 1)]
    }

    /// The Hessian's eigenvalues (smallest, largest).
    pub fn eigenvalues(&self) -> (f64, f64) {
        let [a, b, c] = self.hessian();
        let mid = (a + c) / 2.0;
        let r = (((a - c) / 2.0).powi(2) + b * b).sqrt();
        (mid - r, mid + r)
    }

    /// The exact minimiser (normal equations).
    pub fn minimum(&self) -> [f64; 2] {
        let [a, b, c] = self.hessian();
        let n = self.y.len() as f64;
        // (2/n) Xᵀy, column i
        let xty = |i: usize| {
            self.x
                .iter()
                .zip(&self.y)
                .map(|(r, y)| r[i] * y)
                .sum::<f64>()
                * 2.0
                / n
        };
        let (g0, g1) = (xty(0), xty(1));
        let det = a * c - b * b;
        [(c * g0 - b * g1) / det, (a * g1 - b * g0) / det]
    }

    /// Each feature divided by its standard deviation (the data are already centred).
    pub fn standardised(&self) -> Problem {
        let n = self.y.len() as f64;
        let sd = |i: usize| (self.x.iter().map(|r| r[i] * r[i]).sum::<f64>() / n).sqrt();
        let (s0, s1) = (sd(0), sd(1));
        Problem {
            x: self.x.iter().map(|r| [r[0] / s0, r[1] / s1]).collect(),
            y: self.y.clone(),
        }
    }
}

/// Centres a column.
fn centred(v: Vec<f64>) -> Vec<f64> {
    let m = v.iter().sum::<f64>() / v.len() as f64;
    v.into_iter().map(|a| a - m).collect()
}

/// The synthetic data set (seeded).
pub fn data(seed: u64) -> Problem {
    manual_seed(seed);
    let x1 = centred(Tensor::<f64>::randn(&[N]).to_vec());
    let x2 = centred((Tensor::<f64>::randn(&[N]) * 10.0).to_vec());
    let noise = Tensor::<f64>::randn(&[N]).to_vec();
    let y = centred(
        (0..N)
            .map(|i| 3.0 * x1[i] + 0.5 * x2[i] + 0.3 * noise[i])
            .collect(),
    );
    Problem {
        x: (0..N).map(|i| [x1[i], x2[i]]).collect(),
        y,
    }
}

/// A gradient-descent run.
#[derive(Clone, Debug, PartialEq)]
pub struct Descent {
    /// The learning rate used (1/λ_max).
    pub lr: f64,
    /// The iterates, from `w = (0, 0)`.
    pub path: Vec<[f64; 2]>,
    /// Steps until the loss gap fell below 1e-6 of the starting gap (`None`: not within the
    /// step limit).
    pub steps_to_converge: Option<usize>,
}

/// GD with `tapegrad::optim::SGD` on the full batch, from (0, 0), with `lr = 1/λ_max`.
pub fn descend(p: &Problem, max_steps: usize) -> Descent {
    let (_, lmax) = p.eigenvalues();
    let lr = 1.0 / lmax;
    let x = Tensor::from_vec(p.x.iter().flatten().copied().collect(), &[p.y.len(), 2]);
    let y = Tensor::from_vec(p.y.clone(), &[p.y.len()]);
    let w = Tensor::<f64>::zeros(&[2]).requires_grad_(true);
    let mut opt = crate::optimizer::plain_sgd(&w, lr);
    let [m0, m1] = p.minimum();
    let best = p.loss(m0, m1);
    let gap0 = p.loss(0.0, 0.0) - best;
    let mut path = vec![[0.0, 0.0]];
    let mut steps_to_converge = None;
    for step in 1..=max_steps {
        let l = (x.matmul(&w) - &y).pow(2.0).mean();
        opt.zero_grad();
        l.backward();
        opt.step();
        let v = w.to_vec();
        path.push([v[0], v[1]]);
        if p.loss(v[0], v[1]) - best <= 1e-6 * gap0 {
            steps_to_converge = Some(step);
            break;
        }
    }
    Descent {
        lr,
        path,
        steps_to_converge,
    }
}
