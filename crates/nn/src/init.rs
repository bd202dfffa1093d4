//! Parameter initialisation (`torch.nn.init`): each function fills a tensor in place, from the
//! process-wide generator ([`tapegrad_autograd::manual_seed`]), with torch's formulas.

use tapegrad_autograd::{no_grad, Element, Tensor};

/// Which fan a Kaiming initialisation preserves the variance of (`mode=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum FanMode {
    /// `'fan_in'` (default): variance preserved in the forward pass.
    #[default]
    FanIn,
    /// `'fan_out'`: variance preserved in the backward pass.
    FanOut,
}

/// The non-linearity a gain is computed for (`nonlinearity=` of [`calculate_gain`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nonlinearity {
    /// `'linear'` (and the conv/transposed-conv identities): gain 1.
    Linear,
    /// `'sigmoid'`: gain 1.
    Sigmoid,
    /// `'tanh'`: gain 5/3.
    Tanh,
    /// `'relu'`: gain √2.
    Relu,
    /// `'leaky_relu'`: gain √(2 / (1 + slope²)), slope from the `param` (default 0.01).
    LeakyRelu,
    /// `'selu'`: gain 3/4.
    Selu,
}

/// The recommended gain for a non-linearity (`torch.nn.init.calculate_gain`). `param` is the
/// negative slope for `LeakyRelu` (`None` means 0.01) and ignored otherwise.
///
/// ```
/// use tapegrad_nn::init::{calculate_gain, Nonlinearity};
/// assert_eq!(calculate_gain(Nonlinearity::Tanh, None), 5.0 / 3.0);
/// assert_eq!(calculate_gain(Nonlinearity::Relu, None), 2f64.sqrt());
/// assert_eq!(calculate_gain(Nonlinearity::LeakyRelu, Some(5f64.sqrt())), (1.0f64 / 3.0).sqrt());
/// ```
pub fn calculate_gain(nonlinearity: Nonlinearity, param: Option<f64>) -> f64 {
    match nonlinearity {
        Nonlinearity::Linear | Nonlinearity::Sigmoid => 1.0,
        Nonlinearity::Tanh => 5.0 / 3.0,
        Nonlinearity::Relu => 2f64.sqrt(),
        Nonlinearity::LeakyRelu => {
            let slope = param.unwrap_or(0.01);
            (2.0 / (1.0 + slope * slope)).sqrt()
        }
        Nonlinearity::Selu => 0.75,
    }
}

/// `(fan_in, fan_out)` of a weight (`_calculate_fan_in_and_fan_out`): for shape
/// `[out, in, k...]`, `fan_in = in·Πk`, `fan_out = out·Πk`. Panics for fewer than 2 dimensions.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::init::fan_in_and_fan_out;
/// assert_eq!(fan_in_and_fan_out(&Tensor::<f32>::zeros(&[3, 2])), (2, 3));
/// assert_eq!(fan_in_and_fan_out(&Tensor::<f32>::zeros(&[8, 4, 3, 3])), (36, 72));
/// ```
pub fn fan_in_and_fan_out<T: Element>(tensor: &Tensor<T>) -> (usize, usize) {
    let shape = tensor.shape();
    assert!(
        shape.len() >= 2,
        "init: fan in and fan out can not be computed for tensor with fewer than 2 dimensions \
         (got shape {shape:?})"
    );
    let receptive: usize = shape[2..].iter().product();
    (shape[1] * receptive, shape[0] * receptive)
}

fn fill<T: Element>(tensor: &Tensor<T>, values: Tensor<T>) {
    no_grad(|| tensor.data_mut().assign(&*values.data()));
}

/// Fills with U(low, high) (`uniform_(tensor, a, b)`).
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::init::uniform_;
/// let t: Tensor = Tensor::zeros(&[100]);
/// uniform_(&t, -0.5, 0.5);
/// assert!(t.to_vec().iter().all(|v| (-0.5..0.5).contains(v)));
/// ```
pub fn uniform_<T: Element>(tensor: &Tensor<T>, low: f64, high: f64) {
    let shape = tensor.shape();
    fill(
        tensor,
        Tensor::uniform(&shape, T::from_f64(low), T::from_f64(high)),
    );
}

/// Fills with N(mean, std²) (`normal_(tensor, mean, std)`).
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::init::normal_;
/// let t: Tensor<f64> = Tensor::zeros(&[10000]);
/// normal_(&t, 3.0, 0.5);
/// assert!((t.mean().item() - 3.0).abs() < 0.05);
/// ```
pub fn normal_<T: Element>(tensor: &Tensor<T>, mean: f64, std: f64) {
    let shape = tensor.shape();
    fill(tensor, Tensor::<T>::normal(&shape, mean, std));
}

