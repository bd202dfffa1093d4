//! Loss modules against hand-derived values and gradients, finite differences (f64
//! gradcheck) for every reduction, and PyTorch's golden `mse_loss` / `cross_entropy` cases.

mod common;
use common::*;
use tapegrad_autograd::{gradcheck, BackwardOptions, Tensor};
use tapegrad_nn::functional;
use tapegrad_nn::{
    BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss, Reduction,
};

fn t(v: &[f64], shape: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(v.to_vec(), shape)
}

fn close(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 1e-12, "{got:?} vs {want:?}");
    }
}

/// Value of `loss(x)` and the gradient with respect to `x`.
fn value_and_grad(
    x: &Tensor<f64>,
    f: impl Fn(&Tensor<f64>) -> Tensor<f64>,
) -> (Vec<f64>, Vec<f64>) {
    let x = x.detach().requires_grad_(true);
    let y = f(&x);
    y.sum().backward();
    (y.to_vec(), x.grad().unwrap().to_vec())
}

type LossFn = Box<dyn Fn(&[Tensor<f64>]) -> Tensor<f64>>;

const REDUCTIONS: [Reduction; 3] = [Reduction::Mean, Reduction::Sum, Reduction::None];

#[test]
fn mse_and_l1_hand_derived() {
    let (x, y) = (t(&[1.0, 2.0, 3.0], &[3]), t(&[0.0, 0.0, 5.0], &[3]));
    let (v, g) = value_and_grad(&x, |x| MSELoss::new().forward(x, &y));
    close(&v, &[3.0]);
    close(&g, &[2.0 / 3.0, 4.0 / 3.0, -4.0 / 3.0]);
    close(
        &MSELoss::with_reduction(Reduction::Sum)
            .forward(&x, &y)
            .to_vec(),
        &[9.0],
    );
    close(
        &MSELoss::with_reduction(Reduction::None)
            .forward(&x, &y)
            .to_vec(),
        &[1.0, 4.0, 4.0],
    );

    let (v, g) = value_and_grad(&x, |x| L1Loss::new().forward(x, &y));
    close(&v, &[5.0 / 3.0]);
    close(&g, &[1.0 / 3.0, 1.0 / 3.0, -1.0 / 3.0]);
    close(
        &L1Loss::with_reduction(Reduction::Sum)
            .forward(&x, &y)
            .to_vec(),
        &[5.0],
    );
}

#[test]
fn bce_hand_derived() {
    let (p, y) = (t(&[0.2, 0.9], &[2]), t(&[0.0, 1.0], &[2]));
    let (v, g) = value_and_grad(&p, |p| BCELoss::new().forward(p, &y));
    close(&v, &[-(0.8f64.ln() + 0.9f64.ln()) / 2.0]);
    close(&g, &[(0.2 / (0.2 * 0.8)) / 2.0, (-0.1 / (0.9 * 0.1)) / 2.0]);
    // PyTorch clamps log at -100: p = 0 with target 1 costs exactly 100.
    close(
        &BCELoss::with_reduction(Reduction::None)
            .forward(&t(&[0.0], &[1]), &t(&[1.0], &[1]))
            .to_vec(),
        &[100.0],
    );

    let x = t(&[0.0, 2.0, -30.0], &[3]);
    let y = t(&[1.0, 0.0, 1.0], &[3]);
    let (v, g) = value_and_grad(&x, |x| {
        BCEWithLogitsLoss::with_reduction(Reduction::None).forward(x, &y)
    });
    close(
        &v,
        &[
            2f64.ln(),
            (1.0 + 2f64.exp()).ln(),
            30.0 + (-30f64).exp().ln_1p(),
        ],
    );
    let s = |z: f64| 1.0 / (1.0 + (-z).exp());
    close(&g, &[s(0.0) - 1.0, s(2.0), s(-30.0) - 1.0]);
}

#[test]
fn cross_entropy_and_nll_hand_derived() {
    let logits = t(&[1.0, 2.0, 3.0, 0.0, 0.0, 0.0], &[2, 3]);
    let lse = (1f64.exp() + 2f64.exp() + 3f64.exp()).ln();
    let (v, g) = value_and_grad(&logits, |x| CrossEntropyLoss::new().forward(x, &[2, 0]));
    close(&v, &[((lse - 3.0) + 3f64.ln()) / 2.0]);
    let sm: Vec<f64> = [1.0f64, 2.0, 3.0].iter().map(|z| (z - lse).exp()).collect();
    close(
        &g,
        &[
            sm[0] / 2.0,
            sm[1] / 2.0,
            (sm[2] - 1.0) / 2.0,
            (1.0 / 3.0 - 1.0) / 2.0,
            1.0 / 6.0,
            1.0 / 6.0,
        ],
    );
    let per = CrossEntropyLoss::with_reduction(Reduction::None)
        .forward(&logits, &[2, 0])
        .to_vec();
    close(&per, &[lse - 3.0, 3f64.ln()]);

    let lp = t(&[-1.0, -2.0, -3.0, -4.0, -5.0, -6.0], &[2, 3]);
    let (v, g) = value_and_grad(&lp, |x| {
        NLLLoss::with_reduction(Reduction::Sum).forward(x, &[1, 2])
    });
    close(&v, &[8.0]);
    close(&g, &[0.0, -1.0, 0.0, 0.0, 0.0, -1.0]);
    // CrossEntropy = NLL(log_softmax).
    let ce = CrossEntropyLoss::new().forward(&logits, &[1, 1]).item();
    let nll = NLLLoss::new()
        .forward(&logits.log_softmax(-1), &[1, 1])
        .item();
    assert!((ce - nll).abs() < 1e-15);
}

