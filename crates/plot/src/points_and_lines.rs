//! A scatter of raw points with smoothed lines over it (the EMA figure).

use crate::output::{render, Figure};
use crate::style::{bounds, chart_frame, color, draw_axes, draw_legend, draw_line, drawable};
use crate::{ChartOptions, PlotError, Series};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

struct PointsAndLines<'a> {
    title: &'a str,
    x_label: &'a str,
    y_label: &'a str,
    points: Vec<(String, Vec<(f64, f64)>)>,
    lines: Vec<(String, Vec<(f64, f64)>)>,
    x_range: (f64, f64),
    y_range: (f64, f64),
    legend: crate::Legend,
}

impl Figure for PointsAndLines<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let x = self.x_range.0..self.x_range.1;
        let mut chart = chart_frame(root, self.title, 26, 65, x, self.y_range.0..self.y_range.1)?;
        draw_axes(&mut chart, self.x_label, self.y_label, true)?;
        let mut k = 0;
        for (name, pts) in &self.points {
            let col = color(k);
            k += 1;
            chart
                .draw_series(pts.iter().map(|&p| Circle::new(p, 4, col.filled())))
                .map_err(|e| e.to_string())?
                .label(name.as_str())
                .legend(move |(x, y)| Circle::new((x + 10, y), 4, col.filled()));
        }
        for (name, pts) in &self.lines {
            let col = color(k);
            k += 1;
            draw_line(&mut chart, name, pts, col)?;
        }
        draw_legend(&mut chart, self.legend.position())?;
        Ok(())
    }
}

/// Draws `points` as dots and `lines` as lines on one linear chart (PNG or SVG by extension):
/// the figure of an exponentially weighted average over noisy data.
///
/// ```
/// use tapegrad_plot::{points_and_lines, Series};
/// let path = std::env::temp_dir().join(format!("doc_points_{}.svg", std::process::id()));
/// let raw = Series::new("raw", vec![(0.0, 3.0), (1.0, 5.0), (2.0, 4.0)]);
/// let ema = Series::new("EMA", vec![(0.0, 3.0), (1.0, 3.2), (2.0, 3.28)]);
/// points_and_lines(&path, "EMA", "t", "value", &[raw], &[ema]).unwrap();
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn points_and_lines(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    points: &[Series],
    lines: &[Series],
) -> Result<(), PlotError> {
    points_and_lines_with(
        path,
        title,
        x_label,
        y_label,
        points,
        lines,
        &ChartOptions::default(),
    )
}

/// [`points_and_lines`] with options (size and a fixed y range; `log_y` is not supported here and
/// is ignored).
pub fn points_and_lines_with(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    points: &[Series],
    lines: &[Series],
    opts: &ChartOptions,
) -> Result<(), PlotError> {
    let keep = |v: &[Series]| -> Vec<(String, Vec<(f64, f64)>)> {
        v.iter()
            .map(|s| (s.name.clone(), drawable(s, false)))
            .collect()
    };
    let points = keep(points);
    let lines = keep(lines);
    let slices: Vec<&[(f64, f64)]> = points
        .iter()
        .chain(lines.iter())
        .map(|(_, p)| p.as_slice())
        .collect();
    let (x_range, mut y_range) = bounds(title, &slices, false)?;
    // Head room above the data for the legend.
    y_range.1 += 0.2 * (y_range.1 - y_range.0);
    if let Some(r) = opts.y_range {
        y_range = r;
    }
    let fig = PointsAndLines {
        title,
        x_label,
        y_label,
        points,
        lines,
        x_range,
        y_range,
        legend: opts.legend,
    };
    render(path, opts.size, &fig)
}