/// Fills with `value` (`constant_`).
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::init::constant_;
/// let t: Tensor = Tensor::zeros(&[2]);
/// constant_(&t, 0.25);
/// assert_eq!(t.to_vec(), [0.25, 0.25]);
/// ```
pub fn constant_<T: Element>(tensor: &Tensor<T>, value: f64) {
    no_grad(|| tensor.data_mut().fill(T::from_f64(value)));
}

/// Fills with 0 (`zeros_`).
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::init::zeros_;
/// let t: Tensor = Tensor::ones(&[2]);
/// zeros_(&t);
/// assert_eq!(t.to_vec(), [0.0, 0.0]);
/// ```
pub fn zeros_<T: Element>(tensor: &Tensor<T>) {
    constant_(tensor, 0.0);
}

/// Fills with 1 (`ones_`).
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::init::ones_;
/// let t: Tensor = Tensor::zeros(&[2]);
/// ones_(&t);
/// assert_eq!(t.to_vec(), [1.0, 1.0]);
/// ```
pub fn ones_<T: Element>(tensor: &Tensor<T>) {
    constant_(tensor, 1.0);
}

/// Glorot uniform: U(−a, a) with `a = gain·√(6 / (fan_in + fan_out))` (`xavier_uniform_`).
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::init::xavier_uniform_;
/// let w: Tensor = Tensor::zeros(&[30, 20]);
/// xavier_uniform_(&w, 1.0);
/// let a = (6.0f32 / 50.0).sqrt();
/// assert!(w.to_vec().iter().all(|v| v.abs() <= a));
/// ```
pub fn xavier_uniform_<T: Element>(tensor: &Tensor<T>, gain: f64) {
    let (fan_in, fan_out) = fan_in_and_fan_out(tensor);
    let std = gain * (2.0 / (fan_in + fan_out) as f64).sqrt();
    let a = 3f64.sqrt() * std;
    uniform_(tensor, -a, a);
}

/// Glorot normal: N(0, std²) with `std = gain·√(2 / (fan_in + fan_out))` (`xavier_normal_`).
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::init::xavier_normal_;
/// let w: Tensor<f64> = Tensor::zeros(&[200, 200]);
/// xavier_normal_(&w, 1.0);
/// let var = w.pow(2.0).mean().item();
/// assert!((var / (2.0 / 400.0) - 1.0).abs() < 0.05);
/// ```
pub fn xavier_normal_<T: Element>(tensor: &Tensor<T>, gain: f64) {
    let (fan_in, fan_out) = fan_in_and_fan_out(tensor);
    let std = gain * (2.0 / (fan_in + fan_out) as f64).sqrt();
    normal_(tensor, 0.0, std);
}

/// The He standard deviation `gain / √fan` of `tensor`, or `None` for a tensor with a
/// zero-sized dimension, which the kaiming initialisers leave unchanged (torch warns and
/// returns).
fn kaiming_std<T: Element>(
    tensor: &Tensor<T>,
    a: f64,
    mode: FanMode,
    nl: Nonlinearity,
) -> Option<f64> {
    if tensor.numel() == 0 {
        return None;
    }
    let (fan_in, fan_out) = fan_in_and_fan_out(tensor);
    let fan = match mode {
        FanMode::FanIn => fan_in,
        FanMode::FanOut => fan_out,
    };
    Some(calculate_gain(nl, Some(a)) / (fan as f64).sqrt())
}

/// He uniform: U(−b, b) with `b = gain·√(3 / fan)`, `gain = calculate_gain(nonlinearity, a)`
/// (`kaiming_uniform_(tensor, a, mode, nonlinearity)`; torch's defaults are `a = 0`,
/// `FanIn`, `LeakyRelu`). `Linear` uses `a = √5`, giving `b = 1/√fan_in`. A tensor with a
/// zero-sized dimension is left unchanged (torch warns and returns).
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::init::{kaiming_uniform_, FanMode, Nonlinearity};
/// let w: Tensor = Tensor::zeros(&[64, 16]);
/// kaiming_uniform_(&w, 5f64.sqrt(), FanMode::FanIn, Nonlinearity::LeakyRelu);
/// assert!(w.to_vec().iter().all(|v| v.abs() <= 0.25)); // 1/√16
/// ```
pub fn kaiming_uniform_<T: Element>(
    tensor: &Tensor<T>,
    a: f64,
    mode: FanMode,
    nonlinearity: Nonlinearity,
) {
    if let Some(std) = kaiming_std(tensor, a, mode, nonlinearity) {
        let bound = 3f64.sqrt() * std;
        uniform_(tensor, -bound, bound);
    }
}

