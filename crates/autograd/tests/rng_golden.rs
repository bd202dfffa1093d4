//! PyTorch's random numbers bit for bit: every call of `tests/fixtures/rng/distributions.json`
//! (written by `tools/golden/rng.py`) replayed in order after `manual_seed(seed)` or on a
//! `Generator::new().manual_seed(seed)`, compared by bit pattern.

use serde_json::Value;
use std::sync::Mutex;
use tapegrad_autograd::rng::{Generator, RngState, RngStateError};
use tapegrad_autograd::{manual_seed, rng_state, set_rng_state, Tensor};

/// The default generator is shared by the tests of this binary.
static LOCK: Mutex<()> = Mutex::new(());

fn lock() -> std::sync::MutexGuard<'static, ()> {
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn fixture() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/rng/distributions.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn f32_bits(t: &Tensor<f32>) -> Vec<u64> {
    t.to_vec().iter().map(|x| x.to_bits() as u64).collect()
}
fn f64_bits(t: &Tensor<f64>) -> Vec<u64> {
    t.to_vec().iter().map(|x| x.to_bits()).collect()
}
fn ints(t: &Tensor<i64>) -> Vec<u64> {
    t.to_vec().iter().map(|&x| x as u64).collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Runs one recorded call; returns what to compare with `out` (as u64 patterns).
fn run(c: &Value, g: Option<&Generator>) -> Vec<u64> {
    let op = c["op"].as_str().unwrap();
    let n = c["n"].as_u64().unwrap_or(0) as usize;
    let f = |k: &str| c[k].as_f64().unwrap();
    let dtype = c["dtype"].as_str().unwrap_or("");
    let fv = |k: &str| -> Vec<f64> {
        c[k].as_array()
            .unwrap()
            .iter()
            .flat_map(|v| match v.as_array() {
                Some(row) => row.iter().map(|x| x.as_f64().unwrap()).collect(),
                None => vec![v.as_f64().unwrap()],
            })
            .collect()
    };
    let shape_of = |k: &str| -> Vec<usize> {
        let a = c[k].as_array().unwrap();
        match a[0].as_array() {
            Some(row) => vec![a.len(), row.len()],
            None => vec![a.len()],
        }
    };
    macro_rules! float_op {
        ($t:ty, $bits:ident) => {{
            let t: Tensor<$t> = match (op, g) {
                ("rand", None) => Tensor::rand(&[n]),
                ("rand", Some(g)) => Tensor::rand_with(&[n], g),
                ("randn", None) => Tensor::randn(&[n]),
                ("randn", Some(g)) => Tensor::randn_with(&[n], g),
                ("normal", None) => Tensor::normal(&[n], f("mean"), f("std")),
                ("normal", Some(g)) => Tensor::normal_with(&[n], f("mean"), f("std"), g),
                ("uniform", None) => Tensor::uniform(&[n], f("low") as $t, f("high") as $t),
                ("uniform", Some(g)) => {
                    Tensor::uniform_with(&[n], f("low") as $t, f("high") as $t, g)
                }
                ("exponential", None) => Tensor::exponential(&[n], f("lambd")),
                ("exponential", Some(g)) => Tensor::exponential_with(&[n], f("lambd"), g),
                ("bernoulli_scalar", None) => Tensor::bernoulli_scalar(&[n], f("p")),
                ("bernoulli_scalar", Some(g)) => Tensor::bernoulli_scalar_with(&[n], f("p"), g),
                ("bernoulli", _) => {
                    let p = Tensor::<$t>::from_vec(
                        fv("p").into_iter().map(|x| x as $t).collect(),
                        &shape_of("p"),
                    );
                    match g {
                        None => p.bernoulli(),
                        Some(g) => p.bernoulli_with(g),
                    }
                }
                ("multinomial", _) => {
                    let p = Tensor::<$t>::from_vec(
                        fv("probs").into_iter().map(|x| x as $t).collect(),
                        &shape_of("probs"),
                    );
                    let k = c["num_samples"].as_u64().unwrap() as usize;
                    let r = c["replacement"].as_bool().unwrap();
                    let s = match g {
                        None => p.multinomial(k, r),
                        Some(g) => p.multinomial_with(k, r, g),
                    };
                    return ints(&s);
                }
                _ => panic!("unknown op {op}"),
            };
            $bits(&t)
        }};
    }
    match op {
        "randint" => {
            let (lo, hi) = (c["low"].as_i64().unwrap(), c["high"].as_i64().unwrap());
            ints(&match g {
                None => Tensor::randint(lo, hi, &[n]),
                Some(g) => Tensor::randint_with(lo, hi, &[n], g),
            })
        }
        "randperm" => ints(&match g {
            None => Tensor::randperm(n),
            Some(g) => Tensor::randperm_with(n, g),
        }),
        "random_int64" => {
            let v = match g {
                None => tapegrad_autograd::default_generator().random_int64(),
                Some(g) => g.random_int64(),
            };
            vec![v as u64]
        }
        _ if dtype == "f32" => float_op!(f32, f32_bits),
        _ => float_op!(f64, f64_bits),
    }
}

fn check(c: &Value, got: &[u64], what: &str) {
    if let Some(cs) = c.get("checksum") {
        let head: Vec<u64> = c["head"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        let tail: Vec<u64> = c["tail"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        assert_eq!(&got[..20], &head[..], "{what}: head");
        assert_eq!(&got[got.len() - 20..], &tail[..], "{what}: tail");
        let m: u128 = (1u128 << 61) - 1;
        let sum = got
            .iter()
            .enumerate()
            .fold(0u128, |a, (i, &v)| (a + i as u128 * v as u128) % m);
        assert_eq!(sum as u64, cs.as_u64().unwrap(), "{what}: checksum");
        return;
    }
    let want: Vec<u64> = c["out"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap_or_else(|| v.as_i64().unwrap() as u64))
        .collect();
    assert_eq!(got.len(), want.len(), "{what}: length");
    let bad: Vec<usize> = (0..got.len()).filter(|&i| got[i] != want[i]).collect();
    assert!(
        bad.is_empty(),
        "{what}: {} of {} values differ, first at {}: got {:#x}, want {:#x}",
        bad.len(),
        got.len(),
        bad[0],
        got[bad[0]],
        want[bad[0]]
    );
}

#[test]
fn every_distribution_matches_pytorch_bit_for_bit() {
    let _l = lock();
    let fx = fixture();
    let mut values = 0usize;
    let mut calls = 0usize;
    for case in fx["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let g = if case["generator"].as_bool().unwrap() {
            Some(match case["seed"].as_u64() {
                Some(s) => Generator::new().manual_seed(s),
                None => Generator::new(),
            })
        } else {
            manual_seed(case["seed"].as_u64().unwrap());
            None
        };
        for (i, c) in case["calls"].as_array().unwrap().iter().enumerate() {
            let what = format!("{name} call {i} ({})", c["op"]);
            if c["op"] == "state" {
                let st = match &g {
                    Some(g) => g.get_state(),
                    None => rng_state(),
                };
                assert_eq!(hex(&st.to_bytes()), c["hex"].as_str().unwrap(), "{what}");
                // The bytes read back into the same state.
                assert_eq!(RngState::from_bytes(&st.to_bytes()).unwrap(), st, "{what}");
                continue;
            }
            let got = run(c, g.as_ref());
            check(c, &got, &what);
            values += got.len();
            calls += 1;
        }
    }
    eprintln!("{calls} calls, {values} values equal to PyTorch's bits");
    assert!(calls > 400);
}

#[test]
fn pytorch_state_bytes_restore_the_stream() {
    let _l = lock();
    let fx = fixture();
    let case = fx["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "mixed_42")
        .unwrap();
    let calls = case["calls"].as_array().unwrap();
    // calls[2] is the state after rand(3) and randn(1) (a cached normal is pending).
    let bytes: Vec<u8> = {
        let h = calls[2]["hex"].as_str().unwrap();
        (0..h.len() / 2)
            .map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap())
            .collect()
    };
    let st = RngState::from_bytes(&bytes).unwrap();
    assert!(st.0.next_double_normal.is_some());
    manual_seed(12345);
    set_rng_state(st.clone());
    for c in &calls[3..8] {
        check(c, &run(c, None), "after set_rng_state");
    }
    // On an explicit generator too.
    let g = Generator::new();
    g.set_state(&st);
    for c in &calls[3..8] {
        check(c, &run(c, Some(&g)), "after Generator::set_state");
    }
    assert_eq!(st.initial_seed(), 42);
}

#[test]
fn state_bytes_errors_are_typed() {
    assert_eq!(
        RngState::from_bytes(&[0u8; 100]).unwrap_err(),
        RngStateError::WrongSize { found: 100 }
    );
    let mut b = Generator::new().manual_seed(3).get_state().to_bytes();
    b[8..12].copy_from_slice(&0i32.to_le_bytes()); // left = 0
    let e = RngState::from_bytes(&b).unwrap_err();
    assert!(
        matches!(e, RngStateError::InvalidEngine { left: 0, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("Invalid mt19937 state"), "{e}");
    // The legacy 5048-byte form (no cached float normal) is accepted.
    let b = Generator::new().manual_seed(3).get_state().to_bytes();
    let legacy = RngState::from_bytes(&b[..5048]).unwrap();
    assert_eq!(legacy.to_bytes(), b);
}

#[test]
fn seeds_use_the_low_32_bits_and_report_all_64() {
    let a = Generator::new().manual_seed(5);
    let b = Generator::new().manual_seed((1 << 32) + 5);
    assert_eq!(
        Tensor::<f32>::rand_with(&[4], &a).to_vec(),
        Tensor::<f32>::rand_with(&[4], &b).to_vec()
    );
    assert_eq!(b.initial_seed(), (1 << 32) + 5);
    assert_eq!(Generator::new().initial_seed(), 67_280_421_310_721);
}

#[test]
fn explicit_generators_leave_the_default_one_alone() {
    let _l = lock();
    manual_seed(9);
    let want = Tensor::<f64>::rand(&[3]).to_vec();
    manual_seed(9);
    let g = Generator::new().manual_seed(1);
    let _ = Tensor::<f32>::randn_with(&[40], &g);
    let _ = Tensor::randperm_with(10, &g);
    assert_eq!(Tensor::<f64>::rand(&[3]).to_vec(), want);
}

#[test]
#[should_panic(expected = "random_ expects 'from' to be less than 'to', but got from=5 >= to=3")]
fn randint_with_an_empty_range_panics_as_pytorch() {
    let _ = Tensor::randint_with(5, 3, &[2], &Generator::new());
}

#[test]
#[should_panic(expected = "normal expects std >= 0.0")]
fn normal_with_negative_std_panics() {
    let _ = Tensor::<f32>::normal_with(&[2], 0.0, -1.0, &Generator::new());
}

#[test]
fn draws_do_not_depend_on_the_thread_count() {
    let g = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let g = Generator::new().manual_seed(77);
            let mut v = Tensor::<f32>::randn_with(&[5000], &g).to_vec();
            v.extend(Tensor::<f32>::rand_with(&[5000], &g).to_vec());
            v
        })
    };
    assert_eq!(g(1), g(4));
}
