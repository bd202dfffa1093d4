//! Reading a classification data set from a CSV file ([`read_csv_classification`]): numeric
//! feature columns plus one integer label column, validated cell by cell.
//!
//! The format is the common "header line, then one sample per line" table (what
//! `pandas.read_csv` or `numpy.loadtxt(..., delimiter=",", skiprows=1)` read): comma-separated,
//! `\n` or `\r\n` line ends, blank lines skipped, no quoting. Every problem is a [`CsvError`]
//! naming the file and the 1-based line (the header is line 1) — never a panic.

use super::{PairDataset, TensorDataset};
use std::path::{Path, PathBuf};
use tapegrad_autograd::{Element, Tensor};

/// Why a CSV data set could not be read. Every variant names the file (`file`); data errors
/// also give the 1-based line number (the header is line 1).
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    /// The file could not be opened or read.
    #[error("{}: {source}", file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A line is not valid UTF-8.
    #[error("{}:{line}: not UTF-8 text (invalid byte at column {column}); save the file as UTF-8", file.display())]
    NotUtf8 {
        /// The file.
        file: PathBuf,
        /// The 1-based line.
        line: usize,
        /// The 1-based byte column of the first invalid byte.
        column: usize,
    },
    /// The file is empty (no header line).
    #[error("{}: empty file: expected a header line naming the columns", file.display())]
    Empty {
        /// The file.
        file: PathBuf,
    },
    /// The header is present but no data line follows.
    #[error("{}: no data rows after the header", file.display())]
    NoRows {
        /// The file.
        file: PathBuf,
    },
    /// The label column is not in the header.
    #[error("{}:1: no label column \"{label}\" in the header (columns: {header})", file.display())]
    MissingLabelColumn {
        /// The file.
        file: PathBuf,
        /// The label column asked for.
        label: String,
        /// The header line (shortened when long).
        header: String,
    },
    /// The label column is the only column: there are no features.
    #[error("{}:1: the header has only the label column \"{label}\": no feature columns", file.display())]
    NoFeatures {
        /// The file.
        file: PathBuf,
        /// The label column.
        label: String,
    },
    /// A line has another number of cells than the header.
    #[error("{}:{line}: {found} cells, but the header has {expected} columns", file.display())]
    Ragged {
        /// The file.
        file: PathBuf,
        /// The 1-based line.
        line: usize,
        /// The header's column count.
        expected: usize,
        /// This line's cell count.
        found: usize,
    },
    /// A cell is not a finite number.
    #[error("{}:{line}: column \"{column}\": {value:?} is not a finite number", file.display())]
    NotANumber {
        /// The file.
        file: PathBuf,
        /// The 1-based line.
        line: usize,
        /// The column name.
        column: String,
        /// The cell's text (shortened when long).
        value: String,
    },
    /// A cell is a finite number that overflows the element type (`1e39` is finite as `f64`
    /// but `inf` as `f32`).
    #[error("{}:{line}: column \"{column}\": {value:?} overflows {dtype} (its finite values lie within ±{max:e}); rescale the column or read the data as float64", file.display())]
    OutOfRange {
        /// The file.
        file: PathBuf,
        /// The 1-based line.
        line: usize,
        /// The column name.
        column: String,
        /// The cell's text (shortened when long).
        value: String,
        /// PyTorch's name of the element type (`float32`).
        dtype: &'static str,
        /// The largest finite value of the element type.
        max: f64,
    },
    /// A label is not a whole number in `0..num_classes`.
    #[error("{}:{line}: label {value:?} is not a class index in 0..{num_classes}", file.display())]
    LabelOutOfRange {
        /// The file.
        file: PathBuf,
        /// The 1-based line.
        line: usize,
        /// The label's text (shortened when long).
        value: String,
        /// The number of classes.
        num_classes: usize,
    },
}

/// How to read a classification CSV: which column holds the label, and how many classes there
/// are (labels must be whole numbers in `0..num_classes`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvSpec {
    /// The header name of the label column (e.g. `"label"`); every other column is a feature.
    pub label_column: String,
    /// The number of classes.
    pub num_classes: usize,
}

impl CsvSpec {
    /// Labels in column `label_column`, `num_classes` classes.
    pub fn new(label_column: impl Into<String>, num_classes: usize) -> Self {
        CsvSpec {
            label_column: label_column.into(),
            num_classes,
        }
    }
}

