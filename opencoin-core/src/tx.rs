//! Transactions, their canonical bytes, their ids and their signatures.
//!
//! # Canonical encoding, version 1
//!
//! A transaction body is encoded as the following fields, in order, with
//! integers big-endian and no padding:
//!
//! | bytes | field |
//! |---|---|
//! | 4 | magic `OCTX` |
//! | 1 | version, `1` |
//! | 1 | action tag: 1 issue, 2 transfer, 3 redeem, 4 raise supply cap, 5 reserved for exchange |
//! | 1 + n | currency code: length n (2 to 8), then n ASCII bytes |
//! | 8 | source account: the account whose owner signs |
//! | 8 | sequence: the source account's next sequence number |
//! | 8 | timestamp, seconds since the Unix epoch |
//! | 8 | counterparty account (issue, transfer); absent otherwise |
//! | 1 + 16 | amount: decimals, then minor units as a two's-complement `i128` |
//! | 2 + m | memo: length m (at most [`MEMO_BYTES_MAX`]), then m UTF-8 bytes |
//!
//! Every value has exactly one encoding and decoding refuses trailing bytes,
//! so equal transactions have equal bytes. A signed transaction on the wire
//! is the body followed by the signer's 32-byte ed25519 public key and the
//! 64-byte signature.
//!
//! # What is hashed and signed
//!
//! The [`TransactionId`] is blake3 in key-derivation mode with the context
//! [`TRANSACTION_ID_CONTEXT`] over the body. The signature is ed25519 over
//! [`SIGNATURE_DOMAIN`] followed by the body. The distinct contexts keep a
//! transaction's bytes from being taken for any other message OpenCoin signs
//! or hashes. Signatures are checked under the rules of ZIP 215 (see
//! [`crate::signature`]), and the id does not cover the signature, so one
//! payment can never appear under two ids.

use std::fmt;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use thiserror::Error;

use crate::bytes::{ByteReader, Truncated};
use crate::{
    AccountId, Amount, AmountError, CurrencyCode, CurrencyCodeError, Timestamp, TransactionId,
};

/// The magic bytes that open every transaction body.
pub const TRANSACTION_MAGIC: [u8; 4] = *b"OCTX";

/// The encoding version written by this library.
pub const TRANSACTION_VERSION: u8 = 1;

/// The longest memo, in bytes of UTF-8.
pub const MEMO_BYTES_MAX: usize = 256;

/// The longest possible body, in bytes.
pub const TRANSACTION_BODY_BYTES_MAX: usize =
    4 + 1 + 1 + 9 + 8 + 8 + 8 + 8 + 17 + 2 + MEMO_BYTES_MAX;

/// The length of the signer key and signature appended to a body.
pub const SIGNATURE_TRAILER_BYTES: usize = 32 + 64;

/// The blake3 key-derivation context for transaction ids.
pub const TRANSACTION_ID_CONTEXT: &str = "opencoin 2026-12 transaction id v1";

/// The prefix of every signed message.
pub const SIGNATURE_DOMAIN: &[u8] = b"opencoin 2026-12 transaction signature v1\0";

const _: () = assert!(crate::ids::CURRENCY_CODE_BYTES_MAX <= u8::MAX as usize);
const _: () = assert!(MEMO_BYTES_MAX <= u16::MAX as usize);

const TAG_ISSUE: u8 = 1;
const TAG_TRANSFER: u8 = 2;
const TAG_REDEEM: u8 = 3;
const TAG_RAISE_SUPPLY_CAP: u8 = 4;
const TAG_EXCHANGE_RESERVED: u8 = 5;

/// What a transaction does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Create `amount` and credit it to `to`; the source is an issuer account.
    Issue {
        /// The account credited.
        to: AccountId,
        /// How much is created.
        amount: Amount,
    },
    /// Move `amount` from the source account to `to`.
    Transfer {
        /// The account paid.
        to: AccountId,
        /// How much moves.
        amount: Amount,
    },
    /// Return `amount` from the source account, which destroys it.
    Redeem {
        /// How much is destroyed.
        amount: Amount,
    },
    /// Raise the currency's supply cap to `cap`; the source is an issuer
    /// account.
    RaiseSupplyCap {
        /// The new cap.
        cap: Amount,
    },
}

