//! The five golden lecture-net cases: PyTorch's own `<case>.init.safetensors` loads into
//! `MyNet` with exactly the JSON's `init` values, and the first forward, loss and gradients
//! match PyTorch within |a − b| ≤ 1e-6 + 1e-5·|b|.

mod common;
use common::*;
use tapegrad_nn::{load_safetensors, MSELoss, Module, StateDict};

#[test]
fn golden_nets_load_forward_loss_and_grads() {
    let mut worst = 0.0f64;
    for case in CASES {
        let g = json(&format!("net/{case}.json"));
        let net = MyNet::new(2, 2);
        net.load(fixture(&format!("net/{case}.init.safetensors")))
            .unwrap();

        // Names and order equal PyTorch's named_parameters().
        let order: Vec<String> = g["model"]["param_order"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect();
        let named = net.named_parameters();
        let names: Vec<String> = named.iter().map(|(n, _)| n.clone()).collect();
        assert_eq!(names, order, "{case}: parameter names/order");

        // Loaded weights equal the JSON's init bit for bit.
        for (name, p) in &named {
            let (shape, want) = nested(&g["init"][name]);
            assert_eq!(
                p.shape().as_slice(),
                shape.as_slice(),
                "{case}: {name} shape"
            );
            let want: Vec<u32> = want.iter().map(|&x| (x as f32).to_bits()).collect();
            let got: Vec<u32> = p.to_vec().iter().map(|x| x.to_bits()).collect();
            assert_eq!(got, want, "{case}: {name} init bits");
            assert!(
                p.requires_grad() && p.is_leaf(),
                "{case}: {name} stays a parameter"
            );
        }

        let input = tensor_f32(&g["input"]);
        let target = tensor_f32(&g["target"]);
        let out = net.forward(&input);
        let (shape, want) = nested(&g["output_first"]);
        worst = worst.max(assert_close(
            &format!("{case}: output_first"),
            &out,
            &shape,
            &want,
        ));

        let loss = MSELoss::new().forward(&out, &target);
        let l0 = g["losses"][0].as_f64().unwrap();
        worst = worst.max(assert_close(
            &format!("{case}: losses[0]"),
            &loss,
            &[],
            &[l0],
        ));

        net.zero_grad();
        loss.backward();
        for (name, p) in &named {
            let (shape, want) = nested(&g["grads_first"][name]);
            let grad = p
                .grad()
                .unwrap_or_else(|| panic!("{case}: {name} has no grad"));
            worst = worst.max(assert_close(
                &format!("{case}: grad {name}"),
                &grad,
                &shape,
                &want,
            ));
        }

        // The file's state dict equals what the module now reports.
        let sd: StateDict =
            load_safetensors(fixture(&format!("net/{case}.init.safetensors"))).unwrap();
        assert_eq!(sd.len(), 8);
        for (name, t) in net.state_dict().iter() {
            assert_eq!(t.to_vec(), sd.get(name).unwrap().to_vec(), "{case}: {name}");
        }
    }
    eprintln!("golden nets: worst |a-b| / (1e-6 + 1e-5|b|) = {worst:.4}");
}

#[test]
fn golden_f32_init_files_load_into_f64_converted_as_pytorch_copy_does() {
    // PyTorch's load_state_dict copies with `param.copy_(saved)`, converting float32 to
    // float64 exactly; so does load_safetensors::<f64> on an F32 file.
    let path = fixture("net/adam.init.safetensors");
    let narrow = load_safetensors::<f32>(&path).unwrap();
    let wide = load_safetensors::<f64>(&path).unwrap();
    assert_eq!(narrow.len(), wide.len());
    for (name, t) in narrow.iter() {
        let w = wide.get(name).unwrap();
        assert_eq!(w.shape(), t.shape(), "{name}");
        let exact: Vec<f64> = t.to_vec().iter().map(|&v| v as f64).collect();
        assert_eq!(w.to_vec(), exact, "{name}");
    }
}

#[test]
fn hand_written_sgd_step_through_parameter_handles_matches_pytorch() {
    // sgd_plain is SGD(lr=0.1): p -= 0.1 * grad, done in place on the handles parameters()
    // returns, as an optimizer would; the module must see the update.
    let g = json("net/sgd_plain.json");
    assert_eq!(g["optimizer"]["params"]["lr"].as_f64(), Some(0.1));
    let net = MyNet::new(2, 2);
    net.load(fixture("net/sgd_plain.init.safetensors")).unwrap();
    let params = net.parameters();
    let loss = MSELoss::new().forward(
        &net.forward(&tensor_f32(&g["input"])),
        &tensor_f32(&g["target"]),
    );
    loss.backward();
    for p in &params {
        let grad = p.grad().unwrap();
        let step = &*grad.data() * 0.1f32;
        *p.data_mut() -= &step;
    }
    for (name, p) in net.named_parameters() {
        let (shape, want) = nested(&g["params_after_first_step"][&name]);
        assert_close(&format!("after step: {name}"), &p, &shape, &want);
    }
    // The loss after the step equals PyTorch's second epoch loss.
    let loss2 = MSELoss::new().forward(
        &net.forward(&tensor_f32(&g["input"])),
        &tensor_f32(&g["target"]),
    );
    let l1 = g["losses"][1].as_f64().unwrap();
    assert_close("losses[1]", &loss2, &[], &[l1]);
}
