//! The six ported training scripts (examples/polynomial.rs, moons.rs, digits_cnn.rs,
//! names_mlp.rs, char_gpt.rs, names_rnn.rs) as programs, beyond the golden replays
//! (tests/scripts_golden.rs): bad input of every kind is a clear message and exit code 1 (2 for
//! usage errors), never a panic; `--save-init` writes what `--init` reads back (int64 BatchNorm
//! counters, a tied weight under both names); their own random mode runs; `--attention module`
//! computes the same attention as the golden `manual` run; a closed stdout ends a run quietly.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use tapegrad::nn::{load_safetensors, save_safetensors, StateDict};

mod common;
use common::{example_bin, repo};

fn run(script: &str, args: &[&str]) -> Output {
    Command::new(example_bin(script))
        .args(args)
        .output()
        .expect("run the example")
}

fn fixture(name: &str) -> String {
    repo()
        .join("tests/fixtures/scripts")
        .join(name)
        .display()
        .to_string()
}

/// A fresh temp directory for one test.
fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tapegrad-scripts-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Asserts the exit code, that stderr names every `needle`, and that nothing panicked.
fn fails(out: &Output, code: i32, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "exit code; stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "a panic: {stderr}");
    for n in needles {
        assert!(stderr.contains(n), "stderr lacks {n:?}: {stderr}");
    }
}

fn json_line(out: &Output) -> Value {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "failed ({}): {stderr}", out.status);
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.lines().last().expect("a line")).expect("the --json line parses")
}

const DATA_SCRIPTS: [&str; 5] = ["moons", "digits_cnn", "names_mlp", "names_rnn", "char_gpt"];

#[test]
fn a_missing_data_file_is_named_with_exit_code_1() {
    for script in DATA_SCRIPTS {
        fails(
            &run(script, &["--data", "/nonexistent/data.txt"]),
            1,
            &["/nonexistent/data.txt"],
        );
    }
}

