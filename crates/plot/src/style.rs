//! Colours and range helpers shared by the charts.

use crate::{PlotError, Series};
use plotters::chart::{ChartContext, SeriesLabelPosition};
use plotters::coord::CoordTranslate;
use plotters::prelude::{DrawingBackend, BLACK, WHITE};
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
