//! Where each channel sits in the lanes: the slot plan.
//!
//! Kernels work on *slots*: lane positions in a row of registers. Usually
//! slot `c` holds channel `c` (the identity plan). Channels linked into a
//! group must share a detector value, which the compressor computes with a
//! butterfly across the group's lanes; that needs the group in an aligned
//! block of `2^k` slots. [`Plan::linked`] places the groups in such blocks
//! (padding slots fill the rest) and the driver gathers and scatters
//! channels through the plan. The plan depends only on the channel count and
//! the groups, never on the ISA, so every ISA reduces in the same order.

use core::fmt;

/// Largest link group, in channels (one block of 16 slots).
pub const MAX_LINK: usize = 16;

/// Why a set of link groups cannot be planned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanError {
    /// A group names a channel past the last one.
    ChannelIndex {
        /// The channel index.
        index: usize,
        /// Channels the processor has.
        channels: usize,
    },
    /// A channel appears twice (in one group or in two).
    Duplicate(usize),
    /// A group is larger than [`MAX_LINK`] channels.
    TooLarge(usize),
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            PlanError::ChannelIndex { index, channels } => {
                write!(
                    f,
                    "link group names channel {index}, but there are {channels}"
                )
            }
            PlanError::Duplicate(c) => write!(f, "channel {c} is in more than one link group"),
            PlanError::TooLarge(n) => {
                write!(f, "a link group of {n} channels is larger than {MAX_LINK}")
            }
        }
    }
}

impl std::error::Error for PlanError {}

/// Marks a padding slot.
const PAD: u32 = u32::MAX;

/// The slot of every channel, and the link block of every slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    channels: usize,
    /// Slot -> channel (or `PAD`); length a multiple of 16.
    slots: Vec<u32>,
    /// Slot -> size of its link block (a power of two; 1 when unlinked).
    blocks: Vec<u8>,
    /// Slot -> channels in its link group (1 when unlinked).
    members: Vec<u8>,
    /// Channel -> slot.
    slot_of: Vec<u32>,
    identity: bool,
}

impl Plan {
    /// Channel `c` in slot `c`, nothing linked.
    pub fn identity(channels: usize) -> Plan {
        let groups: Vec<Vec<usize>> = Vec::new();
        Plan::build(channels, &groups, true)
    }

    /// Places `groups` (each a list of channels sharing one detector) in
    /// aligned blocks; channels in no group stay unlinked. Keeps the identity
    /// layout when every group already is an aligned run of `2^k` channels.
    pub fn linked(channels: usize, groups: &[Vec<usize>]) -> Result<Plan, PlanError> {
        let mut seen = vec![false; channels];
        for group in groups {
            if group.len() > MAX_LINK {
                return Err(PlanError::TooLarge(group.len()));
            }
            for &c in group {
                if c >= channels {
                    return Err(PlanError::ChannelIndex { index: c, channels });
                }
                if std::mem::replace(&mut seen[c], true) {
                    return Err(PlanError::Duplicate(c));
                }
            }
        }
        let natural = groups.iter().all(|g| {
            let b = g.len().next_power_of_two();
            g.is_empty()
                || (g.len() == b && g[0] % b == 0 && g.windows(2).all(|w| w[1] == w[0] + 1))
        });
        Ok(Plan::build(channels, groups, natural))
    }

    fn build(channels: usize, groups: &[Vec<usize>], natural: bool) -> Plan {
        let mut slots: Vec<u32> = Vec::new();
        let mut blocks: Vec<u8> = Vec::new();
        let mut members: Vec<u8> = Vec::new();
        let grow = |v: &mut Vec<u32>, b: &mut Vec<u8>, m: &mut Vec<u8>, len: usize| {
            if v.len() < len {
                v.resize(len, PAD);
                b.resize(len, 1);
                m.resize(len, 1);
            }
        };
        if natural {
            grow(&mut slots, &mut blocks, &mut members, channels);
            for (c, s) in slots.iter_mut().enumerate() {
                *s = c as u32;
            }
            for g in groups {
                for &c in g {
                    blocks[c] = g.len() as u8;
                    members[c] = g.len() as u8;
                }
            }
        } else {
            // Largest blocks first, each at the first free aligned position.
            let mut order: Vec<&Vec<usize>> = groups.iter().filter(|g| !g.is_empty()).collect();
            order.sort_by_key(|g| core::cmp::Reverse(g.len().next_power_of_two()));
            let mut grouped = vec![false; channels];
            for g in order {
                let b = g.len().next_power_of_two();
                let mut at = 0;
                while slots
                    .get(at..at + b)
                    .is_some_and(|run| run.iter().any(|&s| s != PAD))
                {
                    at += b;
                }
                grow(&mut slots, &mut blocks, &mut members, at + b);
                for i in 0..b {
                    slots[at + i] = g.get(i).map_or(PAD, |&c| c as u32);
                    blocks[at + i] = b as u8;
                    members[at + i] = g.len() as u8;
                }
                for &c in g {
                    grouped[c] = true;
                }
                // Reserve the block's padding so singles do not take it.
                for i in g.len()..b {
                    slots[at + i] = PAD - 1;
                }
            }
            let mut free = 0;
            for c in (0..channels).filter(|&c| !grouped[c]) {
                while slots.get(free).is_some_and(|&s| s != PAD) {
                    free += 1;
                }
                grow(&mut slots, &mut blocks, &mut members, free + 1);
                slots[free] = c as u32;
            }
            for s in slots.iter_mut().filter(|s| **s == PAD - 1) {
                *s = PAD;
            }
        }
        Plan::assemble(channels, slots, blocks, members)
    }

