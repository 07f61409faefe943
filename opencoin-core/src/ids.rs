//! Identifiers: currency codes, account ids and transaction ids.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// The most characters a currency code may have.
pub const CURRENCY_CODE_BYTES_MAX: usize = 8;

/// The fewest characters a currency code may have.
pub const CURRENCY_CODE_BYTES_MIN: usize = 2;

/// Why a currency code was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{text:?} is not a currency code (2 to 8 characters, A-Z and 0-9, starting with a letter)")]
pub struct CurrencyCodeError {
    /// The text as given.
    pub text: String,
}

/// A currency's code, such as `VLG` or `EUR`: 2 to 8 characters from `A-Z`
/// and `0-9`, starting with a letter.
///
/// Stored inline so that it is `Copy` and cheap to compare.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CurrencyCode {
    bytes: [u8; CURRENCY_CODE_BYTES_MAX],
    len: u8,
}

impl CurrencyCode {
    /// Validates and builds a code.
    ///
    /// # Errors
    ///
    /// [`CurrencyCodeError`] if the text is not 2 to 8 characters of `A-Z`
    /// and `0-9` starting with a letter.
    pub fn new(text: &str) -> Result<CurrencyCode, CurrencyCodeError> {
        let refuse = || CurrencyCodeError { text: text.to_owned() };
        let raw = text.as_bytes();
        if !(CURRENCY_CODE_BYTES_MIN..=CURRENCY_CODE_BYTES_MAX).contains(&raw.len()) {
            return Err(refuse());
        }
        if !raw[0].is_ascii_uppercase() {
            return Err(refuse());
        }
        if !raw.iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
            return Err(refuse());
        }
        let mut bytes = [0_u8; CURRENCY_CODE_BYTES_MAX];
        bytes[..raw.len()].copy_from_slice(raw);
        let len = u8::try_from(raw.len()).map_err(|_| refuse())?;
        Ok(CurrencyCode { bytes, len })
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        // The bytes were checked to be ASCII when the code was built.
        std::str::from_utf8(self.as_bytes()).unwrap_or("")
    }

    /// The code's ASCII bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl FromStr for CurrencyCode {
    type Err = CurrencyCodeError;

    fn from_str(text: &str) -> Result<CurrencyCode, CurrencyCodeError> {
        CurrencyCode::new(text)
    }
}

impl fmt::Display for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CurrencyCode({})", self.as_str())
    }
}

/// An account's identifier, chosen by whoever opens the account and unique
/// within a ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(pub u64);

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A transaction's identifier: the domain-separated blake3 hash of its
/// canonical bytes (see [`crate::tx`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransactionId(pub [u8; 32]);

impl TransactionId {
    /// The 32 bytes of the hash.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for TransactionId {
    /// Writes the full hash as 64 lowercase hex digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

impl fmt::Debug for TransactionId {
    /// Writes the first eight bytes, which is enough to tell ids apart in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TransactionId(")?;
        write_hex(f, &self.0[..8])?;
        f.write_str("..)")
    }
}

/// Writes bytes as lowercase hex.
pub(crate) fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    bytes.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
}

/// Decodes lowercase or uppercase hex into exactly `N` bytes.
pub(crate) fn decode_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != 2 * N || !text.is_ascii() {
        return None;
    }
    let mut out = [0_u8; N];
    for (index, byte) in out.iter_mut().enumerate() {
        let pair = text.get(2 * index..2 * index + 2)?;
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_codes() {
        for good in ["VLG", "EU", "ABCDEFGH", "K9"] {
            assert_eq!(CurrencyCode::new(good).unwrap().as_str(), good);
        }
        for bad in ["", "V", "vlg", "9AB", "ABCDEFGHI", "V-G", "VÉL"] {
            assert!(CurrencyCode::new(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn hex_round_trip() {
        assert_eq!(decode_hex::<2>("0aFf"), Some([0x0a, 0xff]));
        assert_eq!(decode_hex::<2>("0aF"), None);
        assert_eq!(decode_hex::<1>("zz"), None);
        assert_eq!(decode_hex::<1>("é"), None);
    }
}
