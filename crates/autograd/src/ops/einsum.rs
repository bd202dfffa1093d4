//! `einsum` for one or two operands (`torch.einsum("bij,bjk->bik", a, b)`), built from
//! differentiable ops, so its gradient needs no rule of its own.
//!
//! Two operands: each index is a batch index (in both operands and the output), a contracted
//! index (in both, not in the output), or belongs to one side (kept in the output, or summed
//! away first). The operands are permuted and reshaped to `[batch, left, contracted]` and
//! `[batch, contracted, right]`, multiplied with one `bmm`, and the result is reshaped and
//! permuted to the output's order: the same plan as PyTorch's `sumproduct_pair`. One operand:
//! a sum over the indices missing from the output, then a permutation. Repeated indices within
//! one operand (diagonals, `"ii->i"`) and `...` are not supported.

use crate::element::Element;
use crate::tensor::Tensor;

/// The operands' and the output's index letters, checked against the operands.
fn parse(equation: &str, operands: &[&[usize]]) -> (Vec<Vec<char>>, Vec<char>) {
    let eq: String = equation.chars().filter(|c| !c.is_whitespace()).collect();
    let (lhs, out) = match eq.split_once("->") {
        Some((l, r)) => (l.to_string(), Some(r.to_string())),
        None => (eq.clone(), None),
    };
    let ins: Vec<Vec<char>> = lhs.split(',').map(|s| s.chars().collect()).collect();
    assert!(
        ins.len() == operands.len(),
        "einsum(): more operands were provided than specified in the equation \
         ({equation:?} names {} operands, {} given)",
        ins.len(),
        operands.len()
    );
    for (k, (labels, shape)) in ins.iter().zip(operands).enumerate() {
        assert!(
            labels.iter().all(|c| c.is_ascii_alphabetic()),
            "einsum(): operand subscripts must be letters ({equation:?}); '...' is not supported"
        );
        assert!(
            labels.len() == shape.len(),
            "einsum(): the number of subscripts in the equation ({}) does not match the number \
             of dimensions ({}) for operand {k}",
            labels.len(),
            shape.len()
        );
        let mut seen = labels.clone();
        seen.sort_unstable();
        seen.dedup();
        assert!(
            seen.len() == labels.len(),
            "einsum(): a subscript repeated within operand {k} ({equation:?}, a diagonal) is \
             not supported; take .diagonal() first"
        );
    }
    let out = out.map(|o| o.chars().collect()).unwrap_or_else(|| {
        // Implicit output: the letters that appear once, in alphabetical order.
        let mut all: Vec<char> = ins.concat();
        all.sort_unstable();
        all.iter()
            .copied()
            .filter(|c| all.iter().filter(|d| *d == c).count() == 1)
            .collect()
    });
    (ins, out)
}

/// The size of index `c` (checking operands agree).
fn size_of(c: char, ins: &[Vec<char>], shapes: &[&[usize]]) -> usize {
    let mut size = None;
    for (labels, shape) in ins.iter().zip(shapes) {
        if let Some(p) = labels.iter().position(|&l| l == c) {
            match size {
                None => size = Some(shape[p]),
                Some(s) => assert!(
                    s == shape[p],
                    "einsum(): operands do not broadcast: subscript '{c}' has size {s} and {}",
                    shape[p]
                ),
            }
        }
    }
    size.unwrap_or_else(|| panic!("einsum(): output subscript '{c}' does not appear in the inputs"))
}

/// `x` (indexed by `labels`) summed over the letters not in `keep`, and the remaining labels.
fn sum_out<T: Element>(x: &Tensor<T>, labels: &[char], keep: &[char]) -> (Tensor<T>, Vec<char>) {
    let gone: Vec<isize> = (0..labels.len())
        .filter(|&i| !keep.contains(&labels[i]))
        .map(|i| i as isize)
        .collect();
    let rest: Vec<char> = labels
        .iter()
        .copied()
        .filter(|c| keep.contains(c))
        .collect();
    if gone.is_empty() {
        (x.clone(), rest)
    } else {
        (x.sum_dims(&gone, false), rest)
    }
}

