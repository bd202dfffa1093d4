//! 3×3 unit-stride convolutions by Winograd's minimal filtering F(2×2, 3×3) (Lavin and Gray,
//! "Fast Algorithms for Convolutional Neural Networks", CVPR 2016).
//!
//! Each 2×2 block of outputs (a *tile*) of output channel `o` is
//!
//! ```text
//! Y = Aᵀ [ Σ_c (G g_oc Gᵀ) ⊙ (Bᵀ d_c B) ] A
//!
//!      ⎡1  0 −1  0⎤        ⎡1   0   0⎤
//! Bᵀ = ⎢0  1  1  0⎥    G = ⎢½   ½   ½⎥    Aᵀ = ⎡1  1  1  0⎤
//!      ⎢0 −1  1  0⎥        ⎢½  −½   ½⎥         ⎣0  1 −1 −1⎦
//!      ⎣0  1  0 −1⎦        ⎣0   0   1⎦
//! ```
//!
//! with `d_c` the 4×4 patch of the zero-padded input channel `c` under the tile and `g_oc` the
//! 3×3 weight. The sum over `c` at each of the 16 entries `ξ` of the 4×4 transforms is a matrix
//! product over all tiles `t`, `M_ξ[o, t] = Σ_c U_ξ[o, c] · V_ξ[c, t]`: 16 products with
//! `k = C` where the direct convolution has one with `k = 9·C`, 2.25 times fewer multiply-adds.
//! The transforms are additions (and the weight's halvings), vectorised over the tiles of a row.
//!
//! Per sample: the input is copied into zero-padded planes split into even and odd columns (so
//! that a tile's columns `2t … 2t+3` are entries `t, t+1` of each); the tiles are taken in
//! blocks of a whole number of the GEMM's tile width, each block's `V` (`[16, C, block]`)
//! written, multiplied by the weight's `U_ξ` packed once per convolution (`matmul::shifted`'s
//! `ShiftedA`, the rows of `V_ξ` read in place), and its `M` transformed into the output.
//!
//! The rounding is not the direct product's (each output is a different sum of the same
//! terms, each term rounded in the transforms), as with PyTorch where it picks Winograd
//! (NNPACK, cuDNN); it is taken only where the products are large (at least 32 input and output
//! channels; `conv.rs`). Every output is computed by one task in a fixed order: the result does
//! not depend on the thread count.
//!
//! ```text
//! forward   y  = winograd(pad(x), W)                       (+ bias)
//! backward  dx = winograd(pad′(G), W̃),  W̃[c, o, i, j] = W[o, c, 2−i, 2−j],  pad′ = 2 − padding
//!           dW = Gᵀ [ Σ_n Σ_t (A g_t Aᵀ) ⊙ (Bᵀ d_t B) ] G        (F(3×3, 2×2), `weight_grad`)
//! ```

use crate::element::Element;
use crate::kernels::conv_shifted::per_sample;
use crate::kernels::math;
use crate::kernels::matmul::shifted::ShiftedA;
use crate::kernels::matmul::{gemm, MatRef};
use crate::threads::use_pool;
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// The fewest input and output channels for which the Winograd form is taken: below, its 16
/// products (`k = C`) are too short to run at the GEMM's speed.
const MIN_CHANNELS: usize = 32;

/// The most bytes of a block's transformed inputs `V` and products `M` together: they stay in
/// L2 between being written and read.
const BLOCK_BYTES: usize = 512 << 10;

/// A 3×3, unit-stride, undilated, ungrouped convolution of `[channels, h, w]` samples, its
/// weight transformed and packed once.
pub(crate) struct Winograd<T> {
    /// `U_ξ = (G g Gᵀ)_ξ` as `[outs, channels]` matrices packed for the products, `ξ = 4i + j`.
    u: Vec<ShiftedA<T>>,
    outs: usize,
    channels: usize,
    input: [usize; 2],
    padding: [usize; 2],
    out: [usize; 2],
    /// Tiles down and across: `⌈oH/2⌉`, `⌈oW/2⌉`.
    tiles: [usize; 2],
    /// Tiles per block: a multiple of [`L`], and for the forward of the products' tile width.
    block: usize,
    /// The forward's products: where each channel's row of a block's `V_ξ` starts, and the
    /// block's tiles of the products' width (empty for the weight gradient).
    offs: Vec<usize>,
    widths: Vec<(usize, usize)>,
}

