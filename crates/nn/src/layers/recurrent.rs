//! Recurrent layers: [`RNN`], [`LSTM`] and [`GRU`] (`torch.nn.RNN`/`LSTM`/`GRU`), sharing one
//! core that runs the layers, directions and time steps.
//!
//! Per layer and direction, the input projection `x Wᵢₕᵀ + bᵢₕ` is computed for all time steps
//! at once, then each step adds `h Wₕₕᵀ + bₕₕ` and applies the cell (PyTorch's gate order):
//!
//! * RNN: `h' = tanh(xᵢₕ + hₕₕ)` (or ReLU);
//! * LSTM: `i, f, g, o = chunks(xᵢₕ + hₕₕ)`, `c' = σ(f)·c + σ(i)·tanh(g)`, `h' = σ(o)·tanh(c')`;
//! * GRU: `r, z, n = chunks`, `r = σ(xᵣ + hᵣ)`, `z = σ(x_z + h_z)`, `n = tanh(xₙ + r·hₙ)`,
//!   `h' = (1 − z)·n + z·h`.
//!
//! Everything is built from differentiable tensor ops, so backpropagation through time needs no
//! rule of its own. Weights are named as PyTorch's (`weight_ih_l0`, `bias_hh_l1_reverse`, …)
//! and initialised U(−1/√hidden, 1/√hidden) in PyTorch's parameter order.

use crate::init;
use crate::Module;
use std::sync::atomic::{AtomicBool, Ordering};
use tapegrad_autograd::functional::{dropout, lstm_sequence};
use tapegrad_autograd::{Element, Tensor};

/// The options every recurrent layer shares (PyTorch's keyword arguments), with PyTorch's
/// defaults.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RnnOptions {
    /// Stacked layers (`num_layers`, default 1).
    pub num_layers: usize,
    /// Use `bias_ih`/`bias_hh` (default true).
    pub bias: bool,
    /// Input and output are `[batch, seq, feature]` instead of `[seq, batch, feature]`.
    pub batch_first: bool,
    /// Dropout on the outputs of each layer but the last, in training (default 0).
    pub dropout: f64,
    /// Run a second direction backwards over the sequence and concatenate (default false).
    pub bidirectional: bool,
}