/// Reads a classification data set: a [`TensorDataset`] whose inputs are the feature columns
/// (`[samples, features]`, in header order) and whose targets are the labels as whole-number
/// floats (`[samples]`; turn a batch into `&[usize]` with
/// [`targets_as_indices`](crate::targets_as_indices)). See [`read_csv_classification_bytes`]
/// for the rules.
///
/// ```
/// use tapegrad_nn::data::{read_csv_classification, CsvError, CsvSpec};
/// let path = std::env::temp_dir().join(format!("tapegrad-csv-doc-{}.csv", std::process::id()));
/// std::fs::write(&path, "a,b,label\n1,2,0\n3,4,2\n").unwrap();
/// let ds = read_csv_classification::<f32>(&path, &CsvSpec::new("label", 3)).unwrap();
/// assert_eq!(ds.inputs().to_vec(), [1.0, 2.0, 3.0, 4.0]);
/// assert_eq!(ds.targets().to_vec(), [0.0, 2.0]);
/// std::fs::write(&path, "a,b,label\n1,2,0\n3,x,2\n").unwrap();
/// let err = read_csv_classification::<f32>(&path, &CsvSpec::new("label", 3)).err().unwrap();
/// assert!(matches!(err, CsvError::NotANumber { line: 3, .. }));
/// assert!(err.to_string().ends_with(":3: column \"b\": \"x\" is not a finite number"));
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn read_csv_classification<T: Element>(
    path: impl AsRef<Path>,
    spec: &CsvSpec,
) -> Result<PairDataset<T>, CsvError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| CsvError::Io {
        file: path.to_path_buf(),
        source,
    })?;
    read_csv_classification_bytes(&bytes, path, spec)
}

/// [`read_csv_classification`] on bytes already in memory; `file` only names the source in
/// errors. Rules: the first non-blank line is the header; blank lines (empty or only `\r`) are
/// skipped; cells are split at commas and trimmed of spaces; every line must have as many cells
/// as the header; feature cells must parse as finite numbers; labels must be whole numbers in
/// `0..spec.num_classes`. Memory use is proportional to the input.
pub fn read_csv_classification_bytes<T: Element>(
    bytes: &[u8],
    file: impl AsRef<Path>,
    spec: &CsvSpec,
) -> Result<PairDataset<T>, CsvError> {
    let file = file.as_ref();
    let f = || file.to_path_buf();
    let mut lines = bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix(b"\r").unwrap_or(l)))
        .filter(|(_, l)| !l.is_empty());
    let text = |line: usize, raw: &[u8]| -> Result<String, CsvError> {
        std::str::from_utf8(raw)
            .map(str::to_string)
            .map_err(|e| CsvError::NotUtf8 {
                file: f(),
                line,
                column: e.valid_up_to() + 1,
            })
    };
    let (hline, hraw) = lines.next().ok_or_else(|| CsvError::Empty { file: f() })?;
    let header_text = text(hline, hraw)?;
    let header: Vec<&str> = header_text.split(',').map(str::trim).collect();
    let label_at = header
        .iter()
        .position(|c| *c == spec.label_column)
        .ok_or_else(|| CsvError::MissingLabelColumn {
            file: f(),
            label: spec.label_column.clone(),
            header: shorten(&header_text),
        })?;
    let n_features = header.len() - 1;
    if n_features == 0 {
        return Err(CsvError::NoFeatures {
            file: f(),
            label: spec.label_column.clone(),
        });
    }
    let mut features: Vec<T> = Vec::new();
    let mut labels: Vec<T> = Vec::new();
    for (line, raw) in lines {
        let row = text(line, raw)?;
        let cells: Vec<&str> = row.split(',').map(str::trim).collect();
        if cells.len() != header.len() {
            return Err(CsvError::Ragged {
                file: f(),
                line,
                expected: header.len(),
                found: cells.len(),
            });
        }
        for (col, cell) in cells.iter().enumerate() {
            let value = cell.parse::<f64>().ok().filter(|v| v.is_finite());
            if col == label_at {
                match value {
                    Some(v) if v >= 0.0 && v.fract() == 0.0 && v < spec.num_classes as f64 => {
                        labels.push(T::from_f64(v))
                    }
                    _ => {
                        return Err(CsvError::LabelOutOfRange {
                            file: f(),
                            line,
                            value: shorten(cell),
                            num_classes: spec.num_classes,
                        })
                    }
                }
            } else {
                match value {
                    // Checked after the conversion: a finite f64 can overflow T.
                    Some(v) if T::from_f64(v).is_finite() => features.push(T::from_f64(v)),
                    Some(_) => {
                        return Err(CsvError::OutOfRange {
                            file: f(),
                            line,
                            column: shorten(header[col]),
                            value: shorten(cell),
                            dtype: T::DTYPE.torch_name(),
                            max: T::max_value().as_f64(),
                        })
                    }
                    None => {
                        return Err(CsvError::NotANumber {
                            file: f(),
                            line,
                            column: shorten(header[col]),
                            value: shorten(cell),
                        })
                    }
                }
            }
        }
    }
    let n = labels.len();
    if n == 0 {
        return Err(CsvError::NoRows { file: f() });
    }
    Ok(TensorDataset::new(
        Tensor::from_vec(features, &[n, n_features]),
        Tensor::from_vec(labels, &[n]),
    ))
}

