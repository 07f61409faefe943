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
//! # Determinism of batches
//!
//! The batch's random coefficients come from blake3 over everything the
//! batch verifies (keys, signatures and transaction ids), not from a random
//! source: the ledger needs no source of randomness, and whoever builds a
//! batch cannot choose coefficients after the fact.
//!
//! Which signature receives which coefficient is not fixed, though:
//! `ed25519-zebra` groups a batch by signer key in a hash map with a
//! randomly seeded hasher and hands out the coefficients in the map's
//! order, which can differ from one run to the next. A batch of valid
//! signatures passes under any pairing; one holding an invalid signature
//! fails under every pairing except with the chance of about 2^-128 above,
//! so the verdict does not depend on the run.

use std::convert::Infallible;

use ed25519_zebra::batch::Verifier;
use ed25519_zebra::{VerificationKey, VerificationKeyBytes};

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
/// Allocates inside `ed25519-zebra`: a few buffers per batch and a small
/// list per distinct signer key.
///
/// # Errors
///
/// [`InvalidSignature`] if at least one signature is not valid.
pub fn verify_batch<'a>(
    transactions: impl IntoIterator<Item = &'a SignedTransaction>,
) -> Result<(), InvalidSignature> {
    let mut seed = blake3::Hasher::new_derive_key(BATCH_COEFFICIENTS_CONTEXT);
    let mut verifier = Verifier::new();
    for signed in transactions {
        let key = signed.signer().to_bytes();
        let signature = *signed.signature();
        seed.update(&key);
        seed.update(&signature.to_bytes());
        seed.update(signed.id().as_bytes());

        let body = signed.transaction().encode().map_err(|_| InvalidSignature)?;
        // Queuing hashes the message into `k` at once, so the message need
        // not outlive this iteration.
        with_signed_message(&body, |message| {
            verifier.queue((VerificationKeyBytes::from(key), signature, message));
        });
    }
    verifier.verify(Coefficients(seed.finalize_xof())).map_err(|_| InvalidSignature)
}

/// The random coefficients of a batch: blake3's extendable output over the
/// batch's contents, as a random number generator.
struct Coefficients(blake3::OutputReader);

impl rand_core::TryRng for Coefficients {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut bytes = [0; 4];
        self.0.fill(&mut bytes);
        Ok(u32::from_le_bytes(bytes))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut bytes = [0; 8];
        self.0.fill(&mut bytes);
        Ok(u64::from_le_bytes(bytes))
    }

    fn try_fill_bytes(&mut self, destination: &mut [u8]) -> Result<(), Infallible> {
        self.0.fill(destination);
        Ok(())
    }
}

/// The output is unpredictable without the batch's contents, which is what
/// the batch equation needs of its coefficients.
impl rand_core::TryCryptoRng for Coefficients {}