impl Action {
    /// The action's name, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Issue { .. } => "issue",
            Action::Transfer { .. } => "transfer",
            Action::Redeem { .. } => "redeem",
            Action::RaiseSupplyCap { .. } => "raise supply cap",
        }
    }

    /// The amount the action moves, creates, destroys or sets.
    pub fn amount(&self) -> Amount {
        match *self {
            Action::Issue { amount, .. }
            | Action::Transfer { amount, .. }
            | Action::Redeem { amount } => amount,
            Action::RaiseSupplyCap { cap } => cap,
        }
    }

    /// The account on the other side, for issues and transfers.
    pub fn counterparty(&self) -> Option<AccountId> {
        match *self {
            Action::Issue { to, .. } | Action::Transfer { to, .. } => Some(to),
            Action::Redeem { .. } | Action::RaiseSupplyCap { .. } => None,
        }
    }
}

/// An unsigned transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// The currency the transaction is in.
    pub currency: CurrencyCode,
    /// The account whose owner signs: the payer of a transfer or redemption,
    /// the issuer account of an issue.
    pub source: AccountId,
    /// The source account's next sequence number; each number is usable once,
    /// so a signed transaction cannot be replayed.
    pub sequence: u64,
    /// When the transaction happens; the ledger refuses time going backwards.
    pub timestamp: Timestamp,
    /// What it does.
    pub action: Action,
    /// A note for people, at most [`MEMO_BYTES_MAX`] bytes.
    pub memo: String,
}

/// Why bytes could not be read as a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The bytes end before a field does.
    #[error(transparent)]
    Truncated(#[from] Truncated),
    /// The first four bytes are not the magic `OCTX`.
    #[error("bytes start with {}, not the transaction magic OCTX (4f435458)", hex(.found))]
    MagicMismatch {
        /// The four bytes found instead.
        found: [u8; 4],
    },
    /// A version this library does not read.
    #[error("encoding version {0} is not supported (this library reads {TRANSACTION_VERSION})")]
    UnsupportedVersion(u8),
    /// An action tag this library does not know.
    #[error("action tag {0} is unknown")]
    UnknownAction(u8),
    /// The tag reserved for exchanges, which are not implemented yet.
    #[error("exchange transactions (tag 5) are not supported yet")]
    ExchangeNotSupported,
    /// The currency code breaks the rules of [`CurrencyCode`].
    #[error(transparent)]
    InvalidCurrencyCode(CurrencyCodeError),
    /// The amount's decimals or minor units are out of range.
    #[error("the amount is invalid: {0}")]
    InvalidAmount(AmountError),
    /// The memo is over [`MEMO_BYTES_MAX`] bytes.
    #[error("memo of {0} bytes is over the {MEMO_BYTES_MAX}-byte limit")]
    MemoTooLong(usize),
    /// The memo is not UTF-8.
    #[error("memo is not valid UTF-8")]
    MemoNotUtf8,
    /// Bytes are left after the last field.
    #[error("{0} bytes are left over after the transaction")]
    TrailingBytes(usize),
    /// The signer key does not decode to a point of the ed25519 curve.
    #[error("signer key {} is not a point of the ed25519 curve", hex(.key))]
    SignerKeyNotOnCurve {
        /// The 32 bytes found.
        key: [u8; 32],
    },
}

/// Bytes as lowercase hex, for error messages.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Why a transaction could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The memo is over [`MEMO_BYTES_MAX`] bytes.
    #[error("memo of {0} bytes is over the {MEMO_BYTES_MAX}-byte limit")]
    MemoTooLong(usize),
}

/// A signature that does not verify. Deliberately opaque: saying which check
/// failed would help someone forging one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("the signature does not verify")]
pub struct InvalidSignature;

/// The canonical bytes of a transaction body, held inline so that encoding
/// allocates nothing.
#[derive(Clone)]
pub struct CanonicalBytes {
    bytes: [u8; TRANSACTION_BODY_BYTES_MAX],
    len: usize,
}

