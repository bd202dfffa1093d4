//! `loss_landscape`'s problem: a two-parameter least-squares loss `J(w, b)` on five points, its
//! exact minimum, and the paths of six optimizers (GD, SGD, momentum, Adagrad, RMSprop, Adam)
//! from one start.

use tapegrad::optim::{
    Adagrad, AdagradConfig, Adam, AdamConfig, Optimizer, RMSprop, RmsPropConfig, SgdConfig, SGD,
};
use tapegrad::prelude::*;

/// The inputs.
pub const XS: [f64; 5] = [-1.0, 0.0, 1.0, 2.0, 3.0];
/// The targets: `2x + 1` plus a little fixed noise.
pub const YS: [f64; 5] = [-0.7, 0.8, 3.1, 4.6, 7.2];
/// Where every optimizer starts.
pub const START: [f64; 2] = [-1.5, -2.0];

/// `J(w, b) = mean((w x + b - y)^2)` in plain f64 (for the contour grid and checks).
pub fn loss_at(w: f64, b: f64) -> f64 {
    XS.iter()
        .zip(YS)
        .map(|(&x, y)| (w * x + b - y).powi(2))
        .sum::<f64>()
        / XS.len() as f64
}

/// The exact minimiser of `J`, from the normal equations
/// `[Σx² Σx; Σx n] [w; b] = [Σxy; Σy]`.
pub fn minimum() -> [f64; 2] {
    let n = XS.len() as f64;
    let sx: f64 = XS.iter().sum();
    let sxx: f64 = XS.iter().map(|x| x * x).sum();
    let sy: f64 = YS.iter().sum();
    let sxy: f64 = XS.iter().zip(YS).map(|(x, y)| x * y).sum();
    let det = sxx * n - sx * sx;
    [(sxy * n - sx * sy) / det, (sxx * sy - sx * sxy) / det]
}

/// The loss as a tensor expression of `θ = [w, b]` over the samples `idx`.
fn loss(theta: &Tensor<f64>, idx: &[usize]) -> Tensor<f64> {
    let rows: Vec<f64> = idx.iter().flat_map(|&i| [XS[i], 1.0]).collect();
    let a = Tensor::from_vec(rows, &[idx.len(), 2]);
    let y = Tensor::from_vec(idx.iter().map(|&i| YS[i]).collect(), &[idx.len()]);
    (a.matmul(theta) - y).pow(2.0).mean()
}

/// One optimizer's path.
#[derive(Clone, Debug, PartialEq)]
pub struct Path {
    /// The optimizer's name and settings.
    pub name: String,
    /// θ before each update and after the last.
    pub points: Vec<[f64; 2]>,
}

impl Path {
    /// The last point.
    pub fn end(&self) -> [f64; 2] {
        *self.points.last().expect("a path has its start point")
    }
}

/// The six optimizers, each built on its own `θ`.
fn optimizers(theta: &Tensor<f64>) -> Vec<(String, bool, Box<dyn Optimizer<f64>>)> {
    let p = || [theta.clone()];
    let sgd = |lr, momentum| {
        SGD::new(
            p(),
            SgdConfig {
                lr,
                momentum,
                ..Default::default()
            },
        )
        .expect("valid SGD settings")
    };
    vec![
        ("GD (lr 0.1)".into(), false, Box::new(sgd(0.1, 0.0))),
        (
            "SGD (lr 0.05, 1 sample)".into(),
            true,
            Box::new(sgd(0.05, 0.0)),
        ),
        (
            "momentum (lr 0.05, 0.8)".into(),
            false,
            Box::new(sgd(0.05, 0.8)),
        ),
        (
            "Adagrad (lr 1.0)".into(),
            false,
            Box::new(
                Adagrad::new(
                    p(),
                    AdagradConfig {
                        lr: 1.0,
                        ..Default::default()
                    },
                )
                .expect("valid Adagrad settings"),
            ),
        ),
        (
            "RMSprop (lr 0.05)".into(),
            false,
            Box::new(
                RMSprop::new(
                    p(),
                    RmsPropConfig {
                        lr: 0.05,
                        ..Default::default()
                    },
                )
                .expect("valid RMSprop settings"),
            ),
        ),
        (
            "Adam (lr 0.15)".into(),
            false,
            Box::new(
                Adam::new(
                    p(),
                    AdamConfig {
                        lr: 0.15,
                        ..Default::default()
                    },
                )
                .expect("valid Adam settings"),
            ),
        ),
    ]
}

/// Runs all six optimizers for `steps` updates from [`START`].
pub fn paths(steps: usize, seed: u64) -> Vec<Path> {
    paths_with_progress(steps, seed, &mut || ())
}

/// [`paths`], calling `on_update` after every update (6 × `steps` in all; a progress bar).
pub fn paths_with_progress(steps: usize, seed: u64, on_update: &mut dyn FnMut()) -> Vec<Path> {
    manual_seed(seed);
    let all: Vec<usize> = (0..XS.len()).collect();
    let mut out = Vec::new();
    for k in 0..6 {
        let theta = Tensor::from_vec(START.to_vec(), &[2]).requires_grad_(true);
        let (name, stochastic, mut opt) = optimizers(&theta).swap_remove(k);
        let mut points = Vec::with_capacity(steps + 1);
        for _ in 0..steps {
            let v = theta.to_vec();
            points.push([v[0], v[1]]);
            let idx = if stochastic {
                let u = Tensor::<f64>::uniform(&[1], 0.0, XS.len() as f64).item();
                vec![(u.floor() as usize).min(XS.len() - 1)]
            } else {
                all.clone()
            };
            let l = loss(&theta, &idx);
            opt.zero_grad();
            l.backward();
            opt.step();
            on_update();
        }
        let v = theta.to_vec();
        points.push([v[0], v[1]]);
        out.push(Path { name, points });
    }
    out
}