impl<T: Element> Winograd<T> {
    /// The convolution of `[channels, input]` samples by `w` (`[outs, channels, 3, 3]`,
    /// row-major) with zero `padding` (at most 2 each side), where the Winograd form applies:
    /// at least [`MIN_CHANNELS`] input and output channels, and a CPU whose GEMM has the
    /// in-place kernels (`ShiftedA`); else `None`.
    pub(crate) fn new(
        w: &[T],
        outs: usize,
        channels: usize,
        input: [usize; 2],
        padding: [usize; 2],
    ) -> Option<Self> {
        let mut me = Self::geometry(outs, channels, input, padding)?;
        assert_eq!(w.len(), outs * channels * 9, "winograd: weight size");
        let u = transform_weight(w, outs, channels);
        let plane = outs * channels;
        let u: Vec<ShiftedA<T>> = u
            .chunks_exact(plane)
            .map(|ux| ShiftedA::pack(MatRef::row_major(ux, outs, channels)))
            .collect::<Option<_>>()?;
        let tiles = me.tiles;
        let (nr, rows) = (u[0].nr(), u[0].padded_rows());
        // A block is a whole number of the products' tile width and of the transforms' lanes.
        let unit = if nr.is_multiple_of(L) {
            nr
        } else {
            L * nr / gcd(L, nr)
        };
        let per_unit = 16 * (channels + rows) * unit * std::mem::size_of::<T>();
        let units = (BLOCK_BYTES / per_unit).max(1);
        me.u = u;
        me.set_block((units * unit).min((tiles[0] * tiles[1]).div_ceil(unit) * unit));
        Some(me)
    }

    /// Sets the forward's tiles per block (a multiple of [`L`] and of the products' tile
    /// width) and the products' offsets and tiles that follow from it.
    fn set_block(&mut self, block: usize) {
        let nr = self.u[0].nr();
        self.block = block;
        self.offs = (0..self.channels).map(|ch| ch * block).collect();
        self.widths = (0..block).step_by(nr).map(|j| (j, j)).collect();
    }

    /// The sizes of a convolution in Winograd's form, without a weight (`u` empty) and with
    /// the weight gradient's blocks ([`GRAD_BLOCK`] tiles, rounded up to [`L`]); `None` where
    /// the form does not apply (see [`Winograd::new`]).
    fn geometry(
        outs: usize,
        channels: usize,
        input: [usize; 2],
        padding: [usize; 2],
    ) -> Option<Self> {
        if outs < MIN_CHANNELS || channels < MIN_CHANNELS || padding.iter().any(|&p| p > 2) {
            return None;
        }
        let out = [
            (input[0] + 2 * padding[0]).checked_sub(2)?,
            (input[1] + 2 * padding[1]).checked_sub(2)?,
        ];
        if out.contains(&0) {
            return None;
        }
        let tiles = [out[0].div_ceil(2), out[1].div_ceil(2)];
        Some(Winograd {
            u: Vec::new(),
            outs,
            channels,
            input,
            padding,
            out,
            tiles,
            block: (tiles[0] * tiles[1]).min(GRAD_BLOCK).div_ceil(L) * L,
            offs: Vec::new(),
            widths: Vec::new(),
        })
    }

