//! A fast, deterministic hasher for the ledger's id maps.
//!
//! Account ids are chosen by the operator and transaction ids are blake3
//! outputs, so a multiply-and-rotate hash spreads them well at a fraction of
//! SipHash's cost, and it uses no random seed: the ledger stays free of
//! random sources.
//!
//! Public so that benchmarks can compare the ledger with a bare loop over
//! the very same kind of map.
//!
//! TODO(hashing): a submitter can grind transaction bodies until their ids
//! share low bits and so slow down the applied-id set. Keying this hasher
//! with a per-ledger secret from the configuration would remove that, at no
//! cost to determinism (the maps are never iterated to produce results).

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

/// A hash set of ids.
pub type IdSet<K> = std::collections::HashSet<K, IdBuildHasher>;
