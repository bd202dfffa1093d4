//! The recorded graph as data you can print (a *listing* of the graph, not the recording:
//! every op records itself in `graph.rs`): a [`GraphListing`] lists every tensor that went into a
//! result in execution order (node, operation, input nodes, shape, and for small tensors the
//! values and gradients), exports it as Graphviz DOT (micrograd's `draw_dot`, for tensors),
//! and can run backward in an *explain* mode that narrates each step of the chain rule.
//!
//! ```
//! use tapegrad_autograd::{GraphListing, Tensor};
//! let w = Tensor::from_vec(vec![0.0f64], &[1]).requires_grad_(true).with_label("w");
//! let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[4]).with_label("x");
//! let y = Tensor::from_vec(vec![2.0, 4.0, 6.0, 8.0], &[4]).with_label("y");
//! let loss = (&x * &w - &y).pow(2.0).mean().with_label("J");
//! let tape = GraphListing::of(&loss);
//! tape.retain_grads();
//! let mut trace = Vec::new();
//! tape.explain_backward(&loss, &mut trace).unwrap();
//! assert_eq!(w.grad().unwrap().item(), -30.0); // dJ/dw = mean(2x(wx - y)) at w = 0
//! assert!(tape.to_string().contains("MulBackward0"));
//! ```

use crate::backward::{BackwardOptions, BackwardStep};
use crate::element::Element;
use crate::tensor::Tensor;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::Write;

/// Tensors with at most this many elements are shown in full; larger ones as a summary.
pub const SHOW_FULL_MAX: usize = 16;

/// One tensor on the tape.
pub struct ListingEntry<T: Element> {
    /// Position in execution order.
    pub index: usize,
    /// The tensor itself (a handle: values and gradient are read when printed).
    pub tensor: Tensor<T>,
    /// The op that produced it, `None` for leaves and constants.
    pub op: Option<&'static str>,
    /// Positions of the op's inputs on the tape.
    pub inputs: Vec<usize>,
}

/// Every tensor a result depends on, in the order they were computed.
pub struct GraphListing<T: Element> {
    entries: Vec<ListingEntry<T>>,
    index_of: HashMap<u64, usize>,
}

impl<T: Element> GraphListing<T> {
    /// Captures the graph below `root` (call it before `backward` frees the graph).
    pub fn of(root: &Tensor<T>) -> Self {
        // Iterative depth-first post-order: inputs come before the tensors computed from them.
        let mut order: Vec<Tensor<T>> = Vec::new();
        let mut seen = HashSet::new();
        let mut stack = vec![(root.clone(), false)];
        while let Some((t, expanded)) = stack.pop() {
            if expanded {
                order.push(t);
                continue;
            }
            if !seen.insert(t.id()) {
                continue;
            }
            let inputs = t.grad_fn_inputs();
            stack.push((t, true));
            for i in inputs.into_iter().rev() {
                if !seen.contains(&i.id()) {
                    stack.push((i, false));
                }
            }
        }
        let index_of: HashMap<u64, usize> =
            order.iter().enumerate().map(|(i, t)| (t.id(), i)).collect();
        let entries = order
            .into_iter()
            .enumerate()
            .map(|(index, tensor)| ListingEntry {
                index,
                op: tensor.grad_fn_name(),
                inputs: tensor
                    .grad_fn_inputs()
                    .iter()
                    .map(|i| index_of[&i.id()])
                    .collect(),
                tensor,
            })
            .collect();
        GraphListing { entries, index_of }
    }

    /// The entries in execution order.
    pub fn entries(&self) -> &[ListingEntry<T>] {
        &self.entries
    }

    /// Number of tensors on the tape.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Is the tape empty? (Never: it holds at least its root.)
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Asks every intermediate tensor to keep its gradient, so the listing can show them all
    /// after backward.
    pub fn retain_grads(&self) {
        for e in &self.entries {
            if e.op.is_some() {
                e.tensor.retain_grad();
            }
        }
    }

    /// `#i` plus the tensor's label, e.g. `#3 (J)`.
    pub fn name_of(&self, t: &Tensor<T>) -> String {
        match self.index_of.get(&t.id()) {
            Some(i) => name(*i, t),
            None => t.label().unwrap_or_else(|| "?".into()),
        }
    }

    /// Graphviz DOT: one box per tensor (label, shape, value, grad) and one ellipse per op,
    /// with edges input → op → output. Render with `dot -Tpng graph.dot -o graph.png`.
    pub fn to_dot(&self) -> String {
        let mut s =
            String::from("digraph tape {\n  rankdir=LR;\n  node [fontname=\"monospace\"];\n");
        for e in &self.entries {
            let t = &e.tensor;
            let grad = t.grad().map(|g| brief(&g)).unwrap_or_else(|| "-".into());
            s.push_str(&format!(
                "  t{} [shape=record, label=\"{{ {} | shape {:?} | data {} | grad {} }}\"];\n",
                e.index,
                escape(&name(e.index, t)),
                t.shape().as_slice(),
                escape(&brief(t)),
                escape(&grad)
            ));
            if let Some(op) = e.op {
                s.push_str(&format!(
                    "  op{} [shape=ellipse, label=\"{}\"];\n",
                    e.index, op
                ));
                for i in &e.inputs {
                    s.push_str(&format!("  t{i} -> op{};\n", e.index));
                }
                s.push_str(&format!("  op{0} -> t{0};\n", e.index));
            }
        }
        s.push_str("}\n");
        s
    }

