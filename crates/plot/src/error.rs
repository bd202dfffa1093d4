//! The error type of every plotting function.

use std::path::PathBuf;

/// Why a chart could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The output path does not end in `.png` or `.svg`.
    #[error("cannot plot to {path:?}: unsupported file extension (use .png or .svg)")]
    UnsupportedExtension {
        /// The path that was asked for.
        path: PathBuf,
    },
    /// Creating, writing or renaming the output file failed.
    #[error("cannot write plot {path:?}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The data cannot be drawn (no finite points, an empty range, ...).
    #[error("cannot plot {what}: {reason}")]
    InvalidData {
        /// Which chart or series.
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The drawing backend reported an error.
    #[error("drawing failed: {0}")]
    Draw(String),
}
