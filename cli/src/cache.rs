//! Decoded files kept in memory for a command that reads every file
//! several times (`master`: measure, correct, write), so that only the
//! first read decodes and the others copy samples.
//!
//! Off until a command calls [`enable`]; then bounded by its budget: a
//! file is kept when it was read to its end without error and its samples
//! fit in what is left (its stated length is reserved when it is opened).
//! Files that do not fit are decoded on every read, as without the cache.
//! A replay delivers the decoder's own samples, so outputs do not depend
//! on the cache.

use crate::audio::{Info, Result, Source};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// The files decoded so far and the samples they hold.
struct Cache {
    /// Samples (`f32`) the cache may hold, kept and being recorded.
    budget: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Samples kept or reserved by recordings under way.
    used: usize,
    files: HashMap<PathBuf, Arc<Decoded>>,
}

/// A whole file: what it holds and its interleaved samples.
struct Decoded {
    info: Info,
    samples: Vec<f32>,
}

static CACHE: OnceLock<Cache> = OnceLock::new();

/// Keeps decoded files, up to `bytes` of samples, for the rest of the
/// process. Only the first call counts.
pub fn enable(bytes: usize) {
    let _ = CACHE.set(Cache::new(bytes));
}

/// `path` from the cache when it holds it; else `decode(path)`, recorded
/// for the next read when the cache is on and the file fits.
pub fn open(
    path: &Path,
    decode: impl FnOnce(&Path) -> Result<Box<dyn Source>>,
) -> Result<Box<dyn Source>> {
    match CACHE.get() {
        Some(cache) => cache.open(path, decode),
        None => decode(path),
    }
}

