//! Loss landscapes: a shaded contour map of f(x, y) with optimiser paths drawn over it.

use crate::output::{render, Figure};
use crate::style::{chart_frame, color, draw_axes, draw_legend, draw_line};
use crate::{PlotError, Series};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Options of [`contour_with_paths_with`].
#[derive(Debug, Clone)]
pub struct ContourOptions {
    /// Label of the horizontal axis (default `θ1`).
    pub x_label: String,
    /// Label of the vertical axis (default `θ2`).
    pub y_label: String,
    /// Number of contour lines (default 14).
    pub levels: usize,
    /// Grid cells per axis used to evaluate `f` (default 160).
    pub resolution: usize,
    /// Image size in pixels (default 800 x 640).
    pub size: (u32, u32),
    /// Legend corner (default upper right).
    pub legend: crate::Legend,
}

impl Default for ContourOptions {
    fn default() -> Self {
        ContourOptions {
            x_label: "θ1".into(),
            y_label: "θ2".into(),
            levels: 14,
            resolution: 160,
            size: (800, 640),
            legend: crate::Legend::UpperRight,
        }
    }
}

impl ContourOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets both axis labels.
    pub fn labels(mut self, x: &str, y: &str) -> Self {
        self.x_label = x.into();
        self.y_label = y.into();
        self
    }
    /// Sets the number of contour lines.
    pub fn levels(mut self, n: usize) -> Self {
        self.levels = n;
        self
    }
    /// Sets the image size in pixels.
    pub fn size(mut self, w: u32, h: u32) -> Self {
        self.size = (w, h);
        self
    }
    /// Sets the legend corner.
    pub fn legend(mut self, corner: crate::Legend) -> Self {
        self.legend = corner;
        self
    }
}

struct Contour<'a> {
    title: &'a str,
    opts: &'a ContourOptions,
    x_range: (f64, f64),
    y_range: (f64, f64),
    xs: Vec<f64>,
    ys: Vec<f64>,
    /// values[j][i] = f(xs[i], ys[j])
    values: Vec<Vec<f64>>,
    /// sorted finite values, for rank-based shading
    sorted: Vec<f64>,
    levels: Vec<f64>,
    paths: Vec<(String, Vec<(f64, f64)>)>,
}

/// A pale viridis-like colour for `t` in [0, 1] (low = yellow-green, high = blue-purple).
fn shade(t: f64) -> RGBColor {
    const STOPS: [(f64, f64, f64); 5] = [
        (253.0, 231.0, 37.0),
        (94.0, 201.0, 98.0),
        (33.0, 145.0, 140.0),
        (59.0, 82.0, 139.0),
        (68.0, 1.0, 84.0),
    ];
    let t = t.clamp(0.0, 1.0) * (STOPS.len() - 1) as f64;
    let i = (t.floor() as usize).min(STOPS.len() - 2);
    let u = t - i as f64;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let mix = |p: f64, q: f64| p + (q - p) * u;
    // Lighten 60% towards white so contour lines and paths stand out.
    let light = |c: f64| (c + (255.0 - c) * 0.6).round() as u8;
    RGBColor(
        light(mix(a.0, b.0)),
        light(mix(a.1, b.1)),
        light(mix(a.2, b.2)),
    )
}

/// Segments of the level-`level` line in the cell with corners (x0,y0)-(x1,y1) and values
/// v00 = f(x0,y0), v10 = f(x1,y0), v11 = f(x1,y1), v01 = f(x0,y1) (marching squares).
#[allow(clippy::too_many_arguments)]
fn cell_segments(
    (x0, y0, x1, y1): (f64, f64, f64, f64),
    v00: f64,
    v10: f64,
    v11: f64,
    v01: f64,
    level: f64,
    out: &mut Vec<[(f64, f64); 2]>,
) {
    let corners = [(x0, y0, v00), (x1, y0, v10), (x1, y1, v11), (x0, y1, v01)];
    let mut hits: Vec<(f64, f64)> = Vec::with_capacity(4);
    for k in 0..4 {
        let (xa, ya, va) = corners[k];
        let (xb, yb, vb) = corners[(k + 1) % 4];
        if (va >= level) != (vb >= level) && va.is_finite() && vb.is_finite() {
            let t = (level - va) / (vb - va);
            hits.push((xa + t * (xb - xa), ya + t * (yb - ya)));
        }
    }
    for pair in hits.chunks_exact(2) {
        out.push([pair[0], pair[1]]);
    }
}

