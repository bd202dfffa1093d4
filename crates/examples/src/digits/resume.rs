//! `digits`' checkpoints: what a checkpoint must agree on to be resumed, and the per-epoch
//! curves it carries as comma-separated lists.

use super::{Cli, DigitsError};
use std::path::Path;
use tapegrad::checkpoint::{Checkpoint, CheckpointError};

/// Refuses a checkpoint written with another split or batch size (the data order would differ).
pub fn check_recipe(ckpt: &Checkpoint, cli: &Cli, path: &Path) -> Result<(), DigitsError> {
    let expect = [
        ("example", "digits".to_string()),
        ("split_seed", cli.split_seed.to_string()),
        ("batch_size", cli.batch_size.to_string()),
    ];
    for (key, want) in expect {
        let found = ckpt.extra(key).unwrap_or("(none)");
        if found != want {
            return Err(DigitsError::ResumeMismatch {
                file: path.to_path_buf(),
                key: key.to_string(),
                found: found.to_string(),
                expected: want,
            });
        }
    }
    Ok(())
}

/// `1,2,3`.
pub fn join<V: std::fmt::Display>(xs: &[V]) -> String {
    xs.iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// The per-epoch list `key` of the checkpoint: `epochs` comma-separated numbers.
pub fn parse_list<V: std::str::FromStr>(
    ckpt: &Checkpoint,
    key: &str,
    path: &Path,
    epochs: usize,
) -> Result<Vec<V>, DigitsError> {
    let error = |reason: String| {
        DigitsError::Checkpoint(CheckpointError::Metadata {
            path: path.to_path_buf(),
            key: format!("extra.{key}"),
            reason,
        })
    };
    let text = ckpt.extra(key).unwrap_or("");
    let values: Vec<V> = if text.is_empty() {
        vec![]
    } else {
        text.split(',')
            .map(|v| v.parse())
            .collect::<Result<_, _>>()
            .map_err(|_| error("not a comma-separated list of numbers".into()))?
    };
    if values.len() != epochs {
        return Err(error(format!(
            "{} values for a checkpoint after epoch {epochs}, expected one per epoch",
            values.len()
        )));
    }
    Ok(values)
}
