//! The lecture examples' `--plot FILE`: a line chart of their loss curves, and the line on
//! standard error that names the file.

use std::io;
use std::path::Path;
use tapegrad_plot::Series;

/// Draws `series` against `x_label` to `path` (.png or .svg) with the title and y label given,
/// then prints `wrote PATH` on standard error. A drawing error is an I/O error of the run.
pub fn write_line_chart(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
) -> io::Result<()> {
    tapegrad_plot::line_chart(path, title, x_label, y_label, series)
        .map_err(|e| io::Error::other(e.to_string()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

/// `--plot FILE`, when given, of a lecture's loop: `values` (one per epoch, from epoch 0) as
/// the one line `y_label` against the epoch, titled `title`.
pub fn plot_per_epoch(
    path: Option<&Path>,
    title: &str,
    y_label: &str,
    values: &[f64],
) -> io::Result<()> {
    let Some(path) = path else {
        return Ok(());
    };
    let series = [Series::from_ys(y_label, values)];
    write_line_chart(path, title, "epoch", y_label, &series)
}
