//! Colours, range helpers and the drawing steps shared by the charts: the frame (caption,
//! label areas), the axes, a labelled line and the legend.

use crate::{PlotError, Series};
use plotters::chart::{ChartBuilder, ChartContext, SeriesLabelPosition};
use plotters::coord::cartesian::Cartesian2d;
use plotters::coord::ranged1d::{AsRangedCoord, Ranged, ValueFormatter};
use plotters::coord::{CoordTranslate, Shift};
use plotters::drawing::DrawingArea;
use plotters::element::PathElement;
use plotters::prelude::{DrawingBackend, BLACK, WHITE};
use plotters::series::LineSeries;
use plotters::style::{Color, RGBColor};

/// Ten distinguishable colours (the "tableau 10" palette matplotlib uses by default).
pub(crate) const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The colour of the `i`-th series.
pub(crate) fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// A closed interval (lo, hi).
pub(crate) type Range = (f64, f64);

/// Points of `s` that can be drawn: finite, and positive when `log_y`.
pub(crate) fn drawable(s: &Series, log_y: bool) -> Vec<(f64, f64)> {
    s.points
        .iter()
        .copied()
        .filter(|&(x, y)| x.is_finite() && y.is_finite() && (!log_y || y > 0.0))
        .collect()
}

/// The bounding box of all drawable points, padded a little; an error when there is none.
pub(crate) fn bounds(
    what: &str,
    series: &[&[(f64, f64)]],
    log_y: bool,
) -> Result<(Range, Range), PlotError> {
    let mut x = (f64::INFINITY, f64::NEG_INFINITY);
    let mut y = (f64::INFINITY, f64::NEG_INFINITY);
    for pts in series {
        for &(px, py) in pts.iter() {
            x = (x.0.min(px), x.1.max(px));
            y = (y.0.min(py), y.1.max(py));
        }
    }
    if !x.0.is_finite() {
        return Err(PlotError::InvalidData {
            what: what.to_string(),
            reason: if log_y {
                "no finite positive points to draw on a log axis".into()
            } else {
                "no finite points to draw".into()
            },
        });
    }
    Ok((pad(x, false), pad(y, log_y)))
}

/// Widens a range by 3% on each side (multiplicatively on a log axis); a zero-width range
/// becomes a unit-wide one around its value.
pub(crate) fn pad((lo, hi): (f64, f64), log: bool) -> (f64, f64) {
    if log {
        if hi <= lo {
            return (lo / 2.0, hi * 2.0);
        }
        let f = (hi / lo).powf(0.03);
        (lo / f, hi * f)
    } else {
        if hi <= lo {
            let w = if lo == 0.0 { 1.0 } else { lo.abs() * 0.5 };
            return (lo - w, hi + w);
        }
        let w = (hi - lo) * 0.03;
        (lo - w, hi + w)
    }
}

/// An axis tick label: integers without a decimal point, other values with at most six
/// significant decimals, tiny or huge values in scientific notation.
pub(crate) fn tick(v: &f64) -> String {
    let v = *v;
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if !(1e-3..1e7).contains(&a) {
        return format!("{v:.0e}");
    }
    if (v - v.round()).abs() <= 1e-9 * a.max(1.0) {
        return format!("{}", v.round() as i64);
    }
    let s = format!("{v:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Draws the legend of every labelled series in a box at `position`: one style for all charts.
pub(crate) fn draw_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 16))
        .draw()
        .map_err(|e| e.to_string())
}

/// A chart axis of f64 values with tick labels, linear or log.
pub(crate) trait Axis: Ranged<ValueType = f64> + ValueFormatter<f64> {}

impl<A: Ranged<ValueType = f64> + ValueFormatter<f64>> Axis for A {}

/// A chart with cartesian coordinates `X` × `Y` (linear or log axes).
pub(crate) type Chart<'a, DB, X, Y> = ChartContext<'a, DB, Cartesian2d<X, Y>>;

/// A chart over `x` × `y` on `root`: `title` as the caption (`caption_size` points), a 15 px
/// margin, 45 px for the x-axis labels and `y_label_area` px for the y-axis labels.
pub(crate) fn chart_frame<'a, DB, X, Y>(
    root: &'a DrawingArea<DB, Shift>,
    title: &str,
    caption_size: u32,
    y_label_area: u32,
    x: X,
    y: Y,
) -> Result<Chart<'a, DB, X::CoordDescType, Y::CoordDescType>, String>
where
    DB: DrawingBackend,
    X: AsRangedCoord<Value = f64>,
    Y: AsRangedCoord<Value = f64>,
{
    ChartBuilder::on(root)
        .caption(title, ("sans-serif", caption_size))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(y_label_area)
        .build_cartesian_2d(x, y)
        .map_err(|e| e.to_string())
}

/// Draws the axes with their descriptions and [`tick`] labels; `grid` adds light grid lines
/// (the contour map has none).
pub(crate) fn draw_axes<DB: DrawingBackend, X: Axis, Y: Axis>(
    chart: &mut Chart<'_, DB, X, Y>,
    x_label: &str,
    y_label: &str,
    grid: bool,
) -> Result<(), String> {
    let mut mesh = chart.configure_mesh();
    if grid {
        mesh.light_line_style(RGBColor(246, 246, 246));
    } else {
        mesh.disable_mesh();
    }
    mesh.x_desc(x_label)
        .y_desc(y_label)
        .label_style(("sans-serif", 15))
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .axis_desc_style(("sans-serif", 18))
        .draw()
        .map_err(|e| e.to_string())
}

/// Draws `pts` as a 2 px line of colour `col`, listed in the legend as `name` (a short 3 px
/// line).
pub(crate) fn draw_line<DB: DrawingBackend, X: Axis, Y: Axis>(
    chart: &mut Chart<'_, DB, X, Y>,
    name: &str,
    pts: &[(f64, f64)],
    col: RGBColor,
) -> Result<(), String> {
    chart
        .draw_series(LineSeries::new(pts.iter().copied(), col.stroke_width(2)))
        .map_err(|e| e.to_string())?
        .label(name)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], col.stroke_width(3)));
    Ok(())
}
