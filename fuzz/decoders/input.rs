//! The byte reader both decoders draw from. Whatever includes a decoder (a fuzz target,
//! `tests/fuzz_decoders.rs`) includes this file beside it as `mod input`; each decoder takes
//! `super::input::Input` and adds the draws of its own through a local trait.

/// Reads the input a byte at a time; an exhausted input reads as zeros.
pub struct Input<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Input<'a> {
    /// Wraps the fuzzer's bytes.
    pub fn new(data: &'a [u8]) -> Self {
        Input { data, pos: 0 }
    }
    /// Has every byte been read?
    pub fn done(&self) -> bool {
        self.pos >= self.data.len()
    }
    /// The next byte (0 past the end).
    pub fn u8(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }
    /// A number in `0..n` from the next byte (0 when `n` is 0, reading nothing).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            self.u8() as usize % n
        }
    }
}