impl Figure for Contour<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let x = self.x_range.0..self.x_range.1;
        let mut chart = chart_frame(root, self.title, 24, 60, x, self.y_range.0..self.y_range.1)?;
        draw_axes(&mut chart, &self.opts.x_label, &self.opts.y_label, false)?;

        // Heat map: each grid cell shaded by the rank of its centre value.
        let n = self.sorted.len().max(1) as f64;
        let (nx, ny) = (self.xs.len() - 1, self.ys.len() - 1);
        let mut cells = Vec::with_capacity(nx * ny);
        for j in 0..ny {
            for i in 0..nx {
                let v = 0.25
                    * (self.values[j][i]
                        + self.values[j][i + 1]
                        + self.values[j + 1][i]
                        + self.values[j + 1][i + 1]);
                let t = if v.is_finite() {
                    self.sorted.partition_point(|&s| s < v) as f64 / n
                } else {
                    1.0
                };
                cells.push(Rectangle::new(
                    [(self.xs[i], self.ys[j]), (self.xs[i + 1], self.ys[j + 1])],
                    shade(t).filled(),
                ));
            }
        }
        chart.draw_series(cells).map_err(|e| e.to_string())?;

        // Level lines.
        let mut segs = Vec::new();
        for &level in &self.levels {
            for j in 0..ny {
                for i in 0..nx {
                    cell_segments(
                        (self.xs[i], self.ys[j], self.xs[i + 1], self.ys[j + 1]),
                        self.values[j][i],
                        self.values[j][i + 1],
                        self.values[j + 1][i + 1],
                        self.values[j + 1][i],
                        level,
                        &mut segs,
                    );
                }
            }
        }
        let line = RGBColor(60, 60, 60).stroke_width(1);
        chart
            .draw_series(segs.into_iter().map(|s| PathElement::new(s.to_vec(), line)))
            .map_err(|e| e.to_string())?;

        // Paths: a line through the iterates, a dot at each, a larger dot at the end.
        for (k, (name, pts)) in self.paths.iter().enumerate() {
            let col = color(k);
            let inside: Vec<(f64, f64)> = pts
                .iter()
                .copied()
                .filter(|&(x, y)| {
                    x >= self.x_range.0
                        && x <= self.x_range.1
                        && y >= self.y_range.0
                        && y <= self.y_range.1
                })
                .collect();
            draw_line(&mut chart, name, &inside, col)?;
            chart
                .draw_series(inside.iter().map(|&p| Circle::new(p, 2, col.filled())))
                .map_err(|e| e.to_string())?;
            if let Some(&last) = inside.last() {
                chart
                    .draw_series(std::iter::once(Circle::new(last, 6, col.filled())))
                    .map_err(|e| e.to_string())?;
                chart
                    .draw_series(std::iter::once(Circle::new(last, 6, BLACK.stroke_width(1))))
                    .map_err(|e| e.to_string())?;
            }
        }
        if !self.paths.is_empty() {
            draw_legend(&mut chart, self.opts.legend.position())?;
        }
        Ok(())
    }
}

/// Draws a shaded contour map of `f` over `x_range` × `y_range` with each of `paths` (e.g. the
/// iterates of an optimiser) drawn as a line with dots, ending in a large dot; PNG or SVG by
/// extension. Axis labels `θ1`/`θ2`; see [`contour_with_paths_with`] for options.
///
/// ```
/// use tapegrad_plot::{contour_with_paths, Series};
/// let path = std::env::temp_dir().join(format!("doc_contour_{}.svg", std::process::id()));
/// let gd = Series::new("GD", vec![(2.0, 1.5), (1.0, 0.9), (0.5, 0.5), (0.1, 0.1)]);
/// contour_with_paths(&path, "x² + 4y²", |x, y| x * x + 4.0 * y * y, (-2.5, 2.5), (-2.0, 2.0), &[gd]).unwrap();
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn contour_with_paths(
    path: &Path,
    title: &str,
    f: impl Fn(f64, f64) -> f64,
    x_range: (f64, f64),
    y_range: (f64, f64),
    paths: &[Series],
) -> Result<(), PlotError> {
    contour_with_paths_with(
        path,
        title,
        f,
        x_range,
        y_range,
        paths,
        &ContourOptions::default(),
    )
}

/// [`contour_with_paths`] with options (axis labels, number of levels, size).
pub fn contour_with_paths_with(
    path: &Path,
    title: &str,
    f: impl Fn(f64, f64) -> f64,
    x_range: (f64, f64),
    y_range: (f64, f64),
    paths: &[Series],
    opts: &ContourOptions,
) -> Result<(), PlotError> {
    crate::output::format_of(path)?;
    let fig = build(title, &f, x_range, y_range, paths, opts)?;
    render(path, opts.size, &fig)
}

