//! [`AppError`]: why a run of `sigmoid_net` or `all_optimizers` failed, and how it ends the
//! program.

use crate::exit;
use clap::error::ErrorKind;
use clap::CommandFactory;
use std::io;
use std::path::PathBuf;
use std::process::ExitCode;
use tapegrad_nn::StateDictError;
use tapegrad_optim::OptimError;

/// Why a run failed.
#[derive(Debug)]
pub enum AppError {
    /// The options do not make a valid optimizer or scheduler (exit code 2, like a clap error).
    Usage(String),
    /// `--init FILE` could not be loaded.
    Init {
        /// The file.
        path: PathBuf,
        /// Why (boxed: the error is large).
        source: Box<StateDictError>,
    },
    /// `--save FILE` could not be written.
    Save {
        /// The file.
        path: PathBuf,
        /// Why (boxed: the error is large).
        source: Box<StateDictError>,
    },
    /// Writing the output failed.
    Io(io::Error),
    /// The loss became NaN or infinite and training stopped.
    Diverged(String),
}

impl AppError {
    /// The loss of `epoch` (from 1) was NaN or infinite: the run diverged (usually a learning
    /// rate too large).
    pub fn diverged(epoch: usize, loss: f32) -> Self {
        AppError::Diverged(format!(
            "the loss became {loss} at epoch {epoch}: training diverged and was stopped; \
             try a smaller --lr"
        ))
    }

    /// The end of `main` for a run's result: a usage error as clap prints one (exit code 2),
    /// a closed pipe quietly, any other error as `error: …` (exit code 1).
    pub fn finish<C: CommandFactory>(result: Result<(), AppError>) -> ExitCode {
        if let Err(AppError::Usage(msg)) = &result {
            C::command().error(ErrorKind::ValueValidation, msg).exit()
        }
        exit::finish(result, "error: ", |e| e.exit_code() as u8)
    }

    /// The process exit code: 2 for a usage error (as clap's), 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            AppError::Usage(_) => 2,
            _ => 1,
        }
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Every StateDictError but `Load` already starts with the file's name.
        let with_path = |f: &mut std::fmt::Formatter<'_>,
                         flag: &str,
                         path: &PathBuf,
                         e: &StateDictError| match e {
            StateDictError::Load(_) => write!(f, "{flag} {}: {e}", path.display()),
            _ => write!(f, "{flag} {e}"),
        };
        match self {
            AppError::Usage(m) => f.write_str(m),
            AppError::Init { path, source } => with_path(f, "--init", path, source),
            AppError::Save { path, source } => with_path(f, "--save", path, source),
            AppError::Io(e) => write!(f, "writing the output: {e}"),
            AppError::Diverged(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for AppError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AppError::Usage(_) => None,
            AppError::Init { source, .. } | AppError::Save { source, .. } => Some(&**source),
            AppError::Io(e) => Some(e),
            AppError::Diverged(_) => None,
        }
    }
}

impl From<io::Error> for AppError {
    fn from(e: io::Error) -> Self {
        AppError::Io(e)
    }
}

impl From<OptimError> for AppError {
    fn from(e: OptimError) -> Self {
        AppError::Usage(e.to_string())
    }
}