/// Permutes `x` (indexed by `from`) to the order `to`.
fn arrange<T: Element>(x: &Tensor<T>, from: &[char], to: &[char]) -> Tensor<T> {
    let perm: Vec<usize> = to
        .iter()
        .map(|c| from.iter().position(|f| f == c).expect("same letters"))
        .collect();
    if perm.iter().enumerate().all(|(i, &p)| i == p) {
        x.clone()
    } else {
        x.permute(&perm)
    }
}

impl<T: Element> Tensor<T> {
    /// Einstein summation over one or two operands (`torch.einsum`), e.g. `"bij,bjk->bik"`
    /// (batched matmul), `"ij->ji"`, `"bhqd,bhkd->bhqk"` (attention scores), `"ij,j->i"`,
    /// `"ijk->j"`. Derivative: that of the permutes, sums and `bmm` it is built from.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// let b = Tensor::from_vec(vec![5.0f32, 6.0, 7.0, 8.0], &[2, 2]);
    /// assert_eq!(Tensor::einsum("ij,jk->ik", &[&a, &b]).to_vec(), a.matmul(&b).to_vec());
    /// assert_eq!(Tensor::einsum("ij->ji", &[&a]).to_vec(), vec![1.0, 3.0, 2.0, 4.0]);
    /// ```
    pub fn einsum(equation: &str, operands: &[&Tensor<T>]) -> Tensor<T> {
        let shapes: Vec<crate::Shape> = operands.iter().map(|t| t.shape()).collect();
        let shape_refs: Vec<&[usize]> = shapes.iter().map(|s| s.as_slice()).collect();
        let (ins, out) = parse(equation, &shape_refs);
        let sizes = |cs: &[char]| -> Vec<usize> {
            cs.iter().map(|&c| size_of(c, &ins, &shape_refs)).collect()
        };
        let out_sizes = sizes(&out);
        match operands {
            [x] => {
                let (s, labels) = sum_out(x, &ins[0], &out);
                arrange(&s, &labels, &out)
            }
            [a, b] => {
                let (la, lb) = (&ins[0], &ins[1]);
                // Letters only one side has and the output lacks are summed away first.
                let keep_a: Vec<char> = la
                    .iter()
                    .copied()
                    .filter(|c| lb.contains(c) || out.contains(c))
                    .collect();
                let keep_b: Vec<char> = lb
                    .iter()
                    .copied()
                    .filter(|c| la.contains(c) || out.contains(c))
                    .collect();
                let (a, la) = sum_out(a, la, &keep_a);
                let (b, lb) = sum_out(b, lb, &keep_b);
                let batch: Vec<char> = out
                    .iter()
                    .copied()
                    .filter(|c| la.contains(c) && lb.contains(c))
                    .collect();
                let contract: Vec<char> = la
                    .iter()
                    .copied()
                    .filter(|c| lb.contains(c) && !out.contains(c))
                    .collect();
                let left: Vec<char> = out
                    .iter()
                    .copied()
                    .filter(|c| la.contains(c) && !lb.contains(c))
                    .collect();
                let right: Vec<char> = out
                    .iter()
                    .copied()
                    .filter(|c| lb.contains(c) && !la.contains(c))
                    .collect();
                let n = |cs: &[char]| sizes(cs).iter().product::<usize>() as isize;
                let a3 = arrange(
                    &a,
                    &la,
                    &[batch.clone(), left.clone(), contract.clone()].concat(),
                )
                .reshape(&[n(&batch), n(&left), n(&contract)]);
                let b3 = arrange(
                    &b,
                    &lb,
                    &[batch.clone(), contract.clone(), right.clone()].concat(),
                )
                .reshape(&[n(&batch), n(&contract), n(&right)]);
                let prod_labels = [batch.clone(), left.clone(), right.clone()].concat();
                let dims: Vec<isize> = sizes(&prod_labels).iter().map(|&s| s as isize).collect();
                let r = a3.bmm(&b3).reshape(&dims);
                let r = arrange(&r, &prod_labels, &out);
                debug_assert_eq!(r.shape().as_slice(), out_sizes.as_slice());
                r
            }
            _ => panic!(
                "einsum(): {} operands given; this einsum takes one or two (chain pairs of \
                 calls for more)",
                operands.len()
            ),
        }
    }
}
