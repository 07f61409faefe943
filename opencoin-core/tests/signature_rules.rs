//! The signature rules of `opencoin_core::signature`: a transaction's
//! signature is checked with the cofactored equation of ZIP 215, one at a
//! time or in batches, and the two must always agree, whatever else a batch
//! holds. That agreement is what lets every replica batch differently and
//! still accept exactly the same transactions.
//!
//! Signatures are built here three ways, so that the expected verdict is
//! known from how each was made and not from the code under test: honestly
//! (valid), with a small-order torsion point added to `R` and `S` computed
//! for that `R` (valid under the cofactored equation, refused by the
//! cofactorless `verify_strict`), and honestly but with `S` changed
//! (invalid). A property mixes them in batches of up to 24 and checks that
//! the batch passes exactly when no signature in it is invalid, and that
//! each one-at-a-time verdict is the one its construction implies. Case
//! counts follow proptest's default (256) and `PROPTEST_CASES`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::scalar::clamp_integer;
use curve25519_dalek::{EdwardsPoint, Scalar};
use opencoin_core::ed25519_dalek::{Signature, SigningKey};
use opencoin_core::signature::{verify_batch, verify_one};
use opencoin_core::tx::SIGNATURE_DOMAIN;
use opencoin_core::{AccountId, Action, Amount, CurrencyCode, SignedTransaction, Timestamp};
use opencoin_core::{Transaction, spec::parse_public_key};
use proptest::collection::vec;
use proptest::prelude::*;
use sha2::{Digest, Sha512};

/// How a test signature is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Made {
    /// By the owner, as any wallet would.
    Honest,
    /// By the owner, with the torsion point of the given index (1..8, all
    /// of order 2, 4 or 8) added to `R`.
    Torsioned(usize),
    /// Honestly, then `S` changed: invalid under any rule.
    Forged,
}

impl Made {
    fn valid(self) -> bool {
        self != Made::Forged
    }
}

fn transaction(sequence: u64) -> Transaction {
    Transaction {
        currency: CurrencyCode::new("VLG").unwrap(),
        source: AccountId(7),
        sequence,
        timestamp: Timestamp(86_400 + sequence),
        action: Action::Transfer { to: AccountId(8), amount: Amount::parse("1.25", 2).unwrap() },
        memo: String::new(),
    }
}

/// The ed25519 secret scalar and nonce prefix of a key, as RFC 8032
/// derives them from the 32-byte seed.
fn expanded(seed: &[u8; 32]) -> (Scalar, [u8; 32]) {
    let hash: [u8; 64] = Sha512::digest(seed).into();
    let mut scalar_bytes = [0; 32];
    scalar_bytes.copy_from_slice(&hash[..32]);
    let mut prefix = [0; 32];
    prefix.copy_from_slice(&hash[32..]);
    (Scalar::from_bytes_mod_order(clamp_integer(scalar_bytes)), prefix)
}

/// Signs `transaction` with the key of `seed` the way `made` says, by the
/// equation `S = r + k a` with `k = SHA-512(R || A || message)`, and
/// returns it as the ledger would receive it (decoded from the wire).
fn sign_as(seed: &[u8; 32], transaction: &Transaction, made: Made) -> SignedTransaction {
    let key = SigningKey::from_bytes(seed);
    let public = key.verifying_key().to_bytes();
    let (secret, prefix) = expanded(seed);

    let body = transaction.encode().unwrap();
    let mut message = SIGNATURE_DOMAIN.to_vec();
    message.extend_from_slice(body.as_slice());

    let nonce: [u8; 64] =
        Sha512::new().chain_update(prefix).chain_update(&message).finalize().into();
    let r = Scalar::from_bytes_mod_order_wide(&nonce);
    let mut big_r = EdwardsPoint::mul_base(&r);
    if let Made::Torsioned(index) = made {
        big_r += EIGHT_TORSION[index];
    }
    let big_r = big_r.compress().to_bytes();
    let k: [u8; 64] = Sha512::new()
        .chain_update(big_r)
        .chain_update(public)
        .chain_update(&message)
        .finalize()
        .into();
    let mut s = r + Scalar::from_bytes_mod_order_wide(&k) * secret;
    if made == Made::Forged {
        s += Scalar::ONE;
    }

    let mut wire = body.as_slice().to_vec();
    wire.extend_from_slice(&public);
    wire.extend_from_slice(&big_r);
    wire.extend_from_slice(s.as_bytes());
    SignedTransaction::decode(&wire).unwrap()
}