/// He normal: N(0, std²) with `std = gain / √fan` (`kaiming_normal_`).
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::init::{kaiming_normal_, FanMode, Nonlinearity};
/// let w: Tensor<f64> = Tensor::zeros(&[300, 100]);
/// kaiming_normal_(&w, 0.0, FanMode::FanIn, Nonlinearity::Relu);
/// assert!((w.pow(2.0).mean().item() / (2.0 / 100.0) - 1.0).abs() < 0.05);
/// ```
pub fn kaiming_normal_<T: Element>(
    tensor: &Tensor<T>,
    a: f64,
    mode: FanMode,
    nonlinearity: Nonlinearity,
) {
    let Some(std) = kaiming_std(tensor, a, mode, nonlinearity) else {
        return;
    };
    normal_(tensor, 0.0, std);
}

/// Fills a tensor with a (semi-)orthogonal matrix times `gain` (`orthogonal_(tensor, gain)`),
/// as PyTorch: the tensor is viewed as `[rows, cols]` with `rows = shape[0]` and
/// `cols = numel / rows`; a `[rows, cols]` matrix is drawn from N(0, 1) (in the tensor's type,
/// from the process-wide generator), transposed when it is wide, factored `Q·R` (Householder,
/// in f64), `Q`'s columns are multiplied by the signs of `R`'s diagonal (so the result is
/// uniformly distributed, Saxe et al. 2013), transposed back, and scaled by `gain`. The rows (if
/// `rows ≤ cols`) or the columns (otherwise) are orthonormal times `gain`: `W·Wᵀ = gain²·I` or
/// `Wᵀ·W = gain²·I`. Panics for fewer than 2 dimensions; an empty tensor is left unchanged (torch
/// warns and returns). The values differ from PyTorch's (another generator), not the law.
///
/// ```
/// use tapegrad_autograd::{manual_seed, Tensor};
/// use tapegrad_nn::init::orthogonal_;
/// manual_seed(0);
/// let w: Tensor<f64> = Tensor::zeros(&[5, 3]);
/// orthogonal_(&w, 2.0);
/// let wtw = w.t().matmul(&w).to_vec(); // 4·I₃
/// for i in 0..3 {
///     for j in 0..3 {
///         let want = if i == j { 4.0 } else { 0.0 };
///         assert!((wtw[i * 3 + j] - want).abs() < 1e-12);
///     }
/// }
/// ```
pub fn orthogonal_<T: Element>(tensor: &Tensor<T>, gain: f64) {
    let shape = tensor.shape();
    assert!(
        shape.len() >= 2,
        "orthogonal_: Only tensors with 2 or more dimensions are supported (got shape {shape:?})"
    );
    if tensor.numel() == 0 {
        return;
    }
    let rows = shape[0];
    let cols = tensor.numel() / rows;
    let normal: Vec<f64> = Tensor::<T>::randn(&[rows, cols])
        .to_vec()
        .into_iter()
        .map(|v| v.as_f64())
        .collect();
    // The matrix that is factored, `m × n` with `m ≥ n`, row-major.
    let wide = rows < cols;
    let (m, n) = if wide { (cols, rows) } else { (rows, cols) };
    let a: Vec<f64> = if wide {
        (0..m)
            .flat_map(|i| (0..n).map(move |j| (i, j)))
            .map(|(i, j)| normal[j * cols + i])
            .collect()
    } else {
        normal
    };
    let q = householder_q_sign_corrected(a, m, n);
    // Back to `[rows, cols]`, times the gain.
    let values: Vec<T> = (0..rows)
        .flat_map(|i| (0..cols).map(move |j| (i, j)))
        .map(|(i, j)| {
            let v = if wide { q[j * n + i] } else { q[i * n + j] };
            T::from_f64(gain * v)
        })
        .collect();
    fill(tensor, Tensor::from_vec(values, &shape));
}