#[test]
fn every_loss_and_reduction_passes_gradcheck() {
    let x = t(&[0.3, -1.2, 0.8, 2.1, -0.4, 0.05], &[2, 3]);
    let target = t(&[1.0, 0.5, -0.3, 2.0, 0.0, 0.7], &[2, 3]);
    let probs = t(&[0.2, 0.7, 0.45, 0.9, 0.15, 0.6], &[2, 3]);
    let bits = t(&[0.0, 1.0, 1.0, 0.0, 1.0, 0.3], &[2, 3]);
    for r in REDUCTIONS {
        let cases: Vec<(&str, LossFn, Vec<Tensor<f64>>)> = vec![
            (
                "mse",
                Box::new(move |v| MSELoss::with_reduction(r).forward(&v[0], &v[1])),
                vec![x.clone(), target.clone()],
            ),
            (
                "l1",
                Box::new(move |v| L1Loss::with_reduction(r).forward(&v[0], &v[1])),
                vec![x.clone(), target.clone()],
            ),
            (
                "bce",
                Box::new(move |v| BCELoss::with_reduction(r).forward(&v[0], &v[1])),
                vec![probs.clone(), bits.clone()],
            ),
            (
                "bce_logits",
                Box::new(move |v| BCEWithLogitsLoss::with_reduction(r).forward(&v[0], &v[1])),
                vec![x.clone(), bits.clone()],
            ),
            (
                "cross_entropy",
                Box::new(move |v| CrossEntropyLoss::with_reduction(r).forward(&v[0], &[2, 0])),
                vec![x.clone()],
            ),
            (
                "nll",
                Box::new(move |v| {
                    NLLLoss::with_reduction(r).forward(&v[0].log_softmax(-1), &[1, 2])
                }),
                vec![x.clone()],
            ),
        ];
        for (name, f, inputs) in cases {
            if let Err(e) = gradcheck(f, &inputs, 1e-6, 1e-5, 1e-3) {
                panic!("{name} ({}): {e}", r.as_str());
            }
        }
    }
}

#[test]
fn golden_mse_loss_and_cross_entropy() {
    let g = json("ops/mse_loss.json");
    let (ishape, idata) = flat(&g["inputs"][0]);
    let (tshape, tdata) = flat(&g["inputs"][1]);
    let f32s = |v: Vec<f64>| v.into_iter().map(|x| x as f32).collect::<Vec<_>>();
    let input = Tensor::from_vec(f32s(idata), &ishape).requires_grad_(true);
    let target = Tensor::from_vec(f32s(tdata), &tshape).requires_grad_(true);
    let out = MSELoss::new().forward(&input, &target);
    let (oshape, odata) = flat(&g["output"]);
    assert_close("mse_loss output", &out, &oshape, &odata);
    let (cshape, cdata) = flat(&g["cotangent"]);
    out.backward_with(BackwardOptions::new().gradient(Tensor::from_vec(f32s(cdata), &cshape)));
    for (name, t) in [("input", &input), ("target", &target)] {
        let (s, d) = flat(&g["grads"][name]);
        assert_close(&format!("mse_loss grad {name}"), &t.grad().unwrap(), &s, &d);
    }

    let g = json("ops/cross_entropy.json");
    let (ishape, idata) = flat(&g["inputs"][0]);
    let (_, classes) = flat(&g["inputs"][1]);
    let classes: Vec<usize> = classes.iter().map(|&c| c as usize).collect();
    let logits = Tensor::from_vec(f32s(idata), &ishape).requires_grad_(true);
    let out = CrossEntropyLoss::new().forward(&logits, &classes);
    let functional_out = functional::cross_entropy(&logits, &classes, Reduction::Mean);
    assert_eq!(out.item(), functional_out.item());
    let (oshape, odata) = flat(&g["output"]);
    assert_close("cross_entropy output", &out, &oshape, &odata);
    let (cshape, cdata) = flat(&g["cotangent"]);
    out.backward_with(BackwardOptions::new().gradient(Tensor::from_vec(f32s(cdata), &cshape)));
    let (s, d) = flat(&g["grads"]["input"]);
    assert_close("cross_entropy grad input", &logits.grad().unwrap(), &s, &d);
}

#[test]
fn loss_modules_print_like_pytorch() {
    assert_eq!(CrossEntropyLoss::new().to_string(), "CrossEntropyLoss()");
    assert_eq!(BCEWithLogitsLoss::default().reduction, Reduction::Mean);
}

#[test]
#[should_panic(expected = "mse_loss")]
fn mismatched_shapes_panic_with_the_op_name() {
    MSELoss::new().forward(&Tensor::<f32>::zeros(&[3]), &Tensor::zeros(&[2]));
}
