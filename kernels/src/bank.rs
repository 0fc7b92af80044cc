//! Per-channel storage laid out for lanes: words of `f32`, one row per word.

/// Per-channel values (parameters or state) in structure-of-arrays form.
///
/// Word `w` of channel `c` is at `row(w)[c]`. Each row is padded to a
/// multiple of [`Bank::PAD`] channels so that any ISA can load whole
/// registers; padding lanes hold `0.0` in state and a neutral value chosen by
/// the owner in parameters, and never reach an output.
#[derive(Debug, PartialEq)]
pub struct Bank {
    data: Vec<f32>,
    words: usize,
    channels: usize,
    stride: usize,
}

impl Bank {
    /// Row padding: the widest register (AVX-512, 16 lanes).
    pub const PAD: usize = 16;

    /// A bank of `words` rows for `channels` channels, all `0.0`.
    pub fn new(words: usize, channels: usize) -> Bank {
        let stride = channels.div_ceil(Self::PAD).max(1) * Self::PAD;
        Bank {
            data: vec![0.0; words * stride],
            words,
            channels,
            stride,
        }
    }

    /// Number of rows.
    pub fn words(&self) -> usize {
        self.words
    }

    /// Number of channels (not counting padding).
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Row `w`, padding included.
    pub fn row(&self, w: usize) -> &[f32] {
        &self.data[w * self.stride..(w + 1) * self.stride]
    }

    /// Row `w`, padding included, mutable.
    pub fn row_mut(&mut self, w: usize) -> &mut [f32] {
        &mut self.data[w * self.stride..(w + 1) * self.stride]
    }

    /// Floats from one row to the next (the padded channel count).
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// Every row, one after the other (`row(w)` is
    /// `data()[w * stride()..][..stride()]`).
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// Every row, mutable.
    pub fn data_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// Sets every value, padding included, to `0.0`.
    pub fn clear(&mut self) {
        self.data.fill(0.0);
    }
}

impl Clone for Bank {
    fn clone(&self) -> Bank {
        Bank {
            data: self.data.clone(),
            ..*self
        }
    }

    /// Reuses this bank's storage (`Vec::clone_from`): no allocation when
    /// `source` has the same shape, as a processor's reset needs.
    fn clone_from(&mut self, source: &Bank) {
        self.data.clone_from(&source.data);
        self.words = source.words;
        self.channels = source.channels;
        self.stride = source.stride;
    }
}