    /// The weight gradient of the convolution of `x` (`[n, channels, h, w]`) for the output
    /// gradient `g` (`[n, outs, oH, oW]`), `[outs, channels, 3, 3]`, in Winograd's form
    /// F(3×3, 2×2): per sample, `S_ξ = Σ_t (A g_t Aᵀ)_ξ · (Bᵀ d_t B)_ξ` over the tiles (16
    /// products `[outs, tiles] · [tiles, channels]`), the samples' `S` added in order (in at
    /// most [`GRAD_GROUPS`] groups fixed by `n`, summed apart, then in group order), then
    /// `dW = Gᵀ S G`. (The forward's bilinear form `Σ y·g = Σ_ξ (A g Aᵀ)_ξ (G w Gᵀ)_ξ (Bᵀ d
    /// B)_ξ` read as a function of `w`.) `None` where the form does not apply.
    pub(crate) fn weight_grad(
        x: &[T],
        g: &[T],
        n: usize,
        [outs, channels]: [usize; 2],
        input: [usize; 2],
        padding: [usize; 2],
    ) -> Option<Vec<T>> {
        let me = Self::geometry(outs, channels, input, padding)?;
        let (chw, ohw) = (channels * input[0] * input[1], outs * me.out[0] * me.out[1]);
        let plane = outs * channels;
        // Samples in fixed groups (by `n` alone, never the thread count), each group's `S`
        // summed sample after sample by the GEMMs into one partial.
        let per_group = n.div_ceil(GRAD_GROUPS).max(1);
        let group = |scratch: &mut Scratch<T>, gi: usize| {
            let block = me.block;
            scratch.v.resize(16 * me.stride(channels) + LINE, T::zero());
            scratch.m.resize(16 * me.stride(outs) + LINE, T::zero());
            let (v, m) = (line_start(&scratch.v), line_start(&scratch.m));
            let (v, m) = (&mut scratch.v[v..], &mut scratch.m[m..]);
            let total = me.tiles[0] * me.tiles[1];
            let mut part = vec![T::zero(); 16 * plane];
            let samples = gi * per_group..((gi + 1) * per_group).min(n);
            for s in samples.clone() {
                me.pad(&x[s * chw..(s + 1) * chw], &mut scratch.planes);
                for t0 in (0..total).step_by(block) {
                    let t1 = (t0 + block).min(total);
                    me.transform_input(&scratch.planes, (t0, t1), v);
                    me.transform_grad(&g[s * ohw..(s + 1) * ohw], (t0, t1), m);
                    for (xi, px) in part.chunks_exact_mut(plane).enumerate() {
                        let a = MatRef {
                            data: m,
                            offset: xi * me.stride(outs),
                            rows: outs,
                            cols: block,
                            row_stride: block,
                            col_stride: 1,
                        };
                        let b = MatRef {
                            data: v,
                            offset: xi * me.stride(channels),
                            rows: block,
                            cols: channels,
                            row_stride: 1,
                            col_stride: block,
                        };
                        gemm(a, b, px, s > samples.start || t0 > 0);
                    }
                }
            }
            part
        };
        let groups = n.div_ceil(per_group);
        let pool = use_pool();
        let parts: Vec<Vec<T>> = if pool {
            (0..groups)
                .into_par_iter()
                .map_init(Scratch::default, group)
                .collect()
        } else {
            let mut scratch = Scratch::default();
            (0..groups).map(|gi| group(&mut scratch, gi)).collect()
        };
        // The groups' sums in group order, each run of entries by one task.
        let mut sum = vec![T::zero(); 16 * plane];
        let add_parts = |(ci, run): (usize, &mut [T])| {
            for part in &parts {
                let part = &part[ci * SUM_RUN..][..run.len()];
                run.iter_mut().zip(part).for_each(|(s, &p)| *s += p);
            }
        };
        if pool {
            sum.par_chunks_mut(SUM_RUN).enumerate().for_each(add_parts);
        } else {
            sum.chunks_mut(SUM_RUN).enumerate().for_each(add_parts);
        }
        let half = T::from_f64(0.5);
        // Gᵀ on four values: s0 + (s1 + s2)/2, (s1 − s2)/2, (s1 + s2)/2 + s3.
        let gt = |s: [T; 4]| {
            [
                s[0] + (s[1] + s[2]) * half,
                (s[1] - s[2]) * half,
                (s[1] + s[2]) * half + s[3],
            ]
        };
        let mut dw = vec![T::zero(); 9 * plane];
        for (oc, k) in dw.chunks_exact_mut(9).enumerate() {
            let at = |i: usize, j: usize| sum[(4 * i + j) * plane + oc];
            let rows: [[T; 3]; 4] =
                std::array::from_fn(|i| gt([at(i, 0), at(i, 1), at(i, 2), at(i, 3)]));
            for j in 0..3 {
                let col = gt([rows[0][j], rows[1][j], rows[2][j], rows[3][j]]);
                for i in 0..3 {
                    k[3 * i + j] = col[i];
                }
            }
        }
        Some(dw)
    }

    /// `Gt_ξ[o, t]` = `(A g Aᵀ)_ξ` for every tile `t` of one sample's output gradient `g`
    /// (`[outs, oH, oW]`, zero past its edge), into `gt` (`[16, outs, block]`, planes
    /// [`stride`](Self::stride) apart). `A g`: `g0, g0 + g1, g0 − g1, −g1` down each column,
    /// then the same along each row.
    fn transform_grad(&self, g: &[T], (t0, t1): (usize, usize), gt: &mut [T]) {
        let ([oh, ow], tw, block) = (self.out, self.tiles[1], self.block);
        let gs = self.stride(self.outs);
        if t1 - t0 < block {
            gt.iter_mut().for_each(|e| *e = T::zero());
        }
        // `A` on lanes: u, u + v, u − v, −v.
        #[inline(always)]
        fn at_a<T: Element>(u: [T; L], v: [T; L]) -> [[T; L]; 4] {
            let mut neg = [T::zero(); L];
            neg.iter_mut().zip(v).for_each(|(n, v)| *n = -v);
            [u, add(u, v), sub(u, v), neg]
        }
        math::simd(
            #[inline(always)]
            || {
                let rows = 2 * (t0 / tw) * ow..(2 * t1.div_ceil(tw) * ow).min(oh * ow);
                for (o, go) in g.chunks_exact(oh * ow).enumerate() {
                    // The block's rows of the channel two ahead, asked for now: the channels'
                    // rows are a plane apart, a stride the prefetchers follow late.
                    if let Some(ahead) =
                        g.get((o + 2) * oh * ow..).and_then(|c| c.get(rows.clone()))
                    {
                        prefetch(ahead);
                    }
                    for ty in t0 / tw..t1.div_ceil(tw) {
                        let (a, b) = (t0.max(ty * tw) - ty * tw, t1.min((ty + 1) * tw) - ty * tw);
                        let r0 = &go[2 * ty * ow..(2 * ty + 1) * ow];
                        let r1 = go.get((2 * ty + 1) * ow..(2 * ty + 2) * ow).unwrap_or(&[]);
                        for q in (a..b).step_by(L) {
                            let n = L.min(b - q);
                            let ((e0, o0), (e1, o1)) = (halves(r0, q), halves(r1, q));
                            // A g down the tile's two columns, then along each of its rows.
                            let (c0, c1) = (at_a(e0, e1), at_a(o0, o1));
                            for i in 0..4 {
                                for (j, val) in at_a(c0[i], c1[i]).iter().enumerate() {
                                    let at = (4 * i + j) * gs + o * block + ty * tw + q - t0;
                                    store(&mut gt[at..], val, n);
                                }
                            }
                        }
                    }
                }
            },
        )
    }

