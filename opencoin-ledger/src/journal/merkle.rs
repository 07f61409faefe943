//! Signed checkpoints and Merkle inclusion proofs over the journal's
//! records, so that an account holder can check their history without
//! trusting the operator.
//!
//! # The tree
//!
//! The tree is the one certificate-transparency logs use (RFC 6962, section
//! 2.1), with blake3 in place of SHA-256. Its leaves are the records' chain
//! hashes, in record order. For a list of n leaves `D[0..n]`:
//!
//! - the hash of the empty list is `blake3("")`;
//! - the hash of one leaf d is `blake3(0x00 || d)`;
//! - for n > 1, with k the largest power of two smaller than n, the hash is
//!   `blake3(0x01 || hash(D[0..k]) || hash(D[k..n]))`.
//!
//! `blake3(x)` is plain blake3 (no key, no context) with a 32-byte output.
//! The 0x00 and 0x01 prefixes keep a leaf from being taken for an inner node.
//!
//! An inclusion proof of leaf m in a tree of n leaves is RFC 6962's audit
//! path: the sibling hashes from the leaf up to the root, lowest first.
//! [`verify_inclusion`] follows the verification procedure of RFC 9162,
//! section 2.1.3.2.
//!
//! # Checkpoints
//!
//! A [`Checkpoint`] is the operator's ed25519 signature over
//! [`CHECKPOINT_DOMAIN`] followed by the record count (8 bytes, big-endian)
//! and the root hash (32 bytes).
//!
//! It is checked with ed25519-dalek's `verify_strict`, not under the ZIP 215
//! rules the ledger applies to transactions (`opencoin_core::signature`).
//! Those rules exist so that a batch and a one-by-one check agree; a
//! checkpoint is only ever checked alone, and a signature made honestly
//! passes the stricter check too.

use opencoin_core::ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use thiserror::Error;

use super::file::HASH_BYTES;

/// The prefix of every signed checkpoint message.
pub const CHECKPOINT_DOMAIN: &[u8] = b"opencoin 2026-12 journal checkpoint v1\0";

/// A hash in the tree.
pub type TreeHash = [u8; HASH_BYTES];

/// The hash of a leaf holding `data`.
pub fn leaf_hash(data: &[u8; HASH_BYTES]) -> TreeHash {
    let mut hasher = blake3::Hasher::new();
    hasher.update(&[0x00]);
    hasher.update(data);
    *hasher.finalize().as_bytes()
}

/// The hash of an inner node.
pub fn node_hash(left: &TreeHash, right: &TreeHash) -> TreeHash {
    let mut hasher = blake3::Hasher::new();
    hasher.update(&[0x01]);
    hasher.update(left);
    hasher.update(right);
    *hasher.finalize().as_bytes()
}

/// The largest power of two strictly smaller than `n` (n at least 2).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// The root of the tree over `leaves` (already leaf-hashed).
pub(crate) fn root_of_leaves(leaves: &[TreeHash]) -> TreeHash {
    match leaves {
        [] => *blake3::hash(&[]).as_bytes(),
        [leaf] => *leaf,
        _ => {
            let k = split(leaves.len());
            node_hash(&root_of_leaves(&leaves[..k]), &root_of_leaves(&leaves[k..]))
        }
    }
}

/// The audit path of leaf `index` in the tree over `leaves`; empty if the
/// index is out of range.
pub(crate) fn audit_path(leaves: &[TreeHash], index: usize) -> Vec<TreeHash> {
    let mut path = Vec::new();
    audit_path_into(leaves, index, &mut path);
    path
}

fn audit_path_into(leaves: &[TreeHash], index: usize, path: &mut Vec<TreeHash>) {
    if leaves.len() <= 1 || index >= leaves.len() {
        return;
    }
    let k = split(leaves.len());
    if index < k {
        audit_path_into(&leaves[..k], index, path);
        path.push(root_of_leaves(&leaves[k..]));
    } else {
        audit_path_into(&leaves[k..], index - k, path);
        path.push(root_of_leaves(&leaves[..k]));
    }
}

