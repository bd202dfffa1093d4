//! The scripts' data: files read with the error naming the file, character vocabularies and
//! the batches of the character models.

use super::ScriptError;
use std::path::{Path, PathBuf};
use tapegrad::prelude::*;

/// The sorted distinct characters of `text` (`sorted(set(text))`): the vocabulary, a
/// character's index its token.
pub fn vocabulary(text: &str) -> Vec<char> {
    let mut chars: Vec<char> = text.chars().collect();
    chars.sort_unstable();
    chars.dedup();
    chars
}

/// The batch of `char_gpt.py` and `names_rnn.py`: `b` windows of `t` tokens of `d` and the
/// same windows shifted by one (the targets), starting at `((step·b + j)·97) % (len(d) − t)`
/// (`sequential`) or at `torch.randint(len(d) − t, (b,))`. `d` must be longer than `t`.
pub fn batch(
    d: &[i64],
    b: usize,
    t: usize,
    step: usize,
    sequential: bool,
) -> (Tensor<i64>, Tensor<i64>) {
    let ix: Vec<usize> = if sequential {
        (0..b)
            .map(|j| ((step * b + j) * 97) % (d.len() - t))
            .collect()
    } else {
        let ix = Tensor::randint(0, (d.len() - t) as i64, &[b]).to_vec();
        ix.iter().map(|&i| i as usize).collect()
    };
    let rows = |off: usize| {
        ix.iter()
            .flat_map(|&i| d[i + off..i + off + t].to_vec())
            .collect()
    };
    (
        Tensor::from_vec(rows(0), &[b, t]),
        Tensor::from_vec(rows(1), &[b, t]),
    )
}

/// A data file's text (`open(path).read()`), the error naming the file.
pub fn read_text(path: &Path) -> Result<String, ScriptError> {
    std::fs::read_to_string(path).map_err(|e| ScriptError::Data(format!("{}: {e}", path.display())))
}

/// A numeric CSV file with a header line: the values of the `columns` (by header name; all
/// columns if `columns` is empty) of every row, as f32 (`float(r[...])`). Missing columns, short rows and non-numbers are errors
/// naming the file and line.
pub fn read_csv(path: &Path, columns: &[&str]) -> Result<Vec<Vec<f32>>, ScriptError> {
    let text = read_text(path)?;
    let bad = |line: usize, msg: String| {
        ScriptError::Data(format!("{}: line {line}: {msg}", path.display()))
    };
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let header: Vec<&str> = match lines.next() {
        Some((_, h)) => h.split(',').map(str::trim).collect(),
        None => {
            return Err(ScriptError::Data(format!(
                "{}: empty file, expected a CSV header",
                path.display()
            )))
        }
    };
    let all: Vec<&str> = if columns.is_empty() {
        header.clone()
    } else {
        columns.to_vec()
    };
    let index = all
        .iter()
        .map(|c| {
            header
                .iter()
                .position(|h| h == c)
                .ok_or_else(|| bad(1, format!("no column {c:?} in the header")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let rows = lines
        .map(|(i, line)| {
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            if fields.len() != header.len() {
                return Err(bad(
                    i + 1,
                    format!("{} fields, the header has {}", fields.len(), header.len()),
                ));
            }
            let parse = |&j: &usize| {
                fields[j]
                    .parse::<f32>()
                    .map_err(|_| bad(i + 1, format!("{:?} is not a number", fields[j])))
            };
            index.iter().map(parse).collect()
        })
        .collect::<Result<Vec<Vec<f32>>, _>>()?;
    if rows.is_empty() {
        return Err(ScriptError::Data(format!(
            "{}: no data rows",
            path.display()
        )));
    }
    Ok(rows)
}

/// The repo's copy of a data file (`data/<name>`, two folders above this crate's), the default
/// of `--data`.
pub fn data_file(name: &str) -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let repo = crate_dir.ancestors().nth(2).unwrap_or(crate_dir);
    repo.join("data").join(name)
}