    /// The output size `[oH, oW]`.
    pub(crate) fn out(&self) -> [usize; 2] {
        self.out
    }

    /// The convolution of the `n` samples of `x` (`[n, channels, h, w]`), plus `bias` per
    /// output channel: `[n, outs, oH, oW]`, the samples in parallel.
    pub(crate) fn run_batch(&self, x: &[T], bias: Option<&[T]>, n: usize) -> Vec<T> {
        let chw = self.channels * self.input[0] * self.input[1];
        let sample_out = self.outs * self.out[0] * self.out[1];
        // SAFETY: `run` writes every output of its sample (the tiles cover each plane).
        unsafe {
            per_sample(n, sample_out, |scratch: &mut Scratch<T>, s, ys| {
                self.run(&x[s * chw..(s + 1) * chw], bias, scratch, ys)
            })
        }
    }

    /// One sample: `x` `[channels, h, w]` into `y` `[outs, oH, oW]`.
    fn run(&self, x: &[T], bias: Option<&[T]>, s: &mut Scratch<T>, y: &mut [MaybeUninit<T>]) {
        let [th, tw] = self.tiles;
        let (c, block) = (self.channels, self.block);
        let rows = self.u[0].padded_rows();
        self.pad(x, &mut s.planes);
        let (vs, ms) = (self.stride(c), self.stride(rows));
        s.v.resize(16 * vs + LINE, T::zero());
        s.m.resize(16 * ms + LINE, T::zero());
        let (v0, m0) = (line_start(&s.v), line_start(&s.m));
        let total = th * tw;
        for t0 in (0..total).step_by(block) {
            let t1 = (t0 + block).min(total);
            self.transform_input(&s.planes, (t0, t1), &mut s.v[v0..]);
            let m = &mut s.m[m0..m0 + 16 * ms];
            for (xi, u) in self.u.iter().enumerate() {
                let v = &s.v[v0 + xi * vs..v0 + xi * vs + c * block];
                let out = &mut math::as_uninit(m)[xi * ms..];
                u.multiply(v, &self.offs, &self.widths, out, block);
            }
            self.transform_output(m, (t0, t1), bias, y);
        }
    }

    /// The distance between the 16 planes of `V` (`rows` = `C`) or `M` (`rows` = the
    /// products' rows): `rows·block` and [`SKEW`] more, so that the 16 planes written or read
    /// side by side do not fall into one set of the L1 cache.
    fn stride(&self, rows: usize) -> usize {
        rows * self.block + SKEW
    }

    /// Width of a padded plane's even (and of its odd) columns: `tW + 1`.
    fn half_width(&self) -> usize {
        self.tiles[1] + 1
    }

    /// Rows of a padded plane: `2·tH + 2`.
    fn padded_rows(&self) -> usize {
        2 * self.tiles[0] + 2
    }

    /// `planes[c][parity][r][q]` = the zero-padded input at row `r`, column `2q + parity`.
    fn pad(&self, x: &[T], planes: &mut Vec<T>) {
        let ([h, w], [ph, pw]) = (self.input, self.padding);
        let (hw, rows) = (self.half_width(), self.padded_rows());
        // The zero border is written once per buffer: every sample of a batch (the buffer's
        // whole life) writes the same entries inside it.
        if planes.len() != self.channels * 2 * rows * hw {
            planes.clear();
            planes.resize(self.channels * 2 * rows * hw, T::zero());
        }
        math::simd(
            #[inline(always)]
            || {
                for (xc, pc) in x
                    .chunks_exact(h * w)
                    .zip(planes.chunks_exact_mut(2 * rows * hw))
                {
                    let (even, odd) = pc.split_at_mut(rows * hw);
                    for (r, src) in xc.chunks_exact(w).enumerate() {
                        let (e, o) = (&mut even[(r + ph) * hw..], &mut odd[(r + ph) * hw..]);
                        // Column `j + pW` of the padded row holds `src[j]`: with an even `pW`
                        // `src`'s even entries go to the even half from `pW/2` on and its odd
                        // ones to the odd half; with an odd `pW` the reverse, to the odd half
                        // from `pW/2` on and to the even one from `pW/2 + 1`.
                        let (first, second) = match pw % 2 {
                            0 => (&mut e[pw / 2..], &mut o[pw / 2..]),
                            _ => (&mut o[pw / 2..], &mut e[pw / 2 + 1..]),
                        };
                        // L pairs at a time, then one by one, then a last single entry.
                        let (pairs, whole) = (w / 2, w / 2 / L * L);
                        for (k, chunk) in src[..2 * whole].chunks_exact(2 * L).enumerate() {
                            let (ev, od) = unzip(chunk);
                            first[k * L..][..L].copy_from_slice(&ev);
                            second[k * L..][..L].copy_from_slice(&od);
                        }
                        for k in whole..pairs {
                            first[k] = src[2 * k];
                            second[k] = src[2 * k + 1];
                        }
                        if w % 2 == 1 {
                            first[pairs] = src[w - 1];
                        }
                    }
                }
            },
        )
    }