    /// Pads the slots to a multiple of 16 and derives the channel -> slot
    /// map and the identity flag.
    fn assemble(
        channels: usize,
        mut slots: Vec<u32>,
        mut blocks: Vec<u8>,
        mut members: Vec<u8>,
    ) -> Plan {
        let len = slots.len().div_ceil(16).max(1) * 16;
        slots.resize(len, PAD);
        blocks.resize(len, 1);
        members.resize(len, 1);
        let mut slot_of = vec![0u32; channels];
        for (s, &c) in slots.iter().enumerate() {
            if c != PAD {
                slot_of[c as usize] = s as u32;
            }
        }
        // The direct interleaved path reads slot `c` from channel `c` and
        // covers only the registers up to the last channel, so a link block
        // reaching past the last channel (a group of 9 to 12 in a block of
        // 16, say) would lose its padding registers there, and with them
        // the butterfly steps between its halves: such a plan goes through
        // the tile, which covers whole blocks.
        let identity = slots
            .iter()
            .enumerate()
            .take(channels)
            .all(|(s, &c)| c as usize == s && (s | (usize::from(blocks[s]) - 1)) < channels);
        Plan {
            channels,
            slots,
            blocks,
            members,
            slot_of,
            identity,
        }
    }

    /// Slots that one copy of the plan takes in [`Plan::repeated`]: the
    /// used slots rounded up to the largest link block, so that every copy
    /// starts on a block boundary.
    pub fn period(&self) -> usize {
        let block = self.max_block();
        self.used().div_ceil(block).max(1) * block
    }

    /// `copies` copies of this plan side by side, for chunks in lanes:
    /// copy `i` holds channel `c` as channel `i * channels() + c`, in slot
    /// `i * period() + slot(c)`, with the same link blocks (and their
    /// padding slots) as the original.
    pub fn repeated(&self, copies: usize) -> Plan {
        let period = self.period();
        let mut slots = Vec::with_capacity(copies * period);
        let mut blocks = Vec::with_capacity(copies * period);
        let mut members = Vec::with_capacity(copies * period);
        for i in 0..copies {
            let shift = (i * self.channels) as u32;
            slots.extend(
                self.slots[..period]
                    .iter()
                    .map(|&c| if c == PAD { PAD } else { c + shift }),
            );
            blocks.extend_from_slice(&self.blocks[..period]);
            members.extend_from_slice(&self.members[..period]);
        }
        Plan::assemble(copies * self.channels, slots, blocks, members)
    }

    /// Number of channels.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Number of slots (a multiple of 16).
    pub fn slots(&self) -> usize {
        self.slots.len()
    }

    /// Slots up to and including the last one holding a channel.
    pub fn used(&self) -> usize {
        self.slots
            .iter()
            .rposition(|&c| c != PAD)
            .map_or(0, |s| s + 1)
    }

    /// The channel in `slot`, or `None` for padding.
    pub fn channel(&self, slot: usize) -> Option<usize> {
        self.slots
            .get(slot)
            .filter(|&&c| c != PAD)
            .map(|&c| c as usize)
    }

    /// The slot of `channel`.
    pub fn slot(&self, channel: usize) -> usize {
        self.slot_of[channel] as usize
    }

    /// Size of the link block `slot` belongs to (1 when unlinked).
    pub fn block(&self, slot: usize) -> usize {
        usize::from(self.blocks[slot])
    }

    /// Channels in the link group of `slot` (1 when unlinked).
    pub fn members(&self, slot: usize) -> usize {
        usize::from(self.members[slot])
    }

    /// Largest link block.
    pub fn max_block(&self) -> usize {
        self.blocks.iter().copied().max().map_or(1, usize::from)
    }

    /// Whether slot `c` holds channel `c` for every channel and every link
    /// block ends at or before the last channel: interleaved frames are
    /// then rows of slots as they stand (the driver's direct path).
    pub fn is_identity(&self) -> bool {
        self.identity
    }
}