impl Default for RnnOptions {
    fn default() -> Self {
        RnnOptions {
            num_layers: 1,
            bias: true,
            batch_first: false,
            dropout: 0.0,
            bidirectional: false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cell {
    Tanh,
    Relu,
    Lstm,
    Gru,
}

impl Cell {
    /// Gates per hidden unit.
    fn gates(self) -> usize {
        match self {
            Cell::Tanh | Cell::Relu => 1,
            Cell::Lstm => 4,
            Cell::Gru => 3,
        }
    }
}

/// The weights of one layer in one direction.
struct Weights<T: Element> {
    suffix: String,
    w_ih: Tensor<T>,
    w_hh: Tensor<T>,
    b_ih: Option<Tensor<T>>,
    b_hh: Option<Tensor<T>>,
}

/// The shared core of [`RNN`], [`LSTM`] and [`GRU`].
struct Recurrent<T: Element> {
    cell: Cell,
    input_size: usize,
    hidden_size: usize,
    opts: RnnOptions,
    weights: Vec<Weights<T>>,
    training: AtomicBool,
}

impl<T: Element> Recurrent<T> {
    fn new(cell: Cell, input_size: usize, hidden_size: usize, opts: RnnOptions) -> Self {
        assert!(
            opts.num_layers >= 1,
            "num_layers should be at least 1 (got 0)"
        );
        assert!(
            (0.0..=1.0).contains(&opts.dropout),
            "dropout should be a number in range [0, 1] representing the probability of an \
             element being zeroed (got {})",
            opts.dropout
        );
        let g = cell.gates() * hidden_size;
        let dirs = if opts.bidirectional { 2 } else { 1 };
        let k = if hidden_size > 0 {
            1.0 / (hidden_size as f64).sqrt()
        } else {
            0.0
        };
        let param = |shape: &[usize]| {
            let t = Tensor::<T>::zeros(shape);
            init::uniform_(&t, -k, k);
            t.requires_grad_(true)
        };
        let mut weights = Vec::new();
        for layer in 0..opts.num_layers {
            for dir in 0..dirs {
                let inp = if layer == 0 {
                    input_size
                } else {
                    hidden_size * dirs
                };
                let suffix = format!("l{layer}{}", if dir == 1 { "_reverse" } else { "" });
                let w_ih = param(&[g, inp]);
                let w_hh = param(&[g, hidden_size]);
                let (b_ih, b_hh) = if opts.bias {
                    (Some(param(&[g])), Some(param(&[g])))
                } else {
                    (None, None)
                };
                weights.push(Weights {
                    suffix,
                    w_ih,
                    w_hh,
                    b_ih,
                    b_hh,
                });
            }
        }
        Recurrent {
            cell,
            input_size,
            hidden_size,
            opts,
            weights,
            training: AtomicBool::new(true),
        }
    }

    fn dirs(&self) -> usize {
        if self.opts.bidirectional {
            2
        } else {
            1
        }
    }

    /// One step of an RNN or GRU cell: the new `h` (an LSTM runs as one [`lstm_sequence`]).
    fn step(&self, w: &Weights<T>, x_proj: &Tensor<T>, h: &Tensor<T>) -> Tensor<T> {
        // F.linear, as PyTorch's cells: dW comes out in W's own layout (no transpose).
        let hh = h.linear(&w.w_hh, w.b_hh.as_ref());
        let hs = self.hidden_size;
        match self.cell {
            Cell::Tanh => x_proj.add(&hh).tanh(),
            Cell::Relu => x_proj.add(&hh).relu(),
            Cell::Lstm => unreachable!("an LSTM runs as one lstm_sequence op"),
            Cell::Gru => {
                let part = |t: &Tensor<T>, k: usize| t.narrow(-1, (k * hs) as isize, hs);
                let r = part(x_proj, 0).add(&part(&hh, 0)).sigmoid();
                let z = part(x_proj, 1).add(&part(&hh, 1)).sigmoid();
                let n = part(x_proj, 2).add(&r.mul(&part(&hh, 2))).tanh();
                // h' = (1 - z)·n + z·h = n + z·(h - n)
                n.add(&z.mul(&h.sub(&n)))
            }
        }
    }

    /// Runs the whole sequence: output `[seq, batch, dirs·hidden]` (batch first if set), the
    /// final `h` and, for an LSTM, `c`, each `[layers·dirs, batch, hidden]`.
    fn run(
        &self,
        name: &str,
        input: &Tensor<T>,
        h0: Option<&Tensor<T>>,
        c0: Option<&Tensor<T>>,
    ) -> (Tensor<T>, Tensor<T>, Option<Tensor<T>>) {
        let unbatched = input.ndim() == 2;
        assert!(
            input.ndim() == 2 || input.ndim() == 3,
            "{name}: Expected input to be 2D or 3D, got {}D instead (shape {:?})",
            input.ndim(),
            input.shape().as_slice()
        );
        let x = if unbatched {
            input.unsqueeze(1)
        } else if self.opts.batch_first {
            input.transpose(0, 1)
        } else {
            input.clone()
        };
        let (seq, batch, feat) = (x.shape()[0], x.shape()[1], x.shape()[2]);
        assert!(
            feat == self.input_size,
            "{name}: input.size(-1) must be equal to input_size. Expected {}, got {feat}",
            self.input_size
        );
        assert!(
            seq > 0,
            "{name}: Expected sequence length to be larger than 0 in RNN (input shape {:?})",
            input.shape().as_slice()
        );
        let dirs = self.dirs();
        let layers = self.opts.num_layers;
        let state_shape = [layers * dirs, batch, self.hidden_size];
        let initial = |s: Option<&Tensor<T>>, what: &str| -> Tensor<T> {
            match s {
                None => Tensor::zeros(&state_shape),
                Some(s) => {
                    let s = if unbatched { s.unsqueeze(1) } else { s.clone() };
                    assert!(
                        s.shape().as_slice() == state_shape,
                        "{name}: Expected hidden size {state_shape:?} for {what}, got {:?}",
                        s.shape().as_slice()
                    );
                    s
                }
            }
        };
        let h0 = initial(h0, "h0");
        let c0 = (self.cell == Cell::Lstm).then(|| initial(c0, "c0"));
        let training = self.training.load(Ordering::Relaxed);
        let (mut h_n, mut c_n) = (Vec::new(), Vec::new());
        let mut layer_input = x;
        for layer in 0..layers {
            let mut outs = Vec::new();
            for dir in 0..dirs {
                let w = &self.weights[layer * dirs + dir];
                let proj = layer_input.contiguous().linear(&w.w_ih, w.b_ih.as_ref());
                let k = (layer * dirs + dir) as isize;
                let mut h = h0.select(0, k);
                if let Some(c0) = &c0 {
                    // The whole recurrence as one op, as PyTorch's CPU LSTM (oneDNN) runs it.
                    let (out, h_last, c_last) = lstm_sequence(
                        &proj,
                        &h,
                        &c0.select(0, k),
                        &w.w_hh,
                        w.b_hh.as_ref(),
                        dir == 1,
                    );
                    outs.push(out);
                    h_n.push(h_last);
                    c_n.push(c_last);
                    continue;
                }
                let mut hs = vec![None; seq];
                let order: Vec<usize> = if dir == 0 {
                    (0..seq).collect()
                } else {
                    (0..seq).rev().collect()
                };
                for t in order {
                    h = self.step(w, &proj.select(0, t as isize), &h);
                    hs[t] = Some(h.clone());
                }
                let hs: Vec<Tensor<T>> =
                    hs.into_iter().map(|h| h.expect("every step ran")).collect();
                let refs: Vec<&Tensor<T>> = hs.iter().collect();
                outs.push(Tensor::stack(&refs, 0));
                h_n.push(h);
            }
            let refs: Vec<&Tensor<T>> = outs.iter().collect();
            layer_input = if dirs == 1 {
                outs[0].clone()
            } else {
                Tensor::cat(&refs, -1)
            };
            if layer + 1 < layers && self.opts.dropout > 0.0 {
                layer_input = dropout(&layer_input, self.opts.dropout, training);
            }
        }
        let stack = |v: &[Tensor<T>]| {
            let refs: Vec<&Tensor<T>> = v.iter().collect();
            let s = Tensor::stack(&refs, 0);
            if unbatched {
                s.squeeze(1)
            } else {
                s
            }
        };
        let output = if unbatched {
            layer_input.squeeze(1)
        } else if self.opts.batch_first {
            layer_input.transpose(0, 1)
        } else {
            layer_input
        };
        let c_n = (!c_n.is_empty()).then(|| stack(&c_n));
        (output, stack(&h_n), c_n)
    }

    fn named_parameters(&self) -> Vec<(String, Tensor<T>)> {
        let mut v = Vec::new();
        for w in &self.weights {
            v.push((format!("weight_ih_{}", w.suffix), w.w_ih.clone()));
            v.push((format!("weight_hh_{}", w.suffix), w.w_hh.clone()));
            if let (Some(bi), Some(bh)) = (&w.b_ih, &w.b_hh) {
                v.push((format!("bias_ih_{}", w.suffix), bi.clone()));
                v.push((format!("bias_hh_{}", w.suffix), bh.clone()));
            }
        }
        v
    }

    /// PyTorch's `extra_repr`: sizes, then the options that differ from the defaults.
    fn extra_repr(&self) -> String {
        let mut s = format!("{}, {}", self.input_size, self.hidden_size);
        let o = &self.opts;
        if self.cell == Cell::Relu {
            s += ", nonlinearity=relu";
        }
        if o.num_layers != 1 {
            s += &format!(", num_layers={}", o.num_layers);
        }
        if !o.bias {
            s += ", bias=False";
        }
        if o.batch_first {
            s += ", batch_first=True";
        }
        if o.dropout != 0.0 {
            s += &format!(", dropout={:?}", o.dropout);
        }
        if o.bidirectional {
            s += ", bidirectional=True";
        }
        s
    }
}

macro_rules! recurrent_layer {
    ($(#[$doc:meta])* $name:ident, $cell:expr) => {
        $(#[$doc])*
        pub struct $name<T: Element = f32> {
            core: Recurrent<T>,
        }

        impl<T: Element> $name<T> {
            #[doc = concat!("`", stringify!($name), "(input_size, hidden_size)` with PyTorch's defaults.")]
            pub fn new(input_size: usize, hidden_size: usize) -> Self {
                Self::with_options(input_size, hidden_size, RnnOptions::default())
            }

            #[doc = concat!("`", stringify!($name), "(input_size, hidden_size, num_layers=…, bias=…, batch_first=…, dropout=…, bidirectional=…)`.")]
            pub fn with_options(input_size: usize, hidden_size: usize, options: RnnOptions) -> Self {
                $name {
                    core: Recurrent::new($cell, input_size, hidden_size, options),
                }
            }

            /// The options the layer was built with.
            pub fn options(&self) -> RnnOptions {
                self.core.opts
            }
        }

        impl<T: Element> Module<T> for $name<T> {
            /// The output sequence only (the first element of PyTorch's returned tuple), from
            /// zero initial states.
            fn forward(&self, input: &Tensor<T>) -> Tensor<T> {
                self.core.run(stringify!($name), input, None, None).0
            }
            fn named_own_parameters(&self) -> Vec<(String, Tensor<T>)> {
                self.core.named_parameters()
            }
            fn extra_repr(&self) -> String {
                self.core.extra_repr()
            }
            fn training_flag(&self) -> Option<&AtomicBool> {
                Some(&self.core.training)
            }
        }
    };
}

recurrent_layer!(
    /// An Elman RNN, `h' = tanh(x Wᵢₕᵀ + bᵢₕ + h Wₕₕᵀ + bₕₕ)` (`torch.nn.RNN`); see
    /// [`RNN::with_relu`] for `nonlinearity='relu'`. Call [`RNN::forward_with_state`] for
    /// `(output, h_n)`.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// use tapegrad_nn::{Module, RNN};
    /// let rnn: RNN = RNN::new(3, 5);
    /// let (out, h_n) = rnn.forward_with_state(&Tensor::zeros(&[7, 2, 3]), None);
    /// assert_eq!((out.shape().as_slice(), h_n.shape().as_slice()), (&[7, 2, 5][..], &[1, 2, 5][..]));
    /// assert_eq!(rnn.summary(), "RNN(3, 5)");
    /// ```
    RNN,
    Cell::Tanh
);

impl<T: Element> RNN<T> {
    /// `RNN(input_size, hidden_size, nonlinearity='relu', …)`.
    pub fn with_relu(input_size: usize, hidden_size: usize, options: RnnOptions) -> Self {
        RNN {
            core: Recurrent::new(Cell::Relu, input_size, hidden_size, options),
        }
    }

    /// `output, h_n = rnn(input, h0)`: `h0` defaults to zeros.
    pub fn forward_with_state(
        &self,
        input: &Tensor<T>,
        h0: Option<&Tensor<T>>,
    ) -> (Tensor<T>, Tensor<T>) {
        let (out, h, _) = self.core.run("RNN", input, h0, None);
        (out, h)
    }
}

recurrent_layer!(
    /// A long short-term memory layer (`torch.nn.LSTM`), gates in PyTorch's order i, f, g, o.
    /// Call [`LSTM::forward_with_state`] for `(output, (h_n, c_n))`.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// use tapegrad_nn::{LSTM, Module, RnnOptions};
    /// let opts = RnnOptions { num_layers: 2, batch_first: true, ..Default::default() };
    /// let lstm: LSTM = LSTM::with_options(3, 4, opts);
    /// let (out, (h, c)) = lstm.forward_with_state(&Tensor::zeros(&[2, 5, 3]), None);
    /// assert_eq!(out.shape().as_slice(), &[2, 5, 4]);
    /// assert_eq!((h.shape().as_slice(), c.shape().as_slice()), (&[2, 2, 4][..], &[2, 2, 4][..]));
    /// assert_eq!(lstm.named_parameters()[0].0, "weight_ih_l0");
    /// assert_eq!(lstm.named_parameters()[0].1.shape().as_slice(), &[16, 3]);
    /// ```
    LSTM,
    Cell::Lstm
);

impl<T: Element> LSTM<T> {
    /// `output, (h_n, c_n) = lstm(input, (h0, c0))`: the states default to zeros.
    pub fn forward_with_state(
        &self,
        input: &Tensor<T>,
        state: Option<(&Tensor<T>, &Tensor<T>)>,
    ) -> (Tensor<T>, (Tensor<T>, Tensor<T>)) {
        let (h0, c0) = match state {
            Some((h, c)) => (Some(h), Some(c)),
            None => (None, None),
        };
        let (out, h, c) = self.core.run("LSTM", input, h0, c0);
        (out, (h, c.expect("an LSTM returns its cell state")))
    }
}

recurrent_layer!(
    /// A gated recurrent unit layer (`torch.nn.GRU`), gates in PyTorch's order r, z, n.
    /// Call [`GRU::forward_with_state`] for `(output, h_n)`.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// use tapegrad_nn::{GRU, Module};
    /// let gru: GRU = GRU::new(3, 4);
    /// let (out, h) = gru.forward_with_state(&Tensor::zeros(&[6, 3]), None); // unbatched
    /// assert_eq!((out.shape().as_slice(), h.shape().as_slice()), (&[6, 4][..], &[1, 4][..]));
    /// ```
    GRU,
    Cell::Gru
);

impl<T: Element> GRU<T> {
    /// `output, h_n = gru(input, h0)`: `h0` defaults to zeros.
    pub fn forward_with_state(
        &self,
        input: &Tensor<T>,
        h0: Option<&Tensor<T>>,
    ) -> (Tensor<T>, Tensor<T>) {
        let (out, h, _) = self.core.run("GRU", input, h0, None);
        (out, h)
    }
}

/// The state a recurrent layer carries from one call to the next, as PyTorch passes it: `h`
/// for [`RNN`] and [`GRU`], `(h, c)` for [`LSTM`]; each `[num_layers·directions, batch,
/// hidden]` (no batch dimension for an unbatched input).
#[derive(Clone, Debug)]
pub enum RnnState<T: Element = f32> {
    /// `h` of an [`RNN`] or a [`GRU`].
    H(Tensor<T>),
    /// `(h, c)` of an [`LSTM`].
    HC(Tensor<T>, Tensor<T>),
}

/// `output, state = rnn(input, state)` for any of [`RNN`], [`LSTM`] and [`GRU`], as that call
/// reads the same for the three in PyTorch: a model can hold a `Box<dyn RecurrentLayer>`
/// chosen at run time (`{"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell](...)`), and it
/// is a module with the layer's parameter names.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::{Module, RecurrentLayer, RnnOptions, RnnState, GRU, LSTM};
/// let opts = RnnOptions { num_layers: 2, batch_first: true, ..Default::default() };
/// for rnn in [Box::new(LSTM::with_options(3, 4, opts)) as Box<dyn RecurrentLayer>,
///             Box::new(GRU::with_options(3, 4, opts))] {
///     let (out, state) = rnn.forward_state(&Tensor::zeros(&[2, 5, 3]), None);
///     assert_eq!(out.shape().as_slice(), &[2, 5, 4]);
///     let (_, state) = rnn.forward_state(&Tensor::zeros(&[2, 1, 3]), Some(&state)); // carried
///     assert_eq!(matches!(state, RnnState::HC(..)), rnn.type_name() == "LSTM");
///     assert_eq!(rnn.named_parameters()[0].0, "weight_ih_l0");
/// }
/// ```
pub trait RecurrentLayer<T: Element = f32>: Module<T> {
    /// `output, state = layer(input, state)`; `None` starts from zeros. Panics if the state is
    /// of the other kind (`(h, c)` for an RNN or a GRU, `h` alone for an LSTM), as PyTorch
    /// rejects it.
    fn forward_state(
        &self,
        input: &Tensor<T>,
        state: Option<&RnnState<T>>,
    ) -> (Tensor<T>, RnnState<T>);
}

/// `h` from the state of an RNN or a GRU.
fn hidden_only<'a, T: Element>(
    name: &str,
    state: Option<&'a RnnState<T>>,
) -> Option<&'a Tensor<T>> {
    match state {
        None => None,
        Some(RnnState::H(h)) => Some(h),
        Some(RnnState::HC(..)) => panic!("{name}: expected hx to be a Tensor, got a tuple (h, c)"),
    }
}

/// [`RecurrentLayer`] for the layers whose state is `h` alone (RNN, GRU).
macro_rules! hidden_state_layer {
    ($($layer:ident),*) => {$(
        impl<T: Element> RecurrentLayer<T> for $layer<T> {
            fn forward_state(
                &self,
                input: &Tensor<T>,
                state: Option<&RnnState<T>>,
            ) -> (Tensor<T>, RnnState<T>) {
                let h0 = hidden_only(stringify!($layer), state);
                let (out, h) = self.forward_with_state(input, h0);
                (out, RnnState::H(h))
            }
        }
    )*};
}
hidden_state_layer!(RNN, GRU);

impl<T: Element> RecurrentLayer<T> for LSTM<T> {
    fn forward_state(
        &self,
        input: &Tensor<T>,
        state: Option<&RnnState<T>>,
    ) -> (Tensor<T>, RnnState<T>) {
        let hc = match state {
            None => None,
            Some(RnnState::HC(h, c)) => Some((h, c)),
            Some(RnnState::H(_)) => {
                panic!("LSTM: expected hx to be a tuple (h_0, c_0), got a Tensor")
            }
        };
        let (out, (h, c)) = self.forward_with_state(input, hc);
        (out, RnnState::HC(h, c))
    }
}

#[cfg(test)]
mod recurrent_layer_tests {
    use super::*;
    use tapegrad_autograd::manual_seed;

    /// Through the trait, each layer gives what its own `forward_with_state` gives, and a
    /// carried state continues the sequence: two calls of 3 + 2 steps equal one of 5 steps.
    #[test]
    fn forward_state_matches_forward_with_state_and_carries_the_state() {
        manual_seed(0);
        let opts = RnnOptions {
            num_layers: 2,
            batch_first: true,
            ..Default::default()
        };
        let layers: Vec<Box<dyn RecurrentLayer>> = vec![
            Box::new(RNN::with_options(3, 4, opts)),
            Box::new(LSTM::with_options(3, 4, opts)),
            Box::new(GRU::with_options(3, 4, opts)),
        ];
        let x = Tensor::randn(&[2, 5, 3]);
        for rnn in &layers {
            let (whole, end) = rnn.forward_state(&x, None);
            let (first, mid) = rnn.forward_state(&x.narrow(1, 0, 3), None);
            let (rest, end2) = rnn.forward_state(&x.narrow(1, 3, 2), Some(&mid));
            let joined = Tensor::cat(&[&first, &rest], 1).to_vec();
            for (a, b) in whole.to_vec().iter().zip(&joined) {
                assert!((a - b).abs() < 1e-6, "{}: {a} vs {b}", rnn.type_name());
            }
            let h = |s: &RnnState| match s {
                RnnState::H(h) | RnnState::HC(h, _) => h.to_vec(),
            };
            assert_eq!(h(&end).len(), 2 * 2 * 4);
            for (a, b) in h(&end).iter().zip(&h(&end2)) {
                assert!((a - b).abs() < 1e-6);
            }
        }
        let lstm: LSTM = LSTM::with_options(3, 4, opts);
        let (_, (h, c)) = lstm.forward_with_state(&x, None);
        let (_, s) = lstm.forward_state(&x, None);
        let RnnState::HC(h2, c2) = s else {
            panic!("an LSTM state is (h, c)")
        };
        assert_eq!((h.to_vec(), c.to_vec()), (h2.to_vec(), c2.to_vec()));
    }

    #[test]
    #[should_panic(expected = "LSTM: Expected sequence length to be larger than 0 in RNN")]
    fn an_empty_sequence_is_refused_as_pytorch_refuses_it() {
        let lstm: LSTM = LSTM::new(3, 4);
        lstm.forward(&Tensor::zeros(&[0, 1, 3]));
    }

    #[test]
    #[should_panic(expected = "LSTM: expected hx to be a tuple")]
    fn an_lstm_refuses_h_alone() {
        let lstm: LSTM = LSTM::new(3, 4);
        lstm.forward_state(
            &Tensor::zeros(&[5, 1, 3]),
            Some(&RnnState::H(Tensor::zeros(&[1, 1, 4]))),
        );
    }

    #[test]
    #[should_panic(expected = "GRU: expected hx to be a Tensor")]
    fn a_gru_refuses_h_and_c() {
        let gru: GRU = GRU::new(3, 4);
        let z = || Tensor::zeros(&[1, 1, 4]);
        gru.forward_state(&Tensor::zeros(&[5, 1, 3]), Some(&RnnState::HC(z(), z())));
    }
}
