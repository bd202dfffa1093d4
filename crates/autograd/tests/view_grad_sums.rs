//! Gradients of many views of one tensor (a sequence read step by step with `select`, gates cut
//! with `narrow`, a diagonal, a strided slice, `q, k, v` split off the last dimension): the
//! backward walk adds the gradient of each view of a region, contiguous or strided, into the
//! input's sum in place. Every expected value is derived by hand in a comment, and the same
//! gradients built as a graph (`create_graph`, the path that scatters into zeros) must agree
//! exactly.

use tapegrad_autograd::{grad, Tensor};

/// x = [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]] (4 steps of 3), requiring grad.
fn steps() -> Tensor<f64> {
    Tensor::<f64>::arange(0.0, 12.0, 1.0)
        .reshape(&[4, 3])
        .requires_grad_(true)
}

/// Both paths: the plain walk (in place) and the recorded one (scatter into zeros, summed).
fn both(loss: impl Fn(&Tensor<f64>) -> Tensor<f64>) -> (Vec<f64>, Vec<f64>) {
    let x = steps();
    loss(&x).backward();
    let in_place = x.grad().expect("x.grad").to_vec();
    let x = steps();
    let recorded = grad(&[loss(&x)], std::slice::from_ref(&x), None, true)[0]
        .clone()
        .expect("dx")
        .to_vec();
    (in_place, recorded)
}

/// dloss/dx by the plain walk (in place), or recorded (`create_graph`: scatter into zeros).
fn x_grad(x: &Tensor<f64>, loss: Tensor<f64>, create_graph: bool) -> Vec<f64> {
    if create_graph {
        grad(&[loss], std::slice::from_ref(x), None, true)[0]
            .clone()
            .expect("dx")
            .to_vec()
    } else {
        loss.backward();
        x.grad().expect("x.grad").to_vec()
    }
}

#[test]
fn every_step_of_a_sequence_gets_its_own_weight() {
    // loss = Σ_t (t+1) · Σ_j x[t, j]²  ⇒  dx[t, j] = 2 (t+1) x[t, j].
    let (a, b) = both(|x| {
        let mut loss = Tensor::scalar(0.0);
        for t in 0..4 {
            let row = x.select(0, t);
            loss = &loss + &((&row * &row).sum() * (t + 1) as f64);
        }
        loss
    });
    let want: Vec<f64> = (0..12)
        .map(|i| 2.0 * (i / 3 + 1) as f64 * i as f64)
        .collect();
    assert_eq!(a, want);
    assert_eq!(b, want);
}

#[test]
fn overlapping_narrows_and_a_repeated_select_add_up() {
    // loss = Σ x[:, 0:2] + 2 Σ x[:, 1:3] + Σ x[1] + Σ x[1]
    //   dx[t, 0] = 1, dx[t, 1] = 1 + 2 = 3, dx[t, 2] = 2, and row 1 gets 2 more everywhere.
    let (a, b) = both(|x| {
        let s = x.narrow(1, 0, 2).sum() + x.narrow(1, 1, 2).sum() * 2.0;
        s + x.select(0, 1).sum() + x.select(0, 1).sum()
    });
    let want = vec![1., 3., 2., 3., 5., 4., 1., 3., 2., 1., 3., 2.];
    assert_eq!(a, want);
    assert_eq!(b, want);
}

#[test]
fn strided_slices_columns_and_a_diagonal_land_on_their_elements() {
    // loss = Σ x[0::2, :]·10 + Σ x[:, 2]·100 + Σ diag(x[0:3, :])·1000
    //   rows 0 and 2 get 10; column 2 gets 100; (0,0), (1,1), (2,2) get 1000.
    let (a, b) = both(|x| {
        let rows = x.slice(0, Some(0), None, 2).sum() * 10.0;
        let col = x.select(1, 2).sum() * 100.0;
        let diag = x.narrow(0, 0, 3).diagonal(0, 0, 1).sum() * 1000.0;
        rows + col + diag
    });
    let want = vec![
        1010., 10., 110., //
        0., 1000., 100., //
        10., 10., 1110., //
        0., 0., 100.,
    ];
    assert_eq!(a, want);
    assert_eq!(b, want);
}

#[test]
fn a_view_mixed_with_a_whole_tensor_use_keeps_both_terms() {
    // loss = Σ x² / 2 + Σ_t x[t, 1] · 3  ⇒  dx = x + 3 on column 1, x elsewhere.
    let (a, b) = both(|x| (x * x).sum() * 0.5 + x.select(1, 1).sum() * 3.0);
    let want: Vec<f64> = (0..12)
        .map(|i| i as f64 + if i % 3 == 1 { 3.0 } else { 0.0 })
        .collect();
    assert_eq!(a, want);
    assert_eq!(b, want);
}

#[test]
fn q_k_v_split_off_the_last_dimension_get_their_own_columns() {
    // x = arange(12) as [2, 6]; q, k, v = x[:, 0:2], x[:, 2:4], x[:, 4:6] (strided regions).
    // loss = Σ q + Σ k² + 10 Σ v  ⇒  dx = 1 on q's columns, 2x on k's, 10 on v's.
    let run = |create_graph: bool| {
        let x = Tensor::<f64>::arange(0.0, 12.0, 1.0)
            .reshape(&[2, 6])
            .requires_grad_(true);
        let (q, k, v) = (x.narrow(1, 0, 2), x.narrow(1, 2, 2), x.narrow(1, 4, 2));
        let loss = q.sum() + (&k * &k).sum() + v.sum() * 10.0;
        x_grad(&x, loss, create_graph)
    };
    let want = vec![
        1., 1., 4., 6., 10., 10., //
        1., 1., 16., 18., 10., 10.,
    ];
    assert_eq!(run(false), want);
    assert_eq!(run(true), want);
}

#[test]
fn q_k_v_of_a_batch_get_their_gradients_row_by_row() {
    // x = arange(24)/4 as [2, 2, 6] (a batch of 2 sequences of 2 steps, 3 heads of 2 columns);
    // q, k, v = x[..., 0:2], x[..., 2:4], x[..., 4:6]: regions whose rows are contiguous runs.
    // loss = Σ q²/2 + Σ k² + 3/2 Σ v²  ⇒  dx = x on q's columns, 2x on k's, 3x on v's (each
    // gradient a contiguous tensor, `x·g` of the multiply's backward, added row by row).
    let run = |create_graph: bool| {
        let x = (Tensor::<f64>::arange(0.0, 24.0, 1.0) / 4.0)
            .reshape(&[2, 2, 6])
            .requires_grad_(true);
        let p = x.split(2, -1);
        let loss =
            (&p[0] * &p[0]).sum() * 0.5 + (&p[1] * &p[1]).sum() + (&p[2] * &p[2]).sum() * 1.5;
        x_grad(&x, loss, create_graph)
    };
    let want: Vec<f64> = (0..24)
        .map(|i| i as f64 / 4.0 * [1.0, 1.0, 2.0, 2.0, 3.0, 3.0][i % 6])
        .collect();
    assert_eq!(run(false), want);
    assert_eq!(run(true), want);
}