/// The `m × n` (`m ≥ n`) factor `Q` of the reduced QR decomposition of the row-major `a`, its
/// columns multiplied by the signs of `R`'s diagonal (`q *= diag(r).sign()`, so `R`'s diagonal
/// is made non-negative), by Householder reflections.
fn householder_q_sign_corrected(mut a: Vec<f64>, m: usize, n: usize) -> Vec<f64> {
    let mut vs: Vec<Vec<f64>> = Vec::with_capacity(n);
    let mut r_diag = vec![0.0; n];
    for k in 0..n {
        let mut v: Vec<f64> = (k..m).map(|i| a[i * n + k]).collect();
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        // alpha = −sign(x₀)·‖x‖ avoids cancellation in v = x − alpha·e₁.
        let alpha = if v[0] >= 0.0 { -norm } else { norm };
        r_diag[k] = alpha;
        v[0] -= alpha;
        let vnorm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if vnorm > 0.0 {
            v.iter_mut().for_each(|x| *x /= vnorm);
            // a[k.., k..] -= 2·v·(vᵀ·a[k.., k..])
            for j in k..n {
                let dot: f64 = (k..m).map(|i| v[i - k] * a[i * n + j]).sum();
                for i in k..m {
                    a[i * n + j] -= 2.0 * v[i - k] * dot;
                }
            }
        }
        vs.push(v);
    }
    // Q = H₀·H₁·…·Hₙ₋₁ · I[:, :n], applied from the last reflection.
    let mut q = vec![0.0; m * n];
    for i in 0..n {
        q[i * n + i] = 1.0;
    }
    for k in (0..n).rev() {
        let v = &vs[k];
        for j in 0..n {
            let dot: f64 = (k..m).map(|i| v[i - k] * q[i * n + j]).sum();
            for i in k..m {
                q[i * n + j] -= 2.0 * v[i - k] * dot;
            }
        }
    }
    // torch.sign: −1, 0 or 1.
    for (j, &d) in r_diag.iter().enumerate() {
        let s = if d > 0.0 {
            1.0
        } else if d < 0.0 {
            -1.0
        } else {
            0.0
        };
        for i in 0..m {
            q[i * n + j] *= s;
        }
    }
    q
}

/// The standard normal CDF Φ(x) = (1 + erf(x/√2)) / 2.
fn norm_cdf(x: f64) -> f64 {
    (1.0 + libm::erf(x / std::f64::consts::SQRT_2)) / 2.0
}

/// Fills with values from N(mean, std²) truncated to `[a, b]` (`trunc_normal_(tensor, mean,
/// std, a, b)`; torch's defaults are `0, 1, −2, 2`), by PyTorch 2.15's rejection sampling, draw
/// for draw: when the interval holds more than 30% of the mass
/// (`p = Φ((b−mean)/std) − Φ((a−mean)/std) > 0.3`), the tensor is filled by `normal_(mean,
/// std)` and, while some value lies outside `[a, b]`, a whole fresh `normal_` tensor is drawn
/// and those values replaced; otherwise candidates U(a, b) are accepted where
/// `log U(0, 1) ≤ −½((x−mean)/std)² − log_peak` (a whole tensor of candidates and one of
/// uniforms per round, in the tensor's type). As PyTorch, prints a warning once per process
/// when `mean` is more than 2 std outside `[a, b]`.
///
/// ```
/// use tapegrad_autograd::{manual_seed, Tensor};
/// use tapegrad_nn::init::trunc_normal_;
/// manual_seed(0);
/// let t: Tensor<f64> = Tensor::zeros(&[20000]);
/// trunc_normal_(&t, 0.0, 0.02, -0.04, 0.04); // ViT's init: ±2 std
/// assert!(t.to_vec().iter().all(|v| (-0.04..=0.04).contains(v)));
/// assert!(t.mean().item().abs() < 1e-3);
/// ```
pub fn trunc_normal_<T: Element>(tensor: &Tensor<T>, mean: f64, std: f64, a: f64, b: f64) {
    if mean < a - 2.0 * std || mean > b + 2.0 * std {
        static WARNED: std::sync::Once = std::sync::Once::new();
        WARNED.call_once(|| {
            eprintln!(
                "UserWarning: mean is more than 2 std from [a, b] in nn.init.trunc_normal_. \
                 The distribution of values may be incorrect."
            )
        });
    }
    let shape = tensor.shape();
    let p = norm_cdf((b - mean) / std) - norm_cdf((a - mean) / std);
    let mut result: Vec<T>;
    if p > 0.3 {
        let (lo, hi) = (T::from_f64(a), T::from_f64(b));
        result = Tensor::<T>::normal(&shape, mean, std).to_vec();
        loop {
            let mask: Vec<bool> = result.iter().map(|&r| r < lo || r > hi).collect();
            if !mask.iter().any(|&m| m) {
                break;
            }
            let fresh = Tensor::<T>::normal(&shape, mean, std).to_vec();
            for ((r, f), m) in result.iter_mut().zip(fresh).zip(mask) {
                if m {
                    *r = f;
                }
            }
        }
    } else {
        let mode = a.max(mean.min(b));
        let log_peak = -0.5 * ((mode - mean) / std).powi(2);
        let (tm, ts, th, tp) = (
            T::from_f64(mean),
            T::from_f64(std),
            T::from_f64(-0.5),
            T::from_f64(log_peak),
        );
        // candidates.sub_(mean).div_(std).pow_(2).mul_(-0.5).sub_(log_peak), in T.
        let log_pdf = |x: T| {
            let z = (x - tm) / ts;
            z * z * th - tp
        };
        let accept = |c: &[T]| -> Vec<bool> {
            let u = Tensor::<T>::rand(&shape).to_vec();
            u.iter()
                .zip(c)
                .map(|(&u, &c)| u.ln() > log_pdf(c))
                .collect()
        };
        result = Tensor::<T>::uniform(&shape, T::from_f64(a), T::from_f64(b)).to_vec();
        let mut pending = accept(&result);
        while pending.iter().any(|&p| p) {
            let cand = Tensor::<T>::uniform(&shape, T::from_f64(a), T::from_f64(b)).to_vec();
            for ((r, &c), &p) in result.iter_mut().zip(&cand).zip(&pending) {
                if p {
                    *r = c;
                }
            }
            let again = accept(&cand);
            for (p, g) in pending.iter_mut().zip(again) {
                *p = *p && g;
            }
        }
    }
    fill(tensor, Tensor::from_vec(result, &shape));
}