    /// `V_ξ[c, t − t0]` = `(Bᵀ d B)_ξ` for the tiles `t0 .. t1` (row-major over `[tH, tW]`)
    /// of every channel, [`L`] tiles of a row at a time; the columns of a last, short block
    /// are zero.
    fn transform_input(&self, planes: &[T], (t0, t1): (usize, usize), v: &mut [T]) {
        let tw = self.tiles[1];
        let (hw, height, c, block) = (
            self.half_width(),
            self.padded_rows(),
            self.channels,
            self.block,
        );
        let vs = self.stride(c);
        if t1 - t0 < block {
            v.iter_mut().for_each(|e| *e = T::zero());
        }
        math::simd(
            #[inline(always)]
            || {
                for ch in 0..c {
                    let even = &planes[ch * 2 * height * hw..][..height * hw];
                    let odd = &planes[(ch * 2 + 1) * height * hw..][..height * hw];
                    for ty in t0 / tw..t1.div_ceil(tw) {
                        let (a, b) = (t0.max(ty * tw) - ty * tw, t1.min((ty + 1) * tw) - ty * tw);
                        let at = ty * tw + a - t0;
                        let rows = [&even[2 * ty * hw..], &odd[2 * ty * hw..]];
                        for q in (a..b).step_by(L) {
                            let n = L.min(b - q);
                            let base = ch * block + at + q - a;
                            if n == L {
                                input_tiles(rows, hw, q, v, [vs, base]);
                                continue;
                            }
                            let e: [&[T]; 4] = std::array::from_fn(|i| &rows[0][i * hw..][..hw]);
                            let o: [&[T]; 4] = std::array::from_fn(|i| &rows[1][i * hw..][..hw]);
                            // A last, short chunk: as `input_tiles`, lanes past the rows' end
                            // zero. Bᵀ d at the tiles' four columns (even q, odd q, even q+1,
                            // odd q+1): rows d0 − d2, d1 + d2, d2 − d1, d1 − d3.
                            for i in 0..4 {
                                let (x0, x1, x2, x3) = (
                                    bt_row(&e, i, q, n),
                                    bt_row(&o, i, q, n),
                                    bt_row(&e, i, q + 1, n),
                                    bt_row(&o, i, q + 1, n),
                                );
                                // (Bᵀ d) B: columns x0 − x2, x1 + x2, x2 − x1, x1 − x3.
                                let cols = [sub(x0, x2), add(x1, x2), sub(x2, x1), sub(x1, x3)];
                                for (j, col) in cols.iter().enumerate() {
                                    store(&mut v[(4 * i + j) * vs + base..], col, n);
                                }
                            }
                        }
                    }
                }
            },
        )
    }

    /// The outputs of the tiles `t0 .. t1` from their products `m` (`M_ξ[o, t − t0]`, `[16,
    /// rows, block]`): `Aᵀ M A`, plus the bias, into `y` `[outs, oH, oW]`; a tile's row or
    /// column past the output's edge is dropped. [`L`] tiles at a time: those inside one row
    /// of whole tiles as two rows of `2L` outputs, any other one by one.
    fn transform_output(
        &self,
        m: &[T],
        (t0, t1): (usize, usize),
        bias: Option<&[T]>,
        y: &mut [MaybeUninit<T>],
    ) {
        let ([oh, ow], tw, block) = (self.out, self.tiles[1], self.block);
        let ms = self.stride(self.u[0].padded_rows());
        math::simd(
            #[inline(always)]
            || {
                for (o, yo) in y.chunks_exact_mut(oh * ow).enumerate() {
                    let b = [bias.map_or(T::zero(), |b| b[o]); L];
                    // The block's tiles, L at a time (the block is a whole number of L).
                    for t in (0..t1 - t0).step_by(L) {
                        let mut mo = [[T::zero(); L]; 16];
                        for (xi, mx) in mo.iter_mut().enumerate() {
                            *mx = lanes(m, xi * ms + o * block + t);
                        }
                        // Aᵀ M: rows m0 + m1 + m2 and m1 − m2 − m3 (each of 4 columns);
                        // then · A: the same on the columns.
                        let (mut s0, mut s1) = ([[T::zero(); L]; 4], [[T::zero(); L]; 4]);
                        for j in 0..4 {
                            s0[j] = add(add(mo[j], mo[4 + j]), mo[8 + j]);
                            s1[j] = sub(sub(mo[4 + j], mo[8 + j]), mo[12 + j]);
                        }
                        // The tiles' top-left, top-right, bottom-left, bottom-right outputs.
                        let ys = [
                            add(add(add(s0[0], s0[1]), s0[2]), b),
                            add(sub(sub(s0[1], s0[2]), s0[3]), b),
                            add(add(add(s1[0], s1[1]), s1[2]), b),
                            add(sub(sub(s1[1], s1[2]), s1[3]), b),
                        ];
                        let (ty, tx) = ((t0 + t) / tw, (t0 + t) % tw);
                        let whole = tx + L <= tw && 2 * (tx + L) <= ow && 2 * ty + 1 < oh;
                        if whole && t + L <= t1 - t0 {
                            let at = 2 * ty * ow + 2 * tx;
                            zip_lanes(&ys[0], &ys[1], &mut yo[at..]);
                            zip_lanes(&ys[2], &ys[3], &mut yo[at + ow..]);
                            continue;
                        }
                        for k in 0..L.min(t1 - t0 - t) {
                            let (ty, tx) = ((t0 + t + k) / tw, (t0 + t + k) % tw);
                            for (yk, (r, c)) in ys.iter().zip([(0, 0), (0, 1), (1, 0), (1, 1)]) {
                                let (row, col) = (2 * ty + r, 2 * tx + c);
                                if row < oh && col < ow {
                                    yo[row * ow + col].write(yk[k]);
                                }
                            }
                        }
                    }
                }
            },
        )
    }
}

