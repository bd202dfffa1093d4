use tapegrad_autograd::kernels::math::{cos_f32, sin_f32};
fn main() {
    let lim: f32 = std::env::args()
        .nth(1)
        .map_or(1024.0, |a| a.parse().unwrap());
    let (mut ws, mut wc, mut xs_, mut xc_) = (0.0f64, 0.0f64, 0.0f32, 0.0f32);
    let mut b = 0u32;
    loop {
        let x = f32::from_bits(b);
        if x > lim {
            break;
        }
        for x in [x, -x] {
            let (es, ec) = ((x as f64).sin(), (x as f64).cos());
            let sp = |e: f64| (f32::EPSILON as f64 * e.abs()).max(f32::MIN_POSITIVE as f64);
            let us = (sin_f32(x) as f64 - es).abs() / sp(es);
            let uc = (cos_f32(x) as f64 - ec).abs() / sp(ec);
            if us > ws {
                ws = us;
                xs_ = x;
            }
            if uc > wc {
                wc = uc;
                xc_ = x;
            }
        }
        b += 1;
    }
    println!("up to {lim}: sin worst {ws:.3} ulp at {xs_:e}, cos worst {wc:.3} ulp at {xc_:e}");
}
