//! The end of an example's `main`, written once.

use std::error::Error;
use std::io;
use std::process::ExitCode;

/// Whether `e`, or an error it was caused by, is a closed pipe: the reader of the output left
/// (`example | head`), which is not a failure.
pub fn is_broken_pipe(e: &(dyn Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(e) = cause {
        if e.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
        {
            return true;
        }
        cause = e.source();
    }
    false
}

/// The exit code for a program's result: `Ok` and a closed pipe exit 0 quietly; any other error
/// is printed as `{prefix}{error}` on standard error and exits with `code(&error)`.
pub fn finish<T, E: Into<Box<dyn Error>>>(
    result: Result<T, E>,
    prefix: &str,
    code: impl FnOnce(&E) -> u8,
) -> ExitCode {
    let Err(e) = result else {
        return ExitCode::SUCCESS;
    };
    let code = code(&e);
    let e: Box<dyn Error> = e.into();
    if is_broken_pipe(&*e) {
        return ExitCode::SUCCESS;
    }
    eprintln!("{prefix}{e}");
    ExitCode::from(code)
}

/// [`finish`] for the teaching examples: errors print as `{program}: {error}` and exit 1.
pub fn exit_code<T, E: Into<Box<dyn Error>>>(program: &str, result: Result<T, E>) -> ExitCode {
    finish(result, &format!("{program}: "), |_| 1)
}