/// Elements of a cache line, at most: the planes of `V` and `M` start on one (their rows,
/// whole numbers of [`L`] lanes, then fill whole lines and their vector stores split none).
const LINE: usize = 64;

/// The first index of `buf` on a 64-byte boundary (within [`LINE`] elements).
fn line_start<T>(buf: &[T]) -> usize {
    let size = std::mem::size_of::<T>().max(1);
    ((buf.as_ptr() as usize).wrapping_neg() % 64) / size
}

/// Tiles per block of the weight gradient: its products run over `k` = this many tiles, each
/// block's sum added to the blocks' before it.
const GRAD_BLOCK: usize = 64;

/// The most groups of samples the weight gradient sums apart (in parallel), each in a partial
/// `16·O·C` of its own: memory for that many partials, work for that many threads.
const GRAD_GROUPS: usize = 16;

/// Entries of the weight gradient's partial sums added by one task.
const SUM_RUN: usize = 4096;

/// Elements between one plane of `V` or `M` and the next, past its end.
const SKEW: usize = 16;

/// Tiles transformed at a time: 16 lanes (one AVX-512 vector of `f32`).
const L: usize = 16;

/// The greatest common divisor of `a` and `b`.
fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// The even and the odd entries of `row` from `2q` on, `L` of each (zero past its end).
#[inline(always)]
fn halves<T: Element>(row: &[T], q: usize) -> ([T; L], [T; L]) {
    if 2 * (q + L) <= row.len() {
        return unzip(&row[2 * q..2 * (q + L)]);
    }
    let (mut e, mut o) = ([T::zero(); L], [T::zero(); L]);
    for (k, &v) in row.iter().skip(2 * q).enumerate() {
        if k % 2 == 0 {
            e[k / 2] = v;
        } else {
            o[k / 2] = v;
        }
    }
    (e, o)
}

/// The even and the odd entries of `2L` values. (Copied to a local array first: the compiler
/// turns that into vector shuffles, not 32 scalar loads.)
#[inline(always)]
fn unzip<T: Element>(pairs: &[T]) -> ([T; L], [T; L]) {
    let pairs: [T; 2 * L] = pairs.try_into().expect("2L values");
    let (mut e, mut o) = ([T::zero(); L], [T::zero(); L]);
    for k in 0..L {
        e[k] = pairs[2 * k];
        o[k] = pairs[2 * k + 1];
    }
    (e, o)
}

/// Asks for the cache lines of `s` (a hint; no effect off x86-64).
#[inline(always)]
fn prefetch<T>(s: &[T]) {
    #[cfg(not(target_arch = "x86_64"))]
    let _ = s;
    #[cfg(target_arch = "x86_64")]
    for line in (0..std::mem::size_of_val(s)).step_by(64) {
        // SAFETY: a prefetch reads nothing; the address is inside `s`.
        unsafe {
            let at = (s.as_ptr() as *const i8).add(line);
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(at);
        }
    }
}

/// `s[at .. at + L]`.
#[inline(always)]
fn lanes<T: Copy>(s: &[T], at: usize) -> [T; L] {
    s[at..at + L].try_into().expect("L lanes")
}

/// `dst[2k] = left[k]`, `dst[2k + 1] = right[k]` for the [`L`] lanes: a row of whole tiles'
/// outputs. (Interleaved in a local array, then stored: the compiler turns that into vector
/// shuffles, not the 32 scalar stores of interleaving into `dst`.)
#[inline(always)]
fn zip_lanes<T: Element>(left: &[T; L], right: &[T; L], dst: &mut [MaybeUninit<T>]) {
    let mut out = [T::zero(); 2 * L];
    for k in 0..L {
        out[2 * k] = left[k];
        out[2 * k + 1] = right[k];
    }
    for (d, v) in dst[..2 * L].iter_mut().zip(out) {
        d.write(v);
    }
}

