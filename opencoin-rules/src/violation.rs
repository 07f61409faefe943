//! What a refusal says: which rule, the figures involved, and a sentence.

use std::fmt;

use opencoin_core::{AccountId, Amount, Location, SectorCode};
use thiserror::Error;

/// A reference to the rule that decided, as the file names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRef {
    /// Where the rule is in the file: `rules[2]`, or `supply.credit_limit`
    /// and `supply.cap` for the limits of the supply policy.
    pub path: String,
    /// The rule's name in the file (or its default name).
    pub name: String,
    /// The rule's kind: `perimeter`, `sectors`, `balance_ceiling`,
    /// `payment_max`, `credit_limit` or `supply_cap`.
    pub kind: &'static str,
}

impl fmt::Display for RuleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?} ({})", self.path, self.name, self.kind)
    }
}

/// Which side of a payment an account is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The account paying.
    Payer,
    /// The account paid.
    Payee,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Payer => "payer",
            Side::Payee => "payee",
        })
    }
}

/// A refused movement: the rule and what it found.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("refused by {rule}: {detail}")]
pub struct RuleViolation {
    /// The rule that refused.
    pub rule: RuleRef,
    /// The figures and the reason.
    pub detail: ViolationDetail,
}

/// The figures behind a refusal, one variant per kind of rule.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ViolationDetail {
    /// An account on a side the perimeter covers is outside it.
    OutsidePerimeter {
        /// The side the account is on.
        side: Side,
        /// The account.
        account: AccountId,
        /// Where it is; `None` if it has no location.
        location: Option<Location>,
    },
    /// An account is in a banned sector.
    SectorBanned {
        /// The side the account is on.
        side: Side,
        /// The account.
        account: AccountId,
        /// The sector that matched the ban list.
        sector: SectorCode,
        /// The community's reason.
        reason: String,
    },
    /// An account is in none of the approved sectors.
    SectorNotApproved {
        /// The side the account is on.
        side: Side,
        /// The account.
        account: AccountId,
        /// The community's reason.
        reason: String,
    },
    /// The payment is larger than the maximum.
    ExceedsPaymentMax {
        /// The payment.
        amount: Amount,
        /// The maximum.
        max: Amount,
    },
    /// The payee would hold more than the ceiling.
    ExceedsBalanceCeiling {
        /// The account paid.
        account: AccountId,
        /// Its balance after the payment.
        balance_after: Amount,
        /// The ceiling.
        ceiling: Amount,
    },
    /// The payer would go below its credit limit.
    ExceedsCreditLimit {
        /// The account paying.
        account: AccountId,
        /// Its balance after the payment.
        balance_after: Amount,
        /// The lowest balance allowed.
        floor: Amount,
    },
    /// Issuing would take the supply in circulation above the cap.
    ExceedsSupplyCap {
        /// The supply after the issue.
        supply_after: Amount,
        /// The cap.
        cap: Amount,
    },
}

impl fmt::Display for ViolationDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ViolationDetail::OutsidePerimeter { side, account, location: Some(location) } => {
                write!(f, "the {side} {account} at {location} is outside the perimeter")
            }
            ViolationDetail::OutsidePerimeter { side, account, location: None } => {
                write!(f, "the {side} {account} has no location, so it is outside the perimeter")
            }
            ViolationDetail::SectorBanned { side, account, sector, reason } => {
                write!(f, "the {side} {account} is in sector {sector}, which is banned: {reason}")
            }
            ViolationDetail::SectorNotApproved { side, account, reason } => {
                write!(f, "the {side} {account} is in no approved sector: {reason}")
            }
            ViolationDetail::ExceedsPaymentMax { amount, max } => {
                write!(f, "a payment of {amount} is over the maximum of {max}")
            }
            ViolationDetail::ExceedsBalanceCeiling { account, balance_after, ceiling } => {
                write!(f, "{account} would hold {balance_after}, over the ceiling of {ceiling}")
            }
            ViolationDetail::ExceedsCreditLimit { account, balance_after, floor } => write!(
                f,
                "{account} would reach {balance_after}, below its credit floor of {floor}"
            ),
            ViolationDetail::ExceedsSupplyCap { supply_after, cap } => {
                write!(f, "the supply would reach {supply_after}, over the cap of {cap}")
            }
        }
    }
}

/// A movement that was allowed but that a soft limit flags.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// The payer went below its soft credit floor.
    CreditLimitExceeded {
        /// The account.
        account: AccountId,
        /// Its balance after the payment.
        balance_after: Amount,
        /// The soft floor.
        floor: Amount,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::CreditLimitExceeded { account, balance_after, floor } => write!(
                f,
                "{account} reached {balance_after}, below its soft credit floor of {floor}"
            ),
        }
    }
}
