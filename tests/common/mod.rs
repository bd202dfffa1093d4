//! What the root package's tests share: finding and running the example programs,
//! `sigmoid_net` with its typed errors, and the process's resident memory.
//!
//! A test that runs an example uses the binary cargo built next to it: `cargo test` builds every
//! example into target/<profile>/examples/ (a single `cargo test --test NAME` does not: run
//! `cargo build --example NAME` first).

// Each test file compiles its own copy of this module and uses part of it.
#![allow(dead_code)]

use clap::Parser;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;
use tapegrad::nn::Module;
use tapegrad_examples::lecture::initial_net;
use tapegrad_examples::{build_optimizer, build_scheduler, AppError, Cli};

/// In-process setups seed the process-wide generator and then draw a net from it; they hold
/// this lock so that parallel tests do not interleave their draws.
static SETUP_RNG: Mutex<()> = Mutex::new(());

/// The repository's root (the facade crate's folder).
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The sources an example is built from besides its own file: a binary older than any of them
/// is stale.
const SHARED_SOURCES: [&str; 2] = ["examples/common", "crates/examples/src"];

/// The example's binary: this test is target/<profile>/deps/<test>, the examples are built into
/// target/<profile>/examples/ (by `cargo test`, or `cargo build --example NAME`). A missing
/// binary, or one older than its sources, is reported with the command that builds it.
pub fn example_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/..");
    let bin = dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let built = modified(&bin).unwrap_or_else(|| {
        panic!(
            "{} is missing: run `cargo build --example {name}` (plain `cargo test` builds it)",
            bin.display()
        )
    });
    let mut sources = vec![repo().join(format!("examples/{name}.rs"))];
    for folder in SHARED_SOURCES {
        if let Ok(entries) = std::fs::read_dir(repo().join(folder)) {
            sources.extend(entries.flatten().map(|e| e.path()));
        }
    }
    for src in sources {
        let changed = modified(&src);
        assert!(
            changed.is_none_or(|t| t <= built),
            "{} is older than {}: rebuild it (`cargo build --example {name}`, or plain `cargo test`)",
            bin.display(),
            src.display()
        );
    }
    bin
}

/// Runs the example `name` with `args` to its end.
pub fn run_example(name: &str, args: &[&str]) -> Output {
    Command::new(example_bin(name))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run the example {name}: {e}"))
}

/// `sigmoid_net ARGS`: the stdout lines, or the error. The program runs as a process; when it
/// fails, the typed error is the one its setup gives (the same library calls, made here:
/// `--init`, the optimizer, the scheduler), else the training's ([`AppError::Diverged`]), and
/// the program's exit code and message must be that error's.
pub fn sigmoid_net(args: &[&str]) -> Result<Vec<String>, AppError> {
    let cli = Cli::try_parse_from(std::iter::once("sigmoid_net").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("{args:?} should parse: {e}"));
    let out = run_example("sigmoid_net", args);
    let stderr = String::from_utf8(out.stderr).unwrap();
    if out.status.success() {
        let text = String::from_utf8(out.stdout).unwrap();
        return Ok(text.lines().map(str::to_string).collect());
    }
    let setup = || -> Result<(), AppError> {
        let _g = SETUP_RNG.lock().unwrap_or_else(|p| p.into_inner());
        let net = initial_net(cli.seed, cli.init.as_deref())?;
        let mut optimizer = build_optimizer(&cli, net.parameters())?;
        if let Some(spec) = &cli.scheduler {
            build_scheduler(spec, optimizer.as_mut(), cli.epochs)?;
        }
        Ok(())
    };
    let err = match setup() {
        Err(e) => e,
        Ok(()) => AppError::Diverged(
            stderr
                .trim_end()
                .strip_prefix("error: ")
                .unwrap_or_else(|| panic!("{args:?}: {stderr}"))
                .to_string(),
        ),
    };
    assert_eq!(
        out.status.code(),
        Some(err.exit_code()),
        "{args:?}: {stderr}"
    );
    assert!(
        stderr.starts_with(&format!("error: {err}\n")),
        "{args:?}: {stderr}"
    );
    Err(err)
}

/// Resident set size from `/proc/self/status` (`VmRSS`, in kB), where the OS provides it.
pub fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