/// At most 80 characters of `s`, for error messages about arbitrary input.
fn shorten(s: &str) -> String {
    const MAX: usize = 80;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{head}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(s: &[u8]) -> Result<TensorDataset, CsvError> {
        read_csv_classification_bytes(s, "t.csv", &CsvSpec::new("label", 3))
    }

    #[test]
    fn reads_features_and_labels_with_crlf_and_blank_lines() {
        let ds = read(b"label, x ,y\r\n\r\n2, 0.5,-1\r\n0,1e1,3\n\n").unwrap();
        assert_eq!(ds.inputs().shape().as_slice(), &[2, 2]);
        assert_eq!(ds.inputs().to_vec(), [0.5, -1.0, 10.0, 3.0]);
        assert_eq!(ds.targets().to_vec(), [2.0, 0.0]);
    }

    #[test]
    fn every_error_names_file_and_line() {
        let cases: [(&[u8], &str); 9] = [
            (b"", "t.csv: empty file"),
            (b"\n\r\n", "t.csv: empty file"),
            (b"x,label\n", "t.csv: no data rows"),
            (b"x,y\n1,2\n", "t.csv:1: no label column \"label\""),
            (
                b"label\n1\n",
                "t.csv:1: the header has only the label column",
            ),
            (
                b"x,label\n1,2\n1\n",
                "t.csv:3: 1 cells, but the header has 2 columns",
            ),
            (
                b"x,label\nnan,2\n",
                "t.csv:2: column \"x\": \"nan\" is not a finite number",
            ),
            (
                b"x,label\n1,3\n",
                "t.csv:2: label \"3\" is not a class index in 0..3",
            ),
            (
                b"x,label\n1,\xff\n",
                "t.csv:2: not UTF-8 text (invalid byte at column 3)",
            ),
        ];
        for (input, want) in cases {
            let err = read(input).err().expect("an error").to_string();
            assert!(
                err.starts_with(want),
                "{input:?}: got {err:?}, want {want:?}…"
            );
        }
    }

    #[test]
    fn values_overflowing_the_element_type_are_refused_after_conversion() {
        let csv = b"x,y,label\n1,2,0\n0,1e39,1\n";
        let err = read(csv).err().expect("1e39 overflows f32");
        assert!(
            matches!(&err, CsvError::OutOfRange { line: 3, column, value, dtype: "float32", .. }
                if column == "y" && value == "1e39"),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "t.csv:3: column \"y\": \"1e39\" overflows float32 (its finite values lie within \
             ±3.4028234663852886e38); rescale the column or read the data as float64"
        );
        let err = read(b"x,label\n-3.5e38,0\n")
            .err()
            .expect("-3.5e38 overflows f32");
        assert!(
            matches!(err, CsvError::OutOfRange { line: 2, .. }),
            "{err:?}"
        );
        // The largest f32 itself is accepted, and f64 holds 1e39.
        let ds = read(b"x,label\n3.4028234e38,0\n").unwrap();
        assert_eq!(ds.inputs().to_vec(), [f32::MAX]);
        let ds = read_csv_classification_bytes::<f64>(
            b"x,label\n1e39,0\n",
            "t.csv",
            &CsvSpec::new("label", 3),
        )
        .unwrap();
        assert_eq!(ds.inputs().to_vec(), [1e39]);
    }

    #[test]
    fn fractional_and_negative_labels_are_refused() {
        for bad in ["1.5", "-1", "inf", "a"] {
            let err = read(format!("x,label\n0,{bad}\n").as_bytes())
                .err()
                .expect("an error");
            assert!(
                matches!(&err, CsvError::LabelOutOfRange { line: 2, value, .. } if value == bad),
                "{bad}: {err}"
            );
        }
    }
}
