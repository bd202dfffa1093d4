//! # tapegrad-plot
//!
//! Small, pure-Rust charts for tapegrad's teaching examples: loss curves ([`line_chart`],
//! optionally log-scale with [`line_chart_with`]), raw points with smoothed lines
//! ([`points_and_lines`], the EMA figure) and loss landscapes with optimiser paths
//! ([`contour_with_paths`]).
//!
//! Output is PNG or SVG, chosen by the file extension. Text uses the DejaVu Sans font bundled
//! in the `dejavu` crate, so no system font or library is needed. Files are written atomically
//! (a temporary file in the same directory, then a rename). Errors are typed: [`PlotError`].
//!
//! ```
//! use tapegrad_plot::{line_chart, Series};
//! let path = std::env::temp_dir().join(format!("doc_crate_{}.png", std::process::id()));
//! let s = Series::new("cost", vec![(0.0, 4.0), (1.0, 2.0), (2.0, 1.0)]);
//! line_chart(&path, "Cost", "epoch", "cost", &[s]).unwrap();
//! assert_eq!(&std::fs::read(&path).unwrap()[..4], b"\x89PNG");
//! # std::fs::remove_file(&path).unwrap();
//! ```
#![warn(missing_docs)]

mod contour;
mod error;
mod font;
mod line_chart;
mod output;
mod points_and_lines;
mod style;

pub use contour::{
    contour_panels, contour_with_paths, contour_with_paths_with, ContourOptions, ContourPanel,
};
pub use error::PlotError;
pub use line_chart::{line_chart, line_chart_with};
pub use points_and_lines::{points_and_lines, points_and_lines_with};

/// One named line (or set of points) of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend text (an empty name shows no legend entry).
    pub name: String,
    /// The (x, y) points in drawing order.
    pub points: Vec<(f64, f64)>,
}

impl Series {
    /// A series from a name and points.
    ///
    /// ```
    /// let s = tapegrad_plot::Series::new("loss", vec![(0.0, 1.0)]);
    /// assert_eq!(s.points.len(), 1);
    /// ```
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            name: name.into(),
            points,
        }
    }

    /// A series of `ys` against 0, 1, 2, ... (e.g. loss against epoch).
    ///
    /// ```
    /// let s = tapegrad_plot::Series::from_ys("loss", &[3.0, 2.0]);
    /// assert_eq!(s.points, vec![(0.0, 3.0), (1.0, 2.0)]);
    /// ```
    pub fn from_ys(name: impl Into<String>, ys: &[f64]) -> Self {
        Series::new(
            name,
            ys.iter().enumerate().map(|(i, &y)| (i as f64, y)).collect(),
        )
    }
}

/// Where the legend box goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Legend {
    /// Top left corner of the plotting area.
    UpperLeft,
    /// Top right corner (the default).
    #[default]
    UpperRight,
    /// Bottom left corner.
    LowerLeft,
    /// Bottom right corner.
    LowerRight,
}

impl Legend {
    pub(crate) fn position(self) -> plotters::chart::SeriesLabelPosition {
        use plotters::chart::SeriesLabelPosition as P;
        match self {
            Legend::UpperLeft => P::UpperLeft,
            Legend::UpperRight => P::UpperRight,
            Legend::LowerLeft => P::LowerLeft,
            Legend::LowerRight => P::LowerRight,
        }
    }
}

/// Options of [`line_chart_with`] and [`points_and_lines_with`].
#[derive(Debug, Clone, PartialEq)]
pub struct ChartOptions {
    /// Log-scale y axis (non-positive values are skipped).
    pub log_y: bool,
    /// A fixed y range; points outside it are not drawn. `None`: fit the data.
    pub y_range: Option<(f64, f64)>,
    /// Image size in pixels (default 800 x 560).
    pub size: (u32, u32),
    /// Legend corner (default upper right).
    pub legend: Legend,
}

impl Default for ChartOptions {
    fn default() -> Self {
        ChartOptions {
            log_y: false,
            y_range: None,
            size: (800, 560),
            legend: Legend::UpperRight,
        }
    }
}

impl ChartOptions {
    /// The defaults: linear axes fitted to the data, 800 x 560.
    ///
    /// ```
    /// let o = tapegrad_plot::ChartOptions::new().log_y(true).size(640, 480);
    /// assert!(o.log_y);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the log-scale y axis.
    pub fn log_y(mut self, on: bool) -> Self {
        self.log_y = on;
        self
    }
    /// Fixes the y range.
    pub fn y_range(mut self, lo: f64, hi: f64) -> Self {
        self.y_range = Some((lo, hi));
        self
    }
    /// Sets the image size in pixels.
    pub fn size(mut self, w: u32, h: u32) -> Self {
        self.size = (w, h);
        self
    }
    /// Sets the legend corner.
    pub fn legend(mut self, corner: Legend) -> Self {
        self.legend = corner;
        self
    }
}

/// Checks a `--plot FILE` command-line value: the path must end in `.png` or `.svg`. Usable as a
/// clap `value_parser`, so a bad extension is reported with the usage before anything runs.
///
/// ```
/// use tapegrad_plot::parse_plot_path;
/// assert!(parse_plot_path("loss.png").is_ok());
/// assert!(parse_plot_path("loss.SVG").is_ok());
/// assert!(parse_plot_path("loss.jpg").unwrap_err().contains(".png or .svg"));
/// ```
pub fn parse_plot_path(s: &str) -> Result<std::path::PathBuf, String> {
    let path = std::path::PathBuf::from(s);
    output::format_of(&path)
        .map(|_| path)
        .map_err(|e| e.to_string())
}
