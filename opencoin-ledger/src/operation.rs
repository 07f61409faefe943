//! The operations a ledger applies.

use opencoin_core::ed25519_dalek::VerifyingKey;
use opencoin_core::{
    AccountId, AccountKind, CurrencyCode, CurrencySpec, Location, SectorCode, SignedTransaction,
    Timestamp,
};

/// The most sector codes one account may have.
pub const SECTORS_PER_ACCOUNT_MAX: usize = 16;

/// One change to a ledger. Everything that changes state is an operation,
/// so that a list of operations is a complete history that replays to the
/// same state.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Operation {
    /// Adds a currency and opens the accounts its file declares, issuing
    /// their opening balances.
    CreateCurrency {
        /// The spec, as read and validated from a currency file. The ledger
        /// checks declared account ids and owner keys again, since a spec's
        /// fields can be changed in code, and trusts the rest of that
        /// validation.
        spec: Box<CurrencySpec>,
        /// When.
        at: Timestamp,
    },
    /// Opens an account (an operator action; the owner signs later payments).
    OpenAccount(OpenAccount),
    /// Changes an account's location or sectors; the rules' per-account
    /// decisions are taken again.
    UpdateAccount(UpdateAccount),
    /// A signed issue, transfer, redemption or cap raise.
    Submit(SignedTransaction),
    /// Pays the basic income of every whole period since the last
    /// distribution to every member account of the currency.
    DistributeIncome {
        /// The currency, which must have the basic-income policy.
        currency: CurrencyCode,
        /// When.
        at: Timestamp,
    },
}

impl Operation {
    /// The time the operation happens at.
    pub fn at(&self) -> Timestamp {
        match self {
            Operation::CreateCurrency { at, .. } | Operation::DistributeIncome { at, .. } => *at,
            Operation::OpenAccount(open) => open.at,
            Operation::UpdateAccount(update) => update.at,
            Operation::Submit(signed) => signed.transaction().timestamp,
        }
    }
}

/// Opening an account.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenAccount {
    /// The new account's id, unique in the ledger.
    pub id: AccountId,
    /// The currency it holds.
    pub currency: CurrencyCode,
    /// The key that signs for it.
    pub owner: VerifyingKey,
    /// What it is for.
    pub kind: AccountKind,
    /// Where it is.
    pub location: Option<Location>,
    /// Its trades.
    pub sectors: Vec<SectorCode>,
    /// When.
    pub at: Timestamp,
}

/// Changing an account's location or sectors.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateAccount {
    /// The account.
    pub id: AccountId,
    /// Its new location.
    pub location: Option<Location>,
    /// Its new trades.
    pub sectors: Vec<SectorCode>,
    /// When.
    pub at: Timestamp,
}
