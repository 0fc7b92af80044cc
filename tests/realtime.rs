//! No process call allocates: a counting global allocator watches every
//! layout, channel count and ISA (this file is its own test binary, so the
//! allocator sees nothing else).

use lanedsp::{EnvelopeFollower, Isa, Processor};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn process_calls_do_not_allocate() {
    for isa in Isa::available() {
        for channels in [1, 3, 16, 17, 64, 67] {
            let len = 1000;
            let mut env = EnvelopeFollower::new(48_000.0, channels, 0.001, 0.1)
                .unwrap()
                .with_isa(isa)
                .unwrap();
            let input: Vec<Vec<f32>> = (0..channels).map(|c| vec![0.1 * c as f32; len]).collect();
            let mut output = input.clone();
            let ins: Vec<&[f32]> = input.iter().map(Vec::as_slice).collect();
            let mut outs: Vec<&mut [f32]> = output.iter_mut().map(Vec::as_mut_slice).collect();
            let frames = vec![0.25f32; len * channels];
            let mut frames_out = frames.clone();

            let before = ALLOCATIONS.load(Ordering::Relaxed);
            env.process_planar(&ins, &mut outs).unwrap();
            env.process_planar_in_place(&mut outs).unwrap();
            env.process_interleaved(&frames, &mut frames_out).unwrap();
            env.process_interleaved_in_place(&mut frames_out).unwrap();
            let _ = env.process_interleaved(&frames[1..], &mut frames_out[1..]);
            env.set_times(0.002, 0.2).unwrap();
            env.reset();
            let after = ALLOCATIONS.load(Ordering::Relaxed);
            assert_eq!(
                after, before,
                "{isa}, {channels} channels: allocated in a process call"
            );
        }
    }
}