#[test]
fn malformed_data_files_are_errors_naming_the_file() {
    let dir = temp_dir("malformed");
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let moons = write("moons.csv", "x1,x2,label\n0.5,0.25,1\n0.5,abc,-1\n");
    fails(
        &run("moons", &["--data", &moons]),
        1,
        &[&moons, "line 3", "\"abc\" is not a number"],
    );
    let no_column = write("nocol.csv", "x1,y,label\n0.5,0.25,1\n");
    fails(
        &run("moons", &["--data", &no_column]),
        1,
        &["no column \"x2\""],
    );
    let short_row = write("short.csv", "x1,x2,label\n0.5,1\n");
    fails(
        &run("moons", &["--data", &short_row]),
        1,
        &["line 2", "2 fields"],
    );
    let empty = write("empty.txt", "");
    fails(&run("moons", &["--data", &empty]), 1, &["empty file"]);
    let header = (0..64).map(|i| format!("p{i},")).collect::<String>() + "label\n";
    let digits = write("digits.csv", &(header + &["1"; 64].join(",") + ",12\n"));
    fails(
        &run("digits_cnn", &["--data", &digits]),
        1,
        &[&digits, "label 0-9"],
    );
    for script in ["names_mlp", "names_rnn", "char_gpt"] {
        fails(&run(script, &["--data", &empty]), 1, &[&empty]);
    }
    let no_vowels = write("names.txt", &"bcd\n".repeat(50));
    fails(
        &run("names_mlp", &["--data", &no_vowels]),
        1,
        &["a, e, i, o, u"],
    );
    fails(
        &run("names_rnn", &["--data", &no_vowels]),
        1,
        &["a, e, i, o, u"],
    );
    let no_newline = write("text.txt", &"abc ".repeat(200));
    fails(
        &run("char_gpt", &["--data", &no_newline]),
        1,
        &["needs a newline"],
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_init_file_of_another_model_names_missing_unexpected_and_misshaped_keys() {
    let other = fixture("polynomial_nn.init.safetensors"); // 0.weight [1, 3], 0.bias [1]
    let out = run("moons", &["--init", &other]);
    fails(
        &out,
        1,
        &[
            "size mismatch for 0.weight",
            "Missing key(s) in state_dict: \"2.weight\"",
        ],
    );
    let out = run("polynomial", &["--variant", "module", "--init", &other]);
    fails(
        &out,
        1,
        &[
            "Missing key(s) in state_dict: \"a\"",
            "Unexpected key(s) in state_dict: \"0.bias\", \"0.weight\"",
        ],
    );
    let mlp = fixture("names_mlp.init.safetensors");
    let out = run("names_mlp", &["--n-hidden", "100", "--init", &mlp]);
    fails(
        &out,
        1,
        &["size mismatch for fc1.weight: copying a param with shape [200, 30]"],
    );
    let gpt = fixture("char_gpt.init.safetensors"); // manual attention's names
    let out = run(
        "char_gpt",
        &["--attention", "module", "--steps", "1", "--init", &gpt],
    );
    fails(
        &out,
        1,
        &[
            "transformer.h.0.attn.mha.in_proj_weight",
            "transformer.h.0.attn.c_attn.weight",
        ],
    );
}

#[test]
fn corrupt_or_missing_safetensors_files_are_errors() {
    let dir = temp_dir("corrupt");
    let garbage = dir.join("garbage.safetensors");
    std::fs::write(&garbage, b"this is not a safetensors file at all").unwrap();
    let truncated = dir.join("truncated.safetensors");
    let whole = std::fs::read(fixture("moons.init.safetensors")).unwrap();
    std::fs::write(&truncated, &whole[..whole.len() - 100]).unwrap();
    let tiny = dir.join("tiny.safetensors");
    std::fs::write(&tiny, b"abc").unwrap();
    for file in [&garbage, &truncated, &tiny, &dir.join("absent.safetensors")] {
        let f = file.display().to_string();
        fails(&run("moons", &["--init", &f]), 1, &["--init", &f]);
    }
    fails(
        &run(
            "polynomial",
            &[
                "--variant",
                "autograd",
                "--init",
                &garbage.display().to_string(),
            ],
        ),
        1,
        &["corrupt"],
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unknown_flags_and_values_are_usage_errors_with_exit_code_2() {
    let cases: [(&str, &[&str]); 10] = [
        ("polynomial", &[]), // --variant is required, as in the script
        ("polynomial", &["--variant", "quartic"]),
        ("moons", &["--no-such-flag"]),
        ("moons", &["--steps", "-3"]),
        ("names_mlp", &["--batches", "shuffled"]),
        ("names_mlp", &["--batch-size", "0"]),
        ("names_rnn", &["--cell", "transformer"]),
        ("char_gpt", &["--attention", "flash"]),
        ("char_gpt", &["--n-embd", "30", "--n-head", "4"]),
        ("digits_cnn", &["--dropout", "1.5"]),
    ];
    for (script, args) in cases {
        let out = run(script, args);
        fails(&out, 2, &[]);
        assert!(!out.stderr.is_empty(), "{script} {args:?}: a message");
    }
}

/// `--save-init` writes the starting state as PyTorch's `save_file` does (BatchNorm's counter
/// as int64, a tied weight under both names), and a run from it with `--init` is the same run.
#[test]
fn save_init_writes_what_init_reads_back() {
    let dir = temp_dir("save_init");
    let cases: [(&str, &[&str], &str); 3] = [
        (
            "names_mlp",
            &["--steps", "20", "--batches", "sequential"],
            "bn.num_batches_tracked",
        ),
        (
            "char_gpt",
            &[
                "--steps",
                "2",
                "--chars",
                "3000",
                "--dropout",
                "0",
                "--batches",
                "sequential",
            ],
            "lm_head.weight",
        ),
        (
            "digits_cnn",
            &["--epochs", "1", "--dropout", "0", "--no-shuffle"],
            "1.num_batches_tracked",
        ),
    ];
    for (script, args, key) in cases {
        let file = dir
            .join(format!("{script}.safetensors"))
            .display()
            .to_string();
        let first = json_line(&run(
            script,
            &[args, &["--save-init", &file, "--json", "--seed", "3"]].concat(),
        ));
        let again = json_line(&run(
            script,
            &[args, &["--init", &file, "--json", "--seed", "4"]].concat(),
        ));
        assert_eq!(
            first["losses"], again["losses"],
            "{script}: the same run from the saved state"
        );
        let bytes = std::fs::read(&file).unwrap();
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let names = st.names();
        assert!(
            names.iter().any(|n| n.as_str() == key),
            "{script}: {key} in {names:?}"
        );
        if key.ends_with("num_batches_tracked") {
            assert_eq!(st.tensor(key).unwrap().dtype(), safetensors::Dtype::I64);
        } else {
            let sd: StateDict = load_safetensors(&file).unwrap();
            let wte = sd
                .get("transformer.wte.weight")
                .expect("the tied weight's other name");
            assert_eq!(wte.to_vec(), sd.get(key).unwrap().to_vec());
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Without `--init` each script starts from tapegrad's own generator and learns; its output
/// has the Python script's form.
#[test]
fn random_mode_runs_and_prints_what_the_script_prints() {
    let out = run("polynomial", &["--variant", "autograd", "--steps", "200"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("99 ") && lines[1].starts_with("199 "),
        "{text}"
    );
    assert!(
        lines[2].starts_with("Result: {'a': [") && lines[2].ends_with("]}"),
        "{text}"
    );

    let out = json_line(&run("moons", &["--json", "--steps", "60"]));
    let acc = out["metrics"]["accuracy"].as_array().unwrap();
    assert!(
        acc.last().unwrap().as_f64().unwrap() >= 0.85,
        "moons learns: {acc:?}"
    );

    let out = json_line(&run("names_mlp", &["--json", "--steps", "200"]));
    assert!(
        out["metrics"]["val_loss"].as_f64().unwrap() < 3.0,
        "below ln 27 = 3.30"
    );
    assert_eq!(out["samples"].as_array().unwrap().len(), 5);

    let args = [
        "--json",
        "--steps",
        "40",
        "--cell",
        "gru",
        "--layers",
        "2",
        "--dropout",
        "0.2",
    ];
    let out = json_line(&run("names_rnn", &args));
    let losses = out["losses"].as_array().unwrap();
    assert!(
        losses[39].as_f64().unwrap() < losses[0].as_f64().unwrap() - 0.5,
        "{losses:?}"
    );

    let out = run(
        "char_gpt",
        &["--steps", "21", "--chars", "5000", "--n-layer", "1"],
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("step 0: loss ") && text.contains("\nstep 20: loss "),
        "{text}"
    );
    assert!(text.contains("\nval loss "), "{text}");

    let out = run("digits_cnn", &["--epochs", "2"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("epoch 1: last loss ") && text.contains("\nepoch 2: "),
        "{text}"
    );
}

/// `--attention module` (nn.MultiheadAttention) is the same causal attention: given the golden
/// run's weights under MultiheadAttention's names, it reproduces the manual run's losses.
#[test]
fn module_attention_replays_the_manual_golden_run() {
    let sd: StateDict = load_safetensors(fixture("char_gpt.init.safetensors")).unwrap();
    let mut renamed = StateDict::new();
    for (name, t) in sd.iter() {
        let name = name
            .replace("attn.c_attn.weight", "attn.mha.in_proj_weight")
            .replace("attn.c_attn.bias", "attn.mha.in_proj_bias")
            .replace("attn.c_proj.", "attn.mha.out_proj.");
        renamed.insert(name, t.clone());
    }
    let dir = temp_dir("module_attention");
    let file = dir.join("mha.safetensors");
    save_safetensors(&renamed, &file).unwrap();
    let f = file.display().to_string();
    let args = ["--batches", "sequential", "--dropout", "0", "--steps", "6"];
    let out = json_line(&run(
        "char_gpt",
        &[
            &args[..],
            &["--attention", "module", "--init", &f, "--json"],
        ]
        .concat(),
    ));
    let golden: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("char_gpt.json")).unwrap()).unwrap();
    for (i, (a, b)) in out["losses"]
        .as_array()
        .unwrap()
        .iter()
        .zip(golden["result"]["losses"].as_array().unwrap())
        .enumerate()
    {
        let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
        assert!(
            (a - b).abs() <= 1e-4 * b.abs(),
            "step {i}: {a} vs PyTorch's manual run {b}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `script | head -1`: the reader closes the pipe; the script stops quietly with exit code 0.
#[test]
fn a_closed_stdout_ends_the_run_quietly() {
    let mut child = Command::new(example_bin("polynomial"))
        .args(["--variant", "nn", "--steps", "100000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("99 "), "{first}");
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
