//! The printable tape: listing, DOT structure, and the explain trace's numbers on the lecture's
//! hand-computed gradient descent (the lecture's NumPy gradient-descent page: dJ/dw = -30, then
//! -25.5).

use tapegrad_autograd::{GraphListing, Tensor};

fn lecture_loss(w: &Tensor<f64>) -> Tensor<f64> {
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[4]).with_label("x");
    let y = Tensor::from_vec(vec![2.0, 4.0, 6.0, 8.0], &[4]).with_label("y");
    (&x * w - &y).pow(2.0).mean().with_label("J")
}

#[test]
fn listing_shows_every_node_in_execution_order() {
    let w = Tensor::from_vec(vec![0.0f64], &[1])
        .requires_grad_(true)
        .with_label("w");
    let loss = lecture_loss(&w);
    let tape = GraphListing::of(&loss);
    tape.retain_grads();
    let ops: Vec<Option<&str>> = tape.entries().iter().map(|e| e.op).collect();
    // x, w, x*w, y, x*w - y, (..)^2, mean
    assert_eq!(
        ops,
        vec![
            None,
            None,
            Some("MulBackward0"),
            None,
            Some("SubBackward0"),
            Some("PowBackward0"),
            Some("MeanBackward0")
        ]
    );
    assert_eq!(tape.entries()[2].inputs, vec![0, 1]);
    assert_eq!(tape.entries()[4].inputs, vec![2, 3]);
    loss.backward();
    let text = tape.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 7);
    assert!(
        lines[0].starts_with("#0 (x)")
            && lines[0].contains("constant")
            && lines[0].contains("[1, 2, 3, 4]")
    );
    assert!(
        lines[1].contains("leaf (requires_grad)") && lines[1].contains("grad [-30]"),
        "{}",
        lines[1]
    );
    assert!(
        lines[6].starts_with("#6 (J)")
            && lines[6].contains("MeanBackward0(#5)")
            && lines[6].contains("value 30")
    );
    // d(x*w - y)^2 / d(x*w - y) / 4 = 2(xw - y)/4 = [-1, -2, -3, -4] at w = 0
    assert!(lines[4].contains("grad [-1, -2, -3, -4]"), "{}", lines[4]);
}

#[test]
fn dot_export_has_one_box_per_tensor_and_edges_through_ops() {
    let w = Tensor::from_vec(vec![0.0f64], &[1])
        .requires_grad_(true)
        .with_label("w");
    let loss = lecture_loss(&w);
    let tape = GraphListing::of(&loss);
    loss.backward_with(tapegrad_autograd::BackwardOptions::new().retain_graph(true));
    let dot = tape.to_dot();
    assert!(dot.starts_with("digraph tape {") && dot.trim_end().ends_with('}'));
    assert_eq!(dot.matches("shape=record").count(), 7);
    assert_eq!(dot.matches("shape=ellipse").count(), 4);
    for edge in [
        "t0 -> op2;",
        "t1 -> op2;",
        "op2 -> t2;",
        "t5 -> op6;",
        "op6 -> t6;",
    ] {
        assert!(dot.contains(edge), "missing {edge}");
    }
    assert!(dot.contains("grad [-30]"));
}

#[test]
fn explain_trace_derives_the_lecture_gradients() {
    let w = Tensor::from_vec(vec![0.0f64], &[1])
        .requires_grad_(true)
        .with_label("w");
    let mut traces = Vec::new();
    for _ in 0..2 {
        let loss = lecture_loss(&w);
        let tape = GraphListing::of(&loss);
        let mut out = Vec::new();
        tape.explain_backward(&loss, &mut out).unwrap();
        traces.push(String::from_utf8(out).unwrap());
        let g = w.grad().unwrap().item();
        *w.data_mut() -= &ndarray::arr1(&[0.01 * g]).into_dyn();
        w.set_grad(None);
    }
    assert!(
        traces[0].contains("leaf #1 (w): grad = [-30]"),
        "{}",
        traces[0]
    );
    assert!(traces[0].contains("local rule: d(a*b)/da = b, d(a*b)/db = a"));
    assert!(traces[0].contains("step 1: #6 (J) = MeanBackward0(#5)"));
    // At w = 0.3 the per-sample terms are x(wx - y)/2 = -1.7, -6.8, -15.3, -27.2 ... and the gradient -25.5.
    let second: f64 = traces[1]
        .lines()
        .find_map(|l| {
            l.strip_prefix("leaf #1 (w): grad = [")
                .map(|r| r.trim_end_matches(']').parse().unwrap())
        })
        .unwrap();
    assert!((second + 25.5).abs() < 1e-12, "{second}");
}