/// Checks that `record_hash` is leaf `index` of the tree of `size` leaves
/// whose root is `root`, by the audit path `path`.
pub fn verify_inclusion(
    record_hash: &[u8; HASH_BYTES],
    index: u64,
    size: u64,
    path: &[TreeHash],
    root: &TreeHash,
) -> bool {
    if index >= size {
        return false;
    }
    let mut node = index;
    let mut last = size - 1;
    let mut hash = leaf_hash(record_hash);
    for sibling in path {
        if last == 0 {
            return false;
        }
        if node & 1 == 1 || node == last {
            hash = node_hash(sibling, &hash);
            if node & 1 == 0 {
                while node & 1 == 0 && node != 0 {
                    node >>= 1;
                    last >>= 1;
                }
            }
        } else {
            hash = node_hash(&hash, sibling);
        }
        node >>= 1;
        last >>= 1;
    }
    last == 0 && hash == *root
}

/// The operator's signed statement that the journal's first `record_count`
/// records have the Merkle root `root`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// How many records the tree covers.
    pub record_count: u64,
    /// The root of the tree over their chain hashes.
    pub root: TreeHash,
    /// The operator's signature.
    pub signature: Signature,
}

/// A checkpoint whose signature does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("the checkpoint signature does not verify")]
pub struct InvalidCheckpointSignature;

fn checkpoint_message(record_count: u64, root: &TreeHash) -> Vec<u8> {
    let mut message = Vec::with_capacity(CHECKPOINT_DOMAIN.len() + 8 + HASH_BYTES);
    message.extend_from_slice(CHECKPOINT_DOMAIN);
    message.extend_from_slice(&record_count.to_be_bytes());
    message.extend_from_slice(root);
    message
}

impl Checkpoint {
    /// Signs `(record_count, root)` with the operator's key.
    pub fn sign(record_count: u64, root: TreeHash, key: &SigningKey) -> Checkpoint {
        let signature = key.sign(&checkpoint_message(record_count, &root));
        Checkpoint { record_count, root, signature }
    }

    /// Checks the signature against the operator's public key, with
    /// `verify_strict` (see the [module docs](self)).
    ///
    /// # Errors
    ///
    /// [`InvalidCheckpointSignature`], without detail.
    pub fn verify(&self, operator: &VerifyingKey) -> Result<(), InvalidCheckpointSignature> {
        let message = checkpoint_message(self.record_count, &self.root);
        operator.verify_strict(&message, &self.signature).map_err(|_| InvalidCheckpointSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: usize) -> Vec<[u8; 32]> {
        (0..n).map(|i| *blake3::hash(&(i as u64).to_be_bytes()).as_bytes()).collect()
    }

    #[test]
    fn small_trees_match_the_rfc_shape() {
        // Three leaves a, b, c: root = N(N(L(a), L(b)), L(c)), written out
        // by hand from the definition (k = 2 for n = 3).
        let data = leaves(3);
        let hashed: Vec<_> = data.iter().map(leaf_hash).collect();
        let by_hand =
            node_hash(&node_hash(&leaf_hash(&data[0]), &leaf_hash(&data[1])), &leaf_hash(&data[2]));
        assert_eq!(root_of_leaves(&hashed), by_hand);
        assert_eq!(root_of_leaves(&[]), *blake3::hash(b"").as_bytes());
    }

    #[test]
    fn every_leaf_of_every_small_tree_verifies_and_no_other() {
        for size in 1..=17_usize {
            let data = leaves(size);
            let hashed: Vec<_> = data.iter().map(leaf_hash).collect();
            let root = root_of_leaves(&hashed);
            for index in 0..size {
                let path = audit_path(&hashed, index);
                assert!(verify_inclusion(&data[index], index as u64, size as u64, &path, &root));
                let other = (index + 1) % size;
                if other != index {
                    assert!(!verify_inclusion(
                        &data[other],
                        index as u64,
                        size as u64,
                        &path,
                        &root
                    ));
                    assert!(!verify_inclusion(
                        &data[index],
                        other as u64,
                        size as u64,
                        &path,
                        &root
                    ));
                }
                // The tree one leaf longer has another root, which the
                // proof does not reach.
                let longer: Vec<_> = leaves(size + 1).iter().map(leaf_hash).collect();
                let longer_root = root_of_leaves(&longer);
                let (index_u64, longer_size) = (index as u64, size as u64 + 1);
                assert!(!verify_inclusion(
                    &data[index],
                    index_u64,
                    longer_size,
                    &path,
                    &longer_root
                ));
            }
        }
    }
}