impl CanonicalBytes {
    /// The encoded bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// Where [`Transaction::write_body`] puts the canonical bytes: a
/// [`CanonicalBytes`] for signing and ids, or the end of a caller's vector
/// for the wire form, which is then written in place.
trait BodyOut {
    fn push(&mut self, data: &[u8]);
}

impl BodyOut for CanonicalBytes {
    fn push(&mut self, data: &[u8]) {
        // Capacity is the largest possible body and the memo length was
        // checked before encoding began, so going past it is a bug in this
        // file: stop rather than sign a truncated body.
        let end = self.len + data.len();
        assert!(end <= TRANSACTION_BODY_BYTES_MAX, "canonical body over {end} bytes");
        self.bytes[self.len..end].copy_from_slice(data);
        self.len = end;
    }
}

impl BodyOut for Vec<u8> {
    fn push(&mut self, data: &[u8]) {
        self.extend_from_slice(data);
    }
}

impl fmt::Debug for CanonicalBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CanonicalBytes({} bytes)", self.len)
    }
}

impl Transaction {
    /// Encodes the body canonically (see the module docs).
    ///
    /// # Errors
    ///
    /// [`EncodeError::MemoTooLong`] if the memo is over [`MEMO_BYTES_MAX`].
    pub fn encode(&self) -> Result<CanonicalBytes, EncodeError> {
        let mut out = CanonicalBytes { bytes: [0; TRANSACTION_BODY_BYTES_MAX], len: 0 };
        self.write_body(&mut out)?;
        Ok(out)
    }

    /// Writes the canonical body to `out`, or nothing if the memo is too
    /// long: the one place that knows the layout, for [`Transaction::encode`]
    /// and [`SignedTransaction::append_to`].
    fn write_body(&self, out: &mut impl BodyOut) -> Result<(), EncodeError> {
        if self.memo.len() > MEMO_BYTES_MAX {
            return Err(EncodeError::MemoTooLong(self.memo.len()));
        }
        let (tag, counterparty) = match self.action {
            Action::Issue { to, .. } => (TAG_ISSUE, Some(to)),
            Action::Transfer { to, .. } => (TAG_TRANSFER, Some(to)),
            Action::Redeem { .. } => (TAG_REDEEM, None),
            Action::RaiseSupplyCap { .. } => (TAG_RAISE_SUPPLY_CAP, None),
        };
        let code = self.currency.as_bytes();

        out.push(&TRANSACTION_MAGIC);
        out.push(&[TRANSACTION_VERSION, tag]);
        // A code has at most 8 bytes and the memo was checked above, so
        // both lengths fit their fields (asserted at compile time at the
        // top of this file).
        out.push(&[code.len() as u8]);
        out.push(code);
        out.push(&self.source.0.to_be_bytes());
        out.push(&self.sequence.to_be_bytes());
        out.push(&self.timestamp.0.to_be_bytes());
        if let Some(to) = counterparty {
            out.push(&to.0.to_be_bytes());
        }
        let amount = self.action.amount();
        out.push(&[amount.decimals()]);
        out.push(&amount.minor_units().to_be_bytes());
        out.push(&(self.memo.len() as u16).to_be_bytes());
        out.push(self.memo.as_bytes());
        Ok(())
    }

    /// The canonical bytes as a vector.
    ///
    /// # Errors
    ///
    /// As for [`Transaction::encode`].
    pub fn to_bytes(&self) -> Result<Vec<u8>, EncodeError> {
        Ok(self.encode()?.as_slice().to_vec())
    }

    /// The id of the transaction: the domain-separated blake3 hash of its
    /// canonical bytes.
    ///
    /// # Errors
    ///
    /// As for [`Transaction::encode`].
    pub fn id(&self) -> Result<TransactionId, EncodeError> {
        Ok(id_of_body(self.encode()?.as_slice()))
    }

    /// Reads a body from exactly `bytes`.
    ///
    /// # Errors
    ///
    /// A [`DecodeError`] naming what is wrong; never a panic, whatever the
    /// bytes.
    pub fn decode(bytes: &[u8]) -> Result<Transaction, DecodeError> {
        let mut reader = ByteReader::new(bytes);
        let transaction = read_body(&mut reader)?;
        if reader.remaining() != 0 {
            return Err(DecodeError::TrailingBytes(reader.remaining()));
        }
        Ok(transaction)
    }

