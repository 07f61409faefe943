//! A fast, deterministic hasher for the ledger's id maps.
//!
//! Account ids are chosen by the operator, who opens the accounts, so a
//! multiply-and-rotate hash spreads them well at a fraction of SipHash's
//! cost, and it uses no random seed: the ledger stays free of random
//! sources. (Were the map ever keyed by ids that strangers choose, such as
//! transaction ids, a keyed hash would be needed against crafted
//! collisions.)
//!
//! Public so that benchmarks can compare the ledger with a bare loop over
//! the very same kind of map.

use std::hash::{BuildHasherDefault, Hasher};

/// The multiplier of the 64-bit Fibonacci hash (2^64 divided by the golden
/// ratio, made odd).
const SEED: u64 = 0x9e37_79b9_7f4a_7c15;

/// A multiply-and-rotate hasher for small keys.
#[derive(Debug, Default, Clone, Copy)]
pub struct IdHasher {
    state: u64,
}

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.state
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0_u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.state = (self.state.rotate_left(5) ^ value).wrapping_mul(SEED);
    }
}

/// Builds [`IdHasher`]s.
pub type IdBuildHasher = BuildHasherDefault<IdHasher>;

/// A hash map keyed by ids.
pub type IdMap<K, V> = std::collections::HashMap<K, V, IdBuildHasher>;