impl Cache {
    fn new(bytes: usize) -> Cache {
        Cache {
            budget: bytes / size_of::<f32>(),
            state: Mutex::default(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is a map and a count, consistent after every
        // statement: a panic elsewhere cannot leave it half-updated.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn open(
        self: &'static Cache,
        path: &Path,
        decode: impl FnOnce(&Path) -> Result<Box<dyn Source>>,
    ) -> Result<Box<dyn Source>> {
        if let Some(decoded) = self.state().files.get(path) {
            return Ok(Box::new(Replay {
                decoded: Arc::clone(decoded),
                at: 0,
            }));
        }
        let source = decode(path)?;
        // A stated length is reserved whole, so that files decoded side by
        // side are kept whole or not at all; without one, as it comes.
        let info = source.info();
        let stated = info
            .frames
            .and_then(|f| usize::try_from(f).ok())
            .and_then(|f| f.checked_mul(info.channels));
        let reserved = match stated {
            Some(n) if self.reserve(n) => n,
            Some(_) => return Ok(source),
            None => 0,
        };
        Ok(Box::new(Recording {
            cache: self,
            path: path.to_owned(),
            samples: Vec::with_capacity(reserved),
            reserved,
            source,
            complete: false,
            failed: false,
        }))
    }

    /// Reserves `n` samples of the budget; whether they were free.
    fn reserve(&self, n: usize) -> bool {
        let mut state = self.state();
        let fits = state.used.checked_add(n).is_some_and(|u| u <= self.budget);
        if fits {
            state.used += n;
        }
        fits
    }
}

/// A decoder whose samples are copied aside; kept by the cache when the
/// file was read to its end without error and within the budget.
struct Recording {
    cache: &'static Cache,
    path: PathBuf,
    samples: Vec<f32>,
    /// Samples of the budget reserved for this file.
    reserved: usize,
    source: Box<dyn Source>,
    /// Whether a read came back short: the end of the stream.
    complete: bool,
    failed: bool,
}

impl Source for Recording {
    fn info(&self) -> &Info {
        self.source.info()
    }

    fn read(&mut self, max_frames: usize, out: &mut Vec<f32>) -> Result<usize> {
        let from = out.len();
        let got = self.source.read(max_frames, out).inspect_err(|_| {
            self.failed = true;
        })?;
        if !self.failed {
            let new = &out[from..];
            // Samples beyond what is reserved so far (a stream without a
            // stated length, or longer than stated).
            let extra = (self.samples.len() + new.len()).saturating_sub(self.reserved);
            if extra == 0 || self.cache.reserve(extra) {
                self.reserved += extra;
                self.samples.extend_from_slice(new);
            } else {
                // Over the budget: stop copying; the reservation goes back
                // when the recording is dropped.
                self.failed = true;
                self.samples = Vec::new();
            }
        }
        self.complete |= got < max_frames;
        Ok(got)
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        let kept = self.complete && !self.failed;
        let mut state = self.cache.state();
        if kept && !state.files.contains_key(&self.path) {
            let decoded = Decoded {
                info: self.source.info().clone(),
                samples: std::mem::take(&mut self.samples),
            };
            state.used -= self.reserved - decoded.samples.len();
            state.files.insert(self.path.clone(), Arc::new(decoded));
        } else {
            state.used -= self.reserved;
        }
    }
}

/// A kept file, read from memory.
struct Replay {
    decoded: Arc<Decoded>,
    /// Samples delivered so far.
    at: usize,
}

impl Source for Replay {
    fn info(&self) -> &Info {
        &self.decoded.info
    }

    fn read(&mut self, max_frames: usize, out: &mut Vec<f32>) -> Result<usize> {
        let ch = self.decoded.info.channels;
        let rest = &self.decoded.samples[self.at..];
        let take = rest.len().min(max_frames.saturating_mul(ch));
        out.extend_from_slice(&rest[..take]);
        self.at += take;
        Ok(take / ch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::SampleKind;

    /// A decoder of `frames` stereo frames (sample `i` is `i`), stating
    /// `stated` frames, failing its reads from frame `fail_at` on.
    struct Fake {
        info: Info,
        frames: usize,
        at: usize,
        fail_at: usize,
    }

    fn fake(frames: usize, stated: Option<u64>, fail_at: usize) -> Box<dyn Source> {
        let info = Info {
            sample_rate: 48_000,
            channels: 2,
            frames: stated,
            kind: SampleKind::Float,
            codec: "fake",
        };
        Box::new(Fake {
            info,
            frames,
            at: 0,
            fail_at,
        })
    }

    impl Source for Fake {
        fn info(&self) -> &Info {
            &self.info
        }
        fn read(&mut self, max_frames: usize, out: &mut Vec<f32>) -> Result<usize> {
            if self.at >= self.fail_at {
                return Err("broken".into());
            }
            let n = max_frames.min(self.frames - self.at);
            out.extend((2 * self.at..2 * (self.at + n)).map(|i| i as f32));
            self.at += n;
            Ok(n)
        }
    }

    /// Reads `source` to its end in blocks of `block` frames.
    fn drain(mut source: Box<dyn Source>, block: usize) -> Result<Vec<f32>> {
        let mut all = Vec::new();
        while source.read(block, &mut all)? == block {}
        Ok(all)
    }

    fn leak(bytes: usize) -> &'static Cache {
        Box::leak(Box::new(Cache::new(bytes)))
    }

    #[test]
    fn a_file_read_to_its_end_is_replayed_with_the_same_samples() {
        let cache = leak(1 << 20);
        let path = Path::new("a.wav");
        let first = drain(
            cache
                .open(path, |_| Ok(fake(1000, Some(1000), usize::MAX)))
                .unwrap(),
            64,
        )
        .unwrap();
        let again = cache.open(path, |_| Err("decoded twice".into())).unwrap();
        assert_eq!(again.info().codec, "fake");
        assert_eq!(drain(again, 100).unwrap(), first);
        assert_eq!(first.len(), 2000);
        assert_eq!(cache.state().used, 2000);
    }

    #[test]
    fn files_not_kept_release_their_reservation() {
        let cache = leak(4 * 2000);
        // Too long for the budget: decoded every time.
        let long = Path::new("long.wav");
        drain(
            cache
                .open(long, |_| Ok(fake(1001, Some(1001), usize::MAX)))
                .unwrap(),
            64,
        )
        .unwrap();
        // A read error, longer than the budget without a stated length or
        // than its stated length once the budget is used up, dropped before
        // its end: none is kept.
        let cases: [(&str, usize, Option<u64>, usize, usize); 4] = [
            ("broken.wav", 500, Some(500), 100, 64),
            ("unstated.wav", 1001, None, usize::MAX, 64),
            ("probed.wav", 500, Some(500), usize::MAX, 0),
            ("long2.wav", 1001, Some(500), usize::MAX, 64),
        ];
        for (name, frames, stated, fail_at, block) in cases {
            let source = cache.open(Path::new(name), |_| Ok(fake(frames, stated, fail_at)));
            if block > 0 {
                let _ = drain(source.unwrap(), block);
            } else {
                drop(source);
            }
            assert_eq!(cache.state().used, 0, "{name}");
        }
        for name in [
            "long.wav",
            "broken.wav",
            "unstated.wav",
            "probed.wav",
            "long2.wav",
        ] {
            let decoded = cache.open(Path::new(name), |_| Err("decoded".into()));
            assert!(decoded.is_err(), "{name} was kept");
        }
        // What fits is still kept, with or without a stated length, and
        // whatever length it states (the decoder's samples are replayed).
        for (name, frames, stated) in [
            ("ok.wav", 300, Some(300)),
            ("unstated-ok.wav", 300, None),
            ("short.wav", 300, Some(400)),
        ] {
            let path = Path::new(name);
            let first = drain(
                cache
                    .open(path, |_| Ok(fake(frames, stated, usize::MAX)))
                    .unwrap(),
                64,
            )
            .unwrap();
            let again = cache.open(path, |_| Err("decoded".into())).unwrap();
            assert_eq!(drain(again, 64).unwrap(), first, "{name}");
        }
        assert_eq!(cache.state().used, 3 * 600);
    }
}