/// `V_ξ` of [`L`] whole tiles side by side, from column pair `q` of the four padded rows under
/// them (`rows`: their even columns, then their odd ones, each from the first of the four rows,
/// rows `hw` apart), into `v` at `base` of each plane (`vs` apart): Bᵀ d down each of the
/// tiles' four columns (even `q`, odd `q`, even `q+1`, odd `q+1`; rows d0 − d2, d1 + d2,
/// d2 − d1, d1 − d3), then along each row (columns x0 − x2, x1 + x2, x2 − x1, x1 − x3).
/// Sixteen loads, sixteen stores, no branch: the 16 column values stay in registers.
#[inline(always)]
fn input_tiles<T: Element>(
    [e, o]: [&[T]; 2],
    hw: usize,
    q: usize,
    v: &mut [T],
    [vs, base]: [usize; 2],
) {
    // (A function, not a closure: a closure is not always inlined into `math::simd`'s.)
    #[inline(always)]
    fn down<T: Element>(d: &[T], hw: usize, at: usize) -> [[T; L]; 4] {
        let (d0, d1, d2, d3) = (
            lanes(d, at),
            lanes(d, hw + at),
            lanes(d, 2 * hw + at),
            lanes(d, 3 * hw + at),
        );
        [sub(d0, d2), add(d1, d2), sub(d2, d1), sub(d1, d3)]
    }
    let (x0, x1) = (down(e, hw, q), down(o, hw, q));
    let (x2, x3) = (down(e, hw, q + 1), down(o, hw, q + 1));
    for i in 0..4 {
        let cols = [
            sub(x0[i], x2[i]),
            add(x1[i], x2[i]),
            sub(x2[i], x1[i]),
            sub(x1[i], x3[i]),
        ];
        for (j, col) in cols.iter().enumerate() {
            v[(4 * i + j) * vs + base..][..L].copy_from_slice(col);
        }
    }
}

/// Row `i` of Bᵀ d for `n` lanes from `q` of the four rows `d` (d0 − d2, d1 + d2, d2 − d1,
/// d1 − d3), the lanes past the rows' end zero.
#[inline(always)]
fn bt_row<T: Element>(d: &[&[T]; 4], i: usize, q: usize, n: usize) -> [T; L] {
    let ld = |r: usize| {
        if q + L <= d[r].len() {
            lanes(d[r], q)
        } else {
            let mut v = [T::zero(); L];
            let s = &d[r][q..(q + n).min(d[r].len())];
            v[..s.len()].copy_from_slice(s);
            v
        }
    };
    match i {
        0 => sub(ld(0), ld(2)),
        1 => add(ld(1), ld(2)),
        2 => sub(ld(2), ld(1)),
        _ => sub(ld(1), ld(3)),
    }
}

/// The first `n` of `lanes` into `dst` (all `L` as one vector store when `n = L`).
#[inline(always)]
fn store<T: Copy>(dst: &mut [T], lanes: &[T; L], n: usize) {
    if n == L {
        dst[..L].copy_from_slice(lanes);
    } else {
        for (d, &l) in dst[..n].iter_mut().zip(lanes) {
            *d = l;
        }
    }
}

#[inline(always)]
fn add<T: Element>(a: [T; L], b: [T; L]) -> [T; L] {
    let mut r = a;
    for (r, b) in r.iter_mut().zip(b) {
        *r += b;
    }
    r
}

#[inline(always)]
fn sub<T: Element>(a: [T; L], b: [T; L]) -> [T; L] {
    let mut r = a;
    for (r, b) in r.iter_mut().zip(b) {
        *r -= b;
    }
    r
}

/// A task's buffers: the padded planes, a block's `V` and its products `M`.
struct Scratch<T> {
    planes: Vec<T>,
    v: Vec<T>,
    m: Vec<T>,
}

impl<T> Default for Scratch<T> {
    fn default() -> Self {
        Scratch {
            planes: Vec::new(),
            v: Vec::new(),
            m: Vec::new(),
        }
    }
}

