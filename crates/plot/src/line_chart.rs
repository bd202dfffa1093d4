//! Line charts: loss against epoch, several series, optional log-scale y axis.

use crate::output::{render, Figure};
use crate::style::{
    bounds, chart_frame, color, draw_axes, draw_legend, draw_line, drawable, Axis, Chart,
};
use crate::{ChartOptions, PlotError, Series};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

struct LineChart<'a> {
    title: &'a str,
    x_label: &'a str,
    y_label: &'a str,
    series: Vec<(String, Vec<(f64, f64)>)>,
    x_range: (f64, f64),
    y_range: (f64, f64),
    log_y: bool,
    legend: crate::Legend,
}

impl Figure for LineChart<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let x = self.x_range.0..self.x_range.1;
        let y = self.y_range.0..self.y_range.1;
        if self.log_y {
            draw_lines(
                self,
                chart_frame(root, self.title, 26, 75, x, y.log_scale())?,
            )
        } else {
            draw_lines(self, chart_frame(root, self.title, 26, 75, x, y)?)
        }
    }
}

/// Draws the axes, the lines and the legend on `chart` (a linear or a log y axis).
fn draw_lines<'a, DB: DrawingBackend + 'a, X: Axis, Y: Axis>(
    c: &LineChart<'_>,
    mut chart: Chart<'a, DB, X, Y>,
) -> Result<(), String> {
    draw_axes(&mut chart, c.x_label, c.y_label, true)?;
    for (i, (name, pts)) in c.series.iter().enumerate() {
        draw_line(&mut chart, name, pts, color(i))?;
    }
    if c.series.iter().any(|(n, _)| !n.is_empty()) {
        draw_legend(&mut chart, c.legend.position())?;
    }
    Ok(())
}

/// Draws `series` as lines against a linear x axis and writes a PNG or SVG (chosen by `path`'s
/// extension). Non-finite points are skipped. Same as [`line_chart_with`] with default options.
///
/// ```
/// use tapegrad_plot::{line_chart, Series};
/// let dir = std::env::temp_dir();
/// let path = dir.join(format!("doc_line_chart_{}.svg", std::process::id()));
/// let loss = Series::new("loss", (0..10).map(|i| (i as f64, 1.0 / (1.0 + i as f64))).collect());
/// line_chart(&path, "Loss", "epoch", "loss", &[loss]).unwrap();
/// assert!(std::fs::read_to_string(&path).unwrap().contains("<svg"));
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn line_chart(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
) -> Result<(), PlotError> {
    line_chart_with(
        path,
        title,
        x_label,
        y_label,
        series,
        &ChartOptions::default(),
    )
}

/// [`line_chart`] with options: a log-scale y axis (non-positive points are skipped), a fixed y
/// range (points outside it are skipped, so a diverging series stops at the frame), the size.
///
/// ```
/// use tapegrad_plot::{line_chart_with, ChartOptions, Series};
/// let path = std::env::temp_dir().join(format!("doc_line_log_{}.svg", std::process::id()));
/// let s = Series::new("lr = 0.1", (0..20).map(|i| (i as f64, 0.5f64.powi(i))).collect());
/// line_chart_with(&path, "Log loss", "update", "loss", &[s], &ChartOptions::new().log_y(true)).unwrap();
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn line_chart_with(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    opts: &ChartOptions,
) -> Result<(), PlotError> {
    let mut kept: Vec<(String, Vec<(f64, f64)>)> = series
        .iter()
        .map(|s| (s.name.clone(), drawable(s, opts.log_y)))
        .collect();
    if let Some((lo, hi)) = opts.y_range {
        for (_, pts) in kept.iter_mut() {
            pts.retain(|&(_, y)| y >= lo && y <= hi);
        }
    }
    let slices: Vec<&[(f64, f64)]> = kept.iter().map(|(_, p)| p.as_slice()).collect();
    let (x_range, mut y_range) = bounds(title, &slices, opts.log_y)?;
    if let Some(r) = opts.y_range {
        y_range = r;
    }
    let fig = LineChart {
        title,
        x_label,
        y_label,
        series: kept,
        x_range,
        y_range,
        log_y: opts.log_y,
        legend: opts.legend,
    };
    render(path, opts.size, &fig)
}