/// One panel of [`contour_panels`]: a function, its ranges, the paths over it.
pub struct ContourPanel<'a> {
    /// The panel's title.
    pub title: String,
    /// The function to contour.
    pub f: &'a dyn Fn(f64, f64) -> f64,
    /// Horizontal range.
    pub x_range: (f64, f64),
    /// Vertical range.
    pub y_range: (f64, f64),
    /// Paths drawn over the contours.
    pub paths: Vec<Series>,
}

struct Panels<'a>(Vec<Contour<'a>>);

impl Figure for Panels<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let areas = root.split_evenly((1, self.0.len()));
        for (fig, area) in self.0.iter().zip(&areas) {
            fig.draw(area)?;
        }
        Ok(())
    }
}

/// Several contour maps side by side in one image (e.g. the same loss with unscaled and with
/// standardised inputs); `opts.size` is the size of the whole image.
///
/// ```
/// use tapegrad_plot::{contour_panels, ContourOptions, ContourPanel, Series};
/// let path = std::env::temp_dir().join(format!("doc_panels_{}.svg", std::process::id()));
/// let narrow = |x: f64, y: f64| x * x + 25.0 * y * y;
/// let round = |x: f64, y: f64| x * x + y * y;
/// let panels = [
///     ContourPanel { title: "narrow".into(), f: &narrow, x_range: (-2.0, 2.0), y_range: (-2.0, 2.0), paths: vec![] },
///     ContourPanel { title: "round".into(), f: &round, x_range: (-2.0, 2.0), y_range: (-2.0, 2.0), paths: vec![] },
/// ];
/// contour_panels(&path, &panels, &ContourOptions::new().size(1000, 500)).unwrap();
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn contour_panels(
    path: &Path,
    panels: &[ContourPanel<'_>],
    opts: &ContourOptions,
) -> Result<(), PlotError> {
    crate::output::format_of(path)?;
    if panels.is_empty() {
        return Err(PlotError::InvalidData {
            what: "contour panels".into(),
            reason: "no panels given".into(),
        });
    }
    let figs = panels
        .iter()
        .map(|p| build(&p.title, p.f, p.x_range, p.y_range, &p.paths, opts))
        .collect::<Result<Vec<_>, _>>()?;
    render(path, opts.size, &Panels(figs))
}

/// Evaluates `f` on the grid and chooses the levels.
fn build<'a>(
    title: &'a str,
    f: &dyn Fn(f64, f64) -> f64,
    x_range: (f64, f64),
    y_range: (f64, f64),
    paths: &[Series],
    opts: &'a ContourOptions,
) -> Result<Contour<'a>, PlotError> {
    let ok = |r: (f64, f64)| r.0.is_finite() && r.1.is_finite() && r.0 < r.1;
    if !ok(x_range) || !ok(y_range) {
        return Err(PlotError::InvalidData {
            what: title.to_string(),
            reason: format!("empty or non-finite range x {x_range:?}, y {y_range:?}"),
        });
    }
    let res = opts.resolution.max(2);
    let grid = |(lo, hi): (f64, f64)| -> Vec<f64> {
        (0..=res)
            .map(|k| lo + (hi - lo) * k as f64 / res as f64)
            .collect()
    };
    let xs = grid(x_range);
    let ys = grid(y_range);
    let values: Vec<Vec<f64>> = ys
        .iter()
        .map(|&y| xs.iter().map(|&x| f(x, y)).collect())
        .collect();
    let mut sorted: Vec<f64> = values
        .iter()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    if sorted.is_empty() {
        return Err(PlotError::InvalidData {
            what: title.to_string(),
            reason: "f is not finite anywhere on the grid".into(),
        });
    }
    sorted.sort_by(|a, b| a.total_cmp(b));
    // Levels at quantiles spaced quadratically, so there are more lines near the minimum.
    let nl = opts.levels.max(1);
    let mut levels: Vec<f64> = (1..=nl)
        .map(|k| {
            let q = (k as f64 / (nl + 1) as f64).powi(2);
            sorted[((sorted.len() - 1) as f64 * q).round() as usize]
        })
        .collect();
    levels.dedup();
    Ok(Contour {
        title,
        opts,
        x_range,
        y_range,
        xs,
        ys,
        values,
        sorted,
        levels,
        paths: paths
            .iter()
            .map(|s| (s.name.clone(), crate::style::drawable(s, false)))
            .collect(),
    })
}
