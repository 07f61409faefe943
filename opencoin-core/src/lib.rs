//! The vocabulary of OpenCoin: everything a currency design and a payment
//! are made of, with no ledger and no rules engine attached.
//!
//! - [`Amount`]: an exact quantity of money in a currency's minor units;
//!   text with more decimals than the currency has is refused, never rounded.
//! - [`CurrencySpec`]: a community's currency design, read from a TOML or
//!   JSON file and validated field by field ([`spec`]).
//! - [`Transaction`] and [`SignedTransaction`]: issue, transfer, redeem and
//!   raise-supply-cap, with a canonical byte encoding, a blake3 id and an
//!   ed25519 signature ([`tx`]), checked one at a time or in batches that
//!   give the same answers ([`signature`]).
//! - Identifiers ([`CurrencyCode`], [`AccountId`], [`TransactionId`]), time
//!   ([`Timestamp`], [`Period`]), places ([`Location`]) and trades
//!   ([`SectorCode`]).
//!
//! ```
//! use opencoin_core::{AccountId, Action, Amount, CurrencyCode, Timestamp, Transaction};
//! use opencoin_core::ed25519_dalek::SigningKey;
//!
//! let payer_key = SigningKey::from_bytes(&[1; 32]);
//! let payment = Transaction {
//!     currency: CurrencyCode::new("VLG")?,
//!     source: AccountId(1),
//!     sequence: 0,
//!     timestamp: Timestamp(1_767_225_600),
//!     action: Action::Transfer { to: AccountId(2), amount: Amount::parse("4.20", 2)? },
//!     memo: "vegetables".into(),
//! };
//! let signed = payment.sign(&payer_key)?;
//! assert!(signed.verify().is_ok());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! This crate has no features and does no I/O or logging.

pub mod account;
pub mod amount;
pub mod bytes;
pub mod ids;
pub mod place;
pub mod signature;
pub mod spec;
pub mod time;
pub mod tx;

pub use account::{AccountAttributes, AccountKind};
pub use amount::{Amount, AmountError, DECIMALS_MAX, MINOR_UNITS_MAX};
pub use ids::{AccountId, CurrencyCode, CurrencyCodeError, TransactionId};
pub use place::{Location, LocationError, SectorCode, SectorCodeError};
pub use spec::{CurrencySpec, SpecError};
pub use time::{Period, PeriodError, Timestamp};
pub use tx::{Action, DecodeError, InvalidSignature, SignedTransaction, Transaction};

pub use ed25519_dalek;
pub use rust_decimal;