    /// Runs `root.backward()` narrating each step to `out`: the node, the gradient arriving
    /// from above, the local derivative rule in words, and the gradient passed to each input;
    /// then every leaf's accumulated gradient. Full numbers for small tensors (at most
    /// [`SHOW_FULL_MAX`] elements), shape/min/mean/max summaries for larger ones.
    pub fn explain_backward(&self, root: &Tensor<T>, out: &mut dyn Write) -> std::io::Result<()> {
        let mut lines: Vec<String> = vec![format!(
            "backward from {}: dL/dL = {}",
            self.name_of(root),
            if root.numel() == 1 {
                "1".to_string()
            } else {
                "(given)".into()
            }
        )];
        let mut step_no = 0;
        let mut observer = |s: &BackwardStep<'_, T>| {
            step_no += 1;
            let ins: Vec<String> = s.inputs.iter().map(|i| self.name_of(i)).collect();
            lines.push(format!(
                "step {step_no}: {} = {}({})",
                self.name_of(s.tensor),
                s.op,
                ins.join(", ")
            ));
            lines.push(format!(
                "  gradient arriving: dL/d{} = {}",
                self.name_of(s.tensor),
                brief(s.grad)
            ));
            lines.push(format!("  local rule: {}", s.rule));
            for (i, g) in s.inputs.iter().zip(s.input_grads) {
                if let Some(g) = g {
                    lines.push(format!(
                        "  passed on: dL/d{} += {}",
                        self.name_of(i),
                        brief(g)
                    ));
                }
            }
        };
        root.backward_with(BackwardOptions::new().observer(&mut observer));
        for e in &self.entries {
            if e.op.is_none() {
                if let Some(g) = e.tensor.grad() {
                    lines.push(format!(
                        "leaf {}: grad = {}",
                        name(e.index, &e.tensor),
                        brief(&g)
                    ));
                }
            }
        }
        for l in lines {
            writeln!(out, "{l}")?;
        }
        Ok(())
    }
}

impl<T: Element> fmt::Display for GraphListing<T> {
    /// One line per tensor: `#i (label)  op(inputs)  shape  value  grad`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for e in &self.entries {
            let t = &e.tensor;
            let op = match e.op {
                Some(op) => {
                    let ins: Vec<String> = e.inputs.iter().map(|i| format!("#{i}")).collect();
                    format!("{op}({})", ins.join(", "))
                }
                None if t.requires_grad() => "leaf (requires_grad)".into(),
                None => "constant".into(),
            };
            write!(
                f,
                "{:<10} {:<28} shape {:<10} value {}",
                name(e.index, t),
                op,
                format!("{:?}", t.shape().as_slice()),
                brief(t)
            )?;
            if let Some(g) = t.grad() {
                write!(f, "  grad {}", brief(&g))?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

fn name<T: Element>(index: usize, t: &Tensor<T>) -> String {
    match t.label() {
        Some(l) => format!("#{index} ({l})"),
        None => format!("#{index}"),
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('{', "\\{")
        .replace('}', "\\}")
        .replace('|', "\\|")
        .replace('<', "\\<")
        .replace('>', "\\>")
}

/// Values in full for small tensors (`[1, 2.5]`, nested for matrices), otherwise
/// `shape [..] min .. mean .. max ..`.
pub fn brief<T: Element>(t: &Tensor<T>) -> String {
    let data = t.data();
    if data.len() > SHOW_FULL_MAX {
        let (mut lo, mut hi, mut sum) = (f64::INFINITY, f64::NEG_INFINITY, 0.0);
        for v in data.iter() {
            let v = v.as_f64();
            lo = lo.min(v);
            hi = hi.max(v);
            sum += v;
        }
        return format!(
            "shape {:?} min {lo:.4} mean {:.4} max {hi:.4}",
            data.shape(),
            sum / data.len() as f64
        );
    }
    if data.ndim() == 0 {
        return format!("{}", data.iter().next().expect("0-d"));
    }
    fn nest<T: Element>(a: ndarray::ArrayViewD<'_, T>) -> String {
        if a.ndim() == 1 {
            let v: Vec<String> = a.iter().map(|x| format!("{x}")).collect();
            return format!("[{}]", v.join(", "));
        }
        let rows: Vec<String> = a.outer_iter().map(nest).collect();
        format!("[{}]", rows.join(", "))
    }
    nest(data.view())
}