/// A weight of `weight_shape` and its bias `[out_channels]` (if `bias`), both requiring grad,
/// initialised as the `reset_parameters` of PyTorch's `Linear` and `_ConvNd`:
/// `kaiming_uniform_(weight, a=√5)`, then bias U(−1/√fan_in, 1/√fan_in) with the weight's
/// `fan_in` (`weight_shape[1]·Πk`), both from the process-wide generator (weight first).
pub(crate) fn reset_parameters<T: Element>(
    weight_shape: &[usize],
    out_channels: usize,
    bias: bool,
) -> (Tensor<T>, Option<Tensor<T>>) {
    let weight = Tensor::<T>::zeros(weight_shape);
    kaiming_uniform_(
        &weight,
        5f64.sqrt(),
        FanMode::FanIn,
        Nonlinearity::LeakyRelu,
    );
    let bias = bias.then(|| {
        let b = Tensor::<T>::zeros(&[out_channels]);
        let (fan_in, _) = fan_in_and_fan_out(&weight);
        if fan_in > 0 {
            let bound = 1.0 / (fan_in as f64).sqrt();
            uniform_(&b, -bound, bound);
        }
        b.requires_grad_(true)
    });
    (weight.requires_grad_(true), bias)
}

#[cfg(test)]
mod tests {
    use super::householder_q_sign_corrected;

    /// The same matrices through `q, r = torch.linalg.qr(a); q *= torch.diag(r).sign()`
    /// (PyTorch 2.15, f64).
    #[test]
    fn q_matches_torch_linalg_qr_with_sign_correction() {
        let cases: [(&[f64], usize, usize, &[f64]); 2] = [
            (
                &[
                    0.5, -1.2, 0.3, -0.7, 0.1, 2.0, 1.5, 0.4, -0.6, 0.2, -0.9, 0.8,
                ],
                4,
                3,
                &[
                    0.28724249481071307,
                    -0.7480649779384677,
                    0.004660134696611872,
                    -0.4021394927349982,
                    0.027272092616383886,
                    0.8882673285787842,
                    0.8617274844321391,
                    0.33813133579844745,
                    0.3782268826201189,
                    0.11489699792428522,
                    -0.5703702494848415,
                    0.2605836936333236,
                ],
            ),
            (
                &[-0.5, 1.2, 0.7, 0.1, -1.5, 0.4],
                3,
                2,
                &[
                    -0.2891574659831202,
                    0.9295762581972612,
                    0.40482045237636816,
                    0.3351763550893199,
                    -0.8674723979493604,
                    -0.15344312035740426,
                ],
            ),
        ];
        for (a, m, n, want) in cases {
            let q = householder_q_sign_corrected(a.to_vec(), m, n);
            for (got, want) in q.iter().zip(want) {
                assert!((got - want).abs() < 1e-14, "{got} vs {want}");
            }
        }
    }
}
