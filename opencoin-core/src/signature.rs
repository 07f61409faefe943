//! Which ed25519 signatures are valid, checked one at a time or in batches
//! that always give the same answer.
//!
//! # The rule
//!
//! A transaction's signature is valid under the rules of ZIP 215 (the
//! `ed25519-zebra` crate implements them): `S` must be below the group
//! order, `R` and the signer's key must decode to curve points, and the
//! *cofactored* equation `[8][S]B = [8]R + [8][k]A` must hold, with
//! `k = SHA-512(R || A || message)`. The ledger adds one rule of its own:
//! an account's owner key must not be of small order
//! ([`is_weak`](ed25519_dalek::VerifyingKey::is_weak)), since under the
//! cofactored equation anyone can sign for such a key. It is checked when
//! an account is opened, and a transaction is only accepted from the
//! account's owner.
//!
//! # Why these rules and not `verify_strict`
//!
//! A ledger verifies thousands of signatures per batch, and checking them
//! together (one multi-scalar multiplication with random coefficients) is
//! about three times cheaper than one by one. But replicas must agree on
//! every signature whatever batches they form. Under the cofactorless
//! equation of `verify_strict`, a signature whose `R` carries a small
//! torsion component (which only the key's owner can make) is refused one
//! at a time yet passes a batch, depending on the other signatures in it.
//! Under the cofactored equation the torsion is multiplied away, so a batch
//! passes exactly when each of its signatures is valid on its own, up to a
//! chance of about 2^-128 (the coefficients have 128 bits) that a batch
//! holding an invalid signature passes. That is what ZIP 215 was written
//! for.
//!
//! What changes against `verify_strict`: signatures whose `R` has a torsion
//! component, or whose `R` uses a non-canonical encoding, are accepted.
//! Both can only be made by the key's owner, and neither changes what was
//! signed: the transaction id covers the body only, so a payment still has
//! exactly one id.
//!
//! # How a batch is checked
//!
//! One at a time, [`verify_one`] uses `ed25519-zebra`, an independent
//! implementation of ZIP 215. A batch, [`verify_batch`], is checked here
//! with the equation that implementation uses too,
//!
//! `[8]( [-sum(z_i s_i)]B + sum([z_i]R_i) + sum([z_i k_i]A_i) ) = 0`,
//!
//! with one random 128-bit coefficient `z_i` per signature, as one
//! multi-scalar multiplication of `curve25519-dalek`. It is written here
//! rather than taken from `ed25519-zebra` because that crate takes each key
//! as bytes and decompresses it again (a square root per key, about a fifth
//! of the cost of a signature in a batch where every key is different),
//! while a [`SignedTransaction`]'s key is already a point. Signatures of
//! the same key share one `A` term, whose coefficient is the sum of theirs.
//! The tests check batches against `verify_one`, valid, forged, torsioned
//! and non-canonical alike.
//!
//! # Determinism of batches
//!
//! The batch's random coefficients come from blake3 over everything the
//! batch verifies (keys, signatures and transaction ids), not from a random
//! source: the ledger needs no source of randomness, and whoever builds a
//! batch cannot choose coefficients after the fact. They are drawn in the
//! order of the batch, so the whole computation is the same on every run
//! and every machine.

use std::collections::HashMap;

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use ed25519_zebra::VerificationKey;
use sha2::{Digest, Sha512};

use crate::tx::{InvalidSignature, SignedTransaction, with_signed_message};

/// The blake3 key-derivation context of the batch coefficients' seed.
pub const BATCH_COEFFICIENTS_CONTEXT: &str = "opencoin 2026-12 signature batch coefficients v1";

/// Checks one transaction's signature under the rules above.
///
/// # Errors
///
/// [`InvalidSignature`], without saying which check failed.
pub fn verify_one(signed: &SignedTransaction) -> Result<(), InvalidSignature> {
    let key =
        VerificationKey::try_from(signed.signer().to_bytes()).map_err(|_| InvalidSignature)?;
    let signature = signed.signature();
    let body = signed.transaction().encode().map_err(|_| InvalidSignature)?;
    with_signed_message(&body, |message| key.verify(signature, message))
        .map_err(|_| InvalidSignature)
}