#[test]
fn honest_signatures_match_the_library_signer() {
    // The construction above is RFC 8032 signing, so for an honest
    // signature it must give the very bytes ed25519-dalek gives.
    let seed = [3; 32];
    let ours = sign_as(&seed, &transaction(0), Made::Honest);
    let dalek = transaction(0).sign(&SigningKey::from_bytes(&seed)).unwrap();
    assert_eq!(ours.signature(), dalek.signature());
    assert_eq!(verify_one(&ours), Ok(()));
}

#[test]
fn a_torsioned_r_is_valid_here_but_not_under_verify_strict() {
    let seed = [5; 32];
    for index in 1..8 {
        let torsioned = sign_as(&seed, &transaction(index as u64), Made::Torsioned(index));
        assert_eq!(verify_one(&torsioned), Ok(()), "torsion point {index}");
        assert_eq!(verify_batch([&torsioned]), Ok(()), "torsion point {index}");

        // The cofactorless check refuses it: [S]B - R - [k]A is the
        // torsion point, not the identity.
        let mut message = SIGNATURE_DOMAIN.to_vec();
        message.extend_from_slice(torsioned.transaction().encode().unwrap().as_slice());
        let signature = Signature::from_bytes(&torsioned.signature().to_bytes());
        assert!(torsioned.signer().verify_strict(&message, &signature).is_err());
    }
}

#[test]
fn a_changed_s_is_refused_alone_and_sinks_its_batch() {
    let forged = sign_as(&[9; 32], &transaction(0), Made::Forged);
    let honest = sign_as(&[10; 32], &transaction(1), Made::Honest);
    assert!(verify_one(&forged).is_err());
    assert_eq!(verify_batch([&honest]), Ok(()));
    assert!(verify_batch([&honest, &forged]).is_err());
    assert!(verify_batch([&forged, &honest]).is_err());
}

#[test]
fn an_empty_batch_passes() {
    assert_eq!(verify_batch(std::iter::empty::<&SignedTransaction>()), Ok(()));
}

#[test]
fn keys_of_small_order_are_refused_in_currency_files() {
    // The identity point (y = 1) and the point of order 2 (y = -1, that is
    // 2^255 - 20 little-endian) are both of small order.
    let identity = format!("01{}", "00".repeat(31));
    let order_two = format!("ec{}7f", "ff".repeat(30));
    for text in [identity, order_two] {
        let error = parse_public_key(&text).unwrap_err();
        assert!(error.contains("small order"), "{error}");
    }
    let honest = hex(&SigningKey::from_bytes(&[1; 32]).verifying_key().to_bytes());
    assert!(parse_public_key(&honest).is_ok());
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn made() -> impl Strategy<Value = Made> {
    prop_oneof![
        6 => Just(Made::Honest),
        2 => (1..8_usize).prop_map(Made::Torsioned),
        1 => Just(Made::Forged),
    ]
}

proptest! {
    /// A batch passes exactly when every signature in it is valid, and each
    /// one-at-a-time verdict is the one its construction implies, whatever
    /// the mix, order and signers (a few seeds, so keys repeat in a batch).
    #[test]
    fn batch_and_single_verdicts_agree(
        entries in vec((0..4_u8, made()), 0..24),
    ) {
        let batch: Vec<SignedTransaction> = entries
            .iter()
            .enumerate()
            .map(|(position, &(seed, made))| sign_as(&[seed; 32], &transaction(position as u64), made))
            .collect();
        for ((_, made), signed) in entries.iter().zip(&batch) {
            prop_assert_eq!(verify_one(signed).is_ok(), made.valid(), "{:?}", made);
        }
        let all_valid = entries.iter().all(|(_, made)| made.valid());
        prop_assert_eq!(verify_batch(&batch).is_ok(), all_valid);
    }
}