/// `U[ξ, o, c] = (G g_oc Gᵀ)_ξ` for the 3×3 weights `g_oc` of `w` (`[outs, channels, 3, 3]`).
fn transform_weight<T: Element>(w: &[T], outs: usize, channels: usize) -> Vec<T> {
    let half = T::from_f64(0.5);
    // G applied to three values: a, (a + b + c)/2, (a − b + c)/2, c.
    let g = |a: T, b: T, c: T| [a, (a + b + c) * half, (a - b + c) * half, c];
    let mut u = vec![T::zero(); 16 * outs * channels];
    for (oc, k) in w.chunks_exact(9).enumerate() {
        // G g: the columns of g transformed (4 × 3), then (G g) Gᵀ: its rows (4 × 4).
        let cols: [[T; 4]; 3] = std::array::from_fn(|j| g(k[j], k[3 + j], k[6 + j]));
        for i in 0..4 {
            for (j, val) in g(cols[0][i], cols[1][i], cols[2][i])
                .into_iter()
                .enumerate()
            {
                u[(4 * i + j) * outs * channels + oc] = val;
            }
        }
    }
    u
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The convolution by its definition, in `f64`: `y[o, r, q] = b[o] + Σ_c Σ_ij w[o, c, i, j]
    /// · x[c, r + i − pH, q + j − pW]`; and `Σ |terms|` for each output, the scale of its error.
    fn direct(
        x: &[f64],
        w: &[f64],
        b: &[f64],
        [c, o]: [usize; 2],
        [h, wd]: [usize; 2],
        [ph, pw]: [usize; 2],
    ) -> (Vec<f64>, Vec<f64>) {
        let (oh, ow) = (h + 2 * ph - 2, wd + 2 * pw - 2);
        let n = x.len() / (c * h * wd);
        let (mut y, mut scale) = (vec![0.0; n * o * oh * ow], vec![0.0; n * o * oh * ow]);
        for s in 0..n {
            for oc in 0..o {
                for r in 0..oh {
                    for q in 0..ow {
                        let (mut acc, mut abs) = (b[oc], b[oc].abs());
                        for ch in 0..c {
                            for i in 0..3 {
                                for j in 0..3 {
                                    let (xr, xq) = (
                                        (r + i) as isize - ph as isize,
                                        (q + j) as isize - pw as isize,
                                    );
                                    if xr < 0 || xq < 0 || xr >= h as isize || xq >= wd as isize {
                                        continue;
                                    }
                                    let xv = x[((s * c + ch) * h + xr as usize) * wd + xq as usize];
                                    let t = w[((oc * c + ch) * 3 + i) * 3 + j] * xv;
                                    acc += t;
                                    abs += t.abs();
                                }
                            }
                        }
                        let at = ((s * o + oc) * oh + r) * ow + q;
                        y[at] = acc;
                        scale[at] = abs;
                    }
                }
            }
        }
        (y, scale)
    }

    fn values(len: usize, seed: usize) -> Vec<f64> {
        (0..len)
            .map(|i| (((i + seed) * 7919 + seed * 31) % 1009) as f64 / 504.5 - 1.0)
            .collect()
    }

    /// Winograd's outputs against the definition, for `f32` and `f64`, on odd and even sizes,
    /// paddings 0, 1 and 2, channel counts that are not whole tiles, and blocks that end
    /// inside a row of tiles: within a few units of rounding of `Σ |terms|`.
    fn case<T: Element>(
        n: usize,
        [c, o]: [usize; 2],
        input: [usize; 2],
        padding: [usize; 2],
        tol: f64,
    ) {
        let (x, w, b) = (
            values(n * c * input[0] * input[1], 1),
            values(o * c * 9, 2),
            values(o, 3),
        );
        let cast = |v: &[f64]| v.iter().map(|&e| T::from_f64(e)).collect::<Vec<T>>();
        let Some(mut wino) = Winograd::new(&cast(&w), o, c, input, padding) else {
            return; // this CPU has no in-place products (portable path)
        };
        let (want, scale) = direct(&x, &w, &b, [c, o], input, padding);
        let nr = wino.u[0].nr();
        let unit = L * nr / gcd(L, nr);
        for block in [wino.block, unit] {
            wino.set_block(block);
            let got = wino.run_batch(&cast(&x), Some(&cast(&b)), n);
            assert_eq!(got.len(), want.len());
            for (i, ((g, w), s)) in got.iter().zip(&want).zip(&scale).enumerate() {
                let err = (g.as_f64() - w).abs();
                assert!(
                    err <= tol * s,
                    "output {i}: {} against {w} (scale {s})",
                    g.as_f64()
                );
            }
        }
    }

    #[test]
    fn matches_the_definition() {
        // The error of F(2×2, 3×3) is a few roundings of Σ |terms| (the transforms add at
        // most four terms twice on each side).
        for (n, co, input, padding) in [
            (2, [32, 40], [7, 9], [1, 1]),
            (1, [33, 32], [6, 5], [0, 0]),
            (3, [32, 35], [5, 8], [2, 1]),
            (1, [40, 32], [12, 12], [1, 2]),
            (1, [32, 32], [5, 40], [1, 1]),
        ] {
            case::<f32>(n, co, input, padding, 3e-6);
            case::<f64>(n, co, input, padding, 1e-14);
        }
    }

    /// Too few channels, or a padding past 2: not taken.
    #[test]
    fn declines_small_products() {
        let w = vec![0.0f32; 31 * 64 * 9];
        assert!(Winograd::new(&w, 64, 31, [8, 8], [1, 1]).is_none());
        assert!(Winograd::new(&w, 31, 64, [8, 8], [1, 1]).is_none());
        let w = vec![0.0f32; 32 * 32 * 9];
        assert!(Winograd::new(&w, 32, 32, [8, 8], [3, 1]).is_none());
    }
}