    /// Signs the transaction with the key that owns its source account.
    ///
    /// # Errors
    ///
    /// As for [`Transaction::encode`].
    pub fn sign(self, key: &SigningKey) -> Result<SignedTransaction, EncodeError> {
        let body = self.encode()?;
        let signature = with_signed_message(&body, |message| key.sign(message));
        let id = id_of_body(body.as_slice());
        Ok(SignedTransaction { transaction: self, signer: key.verifying_key(), signature, id })
    }
}

fn id_of_body(body: &[u8]) -> TransactionId {
    let mut hasher = blake3::Hasher::new_derive_key(TRANSACTION_ID_CONTEXT);
    hasher.update(body);
    TransactionId(*hasher.finalize().as_bytes())
}

/// Calls `use_message` with the domain prefix and `body` laid end to end,
/// in a stack buffer so that signing and verifying allocate nothing.
pub(crate) fn with_signed_message<T>(
    body: &CanonicalBytes,
    use_message: impl FnOnce(&[u8]) -> T,
) -> T {
    const CAPACITY: usize = 64 + TRANSACTION_BODY_BYTES_MAX;
    const _: () = assert!(SIGNATURE_DOMAIN.len() <= 64);
    let mut buffer = [0_u8; CAPACITY];
    let domain_len = SIGNATURE_DOMAIN.len();
    let total = domain_len + body.as_slice().len();
    buffer[..domain_len].copy_from_slice(SIGNATURE_DOMAIN);
    buffer[domain_len..total].copy_from_slice(body.as_slice());
    use_message(&buffer[..total])
}

/// A transaction with the signature of its source account's owner.
///
/// Built only by [`Transaction::sign`] or [`SignedTransaction::decode`], which
/// compute the id once, so that the ledger reads it without hashing again.
/// The signature itself is checked by [`SignedTransaction::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedTransaction {
    transaction: Transaction,
    signer: VerifyingKey,
    signature: Signature,
    id: TransactionId,
}

impl SignedTransaction {
    /// The transaction signed.
    pub fn transaction(&self) -> &Transaction {
        &self.transaction
    }

    /// The key that signed.
    pub fn signer(&self) -> &VerifyingKey {
        &self.signer
    }

    /// The signature.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// The transaction's id.
    pub fn id(&self) -> TransactionId {
        self.id
    }

    /// Checks the signature under the ledger's rules (ZIP 215; see
    /// [`crate::signature`], which also checks many at once).
    ///
    /// # Errors
    ///
    /// [`InvalidSignature`], without saying which check failed.
    pub fn verify(&self) -> Result<(), InvalidSignature> {
        crate::signature::verify_one(self)
    }

    /// The wire form: body, signer key, signature.
    ///
    /// # Errors
    ///
    /// As for [`Transaction::encode`].
    pub fn to_bytes(&self) -> Result<Vec<u8>, EncodeError> {
        // Room for the longest wire form, so that writing never grows it.
        let mut bytes = Vec::with_capacity(TRANSACTION_BODY_BYTES_MAX + SIGNATURE_TRAILER_BYTES);
        self.append_to(&mut bytes)?;
        Ok(bytes)
    }

    /// Appends the wire form (as [`SignedTransaction::to_bytes`]) to `out`,
    /// for a caller that gathers many, such as a journal framing a batch:
    /// nothing is allocated if `out` has room.
    ///
    /// # Errors
    ///
    /// As for [`Transaction::encode`]; `out` is then unchanged.
    pub fn append_to(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        // Written straight into `out`, which grows as it must: through
        // `encode`, each transfer a journal frames cost zeroing a 320-byte
        // buffer and two copies of it (BENCHMARKS.md, change 21). A caller
        // that reuses `out`, as the journal does, soon has room for all.
        self.transaction.write_body(out)?;
        out.extend_from_slice(self.signer.as_bytes());
        out.extend_from_slice(&self.signature.to_bytes());
        Ok(())
    }

    /// Reads the wire form. The signature is not checked here; call
    /// [`SignedTransaction::verify`].
    ///
    /// # Errors
    ///
    /// A [`DecodeError`]; never a panic, whatever the bytes.
    pub fn decode(bytes: &[u8]) -> Result<SignedTransaction, DecodeError> {
        let mut reader = ByteReader::new(bytes);
        let transaction = read_body(&mut reader)?;
        let body_len = reader.offset();
        let signer: [u8; 32] = reader.array("signer key")?;
        let signature: [u8; 64] = reader.array("signature")?;
        if reader.remaining() != 0 {
            return Err(DecodeError::TrailingBytes(reader.remaining()));
        }
        let signer = VerifyingKey::from_bytes(&signer)
            .map_err(|_| DecodeError::SignerKeyNotOnCurve { key: signer })?;
        let id = id_of_body(&bytes[..body_len]);
        Ok(SignedTransaction {
            transaction,
            signer,
            signature: Signature::from_bytes(&signature),
            id,
        })
    }
}

