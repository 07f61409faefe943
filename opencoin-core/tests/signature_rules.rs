//! The signature rules of `opencoin_core::signature`: a transaction's
//! signature is checked with the cofactored equation of ZIP 215, one at a
//! time or in batches, and the two must always agree, whatever else a batch
//! holds. That agreement is what lets every replica batch differently and
//! still accept exactly the same transactions.
//!
//! Signatures are built here by the signing equation itself, so that the
//! expected verdict is known from how each was made and not from the code
//! under test: honestly (valid); with a small-order torsion point added to
//! `R` and `S` computed for that `R` (valid under the cofactored equation,
//! refused by the cofactorless `verify_strict`); with a zero nonce and `R`,
//! the identity, in a non-canonical encoding (valid, as ZIP 215 requires);
//! honestly but with `S` changed (invalid); and honestly but with the group
//! order added to `S`, the same scalar in an unreduced encoding (invalid:
//! `S` must be below the order). A property mixes them in batches of up to
//! 24 and checks that the batch passes exactly when no signature in it is
//! invalid, and that each one-at-a-time verdict is the one its construction
//! implies. Case counts follow proptest's default (256) and
//! `PROPTEST_CASES`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::scalar::clamp_integer;
use curve25519_dalek::{EdwardsPoint, Scalar};
use opencoin_core::ed25519_dalek::SigningKey;
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
    /// By the owner, with the nonce zero, so that `R` is the identity,
    /// written in its non-canonical encoding `y = p + 1`.
    NonCanonicalR,
    /// Honestly, then `S` changed: invalid under any rule.
    Forged,
    /// Honestly, then the group order added to `S`: the same scalar, but
    /// not below the order, which ZIP 215 refuses.
    UnreducedS,
}

impl Made {
    fn valid(self) -> bool {
        !matches!(self, Made::Forged | Made::UnreducedS)
    }
}

/// The identity point `(0, 1)` with `y` written as `p + 1 = 2^255 - 18`
/// instead of 1, little-endian.
const IDENTITY_AS_P_PLUS_ONE: [u8; 32] = {
    let mut bytes = [0xff; 32];
    bytes[0] = 0xee;
    bytes[31] = 0x7f;
    bytes
};

/// The order of the base point, `L = 2^252 + 27742317777372353535851937790883648493`
/// (RFC 8032, section 5.1), little-endian.
const GROUP_ORDER: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// `s + L` as 32 little-endian bytes. `s < L < 2^253`, so the sum fits.
fn plus_group_order(s: [u8; 32]) -> [u8; 32] {
    let mut sum = [0; 32];
    let mut carry = 0_u16;
    for ((out, s_byte), l_byte) in sum.iter_mut().zip(s).zip(GROUP_ORDER) {
        let total = u16::from(s_byte) + u16::from(l_byte) + carry;
        *out = total.to_le_bytes()[0];
        carry = total >> 8;
    }
    assert_eq!(carry, 0);
    sum
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

    let (r, big_r) = if made == Made::NonCanonicalR {
        (Scalar::ZERO, IDENTITY_AS_P_PLUS_ONE)
    } else {
        let nonce: [u8; 64] =
            Sha512::new().chain_update(prefix).chain_update(&message).finalize().into();
        let r = Scalar::from_bytes_mod_order_wide(&nonce);
        let mut big_r = EdwardsPoint::mul_base(&r);
        if let Made::Torsioned(index) = made {
            big_r += EIGHT_TORSION[index];
        }
        (r, big_r.compress().to_bytes())
    };
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
    let s = match made {
        Made::UnreducedS => plus_group_order(s.to_bytes()),
        _ => s.to_bytes(),
    };

    let mut wire = body.as_slice().to_vec();
    wire.extend_from_slice(&public);
    wire.extend_from_slice(&big_r);
    wire.extend_from_slice(&s);
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
        assert!(torsioned.signer().verify_strict(&message, torsioned.signature()).is_err());
    }
}

#[test]
fn a_non_canonical_r_is_valid_here_but_not_under_verify_strict() {
    let signed = sign_as(&[6; 32], &transaction(0), Made::NonCanonicalR);
    assert_eq!(&signed.signature().to_bytes()[..32], &IDENTITY_AS_P_PLUS_ONE);
    assert_eq!(verify_one(&signed), Ok(()));
    assert_eq!(verify_batch([&signed]), Ok(()));

    let mut message = SIGNATURE_DOMAIN.to_vec();
    message.extend_from_slice(signed.transaction().encode().unwrap().as_slice());
    assert!(signed.signer().verify_strict(&message, signed.signature()).is_err());
}

#[test]
fn an_unreduced_s_is_refused_alone_and_sinks_its_batch() {
    // The same signature with S reduced is valid, so only the encoding of
    // S is at fault.
    let honest = sign_as(&[11; 32], &transaction(0), Made::Honest);
    let unreduced = sign_as(&[11; 32], &transaction(0), Made::UnreducedS);
    let s_bytes = |signed: &SignedTransaction| -> [u8; 32] {
        signed.signature().to_bytes()[32..].try_into().unwrap()
    };
    assert_eq!(verify_one(&honest), Ok(()));
    assert_ne!(s_bytes(&honest), s_bytes(&unreduced));
    assert_eq!(
        Scalar::from_bytes_mod_order(s_bytes(&unreduced)),
        Scalar::from_bytes_mod_order(s_bytes(&honest)),
        "adding L must not change the scalar",
    );
    assert!(verify_one(&unreduced).is_err());
    assert!(verify_batch([&unreduced]).is_err());
    assert!(verify_batch([&honest, &unreduced]).is_err());
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
        1 => Just(Made::NonCanonicalR),
        1 => Just(Made::Forged),
        1 => Just(Made::UnreducedS),
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
            .map(|(position, &(seed, made))| {
                sign_as(&[seed; 32], &transaction(position as u64), made)
            })
            .collect();
        for ((_, made), signed) in entries.iter().zip(&batch) {
            prop_assert_eq!(verify_one(signed).is_ok(), made.valid(), "{:?}", made);
        }
        let all_valid = entries.iter().all(|(_, made)| made.valid());
        prop_assert_eq!(verify_batch(&batch).is_ok(), all_valid);
    }
}
