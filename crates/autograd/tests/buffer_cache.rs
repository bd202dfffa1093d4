//! The buffer cache seen from outside: a freed large tensor's buffer is kept and handed to the
//! next tensor of that size, which still reads as what it was made to be (zeros here, never
//! the old values). One test in its own binary, so no other test frees buffers meanwhile.

use tapegrad_autograd::{buffer_cache, Tensor};

#[test]
fn a_freed_buffer_is_reused_and_never_shows_its_old_values() {
    buffer_cache::empty_cache();
    let bytes = 512 * 512 * 4; // 1 MiB of f32
    drop(Tensor::<f32>::full(&[512, 512], 7.0));
    assert_eq!(buffer_cache::cached_bytes(), bytes);

    let zeros = Tensor::<f32>::zeros(&[512, 512]);
    assert_eq!(
        buffer_cache::cached_bytes(),
        0,
        "the zeros took the kept buffer"
    );
    assert!(zeros.to_vec().iter().all(|&v| v == 0.0));

    // Elementwise results reuse them too, and hold their own values: `ones - 2` and its relu
    // are kept when dropped, then `ones + 0.5` and its relu take both, and `ones + 0.5`, a
    // temporary, gives its back.
    drop(zeros.to_vec()); // a plain Vec is not a tensor's buffer: nothing is kept
    assert_eq!(buffer_cache::cached_bytes(), 0);
    let ones = Tensor::<f32>::ones(&[512, 512]);
    drop((&ones - 2.0).relu());
    assert_eq!(buffer_cache::cached_bytes(), 2 * bytes);
    let y = (&ones + 0.5).relu();
    assert_eq!(buffer_cache::cached_bytes(), bytes);
    assert!(y.to_vec().iter().all(|&v| v == 1.5));

    // f64 buffers are kept apart from f32 ones of the same bytes.
    drop(y);
    assert!(Tensor::<f64>::zeros(&[256, 512])
        .to_vec()
        .iter()
        .all(|&v| v == 0.0));
    assert_eq!(
        buffer_cache::cached_bytes(),
        bytes + 256 * 512 * 8,
        "f32 kept, f64 kept"
    );

    // Small buffers are left to the allocator; a limit of 0 turns the cache off.
    buffer_cache::empty_cache();
    drop(Tensor::<f32>::zeros(&[100, 100]));
    assert_eq!(buffer_cache::cached_bytes(), 0);
    let limit = buffer_cache::cache_limit();
    buffer_cache::set_cache_limit(0);
    drop(Tensor::<f32>::zeros(&[512, 512]));
    assert_eq!(buffer_cache::cached_bytes(), 0);
    buffer_cache::set_cache_limit(limit);
    drop(Tensor::<f32>::zeros(&[512, 512]));
    assert_eq!(buffer_cache::cached_bytes(), bytes);
}