/// Checks the signatures of many transactions at once: `Ok` exactly when
/// every one of them is valid (see the module docs for how exact that is).
/// When it fails, [`verify_one`] tells which are not.
///
/// Allocates a few buffers per batch, none per signature.
///
/// # Errors
///
/// [`InvalidSignature`] if at least one signature is not valid.
pub fn verify_batch<'a>(
    transactions: impl IntoIterator<Item = &'a SignedTransaction>,
) -> Result<(), InvalidSignature> {
    let transactions = transactions.into_iter();
    let mut seed = blake3::Hasher::new_derive_key(BATCH_COEFFICIENTS_CONTEXT);
    let mut terms = Vec::with_capacity(transactions.size_hint().0);
    for signed in transactions {
        let key = signed.signer();
        let signature = signed.signature();
        seed.update(key.as_bytes());
        seed.update(&signature.to_bytes());
        seed.update(signed.id().as_bytes());
        terms.push(SignatureTerm::of(signed)?);
    }

    // The equation's coefficients (see the module docs), each point once:
    // the base point first, then each distinct key, then each `R`.
    let mut coefficients = seed.finalize_xof();
    let mut base = Scalar::ZERO;
    let mut key_index: HashMap<[u8; 32], usize> = HashMap::with_capacity(terms.len());
    let mut key_coefficients = Vec::with_capacity(terms.len());
    let mut keys = Vec::with_capacity(terms.len());
    let mut r_coefficients = Vec::with_capacity(terms.len());
    for term in &terms {
        let mut bytes = [0_u8; 16];
        coefficients.fill(&mut bytes);
        let z = Scalar::from(u128::from_le_bytes(bytes));

        base -= z * term.s;
        r_coefficients.push(z);
        let index = *key_index.entry(term.key_bytes).or_insert_with(|| {
            keys.push(term.key);
            key_coefficients.push(Scalar::ZERO);
            keys.len() - 1
        });
        key_coefficients[index] += z * term.k;
    }

    let scalars = std::iter::once(&base).chain(&key_coefficients).chain(&r_coefficients);
    let points = std::iter::once(&ED25519_BASEPOINT_POINT)
        .chain(&keys)
        .chain(terms.iter().map(|term| &term.r));
    let sum = EdwardsPoint::vartime_multiscalar_mul(scalars, points);
    if sum.mul_by_cofactor().is_identity() { Ok(()) } else { Err(InvalidSignature) }
}

/// What one signature brings to the batch equation.
struct SignatureTerm {
    /// The signer's key, as signed (`k` hashes these bytes).
    key_bytes: [u8; 32],
    /// The signer's key as a point, decoded when the transaction was built.
    key: EdwardsPoint,
    /// The signature's `R`.
    r: EdwardsPoint,
    /// The signature's `S`, below the group order.
    s: Scalar,
    /// `SHA-512(R || A || message)`, reduced.
    k: Scalar,
}

impl SignatureTerm {
    /// Decodes a signature's parts, refusing what ZIP 215 refuses on its
    /// own: an `S` at or above the group order, an `R` that is no point.
    fn of(signed: &SignedTransaction) -> Result<SignatureTerm, InvalidSignature> {
        let signature = signed.signature();
        let key_bytes = signed.signer().to_bytes();
        let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(*signature.s_bytes()))
            .ok_or(InvalidSignature)?;
        let r = CompressedEdwardsY(*signature.r_bytes()).decompress().ok_or(InvalidSignature)?;

        let body = signed.transaction().encode().map_err(|_| InvalidSignature)?;
        let digest = with_signed_message(&body, |message| {
            let mut hasher = Sha512::new();
            hasher.update(signature.r_bytes());
            hasher.update(key_bytes);
            hasher.update(message);
            hasher.finalize()
        });
        let mut wide = [0_u8; 64];
        wide.copy_from_slice(&digest);
        let k = Scalar::from_bytes_mod_order_wide(&wide);

        Ok(SignatureTerm { key_bytes, key: signed.signer().to_edwards(), r, s, k })
    }
}