/// Reads a transaction body, field by field in the order of the table in
/// the module docs.
fn read_body(bytes: &mut ByteReader<'_>) -> Result<Transaction, DecodeError> {
    let magic = bytes.array::<4>("magic")?;
    if magic != TRANSACTION_MAGIC {
        return Err(DecodeError::MagicMismatch { found: magic });
    }
    let version = bytes.u8("version")?;
    if version != TRANSACTION_VERSION {
        return Err(DecodeError::UnsupportedVersion(version));
    }
    let tag = bytes.u8("action tag")?;
    match tag {
        TAG_ISSUE | TAG_TRANSFER | TAG_REDEEM | TAG_RAISE_SUPPLY_CAP => {}
        TAG_EXCHANGE_RESERVED => return Err(DecodeError::ExchangeNotSupported),
        other => return Err(DecodeError::UnknownAction(other)),
    }

    let code_len = usize::from(bytes.u8("currency code length")?);
    let code = bytes.take(code_len, "currency code")?;
    // A valid code is ASCII, so bytes that are not UTF-8 are refused by the
    // code's own rules after the lossy conversion, with the text in the
    // message.
    let currency = CurrencyCode::new(&String::from_utf8_lossy(code))
        .map_err(DecodeError::InvalidCurrencyCode)?;
    let source = AccountId(bytes.u64("source account")?);
    let sequence = bytes.u64("sequence")?;
    let timestamp = Timestamp(bytes.u64("timestamp")?);
    let counterparty = match tag {
        TAG_ISSUE | TAG_TRANSFER => Some(AccountId(bytes.u64("counterparty account")?)),
        _ => None,
    };
    let decimals = bytes.u8("amount decimals")?;
    let minor_units = bytes.i128("amount")?;
    let amount =
        Amount::from_minor_units(minor_units, decimals).map_err(DecodeError::InvalidAmount)?;

    let memo_len = usize::from(bytes.u16("memo length")?);
    if memo_len > MEMO_BYTES_MAX {
        return Err(DecodeError::MemoTooLong(memo_len));
    }
    let memo = bytes.take(memo_len, "memo")?;
    let memo = std::str::from_utf8(memo).map_err(|_| DecodeError::MemoNotUtf8)?.to_owned();

    let action = match (tag, counterparty) {
        (TAG_ISSUE, Some(to)) => Action::Issue { to, amount },
        (TAG_TRANSFER, Some(to)) => Action::Transfer { to, amount },
        (TAG_REDEEM, _) => Action::Redeem { amount },
        _ => Action::RaiseSupplyCap { cap: amount },
    };
    Ok(Transaction { currency, source, sequence, timestamp, action, memo })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Transaction {
        Transaction {
            currency: CurrencyCode::new("VLG").unwrap(),
            source: AccountId(7),
            sequence: 3,
            timestamp: Timestamp(1_700_000_000),
            action: Action::Transfer {
                to: AccountId(9),
                amount: Amount::parse("12.50", 2).unwrap(),
            },
            memo: "bread".to_owned(),
        }
    }

    #[test]
    fn layout_matches_the_documented_table() {
        // 4 magic + 1 version + 1 tag + 1+3 code + 8 source + 8 sequence
        // + 8 timestamp + 8 counterparty + 1+16 amount + 2+5 memo = 66.
        let bytes = sample().to_bytes().unwrap();
        assert_eq!(bytes.len(), 66);
        assert_eq!(&bytes[..4], b"OCTX");
        assert_eq!(bytes[4], 1);
        assert_eq!(bytes[5], TAG_TRANSFER);
        assert_eq!(&bytes[6..10], b"\x03VLG");
        assert_eq!(&bytes[10..18], &7_u64.to_be_bytes());
        assert_eq!(bytes[42], 2, "amount decimals");
        assert_eq!(&bytes[43..59], &1250_i128.to_be_bytes());
        assert_eq!(&bytes[59..61], &5_u16.to_be_bytes());
        assert_eq!(&bytes[61..], b"bread");
    }

    #[test]
    fn sign_verify_and_tamper() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let signed = sample().sign(&key).unwrap();
        assert!(signed.verify().is_ok());
        let wire = signed.to_bytes().unwrap();
        let back = SignedTransaction::decode(&wire).unwrap();
        assert_eq!(back, signed);

        let mut changed = sample();
        changed.sequence = 4;
        let forged = SignedTransaction { transaction: changed, ..signed.clone() };
        assert_eq!(forged.verify(), Err(InvalidSignature));
    }

    #[test]
    fn wire_form_appends_after_what_is_there() {
        // The wire form is the body, the 32-byte key, the 64-byte
        // signature: 96 bytes after the body, whose layout is checked above.
        let key = SigningKey::from_bytes(&[7; 32]);
        let signed = sample().sign(&key).unwrap();
        let body_len = sample().to_bytes().unwrap().len();

        let mut out = b"earlier".to_vec();
        signed.append_to(&mut out).unwrap();
        assert_eq!(&out[..7], b"earlier");
        assert_eq!(out.len(), 7 + body_len + 96);
        assert_eq!(out[7..7 + body_len], sample().to_bytes().unwrap());
        assert_eq!(&out[7 + body_len..7 + body_len + 32], key.verifying_key().as_bytes());
        assert_eq!(SignedTransaction::decode(&out[7..]).unwrap(), signed);
    }

    #[test]
    fn refusals_name_the_check_and_carry_the_bytes() {
        // Offsets from the layout above: magic 0..4, version 4, code 6..10
        // (length, then "VLG"), amount decimals 42, signer key 66..98 on
        // the wire.
        let body = sample().to_bytes().unwrap();

        let mut bytes = body.clone();
        bytes[0] = b'X';
        let error = Transaction::decode(&bytes).unwrap_err();
        assert_eq!(error, DecodeError::MagicMismatch { found: *b"XCTX" });
        // "XCTX" is 58 43 54 58 in ASCII.
        assert!(error.to_string().contains("58435458"), "{error}");

        let mut bytes = body.clone();
        bytes[4] = 2;
        let error = Transaction::decode(&bytes).unwrap_err();
        assert_eq!(error, DecodeError::UnsupportedVersion(2));
        assert!(error.to_string().ends_with("(this library reads 1)"), "{error}");

        let mut bytes = body.clone();
        bytes[7] = b'v';
        let expected = CurrencyCodeError { text: "vLG".to_owned() };
        assert_eq!(Transaction::decode(&bytes), Err(DecodeError::InvalidCurrencyCode(expected)));
        bytes[7] = 0xff;
        let refused =
            matches!(Transaction::decode(&bytes), Err(DecodeError::InvalidCurrencyCode(_)));
        assert!(refused, "a code that is not UTF-8");

        let mut bytes = body;
        bytes[42] = 19;
        let too_many = AmountError::DecimalsTooLarge { decimals: 19 };
        assert_eq!(Transaction::decode(&bytes), Err(DecodeError::InvalidAmount(too_many)));

        // y = 2 is no curve point: (y^2 - 1) / (d y^2 + 1) is not a square
        // modulo 2^255 - 19 (Euler's criterion).
        let mut wire =
            sample().sign(&SigningKey::from_bytes(&[7; 32])).unwrap().to_bytes().unwrap();
        let mut key = [0; 32];
        key[0] = 2;
        wire[66..98].copy_from_slice(&key);
        let error = SignedTransaction::decode(&wire).unwrap_err();
        assert_eq!(error, DecodeError::SignerKeyNotOnCurve { key });
        assert!(error.to_string().starts_with("signer key 0200"), "{error}");
    }

    #[test]
    fn exchange_tag_is_reserved() {
        let mut bytes = sample().to_bytes().unwrap();
        bytes[5] = 5;
        assert_eq!(Transaction::decode(&bytes), Err(DecodeError::ExchangeNotSupported));
        bytes[5] = 6;
        assert_eq!(Transaction::decode(&bytes), Err(DecodeError::UnknownAction(6)));
    }
}
