//! OpenCoin: programmable community currencies.
//!
//! A community writes its currency as a file (where it may circulate, how
//! fast idle balances melt, which trades it refuses, how much of it may
//! exist); OpenCoin turns that file into a ledger that enforces it, exactly
//! and deterministically. This facade re-exports the three crates:
//!
//! - [`core`] (`opencoin-core`): amounts, ids, time, places, currency specs
//!   and signed transactions;
//! - [`rules`] (`opencoin-rules`): the rule families and their evaluation;
//! - [`ledger`] (`opencoin-ledger`): the state machine, events, reputation
//!   and queries.
//!
//! Most programs need only the [`prelude`] and [`load_currency`]:
//!
//! ```no_run
//! use opencoin::prelude::*;
//!
//! let spec = opencoin::load_currency("examples/currencies/village.toml")?;
//! let mut ledger = Ledger::new(LedgerConfig::default());
//! ledger.apply(&Operation::CreateCurrency { spec: Box::new(spec), at: Timestamp(0) })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! See `examples/village.rs` for a whole village trading for a year.

use std::path::Path;

use opencoin_core::spec::{SpecFormat, SpecSource};

pub use opencoin_core as core;
pub use opencoin_ledger as ledger;
pub use opencoin_rules as rules;

/// The names most programs use.
pub mod prelude {
    pub use opencoin_core::ed25519_dalek::{SigningKey, VerifyingKey};
    pub use opencoin_core::{
        AccountId, AccountKind, Action, Amount, CurrencyCode, CurrencySpec, Location, Period,
        SectorCode, SignedTransaction, Timestamp, Transaction, TransactionId,
    };
    pub use opencoin_ledger::{
        ActivityReputation, Event, EventKind, Ledger, LedgerConfig, OpenAccount, Operation,
        Receipt, Rejection, ReputationModule, Subscriber,
    };
    pub use opencoin_rules::{RuleViolation, ViolationDetail};
}

/// Why a currency file could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The file's name does not end in `.toml` or `.json`.
    #[error("{path}: the file name must end in .toml or .json")]
    UnknownFormat {
        /// The file.
        path: String,
    },
    /// The file is not a valid currency.
    #[error("{path}: {source}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong, with the field's path.
        source: opencoin_core::SpecError,
    },
}

/// Reads a currency file (TOML or JSON, by its extension), validates it and
/// checks that its rules compile.
///
/// # Errors
///
/// - [`LoadError::Read`] if the file cannot be read;
/// - [`LoadError::UnknownFormat`] if its name ends in neither `.toml` nor
///   `.json`;
/// - [`LoadError::Invalid`] with the field's path if the file is not a valid
///   currency or its rules do not compile (a polygon crossing itself).
pub fn load_currency(path: impl AsRef<Path>) -> Result<opencoin_core::CurrencySpec, LoadError> {
    let path = path.as_ref();
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|source| LoadError::Read { path: shown.clone(), source })?;
    let invalid = |source| LoadError::Invalid { path: shown.clone(), source };
    let format = match path.extension().and_then(|extension| extension.to_str()) {
        Some("toml") => SpecFormat::Toml,
        Some("json") => SpecFormat::Json,
        _ => return Err(LoadError::UnknownFormat { path: shown }),
    };
    let spec = SpecSource { format, text }.parse().map_err(invalid)?;
    opencoin_rules::RuleSet::compile(&spec).map_err(invalid)?;
    Ok(spec)
}

/// The README's code blocks, compiled as doctests so that they stay true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
