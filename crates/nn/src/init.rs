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
    let z = Tensor::<T>::randn(&shape);
    let v = z
        .to_vec()
        .into_iter()
        .map(|x| T::from_f64(mean + std * x.as_f64()))
        .collect();
    fill(tensor, Tensor::from_vec(v, &shape));
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

fn kaiming_std<T: Element>(tensor: &Tensor<T>, a: f64, mode: FanMode, nl: Nonlinearity) -> f64 {
    let (fan_in, fan_out) = fan_in_and_fan_out(tensor);
    let fan = match mode {
        FanMode::FanIn => fan_in,
        FanMode::FanOut => fan_out,
    };
    calculate_gain(nl, Some(a)) / (fan as f64).sqrt()
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
    if tensor.numel() == 0 {
        return;
    }
    let bound = 3f64.sqrt() * kaiming_std(tensor, a, mode, nonlinearity);
    uniform_(tensor, -bound, bound);
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
    if tensor.numel() == 0 {
        return;
    }
    let std = kaiming_std(tensor, a, mode, nonlinearity);
    normal_(tensor, 0.0, std);
}
